"""save_model / load_model of the transfer-learning and baseline models (issue 22).

The musicnn front end (referenced by the checksum of its shipped weights, never copied),
the descriptors, the per-clip statistics and the scikit-learn steps on top of them
(``StandardScaler``, ``LogisticRegression``, ``SVC``, a sigmoid ``CalibratedClassifierCV``),
in nested ``Pipeline``s and ``FeatureUnion``s. Each round trip must predict bit for bit
as before; each hostile file (built here from a real one) must be one ``ModelFileError``,
one line through the command line.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from sk_deepsense import ModelFileError, SequenceStatistics, load_model, save_model
from sk_deepsense.baselines import make_baseline
from sk_deepsense.cli import main
from sk_deepsense.features import DescriptorTransformer, MusicnnTransformer
from sk_deepsense.fusion import make_fusion
from sk_deepsense.neural._musicnn import _SHA256

from ._fitted_models import fitted_clf, mfcc_data  # noqa: F401

SR = 16000  # musicnn's rate: waveforms are given at it
METHODS = ("predict", "predict_proba", "decision_function", "transform")


def run(capsys, *argv):
    """main(argv) -> (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _sequences(n: int = 36, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6, 5)).astype(np.float32)
    X[::3, 4:] = np.nan  # NaN padding at the end of some clips
    return X


X = _sequences()
Y4 = np.array(["angry", "calm", "happy", "sad"])[np.arange(len(X)) % 4]
Y2 = np.where(np.arange(len(X)) % 2, "tense", "relaxed")
YINT = np.arange(len(X)) % 3 * 10  # int labels 0, 10, 20


def _clip(i: int, duration: float = 3.5) -> np.ndarray:
    """A 16 kHz clip: a low tone (even i) or a bright one, with noise."""
    rng = np.random.default_rng(i)
    t = np.arange(int(duration * SR)) / SR
    f0 = rng.uniform(110, 220) if i % 2 == 0 else rng.uniform(1500, 3000)
    y = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 4))
    return (0.3 * y + 0.02 * rng.normal(size=t.size)).astype(np.float32)


WAVES = [_clip(i) for i in range(8)]
WAVE_LABELS = np.where(np.arange(8) % 2, "bright", "dark")


def _outputs(model, data) -> dict[str, np.ndarray]:
    """What each prediction method of ``model`` gives on ``data``."""
    out = {}
    for method in METHODS:
        if hasattr(model, method):
            try:
                out[method] = getattr(model, method)(data)
            except AttributeError:  # e.g. a Pipeline whose last step lacks it
                continue
    return out


def _assert_round_trip(model, data, path: Path):
    """Save, load, and check every prediction and fitted array is bit-identical."""
    loaded = load_model(save_model(model, path, overwrite=True))
    assert type(loaded) is type(model)
    assert repr(loaded.get_params(deep=True)) == repr(model.get_params(deep=True))
    before, after = _outputs(model, data), _outputs(loaded, data)
    assert before.keys() == after.keys() and before
    for method, value in before.items():
        assert value.dtype == after[method].dtype, method
        assert _same(value, after[method]), method
    _assert_same_attributes(model, loaded)
    return loaded


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit for bit (a NaN where the other has one: transform keeps NaN inputs)."""
    return a.tobytes() == b.tobytes() if a.dtype.kind != "O" else np.array_equal(a, b)


def _steps(model):
    """Every estimator in ``model`` (nested Pipelines, FeatureUnions, calibrated ones)."""
    yield model
    children = getattr(model, "steps", None) or getattr(model, "transformer_list", None) or []
    for _, child in children:
        yield from _steps(child)
    for calibrated in getattr(model, "calibrated_classifiers_", []):
        yield from _steps(calibrated.estimator)


def _assert_same_attributes(model, loaded):
    for a, b in zip(_steps(model), _steps(loaded), strict=True):
        assert type(a) is type(b)
        for name, value in vars(a).items():
            if isinstance(value, np.ndarray):
                other = getattr(b, name)
                assert other.dtype == value.dtype and other.shape == value.shape, name
                assert _same(value, other), name


def _head(clf):
    return Pipeline([("stats", SequenceStatistics()), ("scale", StandardScaler()), ("clf", clf)])


# --------------------------------------------------------------------------- fitted models
@pytest.fixture(scope="module")
def musicnn_logreg():
    """The recommended model: musicnn embeddings, statistics, scaler, logistic regression."""
    pipe = Pipeline(
        [
            ("musicnn", MusicnnTransformer(duration=3.5)),
            ("stats", SequenceStatistics()),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    return pipe.fit(WAVES, WAVE_LABELS)


@pytest.fixture(scope="module")
def musicnn_union_svm():
    """musicnn and descriptor statistics joined, then a Platt-scaled SVM (make_fusion's)."""
    union = FeatureUnion(
        [
            (
                "musicnn",
                Pipeline([("m", MusicnnTransformer(duration=3.5)), ("s", SequenceStatistics())]),
            ),
            (
                "descriptors",
                Pipeline(
                    [
                        ("d", DescriptorTransformer(sr=SR, hop_length=1024, duration=3.5)),
                        ("s", SequenceStatistics(deltas=True)),
                    ]
                ),
            ),
        ]
    )
    clf = CalibratedClassifierCV(SVC(), ensemble=False, cv=2)
    pipe = Pipeline([("features", union), ("scale", StandardScaler()), ("clf", clf)])
    return pipe.fit(WAVES, WAVE_LABELS)


@pytest.fixture(scope="module")
def wav_files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("wavs")
    paths = []
    for i, y in enumerate(WAVES[:4]):
        paths.append(folder / f"clip{i}.wav")
        sf.write(paths[-1], y, SR)
    return paths


@pytest.fixture(scope="module")
def files(musicnn_logreg, musicnn_union_svm, tmp_path_factory) -> dict[str, Path]:
    """Good files of each kind, the sources of the hostile ones."""
    folder = tmp_path_factory.mktemp("good")
    svc4 = _head(SVC()).fit(X, Y4)
    calibrated = _head(CalibratedClassifierCV(SVC(), ensemble=False, cv=3)).fit(X, Y4)
    models = {
        "logreg": _head(LogisticRegression(max_iter=500)).fit(X, Y4),
        "svc": svc4,
        "calibrated": calibrated,
        "musicnn": musicnn_logreg,
        "union": musicnn_union_svm,
    }
    return {key: save_model(m, folder / f"{key}.skds") for key, m in models.items()}


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize(
    "make, y",
    [
        (lambda: _head(LogisticRegression(max_iter=500)), Y4),
        (lambda: _head(LogisticRegression()), Y2),
        (lambda: _head(LogisticRegression(solver="liblinear")), Y2),  # float64 coef_
        (lambda: _head(LogisticRegression(class_weight={0: 2.0, 10: 1.0, 20: 0.5})), YINT),
        (lambda: _head(LogisticRegression(class_weight="balanced", fit_intercept=False)), Y4),
        (lambda: _head(SVC()), Y4),
        (lambda: _head(SVC(C=3.0, gamma=0.1)), Y2),
        (lambda: _head(SVC(kernel="linear", class_weight={"calm": 2.0})), Y4),
        (lambda: _head(SVC(kernel="poly", degree=2, decision_function_shape="ovo")), YINT),
        (lambda: _head(SVC(kernel="sigmoid", break_ties=True)), Y4),
        (lambda: _head(CalibratedClassifierCV(SVC(), ensemble=False, cv=3)), Y4),
        (lambda: _head(CalibratedClassifierCV(SVC(), ensemble=False, cv=3)), Y2),
        (lambda: _head(CalibratedClassifierCV(LogisticRegression(), cv=3)), YINT),  # 3 copies
        (lambda: _head(SVC()).set_params(scale=StandardScaler(with_mean=False)), Y4),
        (lambda: _head(SVC()).set_params(scale=StandardScaler(with_std=False)), Y4),
        (lambda: make_baseline("svm"), Y4),
        (lambda: make_baseline("logreg"), Y2),
        (
            lambda: Pipeline(
                [
                    (
                        "union",
                        FeatureUnion(
                            [
                                ("plain", SequenceStatistics()),
                                (
                                    "rich",
                                    Pipeline(
                                        [
                                            (
                                                "s",
                                                SequenceStatistics(
                                                    statistics=["min", "max"],
                                                    percentiles=(10.0, 90.0),
                                                    deltas=True,
                                                ),
                                            )
                                        ]
                                    ),
                                ),
                            ],
                            transformer_weights={"plain": 2.0},
                        ),
                    ),
                    ("scale", StandardScaler()),
                    ("clf", LogisticRegression()),
                ]
            ),
            Y4,
        ),
    ],
    ids=[
        "logreg_4",
        "logreg_2",
        "logreg_liblinear",
        "logreg_int_labels_class_weight",
        "logreg_balanced_no_intercept",
        "svc_4",
        "svc_2",
        "svc_linear_class_weight",
        "svc_poly_ovo_int_labels",
        "svc_sigmoid_break_ties",
        "calibrated_svc_4",
        "calibrated_svc_2",
        "calibrated_logreg_ensemble",
        "scaler_without_mean",
        "scaler_without_std",
        "baseline_svm",
        "baseline_logreg",
        "feature_union",
    ],
)
def test_round_trip_is_bit_identical(make, y, tmp_path):
    model = make().fit(X, y)
    _assert_round_trip(model, X, tmp_path / "m.skds")


def test_each_class_alone_round_trips(tmp_path):
    Xs = SequenceStatistics().fit_transform(X)
    Xs[0, 0] = np.nan  # StandardScaler counts samples per feature: n_samples_seen_ an array
    scaler = StandardScaler().fit(Xs)
    assert isinstance(scaler.n_samples_seen_, np.ndarray)
    _assert_round_trip(scaler, Xs, tmp_path / "scaler.skds")
    Xs = SequenceStatistics().fit_transform(X)
    for clf in (
        LogisticRegression(),
        SVC(),
        CalibratedClassifierCV(SVC(), ensemble=False, cv=3),
    ):
        _assert_round_trip(clf.fit(Xs, Y4), Xs, tmp_path / "clf.skds")
    stats = SequenceStatistics(statistics=("median",), percentiles=[25]).fit(X)
    loaded = _assert_round_trip(stats, X, tmp_path / "stats.skds")
    assert loaded.statistics == ("median",) and loaded.percentiles == [25]  # types kept


def test_an_svc_of_scikit_learn_before_1_9_round_trips(tmp_path):
    """scikit-learn < 1.9 (the project allows >= 1.6) sets no _effective_probability."""
    model = _head(SVC()).fit(X, Y4)
    if hasattr(model[-1], "_effective_probability"):  # >= 1.9: make it an SVC of < 1.9
        del model[-1]._effective_probability
    path = save_model(model, tmp_path / "m.skds")
    doc = json.loads(zipfile.ZipFile(path).read("model.json"))
    assert "_effective_probability" not in doc["model"]["steps"][-1]["fitted"]
    loaded = load_model(path)
    assert loaded[-1]._effective_probability is False  # what scikit-learn 1.9 reads
    assert _same(loaded.decision_function(X), model.decision_function(X))


def test_names_seen_in_fit_round_trip(tmp_path):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        SequenceStatistics().fit_transform(X), columns=[f"c{i}" for i in range(10)]
    )
    model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(frame, Y4)
    loaded = _assert_round_trip(model, frame, tmp_path / "m.skds")
    assert list(loaded[0].feature_names_in_) == list(frame.columns)
    from sk_deepsense.features import FeatureSequences

    named = FeatureSequences(X, feature_names=[f"mfcc{i}" for i in range(5)])
    stats = SequenceStatistics().fit(named)
    loaded = _assert_round_trip(stats, X, tmp_path / "s.skds")
    assert list(loaded.get_feature_names_out()) == list(stats.get_feature_names_out())


def test_stateless_transformers_round_trip(tmp_path):
    for transformer in (
        MusicnnTransformer(model="MTT_musicnn", output=["penultimate", "taggram"], patch_hop=1.0),
        MusicnnTransformer(output=("pools",), duration=None, offset=1.5),
        DescriptorTransformer(sr=16000, n_bands=4, duration=10.0),
    ):
        loaded = load_model(save_model(transformer, tmp_path / "t.skds", overwrite=True))
        assert type(loaded) is type(transformer) and repr(loaded) == repr(transformer)
        params = transformer.get_params()
        assert loaded.get_params() == params
        assert [type(v) for v in loaded.get_params().values()] == [type(v) for v in params.values()]


def test_musicnn_logreg_round_trip(musicnn_logreg, tmp_path):
    path = tmp_path / "musicnn.skds"
    _assert_round_trip(musicnn_logreg, WAVES, path)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["model.json"]  # no weights.pt: the front end is referenced
        doc = json.loads(zf.read("model.json"))
    assert doc["format_version"] == 2
    entry = doc["model"]["steps"][0]
    assert entry["class"] == "MusicnnTransformer"
    assert entry["pretrained"] == {"file": "msd_musicnn.npz", "sha256": _SHA256["msd_musicnn.npz"]}
    assert path.stat().st_size < 20_000  # 2 classes, 400 statistics: a few kB


def test_musicnn_descriptor_union_with_calibrated_svm_round_trip(musicnn_union_svm, tmp_path):
    loaded = _assert_round_trip(musicnn_union_svm, WAVES, tmp_path / "union.skds")
    calibrated = loaded[-1].calibrated_classifiers_
    assert len(calibrated) == 1 and type(calibrated[0].estimator) is SVC
    assert len(calibrated[0].calibrators) == 1  # two classes: one sigmoid


def test_make_fusion_classical_model_round_trip(wav_files, tmp_path):
    """The classical half of make_fusion (the baseline descriptor SVM) saves as it is."""
    classical = make_fusion(n_jobs=1).named_estimators["classical"]
    paths = [str(p) for p in wav_files] * 2
    classical.fit(paths, ["dark", "bright"] * 4)
    _assert_round_trip(classical, paths, tmp_path / "classical.skds")


def test_params_keep_their_types(tmp_path):
    clf = LogisticRegression(class_weight={0: 1.5, 10: 1.0, 20: 2.0}, C=0.5).fit(
        SequenceStatistics().fit_transform(X), YINT
    )
    path = save_model(clf, tmp_path / "m.skds")
    params = json.loads(zipfile.ZipFile(path).read("model.json"))["model"]["steps"][0]["params"]
    assert params["class_weight"] == {"items": [[0, 1.5], [10, 1.0], [20, 2.0]]}
    assert load_model(path).class_weight == {0: 1.5, 10: 1.0, 20: 2.0}
    with pytest.raises(TypeError, match=r"class_weight=.*cannot be stored"):
        save_model(LogisticRegression(class_weight={(0, 1): 1.0}), tmp_path / "t.skds")


# --------------------------------------------------------------------------- refused at save
@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: _head(SVC(kernel="precomputed")), None, None),
        (
            lambda: _head(CalibratedClassifierCV(SVC(), method="isotonic", cv=3)),
            TypeError,
            "isotonic",
        ),
        (lambda: _head(CalibratedClassifierCV(LinearSVC(), cv=3)), TypeError, "LinearSVC"),
        (lambda: _head(CalibratedClassifierCV(cv=3)), TypeError, "LinearSVC"),
        (
            lambda: _head(LogisticRegression(random_state=np.random.RandomState(0))),
            TypeError,
            "RandomState",
        ),
    ],
    ids=["precomputed_kernel", "isotonic", "linear_svc", "default_estimator", "random_state"],
)
def test_unsavable_configurations_are_refused(make, error, match, tmp_path):
    if error is None:  # a precomputed kernel: fitted on a kernel matrix, not on features
        Xs = SequenceStatistics().fit_transform(X)
        model, error, match = SVC(kernel="precomputed").fit(Xs @ Xs.T, Y4), TypeError, "precomputed"
    else:
        model = make().fit(X, Y4)
    with pytest.raises(error, match=match):
        save_model(model, tmp_path / "m.skds")
    assert list(tmp_path.iterdir()) == []


def test_unfitted_or_altered_estimators_are_refused(tmp_path):
    for model in (StandardScaler(), _head(LogisticRegression()), SequenceStatistics()):
        with pytest.raises(NotFittedError):
            save_model(model, tmp_path / "m.skds")
    clf = LogisticRegression().fit(SequenceStatistics().fit_transform(X), Y4)
    clf.calibration_ = np.ones(3)  # an attribute the allowlist does not know: never dropped
    with pytest.raises(TypeError, match=r"\['calibration_'\] are not among those save_model"):
        save_model(clf, tmp_path / "m.skds")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- hostile files
def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _edit(good: Path, dst: Path, edit) -> Path:
    members = _members(good)
    doc = json.loads(members["model.json"])
    edit(doc)
    members["model.json"] = json.dumps(doc).encode()  # NaN and Infinity as JSON reads them
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dst


def _step(name: str):
    """The entry of a top-level step, e.g. _step("clf")(doc)."""
    return lambda doc: next(e for e in doc["model"]["steps"] if e["name"] == name)


def _fitted(step: str, **changes):
    def edit(doc):
        _step(step)(doc)["fitted"].update(changes)

    return edit


def _array(step: str, attr: str, change):
    def edit(doc):
        change(_step(step)(doc)["fitted"][attr])

    return edit


def _params(step: str, **changes):
    def edit(doc):
        _step(step)(doc)["params"].update(changes)

    return edit


def _calibrated(change):
    def edit(doc):
        change(_step("clf")(doc)["fitted"]["calibrated_classifiers_"])

    return edit


def _union(change):
    def edit(doc):
        change(_step("features")(doc))

    return edit


def _musicnn(change):
    def edit(doc):
        change(_step("musicnn")(doc))

    return edit


def _set(key, value):
    return lambda d: d.__setitem__(key, value)


def _drop(key):
    return lambda d: d.pop(key)


def _first_value(change):
    """Change the first value of an encoded 2-D array."""
    return lambda a: a["values"][0].__setitem__(0, change)


HOSTILE = {
    # LogisticRegression
    "coef_object": ("logreg", _array("clf", "coef_", _set("dtype", "|O")), "coef_ is malformed"),
    "coef_wide_str": (
        "logreg",
        _array("clf", "coef_", _set("dtype", "<U1000000")),
        "coef_ of dtype <U1000000 would take",
    ),
    "coef_nan": ("logreg", _array("clf", "coef_", _first_value(math.nan)), "coef_ holds NaN"),
    "coef_inf": ("logreg", _array("clf", "coef_", _first_value(math.inf)), "coef_ holds NaN"),
    "coef_int": (
        "logreg",
        _array("clf", "coef_", lambda a: a.update(dtype="<i8", values=[[1] * 10] * 4)),
        "coef_ is an array of dtype <i8",
    ),
    "coef_short": (
        "logreg",
        _array("clf", "coef_", lambda a: [row.pop() for row in a["values"]]),
        "coef_ has shape (4, 9), not (k, f) = (4, 10)",
    ),
    "intercept_long": (
        "logreg",
        _array("clf", "intercept_", lambda a: a["values"].append(0.0)),
        "intercept_ has shape (5,)",
    ),
    "classes_twice": (
        "logreg",
        _array("clf", "classes_", lambda a: a["values"].__setitem__(1, a["values"][0])),
        "classes_ holds a class twice",
    ),
    "classes_mixed_types": (
        "logreg",
        _array("clf", "classes_", lambda a: a.update(dtype="|O", values=["a", 1, "c", "d"])),
        "classes_ holds labels of several types",
    ),
    "one_class": (
        "logreg",
        _array("clf", "classes_", lambda a: a.update(values=a["values"][:1])),
        "fewer than 2 classes",
    ),
    "huge_n_features": (
        "logreg",
        _fitted("clf", n_features_in_=10**12),
        "n_features_in_=1000000000000 would take",
    ),
    "n_features_disagree": ("logreg", _fitted("scale", n_features_in_=11), "mean_ has shape (10,)"),
    "unknown_attribute": ("logreg", _fitted("clf", __class__="os.system"), "unknown fitted"),
    "missing_attribute": ("logreg", lambda d: _step("clf")(d)["fitted"].pop("coef_"), "missing"),
    "fitted_missing": (
        "logreg",
        lambda d: _step("clf")(d).pop("fitted"),
        "fitted state is missing",
    ),
    "fitted_on_stateless": (
        "musicnn",
        _musicnn(_set("fitted", {"n_features_in_": 1})),
        "holds a fitted state, which a MusicnnTransformer has not",
    ),
    "class_weight_pairs": (
        "logreg",
        _params("clf", class_weight={"items": [[0]]}),
        "not a list of [key, value] pairs",
    ),
    "statistics_not_scalars": (
        "logreg",
        _params("stats", statistics={"tuple": [{"dict": {}}]}),
        "is not a tuple of scalars",
    ),
    "n_samples_negative": ("logreg", _fitted("scale", n_samples_seen_=-1), "finite number >= 0"),
    "scale_zero": (
        "logreg",
        _array("scale", "scale_", lambda a: a["values"].__setitem__(0, 0.0)),
        "scale_ holds values that are not positive",
    ),
    "var_negative": (
        "logreg",
        _array("scale", "var_", lambda a: a["values"].__setitem__(0, -1.0)),
        "var_ holds negative values",
    ),
    "scale_none": ("logreg", _fitted("scale", scale_=None), "with_std=True, but scale_"),
    # SVC: the arrays libsvm reads
    "n_support_sum": (
        "svc",
        _array("clf", "_n_support", lambda a: a["values"].__setitem__(0, a["values"][0] + 1)),
        "_n_support does not count",
    ),
    "support_out_of_range": (
        "svc",
        _array("clf", "support_", lambda a: a["values"].__setitem__(0, 10**6)),
        "support_ holds indices outside",
    ),
    "support_int64": (
        "svc",
        _array("clf", "support_", _set("dtype", "<i8")),
        "support_ is an array of dtype <i8, not of int32",
    ),
    "support_vectors_short": (
        "svc",
        _array("clf", "support_vectors_", lambda a: a["values"].pop()),
        "support_vectors_ has shape",
    ),
    "dual_coef_disagree": (
        "svc",
        _array("clf", "dual_coef_", _first_value(123.0)),
        "dual_coef_ and intercept_ disagree",
    ),
    "prob_a_without_probability": (
        "svc",
        _array("clf", "_probA", _set("values", [0.5] * 6)),
        "_probA has shape (6,), not (q) = (0,)",
    ),
    "precomputed_kernel": ("svc", _params("clf", kernel="precomputed"), "kernel='precomputed'"),
    "sparse": ("svc", _fitted("clf", _sparse=True), "_sparse is true"),
    "shape_fit_malformed": ("svc", _fitted("clf", shape_fit_=[1, 2, 3]), "shape_fit_ is not two"),
    "gamma_nan": ("svc", _fitted("clf", _gamma=math.nan), "_gamma is not a finite number"),
    # CalibratedClassifierCV
    "calibrators_count": (
        "calibrated",
        _calibrated(lambda c: c[0]["calibrators"].pop()),
        "has not 4 calibrators",
    ),
    "sigmoid_nan": (
        "calibrated",
        _calibrated(lambda c: c[0]["calibrators"][0].update(a_=math.nan)),
        "a_ is not a finite number",
    ),
    "two_classifiers_without_ensemble": (
        "calibrated",
        _calibrated(lambda c: c.append(c[0])),
        "ensemble=False, but calibrated_classifiers_ holds 2",
    ),
    "calibrated_scaler": (
        "calibrated",
        _calibrated(lambda c: c[0]["estimator"].update({"class": "StandardScaler"})),
        "only SVC, LogisticRegression may be here",
    ),
    "calibrated_other_classes": (
        "calibrated",
        _calibrated(
            lambda c: c[0]["estimator"]["fitted"]["classes_"]["values"].__setitem__(0, "zzz")
        ),
        "the classes of calibrated classifier 0 are not classes_",
    ),
    "isotonic": ("calibrated", _params("clf", method="isotonic"), "only 'sigmoid'"),
    "fitted_template": (
        "calibrated",
        lambda d: _step("clf")(d)["estimator"].update(fitted={"n_features_in_": 1}),
        "holds a fitted state, which an estimator that is a parameter has not",
    ),
    # musicnn
    "musicnn_other_weights": (
        "musicnn",
        _musicnn(lambda e: e["pretrained"].update(sha256="0" * 64)),
        "made with other musicnn weights",
    ),
    "musicnn_no_record": ("musicnn", _musicnn(_drop("pretrained")), "other musicnn weights"),
    "musicnn_unknown_model": (
        "musicnn",
        _musicnn(lambda e: e["params"].update(model="EVIL_musicnn")),
        "names the musicnn model 'EVIL_musicnn', which this sk_deepsense does not ship",
    ),
    "musicnn_endless_duration": (
        "musicnn",
        _musicnn(lambda e: e["params"].update(duration=1e9)),
        "duration=1000000000.0 pads every clip",
    ),
    "musicnn_bad_output": (
        "musicnn",
        _musicnn(lambda e: e["params"].update(output={"list": ["penultimate", "logits"]})),
        "invalid parameters of step 'musicnn'",
    ),
    "musicnn_unknown_key": ("musicnn", _musicnn(_set("code", "os.system")), "unknown keys"),
    # FeatureUnion and its steps
    "union_format_string": (
        "union",
        _union(lambda e: e["params"].update(verbose_feature_names_out="{feature_name:>999999999}")),
        "verbose_feature_names_out is not a bool",
    ),
    "union_no_transformers": ("union", _union(_set("transformers", [])), "are missing"),
    "union_same_names": (
        "union",
        _union(lambda e: e["transformers"][1].update(name="musicnn")),
        "names of the transformers",
    ),
    "descriptor_bands": (
        "union",
        _union(lambda e: e["transformers"][1]["steps"][0]["params"].update(n_bands=10**9)),
        "n_bands=1000000000 is above 64",
    ),
    "nested_unknown_class": (
        "union",
        _union(lambda e: e["transformers"][0]["steps"][1].update({"class": "os.system"})),
        "unknown class name 'os.system'",
    ),
}


@pytest.mark.parametrize("payload", list(HOSTILE))
def test_hostile_file_is_one_model_file_error(payload, files, tmp_path):
    key, edit, reason = HOSTILE[payload]
    path = _edit(files[key], tmp_path / f"{payload}.skds", edit)
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(f"{path} is not a valid sk_deepsense model file: "), message
    assert reason in message, message
    assert "\n" not in message


@pytest.mark.parametrize("payload", list(HOSTILE))
def test_hostile_file_through_the_cli_is_one_line(payload, files, wav_files, tmp_path, capsys):
    key, edit, reason = HOSTILE[payload]
    path = _edit(files[key], tmp_path / f"{payload}.skds", edit)
    code, out, err = run(capsys, "predict", path, wav_files[0])
    assert code == 1 and out == ""
    assert err.startswith(f"sk-deepsense predict: error: {path} is not a valid sk_deepsense")
    assert len(err.splitlines()) == 1 and reason in err, err


def test_arrays_of_a_file_share_one_budget(fitted_clf, tmp_path):  # noqa: F811
    """Many arrays, each under the per-array cap, cannot add up to gigabytes."""
    good = save_model(fitted_clf, tmp_path / "net.skds")

    def edit(doc):  # 1000 attributes of 256 KiB each from ~60 kB of JSON: 256 MiB
        fitted = doc["model"]["steps"][0]["fitted"]
        fitted.update({f"x{i}_": {"dtype": "<U65536", "values": ["a"]} for i in range(1000)})

    path = _edit(good, tmp_path / "many.skds", edit)
    assert path.stat().st_size < 2**20
    with pytest.raises(ModelFileError, match=r"x\d+_ of dtype <U65536 would take 262144 bytes"):
        load_model(path)


def test_sklearn_n_jobs_is_capped_on_load(files, tmp_path):
    path = _edit(
        files["union"], tmp_path / "jobs.skds", _union(lambda e: e["params"].update(n_jobs=10**6))
    )
    with pytest.warns(UserWarning, match=r"n_jobs=1000000 was reset to None: more workers"):
        model = load_model(path)
    assert model.named_steps["features"].n_jobs is None


def test_a_nested_pipeline_chooses_no_cache_folder(files, tmp_path):
    def edit(doc):
        _step("features")(doc)["transformers"][0]["params"].update(memory="/tmp/evil")

    path = _edit(files["union"], tmp_path / "memory.skds", edit)
    with pytest.warns(UserWarning, match=r"step 'musicnn' parameter memory='/tmp/evil' was reset"):
        model = load_model(path)
    assert model.named_steps["features"].transformer_list[0][1].memory is None


def test_a_format_2_reader_refuses_the_new_classes_by_name(files, monkeypatch):
    """What the reader before these classes does with such a file: one clear refusal."""
    from sk_deepsense.persistence import _format, _load

    old = {k: v for k, v in _format.ESTIMATORS.items() if k in list(_format.ESTIMATORS)[:5]}
    monkeypatch.setattr(_load, "ESTIMATORS", old)
    with pytest.raises(ModelFileError, match="unknown class name 'MusicnnTransformer'"):
        load_model(files["musicnn"])


# --------------------------------------------------------------------------- the command line
def test_cli_predict_with_a_saved_musicnn_model(musicnn_logreg, wav_files, tmp_path, capsys):
    path = save_model(musicnn_logreg, tmp_path / "musicnn.skds")
    code, out, err = run(capsys, "predict", path, *wav_files, "--format", "json", "-q")
    assert code == 0 and "warning" not in err, err  # a clean file: nothing reset or dropped
    records = json.loads(out)
    assert [r["path"] for r in records] == [str(p) for p in wav_files]
    expected = musicnn_logreg.predict_proba([str(p) for p in wav_files])
    for record, proba in zip(records, expected, strict=True):
        assert record["label"] in {"bright", "dark"}
        assert set(record["probabilities"]) == {"bright", "dark"}
        got = [record["probabilities"][c] for c in musicnn_logreg.classes_]
        np.testing.assert_allclose(got, proba, atol=1e-4)  # records round to 4 decimals


# --------------------------------------------------------------------------- Ridge
# the regression head of make_recommended: one target (coef_ (f,), a float intercept_) or
# several (coef_ (t, f), intercept_ (t,))
YREG1 = np.linspace(-1.0, 1.0, len(X))
YREG2 = np.stack([YREG1, YREG1[::-1] ** 2], axis=1)


@pytest.mark.parametrize("y", [YREG1, YREG2], ids=["one_target", "two_targets"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_round_trips(y, fit_intercept, tmp_path):
    model = _head(Ridge(alpha=3.0, fit_intercept=fit_intercept)).fit(X, y)
    loaded = load_model(save_model(model, tmp_path / "ridge.skds"))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda f: f["coef_"].__setitem__("values", [1.0, 2.0]), "coef_ has shape"),
        (lambda f: f.__setitem__("intercept_", {"dtype": "<f8", "values": [0.5, 0.5]}),
         "intercept_"),
        (lambda f: f.__setitem__("intercept_", "1e3"), "intercept_"),
        (lambda f: f.__setitem__("solver_", "os.system"), "solver_"),
        (lambda f: f["coef_"]["values"].__setitem__(0, None), "coef_"),
        (lambda f: f.__setitem__("coef_", {"dtype": "<U100000000", "values": ["a"]}), "coef_"),
    ],
    ids=["coef_length", "intercept_for_one_target", "intercept_str", "solver", "coef_none",
         "coef_wide_str"],
)  # fmt: skip
def test_hostile_ridge_is_one_model_file_error(change, reason, tmp_path):
    path = save_model(_head(Ridge()).fit(X, YREG1), tmp_path / "ridge.skds")
    bad = _edit(path, tmp_path / "bad.skds", lambda doc: change(_step("clf")(doc)["fitted"]))
    with pytest.raises(ModelFileError, match=reason):
        load_model(bad)
