"""The torch port of musicnn against the original (tests/data/musicnn_reference.npz).

The reference was made by musicnn 0.1.0's own code (TensorFlow 2.15.1 compat.v1 graph from
its models.py, its extractor's preprocessing under NumPy 1.26 and librosa 0.7.2): see
tools/make_musicnn_fixture.py for how to rerun it.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import io
import os
import pickle
import shutil
from fnmatch import fnmatch
from pathlib import Path

import librosa
import numpy as np
import pytest
import torch

from sk_deepsense.exceptions import ModelFileError
from sk_deepsense.neural import _musicnn
from sk_deepsense.neural._musicnn import (
    MUSICNN_MODELS,
    cut_patches,
    load_musicnn,
    musicnn_logmel,
    musicnn_patches,
)

ROOT = Path(__file__).resolve().parents[1]
PRETRAINED = ROOT / "sk_deepsense" / "pretrained"
MODELS = tuple(MUSICNN_MODELS)
POOLED = ("taggram", "logits", "penultimate", "max_pool", "mean_pool")
FRAMEWISE = ("timbral", "temporal", "cnn1", "cnn2", "cnn3")


@pytest.fixture(scope="module")
def ref():
    with np.load(ROOT / "tests" / "data" / "musicnn_reference.npz", allow_pickle=False) as f:
        return {key: f[key] for key in f.files}


@pytest.fixture(scope="module")
def waveform(ref):
    return ref["waveform_int16"] / np.float32(32768)  # what librosa.load gave musicnn


@pytest.fixture(scope="module")
def patches(ref):
    """The reference's network input: the WAV's 2 patches, silence, a random patch."""
    logmel = ref["logmel"]
    own = np.stack([logmel[s : s + 187] for s in ref["patch_starts_default"]])
    return np.concatenate([own, np.zeros((1, 187, 96), np.float32), ref["random_patch"][None]])


@pytest.fixture(scope="module")
def nets():
    return {model: load_musicnn(model) for model in MODELS}


def run(net, x, dtype=torch.float32):
    with torch.no_grad():
        out = net(torch.from_numpy(np.asarray(x)).to(dtype))
    return {key: value.numpy() for key, value in out.items()}


# --- the network -----------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_port_in_float64_equals_the_tf_graph_in_float64(model, ref, patches, nets):
    # musicnn's graph run in float64 by TF (same weights): no float32 rounding on either side,
    # so any difference would be a difference of computation, not of arithmetic
    out = run(copy.deepcopy(nets[model]).double(), patches, torch.float64)
    for name in POOLED:
        np.testing.assert_allclose(out[name], ref[f"{model}.float64.{name}"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("model", MODELS)
def test_port_matches_musicnn_as_shipped_in_float32(model, ref, patches, nets):
    out = run(nets[model], patches)
    for name in ("taggram", "logits", "penultimate", "mean_pool"):
        np.testing.assert_allclose(out[name], ref[f"{model}.{name}"], rtol=0, atol=1e-4)
    # max_pool reaches 84 and sums thousands of float32 products through three residual
    # convs: TF's own float32 result is 1.9e-4 away from its float64 one (MSD), the port
    # 1.1e-4 from TF's; the float64 test above pins the computation itself
    np.testing.assert_allclose(out["max_pool"], ref[f"{model}.max_pool"], rtol=1e-5, atol=1e-4)
    for name in FRAMEWISE:
        expected = ref[f"{model}.{name}"]
        np.testing.assert_allclose(out[name][0, ref["frame_index"]], expected, rtol=1e-5, atol=1e-4)
    frames = out["frame_features"]
    assert frames.shape == (4, 187, 753)
    np.testing.assert_array_equal(frames.max(axis=1), out["max_pool"])
    np.testing.assert_allclose(frames.mean(axis=1), out["mean_pool"], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("model", MODELS)
def test_waveform_to_tags_matches_musicnn_extractor(model, ref, waveform, nets):
    out = run(nets[model], musicnn_patches(waveform))
    np.testing.assert_allclose(out["taggram"], ref[f"{model}.extractor_taggram"], atol=1e-4)
    np.testing.assert_allclose(
        out["max_pool"], ref[f"{model}.extractor_max_pool"], rtol=1e-5, atol=1e-4
    )
    # musicnn 0.1.0's extractor returns the first patch's penultimate for every patch (it
    # concatenates a stale variable): only its first row is a reference
    extractor_penultimate = ref[f"{model}.extractor_penultimate"]
    np.testing.assert_array_equal(extractor_penultimate[1], extractor_penultimate[0])
    np.testing.assert_allclose(out["penultimate"][0], extractor_penultimate[0], atol=1e-4)
    assert not np.allclose(out["penultimate"][1], out["penultimate"][0], atol=1e-2)


def test_loaded_models(nets):
    msd, mtt = nets["MSD_musicnn"], nets["MTT_musicnn"]
    assert msd.tags[:3] == ("rock", "pop", "alternative") and len(msd.tags) == 50
    assert mtt.tags[:3] == ("guitar", "classical", "slow") and len(mtt.tags) == 50
    assert (msd.model_name, mtt.model_name) == MODELS
    assert not msd.training and all(p.requires_grad for p in msd.parameters())
    assert all(p.dtype == torch.float32 for p in msd.parameters())
    with pytest.raises(ValueError, match="MSD_musicnn"):
        load_musicnn("MSD_vgg")


# --- the input -------------------------------------------------------------------------------


def test_logmel_matches_musicnns_preprocessing(ref, waveform):
    # the fixture covers the float16 trap: mel powers well past 6.55
    assert ref["mel_max"] > 100 and ref["mel_share_over_6_55"] > 0.01
    ours = musicnn_logmel(waveform)
    assert ours.dtype == np.float32 and ours.shape == ref["logmel"].shape == (376, 96)
    diff = np.abs(ours - ref["logmel"])
    # bit-identical here; another librosa/NumPy build may move a mel power across a float16
    # rounding boundary, which moves log10(10000 m + 1) by at most log10(1 + 2**-10)
    assert diff.max() <= 4.3e-4 and np.mean(diff > 1e-5) < 1e-3


def test_patches_are_cut_as_musicnn_cuts_them(ref, waveform):
    logmel = ref["logmel"]  # 376 frames
    default = musicnn_patches(waveform)
    starts = ref["patch_starts_default"]
    np.testing.assert_array_equal(starts, [0, 187])  # back to back, the tail of 2 frames dropped
    np.testing.assert_array_equal(default, np.stack([logmel[s : s + 187] for s in starts]))
    overlapped = cut_patches(logmel, 187, _musicnn.seconds_to_frames(1.0))
    starts = ref["patch_starts_overlap_1s"]  # musicnn's input_overlap=1: a hop of 61 frames
    np.testing.assert_array_equal(starts, [0, 61, 122, 183])
    np.testing.assert_array_equal(overlapped, np.stack([logmel[s : s + 187] for s in starts]))
    assert musicnn_patches(waveform, input_overlap=1.0).shape == (4, 187, 96)
    # other lengths as musicnn derives them: 1 s is 62 frames, patches back to back
    assert musicnn_patches(waveform, input_length=1.0).shape == (6, 62, 96)
    writable = musicnn_patches(waveform)
    assert writable.flags.writeable and writable.flags.c_contiguous


def test_short_or_bad_audio_is_refused():
    with pytest.raises(ValueError, match="at least 187 frames"):
        musicnn_patches(np.zeros(16000 * 2))
    with pytest.raises(ValueError, match="mono"):
        musicnn_logmel(np.zeros((2, 16000)))
    with pytest.raises(ValueError, match="non-finite"):
        musicnn_logmel(np.full(16000, np.nan))
    with pytest.raises(ValueError, match="positive"):
        cut_patches(np.zeros((200, 96)), 187, 0)


def loud_signals():
    t = np.arange(16000 * 2) / 16000
    rng = np.random.default_rng(0)
    return {
        "square": np.sign(np.sin(2 * np.pi * 110 * t)),  # full scale
        "uniform noise": rng.uniform(-1, 1, t.size),
        "gaussian noise": np.clip(rng.standard_normal(t.size), -1, 1),
    }


@pytest.mark.parametrize("name", list(loud_signals()))
def test_loud_audio_stays_finite_where_the_float16_product_overflows(name):
    y = loud_signals()[name].astype(np.float32)
    mel = librosa.feature.melspectrogram(
        y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96, pad_mode="reflect"
    ).T
    mel16 = mel.astype(np.float16)
    assert mel.max() > 6.55
    with np.errstate(over="ignore"):
        # musicnn's line under NumPy 2 (NEP 50 keeps the product float16) ...
        naive = np.log10(10000 * mel16 + 1)
        # ... which is this on any NumPy
        float16_product = np.log10(np.float16(10000) * mel16 + np.float16(1))
    assert np.isinf(float16_product).any()
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        assert np.isinf(naive).any()
    ours = musicnn_logmel(y)
    assert np.all(np.isfinite(ours))
    # NumPy 1's result: the float16-rounded mel, then float32 arithmetic
    np.testing.assert_array_equal(ours, np.log10(10000 * mel16.astype(np.float32) + 1))


def test_far_out_of_range_audio_stays_finite():
    y = 300 * loud_signals()["square"]  # mel powers past float16's maximum
    assert np.all(np.isfinite(musicnn_logmel(y)))


# --- the shipped files -----------------------------------------------------------------------


def test_shipped_files_have_the_recorded_checksums():
    listed = {}
    for line in (PRETRAINED / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        listed[name] = digest
    assert listed == _musicnn._SHA256
    assert set(listed) == set(MUSICNN_MODELS.values())
    for name, digest in listed.items():
        assert hashlib.sha256((PRETRAINED / name).read_bytes()).hexdigest() == digest
    licence = (PRETRAINED / "LICENSE-musicnn.txt").read_text()
    assert "ISC" in licence and "Permission to use, copy, modify" in licence
    assert "Copyright (c) Music Technology Group, Universitat Pompeu Fabra 2019" in licence


def test_shipped_files_are_package_data():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["sk_deepsense"]
    for path in PRETRAINED.iterdir():
        assert any(fnmatch(f"pretrained/{path.name}", p) for p in patterns), path.name


def test_tampered_weights_are_refused(tmp_path):
    name = MUSICNN_MODELS["MTT_musicnn"]
    copy_ = tmp_path / name
    shutil.copyfile(PRETRAINED / name, copy_)
    assert load_musicnn("MTT_musicnn", weights=copy_).tags[0] == "guitar"
    data = bytearray(copy_.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one weight
    copy_.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256 .* not the recorded") as err:
        load_musicnn("MTT_musicnn", weights=copy_)
    assert str(copy_) in str(err.value)
    with pytest.raises(ModelFileError, match="SHA-256"):  # the other model's (genuine) file
        load_musicnn("MTT_musicnn", weights=PRETRAINED / MUSICNN_MODELS["MSD_musicnn"])


def test_loading_never_unpickles(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    real_load = np.load
    calls = []

    def checked_load(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", checked_load)
    load_musicnn("MSD_musicnn")
    assert calls == [False]
    for name in MUSICNN_MODELS.values():  # no object arrays anywhere in the files
        with real_load(PRETRAINED / name, allow_pickle=False) as archive:
            assert all(archive[key].dtype != object for key in archive.files)


# --- the converter (tools/convert_musicnn.py) ------------------------------------------------


@pytest.fixture(scope="module")
def converter():
    spec = importlib.util.spec_from_file_location(
        "convert_musicnn", ROOT / "tools" / "convert_musicnn.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_converter_parts(converter):
    assert converter.crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert converter.read_varint(bytes([0xAC, 0x02]), 0) == (300, 2)
    arrays = {"b": np.arange(3, dtype=np.float32), "tags": np.array(["rock", "pop"])}
    first = converter.npz_bytes(arrays)
    assert converter.npz_bytes(arrays) == first  # no timestamps: reproducible bytes
    with np.load(io.BytesIO(first), allow_pickle=False) as archive:
        assert archive.files == ["b", "tags"]
        np.testing.assert_array_equal(archive["tags"], arrays["tags"])


@pytest.mark.skipif(
    "SK_DEEPSENSE_MUSICNN_WHEEL" not in os.environ,
    reason="set SK_DEEPSENSE_MUSICNN_WHEEL to musicnn-0.1.0-py3-none-any.whl to rerun the "
    "conversion",
)
def test_converter_reproduces_the_shipped_files(converter, tmp_path):
    converter.main([os.environ["SK_DEEPSENSE_MUSICNN_WHEEL"], "--out", str(tmp_path)])
    for name in [*MUSICNN_MODELS.values(), "SHA256SUMS", "LICENSE-musicnn.txt"]:
        assert (tmp_path / name).read_bytes() == (PRETRAINED / name).read_bytes(), name
