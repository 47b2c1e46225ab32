"""MusicnnTransformer: the shipped musicnn port as an audio transformer of the family."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
from sklearn.base import clone

from sk_deepsense import AudioLoadError, AudioLoadErrors, MusicnnTransformer, sequence_lengths
from sk_deepsense.features import MUSICNN_OUTPUTS
from sk_deepsense.neural import _musicnn

SR = 16000


def tone(seconds: float, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    rng = np.random.default_rng(int(freq))
    y = amp * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def msd():
    return _musicnn.load_musicnn("MSD_musicnn")


def test_rows_are_the_ports_outputs_per_patch(msd):
    y = tone(9.5)
    X = MusicnnTransformer(duration=None, output=["penultimate", "pools", "taggram"]).transform([y])
    patches = torch.from_numpy(_musicnn.musicnn_patches(y))
    with torch.no_grad():
        out = msd(patches)
    expected = torch.cat(
        [out["penultimate"], out["max_pool"], out["mean_pool"], out["taggram"]], dim=1
    ).numpy()
    assert X.shape == (1, 3, 200 + 1506 + 50) and X.dtype == np.float32  # 9.5 s: 3 patches
    np.testing.assert_allclose(X[0], expected, rtol=1e-5, atol=1e-5)


def test_shorter_clips_are_nan_padded_and_lengths_read_back():
    X = MusicnnTransformer(duration=None).transform([tone(6.5), tone(12.5, 880)])
    assert X.shape == (2, 4, 200)
    np.testing.assert_array_equal(sequence_lengths(X), [2, 4])
    assert np.isnan(X[0, 2:]).all() and np.isfinite(X[0, :2]).all() and np.isfinite(X[1]).all()


@pytest.mark.parametrize(
    ("duration", "hop"), [(30.0, None), (10.0, 1.0), (6.0, None), (4.0, 0.5), (9.0, 3.0)]
)
def test_expected_n_frames_is_the_number_of_patches(duration, hop):
    tr = MusicnnTransformer(duration=duration, patch_hop=hop)
    X = tr.transform([tone(duration + 1.0)])
    assert X.shape[1] == tr.expected_n_frames()
    assert np.isfinite(X).all()
    frames = 187 if hop is None else _musicnn.seconds_to_frames(hop)  # musicnn's own rounding
    assert tr.frame_rate == pytest.approx(SR / (256 * frames))


def test_outputs_are_named_and_concatenated_in_the_order_given(msd):
    tr = MusicnnTransformer(output=["taggram", "penultimate"])
    names = tr.get_feature_names_out()
    assert len(names) == 250
    assert list(names[:2]) == [f"tag_{'_'.join(t.split())}" for t in msd.tags[:2]]
    assert names[50] == "penultimate0" and names[-1] == "penultimate199"
    pools = MusicnnTransformer(output="pools").get_feature_names_out()
    assert len(pools) == MUSICNN_OUTPUTS["pools"]
    assert (pools[0], pools[753]) == ("max_pool0", "mean_pool0")
    X = tr.set_params(duration=3.5).transform([tone(3.5)])
    proba = X[0, 0, :50]
    assert ((proba > 0) & (proba < 1)).all()  # tag probabilities


def test_mtt_model_is_another_network():
    y = [tone(3.5)]
    msd = MusicnnTransformer(duration=3.5, output="taggram").transform(y)
    mtt = MusicnnTransformer(duration=3.5, output="taggram", model="MTT_musicnn")
    assert (
        mtt.get_feature_names_out()[0]
        != MusicnnTransformer(output="taggram").get_feature_names_out()[0]
    )
    assert not np.allclose(msd, mtt.transform(y))


@pytest.mark.parametrize(
    "params",
    [
        {"model": "VGG"},
        {"output": "embeddings"},
        {"output": ["taggram", "taggram"]},
        {"output": []},
        {"patch_hop": 0},
        {"patch_hop": 0.01},
        {"duration": 2.0},
    ],
)
def test_bad_parameters_are_refused(params):
    with pytest.raises(ValueError):
        MusicnnTransformer(**params).transform([tone(4.0)])


def test_loud_audio_gives_finite_embeddings_where_numpy2_float16_overflows():
    square = np.sign(np.sin(2 * np.pi * 110 * np.arange(4 * SR) / SR)).astype(np.float32)
    noise = np.random.default_rng(0).uniform(-1, 1, 4 * SR).astype(np.float32)
    X = MusicnnTransformer(duration=4.0, output=["penultimate", "taggram"]).transform(
        [square, noise]
    )
    assert np.isfinite(X).all()
    assert not np.allclose(X[0], X[1])  # not the one vector an overflowed input gives
    import librosa

    mel = librosa.feature.melspectrogram(y=square, sr=SR, n_fft=512, hop_length=256, n_mels=96)
    with np.errstate(over="ignore"):
        naive = np.log10(10000 * mel.astype(np.float16) + 1)  # musicnn's line under NumPy 2
    assert np.isinf(naive).any()


def test_a_clip_shorter_than_a_patch_is_an_error_naming_the_file(tmp_path):
    short, good = tmp_path / "short.wav", tmp_path / "good.wav"
    sf.write(short, tone(2.0), SR)
    sf.write(good, tone(4.0), SR)
    with pytest.raises(AudioLoadError, match=r"short\.wav.*shorter than one 3-s musicnn patch"):
        MusicnnTransformer(duration=None).transform([good, short])
    with pytest.raises(AudioLoadErrors) as info:
        MusicnnTransformer(duration=None, on_error="raise_all").transform([short, good, short])
    assert info.value.failed_indices == [0, 2]
    with pytest.raises(ValueError, match="shorter than one 3-s musicnn patch"):
        MusicnnTransformer(duration=None).transform([tone(2.0)])


def test_files_resampled_cached_and_threaded_give_the_same_rows(tmp_path, monkeypatch):
    paths = []
    for i, sr in enumerate((16000, 22050, 44100)):
        path = tmp_path / f"clip{i}.wav"
        t = np.arange(int(4.0 * sr)) / sr
        sf.write(path, (0.3 * np.sin(2 * np.pi * (220 + 110 * i) * t)).astype(np.float32), sr)
        paths.append(path)
    reference = MusicnnTransformer(duration=4.0).transform(paths)
    np.testing.assert_array_equal(
        MusicnnTransformer(duration=4.0, n_jobs=2).transform(paths), reference
    )
    cached = MusicnnTransformer(duration=4.0, memory=tmp_path / "cache")
    np.testing.assert_array_equal(cached.transform(paths), reference)
    calls = []
    real = _musicnn.musicnn_logmel
    monkeypatch.setattr(
        _musicnn, "musicnn_logmel", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    np.testing.assert_array_equal(clone(cached).transform(paths), reference)
    assert calls == []  # answered from the cache
    np.testing.assert_array_equal(
        cached.set_params(patch_hop=1.0).transform(paths[:1]).shape, (1, 2, 200)
    )
    assert calls == [1]  # another parameter: computed


def test_cache_is_not_shared_across_outputs_or_models(tmp_path):
    y = [tmp_path / "a.wav"]
    sf.write(y[0], tone(3.5), SR)
    a = MusicnnTransformer(duration=3.5, memory=tmp_path, output="taggram").transform(y)
    b = MusicnnTransformer(duration=3.5, memory=tmp_path, output="taggram", model="MTT_musicnn")
    assert not np.allclose(a, b.transform(y))
