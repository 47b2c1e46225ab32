"""Model files run no code and choose no path (issue 26, findings 1, 2, 7 and 8).

Every hostile file is made here from a real model: a pickle with a live ``__reduce__``
payload under various names, ``.skds`` archives with a tweaked ``model.json`` or
``weights.pt``. Each is tried through the Python API and through the command line, which
must end with one line naming the file, exit status 1, and no marker from the payload.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shlex
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import soundfile as sf
import torch

from sk_deepsense import ModelFileError, SkDeepsenseError, load_model, save_model
from sk_deepsense.cli import main

from ._fitted_models import SR, audio_pipeline, mfcc_data, waveforms  # noqa: F401

COMMANDS = ("predict", "evaluate", "listen")


class _Evil:
    """Unpickling this runs ``touch MARKER``: a live payload."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {shlex.quote(str(self.marker))}",))


def run(capsys, *argv):
    """main(argv) -> (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _argv(command: str, model: Path, song: Path, labels: Path) -> list:
    tail = {"predict": [song], "evaluate": [labels], "listen": [song, "--no-wait"]}[command]
    return [command, model, *tail, "-q"]


@pytest.fixture(scope="module")
def song(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "song.wav"
    t = np.arange(SR) / SR
    sf.write(path, (0.5 * np.sin(2 * np.pi * 440 * t)).astype("float32"), SR)
    return path


@pytest.fixture(scope="module")
def labels(song, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("labels") / "labels.csv"
    path.write_text(f"path,label\n{song},low\n")
    return path


@pytest.fixture(scope="module")
def good(audio_pipeline, tmp_path_factory) -> Path:  # noqa: F811
    """A real .skds pipeline (MFCC features, then a tiny classifier)."""
    return save_model(audio_pipeline, tmp_path_factory.mktemp("good") / "good.skds")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(dst: Path, members: list[tuple[str, bytes]], method=zipfile.ZIP_DEFLATED) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile's "Duplicate name" warning
        with zipfile.ZipFile(dst, "w", compression=method) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return dst


def _edit(good: Path, dst: Path, edit) -> Path:
    members = _members(good)
    doc = json.loads(members["model.json"])
    edit(doc)
    members["model.json"] = json.dumps(doc).encode()
    return _write(dst, list(members.items()))


def _net(doc: dict) -> dict:
    return doc["model"]["steps"][-1]


def _tensors(good: Path) -> dict[str, torch.Tensor]:
    return torch.load(io.BytesIO(_members(good)["weights.pt"]), weights_only=True)


def _with_weights(good: Path, dst: Path, tensors: dict, **save_kwargs) -> Path:
    buffer = io.BytesIO()
    torch.save(tensors, buffer, **save_kwargs)
    members = _members(good)
    members["weights.pt"] = buffer.getvalue()
    return _write(dst, list(members.items()))


# ------------------------------------------------------------------ the hostile files
def _deflate_bomb(good, dst):
    """model.json padded with 16 MiB of spaces (valid JSON): expands ~1000 times."""
    members = _members(good)
    members["model.json"] += b" " * 2**24
    return _write(dst, list(members.items()))


def _bzip2_members(good, dst):
    """bzip2 reaches ratios deflate cannot (the 218 KB file that took 877 MB)."""
    return _write(dst, list(_members(good).items()), method=zipfile.ZIP_BZIP2)


def _unknown_compression(good, dst):
    """Compression method 99 in every header: zipfile raises NotImplementedError on read."""
    data = bytearray(_write(dst, list(_members(good).items()), zipfile.ZIP_STORED).read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = data.find(signature)
        while start != -1:
            data[start + offset : start + offset + 2] = (99).to_bytes(2, "little")
            start = data.find(signature, start + 4)
    dst.write_bytes(bytes(data))
    return dst


def _duplicate_model_json(good, dst):
    """Two model.json members: the second (a different model) must not silently win."""
    members = _members(good)
    doc = json.loads(members["model.json"])
    _net(doc)["params"]["lr"] = 0.5
    return _write(dst, [*members.items(), ("model.json", json.dumps(doc).encode())])


def _deep_json(good, dst):
    members = _members(good)
    members["model.json"] = b"[" * 100_000 + b"]" * 100_000
    return _write(dst, list(members.items()))


def _huge_float_count(good, dst):
    """n_networks 1e400 (JSON reads inf): int(inf) is an OverflowError."""
    return _edit(good, dst, lambda doc: _net(doc)["fitted"].update(n_networks=1e400))


def _huge_lstm(good, dst):
    """lstm_hidden_size=100000 in a tiny file: a 160 GB LSTM unless checked first."""
    return _edit(good, dst, lambda doc: _net(doc)["params"].update(lstm_hidden_size=100_000))


def _wide_string_dtype(good, dst):
    """classes_ of dtype <U10000000: 40 MB per label from a few bytes of JSON."""

    def edit(doc):
        _net(doc)["fitted"]["classes_"]["dtype"] = "<U10000000"

    return _edit(good, dst, edit)


def _unhashable_class_name(good, dst):
    """A class name that is a list: ``in ESTIMATORS`` raises TypeError."""
    return _edit(good, dst, lambda doc: _net(doc).update({"class": ["os.system"]}))


def _compressed_weight_records(good, dst):
    """torch reads deflated records inside weights.pt: a second, hidden level of zip bomb."""
    inner = zipfile.ZipFile(io.BytesIO(_members(good)["weights.pt"]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info in inner.infolist():
            zf.writestr(info.filename, inner.read(info.filename))
    members = _members(good)
    members["weights.pt"] = buffer.getvalue()
    return _write(dst, list(members.items()))


def _legacy_torch_format(good, dst):
    """torch's pre-1.6 format allocates the storage sizes its header declares."""
    return _with_weights(good, dst, _tensors(good), _use_new_zipfile_serialization=False)


PAYLOADS = {
    "deflate_bomb": (_deflate_bomb, "expand"),
    "bzip2_members": (_bzip2_members, "compressed with method 12"),
    "unknown_compression": (_unknown_compression, "compressed with method 99"),
    "duplicate_model_json": (_duplicate_model_json, "more than once"),
    "deep_json": (_deep_json, "nests too deeply"),
    "huge_float_count": (_huge_float_count, "n_networks is not an int"),
    "huge_lstm": (_huge_lstm, "lstm_hidden_size=100000 implies more weights"),
    "wide_string_dtype": (_wide_string_dtype, "classes_ of dtype <U10000000 would take"),
    "unhashable_class_name": (_unhashable_class_name, "unknown class name"),
    "compressed_weight_records": (_compressed_weight_records, "compressed record"),
    "legacy_torch_format": (_legacy_torch_format, "not a torch zip file"),
}


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_finding_08_hostile_skds_is_one_model_file_error(payload, good, tmp_path):
    make, reason = PAYLOADS[payload]
    path = make(good, tmp_path / f"{payload}.skds")
    assert path.stat().st_size < 2**20  # a small file, whatever it claims
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(f"{path} is not a valid sk_deepsense model file: ")
    assert reason in message, message
    assert isinstance(info.value, ValueError) and isinstance(info.value, SkDeepsenseError)
    assert info.value.path == str(path)
    assert pickle.loads(pickle.dumps(info.value)).path == info.value.path


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_finding_08_hostile_skds_through_the_cli_is_one_line(payload, good, song, tmp_path, capsys):
    path = PAYLOADS[payload][0](good, tmp_path / f"{payload}.skds")
    code, out, err = run(capsys, "predict", path, song)
    assert code == 1 and out == ""
    assert err.startswith(f"sk-deepsense predict: error: {path} is not a valid sk_deepsense")
    assert len(err.splitlines()) == 1, err


def test_finding_08_reader_checks_before_it_allocates(good, tmp_path):
    """The bomb is refused from the zip directory: peak memory stays far below its size."""
    import tracemalloc

    path = _deflate_bomb(good, tmp_path / "bomb.skds")
    tracemalloc.start()
    with pytest.raises(ModelFileError, match="expand"):
        load_model(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**22, peak  # the member would take 16 MiB


def test_finding_08_net_params_do_not_choose_the_device(good, tmp_path):
    """net_params={"device": "cuda"} in the file does not override load_model(device=...)."""

    def edit(doc):
        _net(doc)["params"]["net_params"] = {
            "dict": {"device": "cuda:7", "optimizer__weight_decay": 0.01}
        }

    path = _edit(good, tmp_path / "device.skds", edit)
    with pytest.warns(UserWarning, match=r"net_params\['device'\]='cuda:7' was dropped"):
        model = load_model(path, device="cpu")
    net = model[-1]
    assert net.device == "cpu" and str(net.net_.device) == "cpu"
    assert net.net_params == {"optimizer__weight_decay": 0.01}  # the rest is kept
    assert str(next(net.net_.module_.parameters()).device) == "cpu"


def test_finding_08_net_params_cannot_enlarge_the_network(good, tmp_path):
    """module__* options in net_params are checked against the weights like parameters."""

    def edit(doc):
        _net(doc)["params"]["net_params"] = {"dict": {"module__n_filters": 10**9}}

    with pytest.raises(ModelFileError, match="n_filters=1000000000 implies more weights"):
        load_model(_edit(good, tmp_path / "wide.skds", edit))


def test_finding_08_feature_sizes_are_capped(good, tmp_path):
    """A feature transformer sized to allocate gigabytes per file is refused at load."""

    def edit(doc):
        doc["model"]["steps"][0]["params"].update(n_fft=2**30)

    with pytest.raises(ModelFileError, match=r"parameter n_fft=1073741824 is above 65536"):
        load_model(_edit(good, tmp_path / "fft.skds", edit))


# ------------------------------------------------------------------ finding 7: values
def _nan_weight(good, dst):
    tensors = _tensors(good)
    key = next(k for k in tensors if k.endswith("weight"))
    tensors[key].view(-1)[0] = float("nan")
    return _with_weights(good, dst, tensors)


def _scale(value):
    def make(good, dst):
        tensors = _tensors(good)
        tensors["feature_scale"][0] = value
        return _with_weights(good, dst, tensors)

    return make


@pytest.mark.parametrize(
    "make, reason",
    [
        (_nan_weight, "holds NaN or infinite values"),
        (_scale(float("inf")), "holds NaN or infinite values"),
        (_scale(0.0), "feature_scale holds values that are not finite and positive"),
        (_scale(-1.0), "feature_scale holds values that are not finite and positive"),
    ],
    ids=["nan_weight", "inf_feature_scale", "zero_feature_scale", "negative_feature_scale"],
)
def test_finding_07_nonfinite_weights_or_scale_are_refused(
    make, reason, good, song, tmp_path, capsys
):
    path = make(good, tmp_path / "values.skds")
    with pytest.raises(ModelFileError, match=reason):
        load_model(path)
    code, out, err = run(capsys, "predict", path, song, "--format", "json")
    assert code == 1 and out == ""  # no record with NaN probabilities
    assert err.startswith("sk-deepsense predict: error:") and reason in err
    assert len(err.splitlines()) == 1


def test_finding_07_regressor_target_scale_zero_is_refused(mfcc_data, tmp_path):  # noqa: F811
    from sk_deepsense import HybridCNNLSTMRegressor

    X, _ = mfcc_data
    y = np.nanmean(X[:, :, 0], axis=1)
    reg = HybridCNNLSTMRegressor(
        max_epochs=1, n_filters=4, lstm_hidden_size=4, n_conv_layers=1, n_ensemble=1
    ).fit(X, y)
    good = save_model(reg, tmp_path / "reg.skds")

    def edit(doc):
        doc["model"]["steps"][0]["fitted"]["target_scale_"]["values"] = [0.0]

    with pytest.raises(ModelFileError, match="target_scale_ holds values that are not positive"):
        load_model(_edit(good, tmp_path / "zero.skds", edit))


# ------------------------------------------------------------------ finding 2: paths
def _plant(folder: Path, marker: Path) -> list[Path]:
    """Replace every cached feature under ``folder`` by a live payload."""
    planted = sorted(folder.rglob("output.pkl"))
    for entry in planted:
        joblib.dump(_Evil(marker), entry)
    return planted


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_finding_02_a_model_file_does_not_choose_the_cache_folder(
    audio_pipeline,  # noqa: F811
    good,
    song,
    tmp_path,
    capsys,
):
    cache, marker = tmp_path / "cache", tmp_path / "pwned"
    features = audio_pipeline[0]
    # a cache of the model's own features, as an earlier run (or an attacker) left it
    features.set_params(memory=str(cache)).transform([str(song)])
    features.set_params(memory=None)
    assert _plant(cache, marker)
    before = _snapshot(cache)

    def edit(doc):
        doc["model"]["steps"][0]["params"]["memory"] = str(cache)

    path = _edit(good, tmp_path / "cached.skds", edit)
    with pytest.warns(UserWarning, match=r"parameter memory='.*cache' was reset to None"):
        model = load_model(path)
    assert model[0].memory is None
    model.predict([str(song)])
    code, out, err = run(capsys, "predict", path, song, "--format", "json")
    assert code == 0, err
    assert "sk-deepsense: warning:" in err and "memory=" in err  # one line, naming it
    assert json.loads(out)[0]["label"] == model.predict([str(song)])[0]
    assert not marker.exists()
    assert _snapshot(cache) == before  # nothing written, nothing read there


def test_finding_02_pipeline_memory_is_reset_too(good, tmp_path):
    """Pipeline(memory=...) caches fitted transformers as pickles: reset as well."""
    path = _edit(good, tmp_path / "p.skds", lambda doc: doc["model"]["params"].update(memory="c"))
    with pytest.warns(UserWarning, match="the Pipeline's parameter memory='c' was reset"):
        assert load_model(path).memory is None


def test_finding_02_save_model_stores_no_cache_folder(audio_pipeline, tmp_path):  # noqa: F811
    audio_pipeline[0].set_params(memory=str(tmp_path / "cache"))
    try:
        path = save_model(audio_pipeline, tmp_path / "m.skds")
    finally:
        audio_pipeline[0].set_params(memory=None)
    assert str(tmp_path) not in _members(path)["model.json"].decode()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to reset, no warning
        assert load_model(path)[0].memory is None


def test_every_path_parameter_is_known():
    """Each estimator a file may name: its path-valued parameters are the ones reset."""
    from sklearn.pipeline import Pipeline

    from sk_deepsense.persistence._format import ESTIMATORS, path_parameters

    found = {name: path_parameters(cls) for name, cls in ESTIMATORS.items()}
    assert found == {
        "MFCCTransformer": {"memory"},
        "LogMelTransformer": {"memory"},
        "HybridCNNLSTMClassifier": set(),
        "HybridCNNLSTMRegressor": set(),
        "HybridCNNLSTMDynamicRegressor": set(),
        "MusicnnTransformer": {"memory"},
        "DescriptorTransformer": {"memory"},
        "SequenceStatistics": set(),
        "StandardScaler": set(),
        "LogisticRegression": set(),
        "Ridge": set(),
        "SVC": set(),
        "CalibratedClassifierCV": set(),
        "Pipeline": {"memory"},
        "FeatureUnion": set(),
    }
    assert path_parameters(Pipeline) == {"memory"}


# ------------------------------------------------------------------ finding 1: the CLI
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", ["evil.skds", "evil.bin", "evil"])
def test_finding_01_a_pickle_not_named_joblib_is_never_unpickled(
    command, name, song, labels, tmp_path, capsys
):
    marker = tmp_path / "pwned"
    evil = tmp_path / name
    joblib.dump(_Evil(marker), evil)
    for extra in ([], ["--allow-pickle"]):  # not even with the opt-in
        code, out, err = run(capsys, *_argv(command, evil, song, labels), *extra)
        assert code == 1 and out == "", err
        assert err.startswith(f"sk-deepsense {command}: error: ") and str(evil) in err
        assert len(err.splitlines()) == 1, err
        assert not marker.exists()
    # the payload is live: an ordinary unpickler runs it
    joblib.load(evil)
    assert marker.exists()


def test_finding_01_a_truncated_skds_reaches_no_unpickler(
    good, song, tmp_path, capsys, monkeypatch
):
    calls = []
    for module in (joblib, pickle):
        monkeypatch.setattr(module, "load", lambda *a, **k: calls.append(a))
    cut = tmp_path / "cut.skds"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    code, _, err = run(capsys, "predict", cut, song)
    assert code == 1 and "cut.skds is not a valid sk_deepsense model file: not a zip" in err
    assert len(err.splitlines()) == 1 and calls == []


@pytest.mark.parametrize("suffix", [".joblib", ".pkl", ".pickle"])
def test_finding_01_pickles_load_only_with_allow_pickle(
    suffix,
    audio_pipeline,  # noqa: F811
    song,
    labels,
    tmp_path,
    capsys,  # noqa: F811
):
    marker = tmp_path / "pwned"
    evil = tmp_path / f"evil{suffix}"
    joblib.dump(_Evil(marker), evil)
    for command in COMMANDS:
        code, _, err = run(capsys, *_argv(command, evil, song, labels))
        assert code == 1 and len(err.splitlines()) == 1
        assert "can run any code" in err and "--allow-pickle" in err and ".skds" in err
        assert not marker.exists()
    model = tmp_path / f"model{suffix}"
    joblib.dump(audio_pipeline, model)
    code, _, err = run(capsys, "predict", model, song)
    assert code == 1 and "--allow-pickle" in err
    code, out, err = run(capsys, "predict", model, song, "--allow-pickle", "--format", "json")
    assert code == 0, err
    assert json.loads(out)[0]["label"] == audio_pipeline.predict([str(song)])[0]


def test_a_pickle_that_ends_with_a_zip_is_a_pickle(audio_pipeline, song, tmp_path, capsys):  # noqa: F811
    """A joblib model ending with a zip's directory (skorch nets under torch 2.4) is a pickle.

    ``zipfile.is_zipfile`` finds a zip's end record anywhere near the end of a file; the
    command line recognises a zip by its first bytes, so such a model loads as the pickle it is.
    """
    model = tmp_path / "model.joblib"
    joblib.dump(audio_pipeline, model)
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("data.pkl", b"not a model file member")
    with model.open("ab") as fh:  # the unpickler stops at the pickle's end
        fh.write(other.getvalue())
    assert zipfile.is_zipfile(model)
    code, out, err = run(capsys, "predict", model, song, "--allow-pickle", "--format", "json")
    assert code == 0, err
    assert json.loads(out)[0]["label"] == audio_pipeline.predict([str(song)])[0]


def test_a_zip_of_another_name_goes_through_the_safe_loader(good, song, tmp_path, capsys):
    other = tmp_path / "model.zip"
    other.write_bytes(good.read_bytes())
    code, out, err = run(capsys, "predict", other, song, "--format", "json")
    assert code == 0, err
    assert json.loads(out)[0]["label"] == load_model(good).predict([str(song)])[0]
    # a .joblib name holding a zip is read as the zip it is, never unpickled
    renamed = tmp_path / "model.joblib"
    renamed.write_bytes(good.read_bytes())
    assert run(capsys, "predict", renamed, song, "-q")[0] == 0
