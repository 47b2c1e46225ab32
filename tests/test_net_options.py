"""skorch opened up: callbacks, net_params, warm_start, class_weight; one source per parameter."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight
from skorch.callbacks import Callback, EarlyStopping

from sk_deepsense import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor
from sk_deepsense.neural import HybridCNNLSTMModule
from sk_deepsense.neural._params import MODULE_PARAMS

from .conftest import SEED

TINY = dict(
    n_filters=4,
    filter_size=3,
    lstm_hidden_size=8,
    max_epochs=3,
    n_ensemble=1,
    batch_size=16,
    early_stopping=False,
    random_state=SEED,
)
ESTIMATORS = [HybridCNNLSTMClassifier, HybridCNNLSTMRegressor]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 6, 5)).astype(np.float32)
    X[::4, 4:] = np.nan
    y = np.array(["a", "a", "a", "b", "b", "c"])[np.arange(48) % 6]  # imbalanced: 3:2:1
    X[y == "b", :, 1] += 1.5
    return X, y, np.nanmean(X[:, :, :2], axis=1)


def target(Est, data):
    return data[1] if Est is HybridCNNLSTMClassifier else data[2]


class EpochCounter(Callback):
    def __init__(self) -> None:
        self.epochs = 0

    def on_epoch_end(self, net, **kwargs) -> None:
        self.epochs += 1


# ---------------------------------------------------------------------------- callbacks
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_extra_callbacks_are_called_after_the_built_in_ones(Est, data):
    counter = EpochCounter()
    est = Est(**{**TINY, "n_ensemble": 2}, callbacks=[("count", counter)])
    est.fit(data[0], target(Est, data))
    assert counter.epochs == 2 * TINY["max_epochs"]  # every epoch of both networks
    names = [name for name, _ in est.net_.callbacks_]
    assert names.index("clip") < names.index("count")


def test_a_callback_named_like_a_built_in_replaces_it_and_none_removes_it(data):
    X, y, _ = data
    mine = EarlyStopping(patience=1, load_best=False)
    clf = HybridCNNLSTMClassifier(
        **{**TINY, "early_stopping": True, "max_epochs": 4},
        callbacks=[("early_stopping", mine), ("clip", None)],
    ).fit(X, y)
    callbacks = dict(clf.net_.callbacks_)
    assert callbacks["early_stopping"] is mine and "clip" not in callbacks
    with pytest.raises(TypeError, match=r"\(name, callback\) tuples"):
        HybridCNNLSTMClassifier(**TINY, callbacks=[EpochCounter()]).fit(X, y)


# ---------------------------------------------------------------------------- net_params
def test_net_params_reach_the_net_and_override_the_built_ins(data):
    X, y, _ = data
    clf = HybridCNNLSTMClassifier(
        **TINY,
        net_params={
            "optimizer__betas": (0.8, 0.95),
            "optimizer": torch.optim.Adam,
            "iterator_train__drop_last": True,
            "lr": 0.05,
        },
    ).fit(X, y)
    net = clf.net_
    assert type(net.optimizer_) is torch.optim.Adam
    group = net.optimizer_.param_groups[0]
    assert group["betas"] == (0.8, 0.95) and group["lr"] == 0.05
    assert net.get_params()["iterator_train__drop_last"] is True
    assert clf.get_params()["lr"] == 3e-3  # the estimator's own parameter is unchanged
    with pytest.raises(ValueError, match="nonsense"):  # skorch checks the names
        HybridCNNLSTMClassifier(**TINY, net_params={"nonsense": 1}).fit(X, y)


def test_module_kwargs_come_from_the_estimator_parameters(data):
    X, y, _ = data
    clf = HybridCNNLSTMClassifier(**TINY, pooling="last", dropout=0.3).fit(X, y)
    params = clf.net_.get_params()
    names = {p.name for p in MODULE_PARAMS}
    for name in names:
        assert params[f"module__{name}"] == getattr(clf, name), name
    derived = {"n_coefficients", "n_outputs", "feature_mean", "feature_scale"}
    by_kind = {"frame_outputs"}  # set by the estimator class (_frame_outputs), not a parameter
    module_args = set(inspect.signature(HybridCNNLSTMModule).parameters)
    assert module_args == names | derived | by_kind
    assert {k[len("module__") :] for k in params if k.startswith("module__")} == module_args
    assert params["module__frame_outputs"] is False  # a clip-level model


# ---------------------------------------------------------------------------- warm_start
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_warm_start_continues_training_the_fitted_networks(Est, data):
    X, y = data[0], target(Est, data)
    est = Est(**{**TINY, "n_ensemble": 2}, warm_start=True).fit(X, y)
    nets = list(est.nets_)
    before = {k: v.clone() for k, v in est.net_.module_.state_dict().items()}
    stats = getattr(est, "target_mean_", None)
    est.fit(X, y)
    assert est.nets_ == nets and est.net_ is nets[0]  # the same networks, trained further
    assert est.history_[:, "epoch"] == list(range(1, 2 * TINY["max_epochs"] + 1))
    after = est.net_.module_.state_dict()
    assert any(not torch.equal(after[k], before[k]) for k in before if "weight" in k)
    if stats is not None:
        assert est.target_mean_ is stats  # the scale the networks learnt on stays
    # without warm_start, a second fit trains new networks from scratch
    est.set_params(warm_start=False).fit(X, y)
    assert est.net_ is not nets[0] and len(est.history_) == TINY["max_epochs"]


def test_warm_start_refuses_what_it_cannot_continue(data):
    X, y, av = data
    clf = HybridCNNLSTMClassifier(**TINY, warm_start=True).fit(X[y != "c"], y[y != "c"])
    with pytest.raises(ValueError, match="unseen labels"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="n_ensemble=2"):
        clf.set_params(n_ensemble=2).fit(X, y)
    reg = HybridCNNLSTMRegressor(**TINY, warm_start=True).fit(X, av)
    with pytest.raises(ValueError, match="1 targets"):
        reg.fit(X, av[:, 0])
    with pytest.raises(ValueError, match="refit"):
        reg.set_params(refit=True, early_stopping=True).fit(X, av)


# ---------------------------------------------------------------------------- class_weight
def test_class_weight_sets_the_criterion_weight(data):
    X, y, _ = data
    plain = HybridCNNLSTMClassifier(**TINY).fit(X, y)
    assert plain.class_weight_ is None and plain.net_.criterion_.weight is None
    balanced = HybridCNNLSTMClassifier(**TINY, class_weight="balanced").fit(X, y)
    expected = compute_class_weight("balanced", classes=np.unique(y), y=y)
    np.testing.assert_allclose(balanced.class_weight_, expected)
    np.testing.assert_allclose(balanced.net_.criterion_.weight.numpy(), expected, rtol=1e-6)
    assert not np.allclose(balanced.predict_proba(X), plain.predict_proba(X))
    by_label = HybridCNNLSTMClassifier(**TINY, class_weight={"c": 5.0}).fit(X, y)
    np.testing.assert_array_equal(by_label.net_.criterion_.weight.numpy(), [1.0, 1.0, 5.0])


def test_class_weight_survives_save_and_load(data, tmp_path):
    from sk_deepsense import load_model, save_model

    X, y, _ = data
    clf = HybridCNNLSTMClassifier(**TINY, class_weight={"b": 2.0}).fit(X, y)
    loaded = load_model(save_model(clf, tmp_path / "m.skds"))
    assert loaded.class_weight == {"b": 2.0}
    np.testing.assert_array_equal(loaded.class_weight_, clf.class_weight_)
    np.testing.assert_array_equal(loaded.net_.criterion_.weight, clf.net_.criterion_.weight)


# ---------------------------------------------------------------------------- conventions
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_each_parameter_is_declared_once_and_documented(Est):
    names = Est._get_param_names()
    assert set(Est._parameter_constraints) == set(names)
    assert ("class_weight" in names) is (Est is HybridCNNLSTMClassifier)
    in_signature = list(inspect.signature(Est).parameters)
    documented = [Est.__doc__.find(f"\n    {name} : ") for name in in_signature]
    assert -1 not in documented and documented == sorted(documented)  # all, in order
    assert str(inspect.signature(Est)).count("class_weight") == (Est is HybridCNNLSTMClassifier)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_tags_say_3d_input(Est):
    assert Est().__sklearn_tags__().input_tags.three_d_array is True


class ThreadProbe(Callback):
    """Record torch's thread count at the end of every training epoch."""

    def initialize(self):
        self.seen = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.seen.append(torch.get_num_threads())


@pytest.mark.parametrize("n_threads", [1, 2, None])
def test_n_threads_holds_during_fit_and_predict_and_is_restored(data, n_threads, monkeypatch):
    import sk_deepsense.neural._inference as inference

    X, y, _ = data
    before = torch.get_num_threads()
    process = 3 if before != 3 else 2  # a setting the estimator must not keep or change
    torch.set_num_threads(process)
    try:
        probe = ThreadProbe()
        est = HybridCNNLSTMClassifier(**TINY, n_threads=n_threads, callbacks=[("probe", probe)])
        est.fit(X, y)
        want = process if n_threads is None else n_threads
        probe = dict(est.net_.callbacks_)["probe"]
        assert probe.seen == [want] * TINY["max_epochs"]
        assert torch.get_num_threads() == process

        seen = []
        original = inference._InferenceMixin._net_outputs

        def spy(self, *args, **kwargs):
            seen.append(torch.get_num_threads())
            return original(self, *args, **kwargs)

        monkeypatch.setattr(inference._InferenceMixin, "_net_outputs", spy)
        est.predict(X)
        assert seen == [want] and torch.get_num_threads() == process
    finally:
        torch.set_num_threads(before)


def test_n_threads_does_not_change_a_seeded_fit_when_the_process_threads_change(data):
    X, y, _ = data
    before = torch.get_num_threads()
    try:
        outs = []
        for process in (1, 2):
            torch.set_num_threads(process)
            outs.append(HybridCNNLSTMClassifier(**TINY).fit(X, y).predict_proba(X))
    finally:
        torch.set_num_threads(before)
    np.testing.assert_array_equal(outs[0], outs[1])


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_mixed_precision_runs_the_forward_passes_in_bfloat16(Est, data, monkeypatch):
    X, y, av = data
    target = y if Est is HybridCNNLSTMClassifier else av
    full = Est(**TINY).fit(X, target)
    mixed = Est(**TINY, mixed_precision=True).fit(X, target)
    assert mixed.net_.mixed_precision and not full.net_.mixed_precision

    dtypes = []
    module = mixed.net_.module_
    hook = module.lstm.register_forward_hook(lambda m, i, o: dtypes.append(o[0].dtype))
    try:
        out = mixed.predict(X)
        frames = mixed.predict_frames(X) if Est is HybridCNNLSTMRegressor else None
    finally:
        hook.remove()
    assert dtypes and set(dtypes) == {torch.bfloat16}
    assert len(out) == len(X)
    if frames is not None:  # per-frame outputs go through the same precision context
        assert np.isfinite(frames[~np.isnan(frames)]).all() and len(set(dtypes)) == 1
    # the same weights in float32 and in bfloat16 agree to bfloat16's precision
    mixed.set_params(mixed_precision=False)
    mixed.net_.mixed_precision = False
    ref = mixed._forward(X)[0]
    mixed.net_.mixed_precision = True
    np.testing.assert_allclose(mixed._forward(X)[0], ref, atol=0.05)


# ---------------------------------------------------------------------------- pickling
@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:1", "auto"])
def test_unpickling_keeps_the_device_hyperparameter(data, device):
    """``__setstate__`` restores the parameters as they were: it never rewrites ``device``."""
    import pickle
    import warnings

    X, y, _ = data
    clf = HybridCNNLSTMClassifier(**TINY).fit(X, y)
    vars(clf)["device"] = device  # as a model trained elsewhere would carry it
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.device == device and loaded.get_params()["device"] == device
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))  # on the CPU
    warned = any("CUDA is not available here" in str(w.message) for w in record)
    assert warned is (device.startswith("cuda") and not torch.cuda.is_available())
    unfitted = pickle.loads(pickle.dumps(HybridCNNLSTMClassifier(device=device)))
    assert unfitted.get_params() == HybridCNNLSTMClassifier(device=device).get_params()
