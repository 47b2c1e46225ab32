"""save_model / load_model: a sharing format that runs no code when loaded."""

from __future__ import annotations

import io
import json
import os
import pickle
import shlex
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import joblib
import matplotlib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC, SVR

from sk_deepsense import (
    HybridCNNLSTMClassifier,
    HybridCNNLSTMRegressor,
    MFCCTransformer,
    make_baseline,
)
from sk_deepsense.persistence import ModelVersionWarning, load_model, save_model

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
TINY = dict(
    n_filters=4,
    lstm_hidden_size=8,
    n_conv_layers=1,
    max_epochs=2,
    batch_size=8,
    random_state=0,
    n_ensemble=1,
)


def _sequences(n: int = 24, frames: int = 7, coefs: int = 5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, frames, coefs)).astype(np.float32)
    X[::3, 5:] = np.nan  # NaN padding at the end of some rows
    X[1::4, 3:] = np.nan
    return X


X = _sequences()
SIGNAL = np.nanmean(X[:, :, 0], axis=1)


def _waves(n: int = 16, sr: int = 8000) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(1)
    labels = np.repeat(["low", "high"], n // 2)
    waves = []
    for i, label in enumerate(labels):
        duration = 1.0 if i % 3 else 0.5  # some clips are padded
        t = np.arange(int(duration * sr)) / sr
        f0 = rng.uniform(150, 300) if label == "low" else rng.uniform(1500, 2500)
        waves.append((np.sin(2 * np.pi * f0 * t) + 0.01 * rng.normal(size=t.size)).astype("f4"))
    return waves, labels


WAVES, WAVE_LABELS = _waves()


@pytest.fixture(scope="module")
def models() -> dict:
    return {
        "clf_str": HybridCNNLSTMClassifier(**TINY).fit(X, np.where(SIGNAL > 0, "up", "down")),
        "clf_int": HybridCNNLSTMClassifier(**TINY, early_stopping=False).fit(
            X, np.digitize(SIGNAL, [-0.3, 0.3]) * 7 - 3
        ),
        "reg_2d": HybridCNNLSTMRegressor(**TINY).fit(X, np.c_[SIGNAL, 3 * SIGNAL + 10]),
        "reg_1d": HybridCNNLSTMRegressor(**TINY, pooling="meanstd").fit(X, SIGNAL * 100),
        "pipe": Pipeline(
            [
                ("features", MFCCTransformer(duration=1.0, sr=8000, hop_length=256, n_mfcc=8)),
                ("net", HybridCNNLSTMClassifier(**TINY)),
            ]
        ).fit(WAVES, WAVE_LABELS),
    }


def _outputs(model) -> dict[str, np.ndarray]:
    data = WAVES if isinstance(model, Pipeline) else X
    out = {"predict": model.predict(data)}
    net = model[-1] if isinstance(model, Pipeline) else model
    if isinstance(net, HybridCNNLSTMClassifier):
        out["predict_proba"] = model.predict_proba(data)
        if not isinstance(model, Pipeline):
            out["predict_proba_frames"] = model.predict_proba_frames(X)
    else:
        out["predict_frames"] = model.predict_frames(X)
    return out


def _assert_same_params(a, b) -> None:
    if isinstance(a, Pipeline):
        assert type(b) is Pipeline
        assert [n for n, _ in a.steps] == [n for n, _ in b.steps]
        for (_, sa), (_, sb) in zip(a.steps, b.steps, strict=True):
            _assert_same_params(sa, sb)
        pa, pb = a.get_params(deep=False), b.get_params(deep=False)
        pa.pop("steps"), pb.pop("steps")
        assert pa == pb
        return
    assert type(a) is type(b)
    assert a.get_params() == b.get_params()


def _rewrite(src: Path, dst: Path, *, edit_json=None, replace=None, drop=()) -> Path:
    """Copy a model archive, editing model.json and replacing or dropping members."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            if name in drop:
                continue
            data = replace.get(name, zin.read(name))
            if name == "model.json" and edit_json is not None:
                doc = json.loads(data)
                edit_json(doc)
                data = json.dumps(doc)
            zout.writestr(name, data)
    return dst


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("key", ["clf_str", "clf_int", "reg_2d", "reg_1d", "pipe"])
def test_round_trip_identical(models, key, tmp_path):
    model = models[key]
    path = save_model(model, tmp_path / "model.skds")
    assert path == tmp_path / "model.skds"
    loaded = load_model(path)
    assert loaded is not model
    _assert_same_params(model, loaded)
    before, after = _outputs(model), _outputs(loaded)
    assert before.keys() == after.keys()
    for name in before:
        assert before[name].dtype == after[name].dtype, name
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    net, net2 = (model[-1], loaded[-1]) if key == "pipe" else (model, loaded)
    for attr in ("n_features_in_", "n_parameters_"):
        assert getattr(net2, attr) == getattr(net, attr)
    if isinstance(net, HybridCNNLSTMClassifier):
        assert net2.classes_.dtype == net.classes_.dtype
        np.testing.assert_array_equal(net2.classes_, net.classes_)
    else:
        np.testing.assert_array_equal(net2.target_mean_, net.target_mean_)
        np.testing.assert_array_equal(net2.target_scale_, net.target_scale_)
        assert net2.y_ndim_ == net.y_ndim_ and net2.n_outputs_ == net.n_outputs_
    # the standardization statistics: buffers and constructor arguments, bit for bit
    for name in ("feature_mean", "feature_scale"):
        torch.testing.assert_close(
            getattr(net2.net_.module_, name), getattr(net.net_.module_, name), rtol=0, atol=0
        )
        np.testing.assert_array_equal(
            net2.net_.get_params()[f"module__{name}"], net.net_.get_params()[f"module__{name}"]
        )


def test_classes_dtypes_preserved(models, tmp_path):
    assert models["clf_int"].classes_.dtype.kind == "i"
    np.testing.assert_array_equal(models["clf_int"].classes_, [-3, 4, 11])
    # labels of other types: bool, float32, int8, wide str, object (str from a pandas column)
    up = SIGNAL > 0
    for y in (
        up,
        np.where(up, 2.0, -1.0).astype(np.float32),
        np.where(up, 2, -1).astype(np.int8),
        np.where(up, "a", "b").astype("<U10"),
        np.where(up, "a", "b").astype(object),
    ):
        clf = HybridCNNLSTMClassifier(**{**TINY, "max_epochs": 1}).fit(X, y)
        loaded = load_model(save_model(clf, tmp_path / "c.skds", overwrite=True))
        assert loaded.classes_.dtype == clf.classes_.dtype
        np.testing.assert_array_equal(loaded.classes_, clf.classes_)
        np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
        assert [type(v) for v in loaded.classes_] == [type(v) for v in clf.classes_]


def test_bare_mfcc_transformer(tmp_path):
    mfcc = MFCCTransformer(duration=1.0, sr=8000, hop_length=256, deltas=1, fmax=3000.0)
    loaded = load_model(save_model(mfcc, tmp_path / "m.skds"))
    assert type(loaded) is MFCCTransformer
    assert loaded.get_params() == mfcc.get_params()
    np.testing.assert_array_equal(loaded.transform(WAVES[:3]), mfcc.transform(WAVES[:3]))
    with zipfile.ZipFile(tmp_path / "m.skds") as zf:
        assert zf.namelist() == ["model.json"]  # no network, no weights
    # a cache folder is not stored (issue 26): a model file never names a folder
    for memory in (joblib.Memory(tmp_path / "cache", verbose=0), joblib.Memory(None), "c2"):
        path = save_model(MFCCTransformer(memory=memory), tmp_path / "m.skds", overwrite=True)
        with zipfile.ZipFile(path) as zf:
            params = json.loads(zf.read("model.json"))["model"]["steps"][0]["params"]
        assert params["memory"] is None
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # nothing to reset: no warning
            assert load_model(path).memory is None


# ---------------------------------------------------------------------------- further use
def test_loaded_model_usable(models, tmp_path):
    from sk_deepsense.plotting import plot_training_curves

    clf = models["clf_str"]
    y = np.where(SIGNAL > 0, "up", "down")
    loaded = load_model(save_model(clf, tmp_path / "m.skds"))
    assert loaded.score(X, y) == clf.score(X, y)
    reg = models["reg_2d"]
    loaded_reg = load_model(save_model(reg, tmp_path / "r.skds"))
    y2 = np.c_[SIGNAL, 3 * SIGNAL + 10]
    assert loaded_reg.score(X, y2) == reg.score(X, y2)

    # the history: one row per epoch, with the losses the plot reads
    assert len(loaded.history_) == len(clf.history_) == 2
    for key in ("epoch", "train_loss", "valid_loss", "valid_loss_best", "dur"):
        assert loaded.history_[:, key] == clf.history_[:, key], key
    assert loaded.net_.history is loaded.history_
    ax = plot_training_curves(loaded)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), clf.history_[:, "train_loss"])
    plot_training_curves(load_model(save_model(models["pipe"], tmp_path / "p.skds")))

    # clone and refit: the same model as refitting a clone of the original
    refit = clone(loaded).fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(X), clone(clf).fit(X, y).predict_proba(X))


def test_load_leaves_global_rng_alone(models, tmp_path):
    path = save_model(models["reg_1d"], tmp_path / "m.skds")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    load_model(path)
    torch.testing.assert_close(torch.rand(3), expected, rtol=0, atol=0)


def test_round_trip_in_new_process(models, tmp_path):
    clf = models["clf_str"]
    path = save_model(clf, tmp_path / "m.skds")
    np.save(tmp_path / "X.npy", X)
    code = textwrap.dedent(
        f"""
        import numpy as np, torch
        torch.set_num_threads(1)
        from sk_deepsense.persistence import load_model
        model = load_model({str(path)!r})
        X = np.load({str(tmp_path / "X.npy")!r})
        np.save({str(tmp_path / "proba.npy")!r}, model.predict_proba(X))
        print(type(model).__name__, model.classes_.dtype)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["HybridCNNLSTMClassifier", "<U4"]
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), clf.predict_proba(X))


# ---------------------------------------------------------------------------- the archive
def test_archive_holds_json_and_tensors_only(models, tmp_path):
    path = save_model(models["pipe"], tmp_path / "p.skds")
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["model.json", "weights.pt"]
        doc = json.loads(zf.read("model.json"))
        weights = zf.read("weights.pt")
    assert doc["format_version"] == 2
    assert set(doc["versions"]) == {
        "sk_deepsense",
        "torch",
        "scikit-learn",
        "skorch",
        "numpy",
        "librosa",
        "python",
    }
    steps = doc["model"]["steps"]
    assert [(s["name"], s["class"]) for s in steps] == [
        ("features", "MFCCTransformer"),
        ("net", "HybridCNNLSTMClassifier"),
    ]
    fitted = steps[1]["fitted"]
    assert fitted["classes_"] == {"dtype": "<U4", "values": ["high", "low"]}
    assert len(fitted["history_"]) == 2
    assert fitted["n_features_in_"] == 8
    # tensors only: torch's restricted unpickler reads it
    state = torch.load(io.BytesIO(weights), weights_only=True)
    assert set(state) == set(models["pipe"][-1].net_.module_.state_dict())
    assert all(isinstance(v, torch.Tensor) and v.device.type == "cpu" for v in state.values())


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {shlex.quote(str(self.marker))}",))


@pytest.mark.parametrize("how", ["pickle", "torch.save"])
def test_malicious_weights_are_refused(models, tmp_path, how):
    marker = tmp_path / f"pwned-{how.replace('.', '_')}"
    if how == "pickle":
        payload = pickle.dumps({"conv.0.weight": _Evil(marker)}, protocol=2)
    else:
        buffer = io.BytesIO()
        torch.save({"conv.0.weight": _Evil(marker)}, buffer)
        payload = buffer.getvalue()
    good = save_model(models["clf_str"], tmp_path / "good.skds")
    bad = _rewrite(good, tmp_path / "bad.skds", replace={"weights.pt": payload})
    with pytest.raises(ValueError, match=r"bad\.skds.*weights\.pt"):
        load_model(bad)
    assert not marker.exists()
    # the payload is live: an ordinary unpickler would have run it
    if how == "pickle":
        pickle.loads(payload)
        assert marker.exists()


def test_weights_of_another_network_are_refused(models, tmp_path):
    good = save_model(models["clf_str"], tmp_path / "good.skds")
    other = save_model(models["reg_1d"], tmp_path / "other.skds")
    with zipfile.ZipFile(other) as zf:
        weights = zf.read("weights.pt")
    bad = _rewrite(good, tmp_path / "bad.skds", replace={"weights.pt": weights})
    with pytest.raises(ValueError, match="do not fit the network"):
        load_model(bad)


# ---------------------------------------------------------------------------- versions
def test_version_mismatch_warns_and_loads(models, tmp_path):
    good = save_model(models["clf_str"], tmp_path / "good.skds")

    def old(doc):
        doc["versions"].update({"torch": "1.13.1", "sk_deepsense": "0.0.1", "numpy": "1.26.4"})

    path = _rewrite(good, tmp_path / "old.skds", edit_json=old)
    with pytest.warns(ModelVersionWarning) as record:
        loaded = load_model(path)
    message = str(record[0].message)
    assert "old.skds" in message
    assert "torch 1.13.1 (now " + torch.__version__ + ")" in message
    assert "sk_deepsense 0.0.1" in message and "numpy 1.26.4" in message
    assert "skorch" not in message and "librosa" not in message
    assert issubclass(ModelVersionWarning, UserWarning)
    np.testing.assert_array_equal(loaded.predict_proba(X), models["clf_str"].predict_proba(X))

    # a patch release of a library does not warn; any sk_deepsense difference does
    def patch(doc):
        major, minor = torch.__version__.split(".")[:2]
        doc["versions"]["torch"] = f"{major}.{minor}.99"

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(_rewrite(good, tmp_path / "patch.skds", edit_json=patch))
        load_model(good)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "model, culprit",
    [
        (make_pipeline(MinMaxScaler(), SVC()), "MinMaxScaler"),
        (make_baseline("random_forest"), "step"),
        (SVR(), "SVR"),
        (type("MyMFCC", (MFCCTransformer,), {})(), "MyMFCC"),
        (Pipeline([("mfcc", MFCCTransformer()), ("net", "passthrough")]), "'net' (str)"),
    ],
)
def test_unsupported_models(model, culprit, tmp_path):
    with pytest.raises(TypeError, match="joblib") as info:
        save_model(model, tmp_path / "m.skds")
    assert culprit in str(info.value)
    assert "trust" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_unstorable_parameter(tmp_path):
    clf = HybridCNNLSTMClassifier(**{**TINY, "max_epochs": 1, "random_state": None})
    clf.fit(X, SIGNAL > 0).set_params(random_state=np.random.RandomState(0))
    with pytest.raises(TypeError, match=r"random_state=RandomState.*set_params\(random_state="):
        save_model(clf, tmp_path / "m.skds")
    assert list(tmp_path.iterdir()) == []


def test_unfitted_model(tmp_path):
    for model in (
        HybridCNNLSTMRegressor(),
        Pipeline([("mfcc", MFCCTransformer()), ("clf", HybridCNNLSTMClassifier())]),
    ):
        with pytest.raises(NotFittedError):
            save_model(model, tmp_path / "m.skds")
    assert list(tmp_path.iterdir()) == []


def test_overwrite(models, tmp_path):
    path = tmp_path / "m.skds"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match=r"m\.skds.*overwrite=True"):
        save_model(models["clf_str"], path)
    assert path.read_bytes() == b"precious"
    save_model(models["clf_str"], str(path), overwrite=True)
    assert zipfile.is_zipfile(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.skds"]  # no temporary file left


def test_bad_files(models, tmp_path):
    good = save_model(models["clf_str"], tmp_path / "good.skds")
    (tmp_path / "text.skds").write_text("not a zip")
    with pytest.raises(ValueError, match=r"text\.skds.*not a zip"):
        load_model(tmp_path / "text.skds")
    with pytest.raises(FileNotFoundError, match="missing"):
        load_model(tmp_path / "missing.skds")

    def rename(doc):
        doc["model"]["steps"][0]["class"] = "os.system"

    with pytest.raises(ValueError, match=r"unknown\.skds.*unknown class name 'os.system'"):
        load_model(_rewrite(good, tmp_path / "unknown.skds", edit_json=rename))
    for member in ("model.json", "weights.pt"):
        bad = _rewrite(good, tmp_path / f"no-{member}.skds", drop=(member,))
        with pytest.raises(ValueError, match=rf"no-{member}\.skds.*lacks {member}"):
            load_model(bad)

    def future(doc):
        doc["format_version"] = 3

    with pytest.raises(ValueError, match=r"future\.skds.*unknown format version 3"):
        load_model(_rewrite(good, tmp_path / "future.skds", edit_json=future))

    def bad_param(doc):
        doc["model"]["steps"][0]["params"]["batch_size"] = "many"

    with pytest.raises(ValueError, match=r"param\.skds.*batch_size"):
        load_model(_rewrite(good, tmp_path / "param.skds", edit_json=bad_param))

    def extra_param(doc):
        doc["model"]["steps"][0]["params"]["__class__"] = "x"

    with pytest.raises(ValueError, match=r"unknown parameters \['__class__'\]"):
        load_model(_rewrite(good, tmp_path / "extra.skds", edit_json=extra_param))


# ---------------------------------------------------------------------------- devices
def test_device(models, tmp_path):
    clf = clone(models["clf_str"]).set_params(max_epochs=1, device="cpu")
    clf.fit(X, np.where(SIGNAL > 0, "up", "down"))
    loaded = load_model(save_model(clf, tmp_path / "cpu.skds"), device="cpu")
    assert loaded.device == "cpu" and loaded.net_.device == "cpu"

    # saved with device="cuda" (as if trained on a GPU): loads and predicts on the CPU
    clf.set_params(device="cuda")
    path = save_model(clf, tmp_path / "cuda.skds")
    with zipfile.ZipFile(path) as zf:
        assert json.loads(zf.read("model.json"))["model"]["steps"][0]["params"]["device"] == "cuda"
    loaded = load_model(path, device="cpu")
    assert loaded.get_params()["device"] == "cpu"
    assert str(next(loaded.net_.module_.parameters()).device) == "cpu"
    np.testing.assert_array_equal(
        loaded.predict_proba(X), clf.set_params(device="cpu").predict_proba(X)
    )
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            load_model(path, device="cuda")


def test_joblib_file_of_cuda_model_on_cpu_machine(models, tmp_path):
    """What a *joblib* file of a CUDA-trained model does on a CPU-only machine.

    No GPU here: a child process tags every tensor storage as "cuda:0" while dumping (the
    bytes a GPU-trained net writes: torch records each storage's device in the pickle), and
    the net and the estimator claim device="cuda".
    """
    if torch.cuda.is_available():
        pytest.skip("simulates a CPU-only machine")
    clf = models["clf_str"]
    src = tmp_path / "cpu.joblib"
    joblib.dump(clf, src)
    dst = tmp_path / "cuda.joblib"
    code = textwrap.dedent(
        f"""
        import joblib, torch, torch.serialization as ts
        ts.register_package(0, lambda s: "cuda:0" if s.device.type == "cpu" else None,
                            lambda s, loc: None)
        clf = joblib.load({str(src)!r})
        clf.device = "cuda"
        clf.net_.device = "cuda"
        joblib.dump(clf, {str(dst)!r})
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert b"cuda:0" in dst.read_bytes()  # the storages are recorded as CUDA ones
    from skorch.exceptions import DeviceWarning

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        loaded = joblib.load(dst)
    messages = [str(w.message) for w in record if issubclass(w.category, DeviceWarning)]
    assert any("no CUDA devices are available" in m for m in messages), messages
    assert any("Setting self.device = cpu" in m for m in messages), messages
    # skorch's NeuralNet.__setstate__ maps the module, optimizer and criterion to the CPU and
    # sets net_.device = "cpu"; the estimator's device hyperparameter stays what the user set
    # (unpickling never rewrites a parameter), and a warning says how to train here
    assert any("CUDA is not available here" in str(w.message) for w in record)
    assert str(loaded.net_.device) == "cpu"
    assert loaded.device == "cuda" and loaded.get_params()["device"] == "cuda"
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    # a refit here asks for the CPU explicitly; as loaded, fit refuses CUDA before training
    y = np.where(SIGNAL > 0, "up", "down")
    with pytest.raises(ValueError, match="cannot be used on this machine"):
        clone(loaded).set_params(max_epochs=1).fit(X, y)
    refit = clone(loaded).set_params(max_epochs=1, device="cpu").fit(X, y)
    assert str(refit.net_.device) == "cpu"


# ---------------------------------------------------------------------------- fitted state
#: Fitted attributes rebuilt rather than stored as data (compared on their own below).
_NETWORK_ATTRIBUTES = {"net_", "nets_", "history_"}


def _assert_same_fitted_state(a, b) -> None:
    """Every attribute of ``a`` (parameters and fitted state) is in ``b``, equal."""
    assert set(vars(b)) == set(vars(a)), set(vars(a)) ^ set(vars(b))
    for name, value in vars(a).items():
        other = getattr(b, name)
        if name in _NETWORK_ATTRIBUTES:
            continue
        if isinstance(value, np.ndarray):
            assert other.dtype == value.dtype, name
            np.testing.assert_array_equal(other, value, err_msg=name)
        elif name != "device":
            assert type(other) is type(value) and other == value, name
    assert len(b.nets_) == len(a.nets_) and b.net_ is b.nets_[0]
    for net_a, net_b in zip(a.nets_, b.nets_, strict=True):
        sa, sb = net_a.module_.state_dict(), net_b.module_.state_dict()
        assert sa.keys() == sb.keys()
        for key in sa:
            torch.testing.assert_close(sb[key], sa[key], rtol=0, atol=0)
    assert [row["epoch"] for row in b.history_] == [row["epoch"] for row in a.history_]


@pytest.mark.parametrize("key", ["clf_str", "clf_int", "reg_2d", "reg_1d", "pipe"])
def test_every_fitted_attribute_round_trips(models, key, tmp_path):
    """Fails when an estimator gains a fitted attribute that save/load loses."""
    model = models[key]
    loaded = load_model(save_model(model, tmp_path / "m.skds"))
    net, net2 = (model[-1], loaded[-1]) if key == "pipe" else (model, loaded)
    _assert_same_fitted_state(net, net2)


def test_a_new_fitted_attribute_is_saved_or_refused(models, tmp_path):
    clf = clone(models["clf_str"])
    clf.__dict__.update(vars(models["clf_str"]))
    clf.extra_ = np.array([[1.5, 2.0]], dtype=np.float32)  # data: saved with no code change
    clf.count_ = 3
    loaded = load_model(save_model(clf, tmp_path / "m.skds"))
    _assert_same_fitted_state(clf, loaded)
    clf.opaque_ = object()  # not data: saving fails and names it, never drops it silently
    with pytest.raises(TypeError, match="opaque_"):
        save_model(clf, tmp_path / "o.skds")
    assert not (tmp_path / "o.skds").exists()


def test_a_fitted_attribute_name_from_the_file_is_checked(models, tmp_path):
    good = save_model(models["clf_str"], tmp_path / "good.skds")

    def dunder(doc):
        doc["model"]["steps"][0]["fitted"]["__class__"] = "x"

    with pytest.raises(ValueError, match=r"dunder\.skds.*fitted state.*malformed"):
        load_model(_rewrite(good, tmp_path / "dunder.skds", edit_json=dunder))

    def code(doc):
        doc["model"]["steps"][0]["fitted"]["classes_"] = {"dtype": "|O", "values": [{"a": 1}]}

    with pytest.raises(ValueError, match=r"code\.skds.*classes_ is malformed"):
        load_model(_rewrite(good, tmp_path / "code.skds", edit_json=code))

    def many(doc):  # more networks than the tensors hold: refused before building any
        doc["model"]["steps"][0]["fitted"]["n_networks"] = 10**9

    with pytest.raises(ValueError, match=r"many\.skds.*not those of 1000000000 networks"):
        load_model(_rewrite(good, tmp_path / "many.skds", edit_json=many))


def test_format_1_files_are_refused_naming_the_file(models, tmp_path):
    """Format 1 (development versions before the first release) has no reader: a clear error.

    Backwards compatibility starts at the first release (docs/development.rst).
    """
    from sk_deepsense import ModelFileError

    old = REPO / "tests" / "data" / "format1_classifier.skds"  # written by commit 09af104
    with zipfile.ZipFile(old) as zf:
        assert json.loads(zf.read("model.json"))["format_version"] == 1
    message = r"format1_classifier\.skds.*format version 1 is not supported.*before the first"
    with pytest.raises(ModelFileError, match=message):
        load_model(old)

    def format_1(doc):
        doc["format_version"] = 1

    good = save_model(models["clf_str"], tmp_path / "good.skds")
    with pytest.raises(ModelFileError, match=r"one\.skds.*format version 1 is not supported"):
        load_model(_rewrite(good, tmp_path / "one.skds", edit_json=format_1))
    for version in (0, "2", 2.0, None):

        def other(doc, version=version):
            doc["format_version"] = version

        with pytest.raises(ModelFileError, match=r"other\.skds.*unknown format version"):
            load_model(_rewrite(good, tmp_path / "other.skds", edit_json=other))


def test_net_params_round_trip_and_callbacks_are_refused(tmp_path):
    from skorch.callbacks import EpochTimer

    params = {"optimizer__betas": (0.8, 0.9), "iterator_valid__num_workers": 0}
    clf = HybridCNNLSTMClassifier(**{**TINY, "max_epochs": 1}, net_params=params)
    clf.fit(X, SIGNAL > 0)
    loaded = load_model(save_model(clf, tmp_path / "m.skds"))
    assert loaded.net_params == params  # the tuple comes back a tuple
    assert loaded.net_.optimizer_.param_groups[0]["betas"] == (0.8, 0.9)
    clf.set_params(callbacks=[("timer", EpochTimer())])
    with pytest.raises(TypeError, match=r"callbacks.*set_params\(callbacks=None\)"):
        save_model(clf, tmp_path / "c.skds")
