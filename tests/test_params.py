"""One declaration of the network settings: the signatures, constraints, docs and module agree.

Each test fails if one of the places that derive from :mod:`sk_deepsense.neural._params`
is written by hand again and drifts from the records.
"""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest
from sklearn.utils._param_validation import validate_parameter_constraints

from sk_deepsense import (
    HybridCNNLSTMClassifier,
    HybridCNNLSTMDynamicRegressor,
    HybridCNNLSTMRegressor,
)
from sk_deepsense.neural import HybridCNNLSTMModule
from sk_deepsense.neural._params import (
    CLASS_WEIGHT,
    MODULE_PARAMS,
    NETWORK_PARAMS,
    SERIES_TARGET_PARAMS,
    WINDOW_PARAMS,
    module_defaults,
)

EXPECTED = {
    HybridCNNLSTMClassifier: (*NETWORK_PARAMS, CLASS_WEIGHT),
    HybridCNNLSTMRegressor: NETWORK_PARAMS,
    HybridCNNLSTMDynamicRegressor: (
        *(p for p in NETWORK_PARAMS if p.name not in WINDOW_PARAMS),
        *SERIES_TARGET_PARAMS,
    ),
}
ESTIMATORS = list(EXPECTED)


def test_names_are_unique_and_module_settings_are_network_settings():
    names = [p.name for p in NETWORK_PARAMS]
    assert len(names) == len(set(names))
    assert {p.name for p in MODULE_PARAMS} <= set(names)
    assert set(WINDOW_PARAMS) <= set(names)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_signature_is_the_declaration(Est):
    params = list(inspect.signature(Est).parameters.values())
    declared = EXPECTED[Est]
    assert [p.name for p in params] == [d.name for d in declared]
    for p, d in zip(params, declared, strict=True):
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, p.name
        assert p.default is d.default or p.default == d.default, p.name
        assert p.annotation == d.annotation, p.name
    assert list(Est().get_params()) == sorted(d.name for d in declared)
    assert Est().get_params() == {d.name: d.default for d in declared}


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_constraints_are_the_declaration_and_accept_every_default(Est):
    declared = EXPECTED[Est]
    assert list(Est._parameter_constraints) == [d.name for d in declared]
    for d in declared:
        assert Est._parameter_constraints[d.name] == list(d.constraints), d.name
    defaults = {d.name: d.default for d in declared}
    validate_parameter_constraints(Est._parameter_constraints, defaults, caller_name=Est.__name__)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_docstring_lists_every_parameter_with_its_type_and_default(Est):
    doc = Est.__doc__
    section = doc[doc.index("    Parameters\n") : doc.index("    Attributes\n")]
    headers = re.findall(r"^    (\w+) : (.+)$", section, re.M)
    declared = EXPECTED[Est]
    assert [name for name, _ in headers] == [d.name for d in declared]
    for (_, header), d in zip(headers, declared, strict=True):
        assert header == f"{d.type_doc}, default={d.default_doc}", d.name
        assert d.doc.split("\n")[0].replace("{stratified}", "")[:40] in section
    assert "{" + "class_weight}" not in doc and "{stratified}" not in doc
    assert "{warm_classes}" not in doc


def test_module_takes_the_declared_settings_without_defaults_of_its_own():
    params = inspect.signature(HybridCNNLSTMModule).parameters
    settings = {p.name for p in MODULE_PARAMS}
    assert settings <= set(params)
    for name, p in params.items():
        assert p.default is inspect.Parameter.empty, f"the module's own default for {name}"
    # the module's docstring lists every setting, as declared
    for p in MODULE_PARAMS:
        assert f"    {p.name} : {p.type_doc}\n" in HybridCNNLSTMModule.__doc__, p.name
    assert module_defaults() == {p.name: p.default for p in MODULE_PARAMS}
    with pytest.raises(TypeError, match="max_epochs"):
        module_defaults(max_epochs=3)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_the_net_gets_the_declared_settings_at_their_defaults(Est):
    from sk_deepsense.neural._net import make_net

    est = Est()
    if Est is HybridCNNLSTMClassifier:
        est.class_weight_ = None
    net = make_net(est, 5, 2, np.zeros(5), np.ones(5))
    got = net.get_params_for("module")
    assert {k: got[k] for k in module_defaults()} == module_defaults()
    assert got["frame_outputs"] is (Est is HybridCNNLSTMDynamicRegressor)


def test_an_unknown_keyword_is_refused():
    with pytest.raises(TypeError, match="n_filter"):
        HybridCNNLSTMClassifier(n_filter=3)
    with pytest.raises(TypeError):
        HybridCNNLSTMClassifier(16)  # keyword-only, as before


@pytest.mark.parametrize("name", WINDOW_PARAMS)
def test_the_dynamic_regressor_has_no_prediction_windows(name):
    """Its outputs are per frame: a window setting would be accepted and ignored."""
    with pytest.raises(TypeError, match=name):
        HybridCNNLSTMDynamicRegressor(**{name: 64})
    with pytest.raises(ValueError, match=name):
        HybridCNNLSTMDynamicRegressor().set_params(**{name: 64})
    assert f"    {name} : " not in HybridCNNLSTMDynamicRegressor.__doc__
    assert HybridCNNLSTMDynamicRegressor()._prediction_windows() is None
