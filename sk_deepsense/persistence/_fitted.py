"""Fitted attributes of the estimators that are not networks, each from an allowlist.

A network hands its fitted state to persistence itself (``_get_fitted_state``, see
:mod:`sk_deepsense.neural._state`). The other estimators a model file may hold are
scikit-learn's (``StandardScaler``, ``LogisticRegression``, ``Ridge``, ``SVC``,
``CalibratedClassifierCV``) or this package's feature steps, and their state is described
here, one allowlist per class (:data:`STATE`): each fitted attribute that ``transform``,
``predict``, ``decision_function`` and ``predict_proba`` read, with its dtype and its shape
in terms of the others (``f`` features, ``c`` classes, ``s`` support vectors, ...). The
lists were read from scikit-learn's source (1.9: each class's ``fit`` and prediction
paths, down to the arrays libsvm's C code reads) and are checked by round trips
(``tests/test_persistence_sklearn.py``).

Saving stores exactly the listed attributes. An instance attribute that is neither a
parameter, nor listed, nor known to play no part in predictions (:data:`_IGNORED`) makes
saving fail with a ``TypeError`` naming it: an attribute a newer scikit-learn adds is
refused, never silently lost. Loading refuses, with a ``ValueError`` that the loader turns
into a ``ModelFileError``: an attribute not in the list, a missing one, another dtype
(exactly: libsvm reads ``support_`` as int32), a shape that does not agree with the others,
a NaN or an infinity, a class label twice, support-vector indices out of range, ... Every
array is counted against the file's :class:`Budget` before it is allocated. Nothing here
runs code taken from a file: the only objects made are those of the fixed classes below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.calibration import _CalibratedClassifier, _SigmoidCalibration
from sklearn.utils.validation import check_is_fitted

from ..exceptions import ParameterError, ParameterTypeError
from ..neural._state import decode, encode
from ._format import CALIBRATED

__all__: list[str] = []


@dataclass(frozen=True)
class Field:
    """One fitted attribute: its kind, its shape (symbols of :func:`_dims`), if optional.

    Kinds of scalars: ``"count"`` (an int >= 1), ``"int"``, ``"bool"``, ``"float"``
    (finite), ``"shape"`` (two ints >= 0, a tuple), ``"samples"`` (a number >= 0, or an
    array of them of ``shape``). Kinds of arrays: ``"float64"`` (exactly, finite),
    ``"floats"`` (float32 or float64: the precision of the data it was fitted on, finite),
    ``"int32"`` (exactly), ``"ints"`` (any integer dtype, >= 0), ``"labels"`` (str, int,
    bool or finite float class labels, each once), ``"names"`` (str objects).
    ``"calibrated"``: ``CalibratedClassifierCV.calibrated_classifiers_``.
    """

    kind: str
    shape: tuple[str, ...] = ()
    optional: bool = False  # may be absent (feature_names_in_: only when fitted on names)
    nullable: bool = False  # may be None (StandardScaler(with_std=False).scale_)


_N = Field("count")
_NAMES = Field("names", ("f",), optional=True)
_CLASSES = Field("labels", ("c",))
_FLOATS = Field("floats", ("f",), nullable=True)

#: class name -> the fitted attributes a file holds for it; {} for a stateless class (its
#: entry has no "fitted"). The networks save their own state; Pipeline and FeatureUnion hold
#: theirs in their steps.
STATE: dict[str, dict[str, Field]] = {
    "MFCCTransformer": {},
    "LogMelTransformer": {},
    "MusicnnTransformer": {},
    "DescriptorTransformer": {},
    "SequenceStatistics": {
        "n_features_in_": _N,
        "feature_names_in_": _NAMES,
        "coefficient_names_in_": _NAMES,
    },
    "StandardScaler": {
        "n_features_in_": _N,
        "feature_names_in_": _NAMES,
        "n_samples_seen_": Field("samples", ("f",)),
        "mean_": _FLOATS,
        "var_": _FLOATS,
        "scale_": _FLOATS,
    },
    "LogisticRegression": {
        "n_features_in_": _N,
        "feature_names_in_": _NAMES,
        "classes_": _CLASSES,
        "coef_": Field("floats", ("k", "f")),
        "intercept_": Field("floats", ("k",)),
        "n_iter_": Field("ints", ("*",)),
    },
    # a dense SVC as libsvm's predict reads it (sklearn/svm/_base.py, _dense_predict):
    # the "_"-prefixed arrays are those passed to the C code
    "SVC": {
        "n_features_in_": _N,
        "feature_names_in_": _NAMES,
        "classes_": _CLASSES,
        "class_weight_": Field("float64", ("c",)),
        "_sparse": Field("bool"),
        # set by scikit-learn >= 1.9 (probability deprecated); derived when absent
        "_effective_probability": Field("bool", optional=True),
        "_gamma": Field("float"),
        "support_": Field("int32", ("s",)),
        "support_vectors_": Field("float64", ("s", "f")),
        "_n_support": Field("int32", ("c",)),
        "dual_coef_": Field("float64", ("c-1", "s")),
        "_dual_coef_": Field("float64", ("c-1", "s")),
        "intercept_": Field("float64", ("p",)),
        "_intercept_": Field("float64", ("p",)),
        "_probA": Field("float64", ("q",)),
        "_probB": Field("float64", ("q",)),
        "fit_status_": Field("int"),
        "_num_iter": Field("int32", ("p",)),
        "n_iter_": Field("int32", ("p",)),
        "shape_fit_": Field("shape"),
    },
    # the regression head of make_recommended: coef_ (f,) and a float intercept_ for one
    # target, (t, f) and (t,) for several (checked together by _ridge)
    "Ridge": {
        "n_features_in_": _N,
        "feature_names_in_": _NAMES,
        "coef_": Field("floats"),
        "intercept_": Field("float|floats"),
        "n_iter_": Field("ints", ("*",), nullable=True),
        "solver_": Field("solver"),
    },
    "CalibratedClassifierCV": {
        "n_features_in_": _N,
        "feature_names_in_": _NAMES,
        "classes_": _CLASSES,
        "calibrated_classifiers_": Field("calibrated"),
    },
}

#: Instance attributes that play no part in predictions, left out of a file:
#: ``set_output``'s configuration and the metadata-routing requests.
_IGNORED = frozenset({"_sklearn_output_config", "_metadata_request"})
#: SVC kernels a file may name: a "precomputed" kernel reads X as kernel values indexed by
#: training sample, a callable one is code (and cannot be stored anyway).
_SVC_KERNELS = ("linear", "poly", "rbf", "sigmoid")

#: What ``n_features_in_`` counts against the budget per feature: whatever is made per
#: feature (``get_feature_names_out``'s names, ...) stays bounded by the file's size.
_BYTES_PER_FEATURE = 64

#: describe(estimator, owner) -> a structure entry; build(entry, classes, where) -> estimator
Describe = Callable[[Any, str], dict]
Build = Callable[[Any, tuple[str, ...], str], Any]


class Budget:
    """Bytes that the arrays of one file may still take (counted before each allocation).

    One budget for the whole file: however many estimators or attributes a file names, its
    arrays together take at most ``limit`` bytes (the loader gives 64 per byte of
    ``model.json``).
    """

    def __init__(self, limit: int) -> None:
        self.limit = self.left = limit

    def take(self, nbytes: int, name: str) -> None:
        """Count ``nbytes`` for ``name``; ``ValueError`` if the budget has not that many."""
        if nbytes > self.left:
            raise ParameterError(
                f"{name} would take {nbytes} bytes, more than the {self.left} left to the "
                "arrays of this file (64 per byte of model.json)"
            )
        self.left -= nbytes


def declared_bytes(value: Any) -> int:
    """Bytes an encoded array (``{"dtype", "values"}``) would take, or 0 for anything else.

    Counted as :func:`~sk_deepsense.neural._state.decode` counts them, before anything is
    allocated; a value it would refuse counts 0 (it is refused there).
    """
    if not (isinstance(value, dict) and set(value) == {"dtype", "values"}):
        return 0
    try:
        dtype = np.dtype(value["dtype"]) if isinstance(value["dtype"], str) else None
    except (TypeError, ValueError):
        return 0
    count, stack = 0, [value["values"]]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        else:
            count += 1
    return 0 if dtype is None else dtype.itemsize * max(count, 1)


def array_name(name: str, value: Any) -> str:
    """``name`` and, for an encoded array, its dtype (``classes_ of dtype <U1``)."""
    dtype = value.get("dtype") if isinstance(value, dict) else None
    return f"{name} of dtype {dtype[:40]}" if isinstance(dtype, str) else name


# ---------------------------------------------------------------------------- saving
def fitted_state(est: Any, owner: str, describe: Describe) -> dict[str, Any] | None:
    """Return the fitted attributes of ``est`` as JSON data (``None``: a stateless class).

    Raises ``TypeError`` if ``est`` holds an attribute that is not a parameter, not in its
    allowlist and not ignorable, lacks one the list requires, or is in a configuration
    a file cannot hold (a sparse or precomputed-kernel SVC, isotonic calibration, ...);
    ``NotFittedError`` if it is not fitted.
    """
    cls = type(est).__name__
    spec = STATE[cls]
    attrs = vars(est)
    # what the constructor sets (the parameters, SVC's fixed nu and epsilon) it sets again
    # on load: those must be what it sets
    made = vars(type(est)(**est.get_params(deep=False)))
    extra = sorted(
        k
        for k in attrs
        if k not in spec and k not in _IGNORED and not (k in made and _same(made[k], attrs[k]))
    )
    if extra:
        raise ParameterTypeError(
            f"Cannot save {owner}: its attributes {extra} are not among those save_model "
            f"stores for a {cls} ({', '.join(spec) or 'none: it is stateless'}). Was it "
            "fitted by another scikit-learn version, or changed by hand?"
        )
    if not spec:
        return None
    check_is_fitted(est)
    missing = sorted(k for k, f in spec.items() if not f.optional and k not in attrs)
    if missing:
        raise ParameterTypeError(f"Cannot save {owner}: it lacks the fitted attributes {missing}.")
    _check_savable(est, owner)
    state: dict[str, Any] = {}
    for name, field in spec.items():
        if name not in attrs:
            continue
        value = attrs[name]
        if field.kind == "shape":
            state[name] = [int(v) for v in value]
        elif field.kind == "calibrated":
            state[name] = _calibrated_state(value, owner, describe)
        else:
            state[name] = encode(value, f"{name} of {owner}")
    return state


def _same(a: Any, b: Any) -> bool:
    """Whether two attribute values are the same (arrays compared by value)."""
    if a is b:
        return True
    try:
        return bool(
            type(a) is type(b) and np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
        )
    except (TypeError, ValueError):
        return False


def _check_savable(est: Any, owner: str) -> None:
    """Refuse the configurations a file does not hold (a TypeError that says which)."""
    cls = type(est).__name__
    if cls == "SVC":
        if getattr(est, "_sparse", False) or est.kernel not in _SVC_KERNELS:
            raise ParameterTypeError(
                f"Cannot save {owner}: an SVC fitted on sparse data or with kernel="
                f"{est.kernel!r} (only dense data and the kernels {_SVC_KERNELS} can be)."
            )
    elif cls == "CalibratedClassifierCV" and est.method != "sigmoid":
        raise ParameterTypeError(
            f"Cannot save {owner}: method={est.method!r} (only 'sigmoid', Platt scaling, can be)."
        )


def _calibrated_state(value: Any, owner: str, describe: Describe) -> list[dict[str, Any]]:
    """``calibrated_classifiers_`` as entries: the fitted classifier, each sigmoid's a and b."""
    out = []
    for i, calibrated in enumerate(value):
        where = f"{owner}'s calibrated classifier {i}"
        if type(calibrated) is not _CalibratedClassifier or calibrated.method != "sigmoid":
            raise ParameterTypeError(f"Cannot save {where}: it is not a sigmoid calibration.")
        if type(calibrated.estimator).__name__ not in CALIBRATED:
            raise ParameterTypeError(
                f"Cannot save {where}: it calibrates a {type(calibrated.estimator).__name__} "
                f"(only {' or '.join(CALIBRATED)} can be saved calibrated)."
            )
        sigmoids = []
        for sigmoid in calibrated.calibrators:
            if type(sigmoid) is not _SigmoidCalibration or set(vars(sigmoid)) != {"a_", "b_"}:
                raise ParameterTypeError(
                    f"Cannot save {where}: a calibrator is not a fitted sigmoid."
                )
            sigmoids.append({"a_": float(sigmoid.a_), "b_": float(sigmoid.b_)})
        out.append({"estimator": describe(calibrated.estimator, where), "calibrators": sigmoids})
    return out


# ---------------------------------------------------------------------------- loading
def set_fitted_state(est: Any, state: Any, budget: Budget, build: Build) -> None:
    """Check ``state`` against the allowlist of ``est``'s class, then set it on ``est``.

    Raises ``ValueError`` (naming the attribute and what is wrong) for anything that
    :func:`fitted_state` could not have written from a fitted estimator.
    """
    spec = STATE[type(est).__name__]
    if not isinstance(state, dict):
        raise ParameterError("its fitted state is missing")
    unknown = sorted(str(k)[:80] for k in state if k not in spec)
    if unknown:
        raise ParameterError(f"unknown fitted attributes {unknown[:3]}")
    missing = sorted(k for k, f in spec.items() if not f.optional and k not in state)
    if missing:
        raise ParameterError(f"the fitted attributes {missing} are missing")
    values = {
        name: _decode(spec[name], raw, name, budget)
        for name, raw in state.items()
        if spec[name].kind != "calibrated"
    }
    params = est.get_params(deep=False)
    if type(est).__name__ == "SVC" and "_effective_probability" not in values:
        # a file of scikit-learn < 1.9, where the parameter alone said it
        values["_effective_probability"] = params["probability"] is True
    dims = _dims(values)
    for name, value in values.items():
        _check_shape(spec[name], value, dims, name)
    if "calibrated_classifiers_" in state:
        values["calibrated_classifiers_"] = _calibrated(
            state["calibrated_classifiers_"], values, dims, params, budget, build
        )
    _RELATIONS.get(type(est).__name__, lambda v, d, p: None)(values, dims, params)
    for name, value in values.items():
        setattr(est, name, value)


def _decode(field: Field, raw: Any, name: str, budget: Budget) -> Any:
    """One attribute from JSON: its kind checked (its shape later, by :func:`_check_shape`)."""
    if raw is None and field.nullable:
        return None
    kind = field.kind
    if kind == "float|floats":  # a number, or an array of them
        kind = "floats" if isinstance(raw, dict) else "float"
    if kind == "solver":  # Ridge.solver_: a name of scikit-learn's solvers, never read
        if raw not in _RIDGE_SOLVERS:
            raise ParameterError(f"{name} is not one of {_RIDGE_SOLVERS}")
        return raw
    if kind in ("count", "int"):
        if type(raw) is not int or (kind == "count" and raw < 1):
            raise ParameterError(f"{name} is not {'a positive' if kind == 'count' else 'an'} int")
        if kind == "count":  # what is made per feature (names, ...) is bounded like an array
            budget.take(_BYTES_PER_FEATURE * raw, f"{name}={raw}")
        return raw
    if kind == "bool":
        if type(raw) is not bool:
            raise ParameterError(f"{name} is not a bool")
        return raw
    if kind == "float" or (kind == "samples" and not isinstance(raw, dict)):
        if type(raw) not in (int, float) or not np.isfinite(raw) or (kind == "samples" and raw < 0):
            raise ParameterError(f"{name} is not a finite number" + (" >= 0" * (kind == "samples")))
        return float(raw) if kind == "float" else raw
    if kind == "shape":
        if not (
            isinstance(raw, list) and len(raw) == 2 and all(type(v) is int and v >= 0 for v in raw)
        ):
            raise ParameterError(f"{name} is not two ints >= 0")
        return tuple(raw)
    nbytes = declared_bytes(raw)
    budget.take(nbytes, array_name(name, raw))  # before decode allocates it
    value = decode(raw, name, max_bytes=nbytes)
    if not isinstance(value, np.ndarray):
        raise ParameterError(f"{name} is not an array")
    dtype = value.dtype
    expected = {"float64": np.dtype(np.float64), "int32": np.dtype(np.int32)}.get(kind)
    if kind == "floats":
        expected = dtype if dtype in (np.dtype(np.float32), np.dtype(np.float64)) else None
    elif kind == "samples":
        expected = value.dtype if dtype.kind in "iuf" and dtype.itemsize <= 8 else None
    elif kind == "ints":
        expected = value.dtype if dtype.kind in "iu" and dtype.itemsize <= 8 else None
    elif kind == "labels":
        expected = value.dtype if dtype.kind in "UOiubf" and value.ndim == 1 else None
    elif kind == "names":
        ok = dtype.kind == "O" and value.ndim == 1 and all(type(v) is str for v in value)
        expected = value.dtype if ok else None
    if expected is None or dtype != expected:
        want = {"labels": "1-D class labels", "names": "1-D str names"}.get(kind, kind)
        raise ParameterError(f"{name} is an array of dtype {dtype.str}, not of {want}")
    if dtype.kind == "f" and not np.isfinite(value).all():
        raise ParameterError(f"{name} holds NaN or infinite values")
    if kind in ("ints", "samples") and (value < 0).any():
        raise ParameterError(f"{name} holds negative values")
    if kind == "labels" and len({type(v) for v in value.tolist()}) > 1:
        raise ParameterError(f"{name} holds labels of several types")
    if kind == "labels" and len(set(value.tolist())) != len(value):
        raise ParameterError(f"{name} holds a class twice")
    return value


def _dims(values: dict[str, Any]) -> dict[str, int]:
    """Return the sizes the shapes of :data:`STATE` name, from the attributes defining them.

    ``f``: ``n_features_in_``; ``c``: the classes (at least 2), ``k``: the rows of a linear
    model's ``coef_`` (1 for 2 classes), ``p``: the pairs of classes (one-vs-one), ``s``:
    the support vectors, ``q``: the pairs when the SVC has probabilities, else 0.
    """
    dims: dict[str, int] = {}
    if "n_features_in_" in values:
        dims["f"] = values["n_features_in_"]
    classes = values.get("classes_")
    if classes is not None:
        c = len(classes)
        if c < 2:
            raise ParameterError("classes_ holds fewer than 2 classes")
        dims.update({"c": c, "c-1": c - 1, "k": 1 if c == 2 else c, "p": c * (c - 1) // 2})
    if "support_" in values:
        dims["s"] = len(values["support_"])
    if "_effective_probability" in values:
        dims["q"] = dims["p"] if values["_effective_probability"] else 0
    return dims


def _check_shape(field: Field, value: Any, dims: dict[str, int], name: str) -> None:
    if not isinstance(value, np.ndarray) or not field.shape:
        return
    expected = tuple(dims.get(s, -1) if s != "*" else None for s in field.shape)
    if value.ndim != len(expected) or any(
        e is not None and e != n for e, n in zip(expected, value.shape, strict=True)
    ):
        symbols = ", ".join(field.shape)
        want = tuple("any" if e is None else e for e in expected)
        raise ParameterError(f"{name} has shape {value.shape}, not ({symbols}) = {want}")


def _calibrated(
    raw: Any,
    values: dict[str, Any],
    dims: dict[str, int],
    params: dict[str, Any],
    budget: Budget,
    build: Build,
) -> list[Any]:
    """Rebuild ``calibrated_classifiers_``: fitted classifiers and their sigmoids, checked."""
    if params["method"] != "sigmoid":
        raise ParameterError(f"method={params['method']!r}: only 'sigmoid' calibration is read")
    if not isinstance(raw, list) or not raw:
        raise ParameterError("calibrated_classifiers_ is not a list of calibrated classifiers")
    if params["ensemble"] is False and len(raw) != 1:
        raise ParameterError(f"ensemble=False, but calibrated_classifiers_ holds {len(raw)}")
    classes, n_sigmoids = values["classes_"], 1 if dims["c"] == 2 else dims["c"]
    out = []
    for i, item in enumerate(raw):
        where = f"calibrated classifier {i}"
        if not isinstance(item, dict) or set(item) != {"estimator", "calibrators"}:
            raise ParameterError(f"{where} is malformed")
        est = build(item["estimator"], CALIBRATED, where)
        if not hasattr(est, "classes_"):
            raise ParameterError(f"the classifier of {where} is not fitted")
        if est.classes_.dtype != classes.dtype or not np.array_equal(est.classes_, classes):
            raise ParameterError(f"the classes of {where} are not classes_")
        if est.n_features_in_ != dims["f"]:
            raise ParameterError(f"the classifier of {where} does not take n_features_in_ features")
        sigmoids = item["calibrators"]
        if not isinstance(sigmoids, list) or len(sigmoids) != n_sigmoids:
            raise ParameterError(f"{where} has not {n_sigmoids} calibrators")
        fitted = []
        for sigmoid in sigmoids:
            if not isinstance(sigmoid, dict) or set(sigmoid) != {"a_", "b_"}:
                raise ParameterError(f"a calibrator of {where} is not a sigmoid's a_ and b_")
            one = _SigmoidCalibration()
            for key in ("a_", "b_"):
                setattr(one, key, np.float64(_decode(Field("float"), sigmoid[key], key, budget)))
            fitted.append(one)
        out.append(_CalibratedClassifier(est, fitted, classes=classes, method="sigmoid"))
    return out


# ---------------------------------------------------------------------------- relations
def _scaler(values: dict[str, Any], dims: dict[str, int], params: dict[str, Any]) -> None:
    """Check that what ``transform`` reads is there, the scale > 0 and the variance >= 0."""
    if params["with_mean"] and values.get("mean_") is None:
        raise ParameterError("with_mean=True, but mean_ is None")
    if params["with_std"]:
        scale, var = values.get("scale_"), values.get("var_")
        if scale is None or var is None:
            raise ParameterError("with_std=True, but scale_ or var_ is None")
        if not (scale > 0).all():
            raise ParameterError("scale_ holds values that are not positive")
    var = values.get("var_")
    if var is not None and (var < 0).any():
        raise ParameterError("var_ holds negative values")


def _svc(values: dict[str, Any], dims: dict[str, int], params: dict[str, Any]) -> None:
    """Check that the arrays handed to libsvm agree with one another (CVE-2020-28975)."""
    if params["kernel"] not in _SVC_KERNELS:
        raise ParameterError(f"kernel={params['kernel']!r}: only {_SVC_KERNELS} are read")
    if values["_sparse"]:
        raise ParameterError("_sparse is true: an SVC fitted on sparse data is not read")
    n_support, s = values["_n_support"], dims["s"]
    if (n_support < 0).any() or int(n_support.sum(dtype=np.int64)) != s:
        raise ParameterError(f"_n_support does not count the {s} support vectors")
    n_samples, n_features = values["shape_fit_"]
    if n_features != dims["f"] or n_samples < s or n_samples >= 2**31:
        raise ParameterError(f"shape_fit_ {values['shape_fit_']} does not fit the support vectors")
    support = values["support_"]
    if s and (support.min() < 0 or support.max() >= n_samples):
        raise ParameterError("support_ holds indices outside the training samples")
    sign = -1.0 if dims["c"] == 2 else 1.0  # libsvm's sign, flipped for two classes
    if not (
        np.array_equal(values["dual_coef_"], sign * values["_dual_coef_"])
        and np.array_equal(values["intercept_"], sign * values["_intercept_"])
    ):
        raise ParameterError("dual_coef_ and intercept_ disagree with _dual_coef_ and _intercept_")
    if not np.array_equal(values["n_iter_"], values["_num_iter"]):
        raise ParameterError("n_iter_ and _num_iter disagree")
    if values["_effective_probability"] != (params["probability"] is True):
        raise ParameterError("_effective_probability disagrees with the parameter probability")
    if values["_gamma"] < 0:
        raise ParameterError("_gamma is negative")


def _ridge(values: dict[str, Any], dims: dict[str, int], params: dict[str, Any]) -> None:
    """Check ``coef_`` (f,) with a number ``intercept_``, or (t, f) with (t,) (or 0.0)."""
    coef, intercept, f = values["coef_"], values["intercept_"], dims["f"]
    if coef.ndim not in (1, 2) or coef.shape[-1] != f or coef.size == 0:
        raise ParameterError(f"coef_ has shape {coef.shape}, not (f,) or (t, f) with f = {f}")
    if isinstance(intercept, np.ndarray):
        if coef.ndim != 2 or intercept.shape != coef.shape[:1]:
            raise ParameterError(
                f"intercept_ has shape {intercept.shape}, not (t,) of coef_ (t, f)"
            )
    elif coef.ndim == 2 and params["fit_intercept"]:
        raise ParameterError("intercept_ is a number, but coef_ holds several targets")


_RIDGE_SOLVERS = ("auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga", "lbfgs")

_RELATIONS: dict[str, Callable[[dict, dict, dict], None]] = {
    "StandardScaler": _scaler,
    "SVC": _svc,
    "Ridge": _ridge,
}
