"""MFCCTransformer: features, input kinds, padding, caching, parallelism, errors."""

from __future__ import annotations

import os
from pathlib import Path

import joblib
import librosa
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from sk_deepsense import AudioLoadError, MFCCTransformer, load_audio, sequence_lengths
from sk_deepsense.features import _base

SR = 22050


def tone(seconds: float, freq: float = 440.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_shape_dtype_and_equal_to_librosa():
    y = tone(1.0) + 0.01 * np.random.default_rng(0).normal(size=SR).astype(np.float32)
    X = MFCCTransformer(duration=1.0).fit_transform([y])
    assert X.shape == (1, 1 + SR // 512, 20)
    assert X.dtype == np.float32
    expected = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20).T
    np.testing.assert_allclose(X[0], expected, rtol=1e-4, atol=1e-3)


def test_parameters_reach_librosa():
    y = tone(0.5, 1000)
    X = MFCCTransformer(
        n_mfcc=13, n_fft=1024, hop_length=256, n_mels=64, fmax=8000, duration=None
    ).transform([y])
    expected = librosa.feature.mfcc(
        y=y, sr=SR, n_mfcc=13, n_fft=1024, hop_length=256, n_mels=64, fmax=8000
    ).T
    np.testing.assert_allclose(X[0], expected, rtol=1e-4, atol=1e-3)


def test_top_db_reaches_librosa_and_none_makes_each_frame_its_own():
    # a loud second then a quiet one: the 80 dB floor of the clip is set by the loud part
    y = np.r_[tone(1.0), 1e-4 * tone(1.0)]
    clipped = MFCCTransformer(duration=None).transform([y])[0]
    free = MFCCTransformer(duration=None, top_db=None).transform([y])[0]
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR), top_db=None)
    expected = librosa.feature.mfcc(S=mel_db, n_mfcc=20).T
    np.testing.assert_allclose(free, expected, rtol=1e-4, atol=1e-3)
    assert np.abs(clipped - free).max() > 1.0  # the floor changes the features
    # without the clip-wide floor, the first second's frames do not depend on what follows
    # (frames near the boundary see both parts through the FFT window)
    alone = MFCCTransformer(duration=None, top_db=None).transform([y[:SR]])[0]
    np.testing.assert_allclose(free[:30], alone[:30], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("deltas", [0, 1, 2])
def test_deltas_append_coefficients(deltas):
    y = tone(1.0)
    X = MFCCTransformer(duration=1.0, deltas=deltas).transform([y])
    assert X.shape[2] == 20 * (1 + deltas)
    if deltas:
        d1 = librosa.feature.delta(librosa.feature.mfcc(y=y, sr=SR), order=1).T
        np.testing.assert_allclose(X[0, :, 20:40], d1, rtol=1e-3, atol=1e-3)


def test_duration_crops_and_pads_with_nan():
    X = MFCCTransformer(duration=1.0).transform([tone(2.0), tone(0.5)])
    n_frames = 1 + SR // 512
    assert X.shape == (2, n_frames, 20)
    lengths = sequence_lengths(X)
    assert lengths[0] == n_frames
    assert lengths[1] == 1 + (SR // 2) // 512
    assert np.isnan(X[1, lengths[1] :]).all()
    assert np.isfinite(X[1, : lengths[1]]).all()
    assert MFCCTransformer(duration=1.0).expected_n_frames() == n_frames


def test_duration_none_pads_to_longest():
    X = MFCCTransformer(duration=None).transform([tone(0.3), tone(0.7)])
    assert X.shape[1] == 1 + int(0.7 * SR) // 512
    assert sequence_lengths(X).tolist() == [1 + int(0.3 * SR) // 512, X.shape[1]]


def test_offset_skips_the_start():
    y = np.concatenate([np.zeros(SR, dtype=np.float32), tone(1.0)])
    a = MFCCTransformer(duration=1.0, offset=1.0).transform([y])
    b = MFCCTransformer(duration=1.0).transform([tone(1.0)])
    np.testing.assert_allclose(a, b, atol=1e-4)


def test_paths_and_waveforms_agree_across_input_kinds(tmp_path):
    y = tone(1.0, 330)
    path = tmp_path / "a b é.wav"
    sf.write(path, y, SR, subtype="FLOAT")
    mt = MFCCTransformer(duration=1.0)
    ref = mt.transform([y])
    for X in (
        [str(path)],
        [path],
        (str(path),),
        np.array([str(path)]),
        pd.Series([str(path)]),
        pd.DataFrame({"path": [str(path)]}),
        np.asarray([y]),
    ):
        np.testing.assert_allclose(mt.transform(X), ref, atol=1e-4)


def test_stereo_is_mixed_to_mono_and_resampled(tmp_path):
    sr = 44100
    left, right = tone(1.0, 440, sr), tone(1.0, 660, sr)
    path = tmp_path / "stereo.flac"
    sf.write(path, np.stack([left, right], axis=1), sr)
    y = load_audio(path, sr=SR)
    mono = librosa.resample((left + right) / 2, orig_sr=sr, target_sr=SR, res_type="soxr_hq")
    assert y.dtype == np.float32 and y.shape == (SR,)
    np.testing.assert_allclose(y, mono[:SR], atol=1e-3)


def test_load_audio_reads_only_the_span(tmp_path):
    sr = 8000
    y = np.arange(10 * sr, dtype=np.float32) / (10 * sr)  # a ramp: position -> value
    path = tmp_path / "ramp.wav"
    sf.write(path, y, sr, subtype="FLOAT")
    part = load_audio(path, sr=sr, offset=2.0, duration=1.5)
    np.testing.assert_allclose(part, y[2 * sr : int(3.5 * sr)])


def test_mp3_is_decoded(tmp_path):
    path = tmp_path / "tone.mp3"
    try:
        sf.write(path, tone(1.0), SR, format="MP3")
    except (sf.LibsndfileError, TypeError, ValueError) as e:  # pragma: no cover
        pytest.skip(f"this libsndfile cannot write mp3: {e}")
    X = MFCCTransformer(duration=1.0).transform([path])
    assert np.isfinite(X[0, :40]).all()


def test_parallel_equals_sequential(audio_corpus):
    paths, _ = audio_corpus
    a = MFCCTransformer(duration=2.0).transform(paths[:8])
    b = MFCCTransformer(duration=2.0, n_jobs=2).transform(paths[:8])
    np.testing.assert_array_equal(a, b)


def test_fit_is_stateless_and_returns_self():
    mt = MFCCTransformer()
    assert mt.fit([tone(0.1)]) is mt
    assert vars(mt) == vars(MFCCTransformer())


class TestCache:
    def count_decodes(self, monkeypatch):
        calls = []
        real = _base.load_audio

        def counting(path, **kw):
            calls.append(path)
            return real(path, **kw)

        monkeypatch.setattr(_base, "load_audio", counting)
        return calls

    def test_second_pass_decodes_nothing(self, tmp_path, monkeypatch, audio_corpus):
        paths = audio_corpus[0][:4]
        calls = self.count_decodes(monkeypatch)
        mt = MFCCTransformer(duration=2.0, memory=tmp_path / "cache")
        first = mt.transform(paths)
        assert len(calls) == 4
        second = mt.transform(paths)
        assert len(calls) == 4
        np.testing.assert_array_equal(first, second)
        # a joblib.Memory works the same
        third = MFCCTransformer(
            duration=2.0, memory=joblib.Memory(str(tmp_path / "cache"), verbose=0)
        ).transform(paths)
        assert len(calls) == 4
        np.testing.assert_array_equal(first, third)

    def test_tilde_means_home(self, tmp_path, monkeypatch, audio_corpus):
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.chdir(tmp_path)
        MFCCTransformer(duration=2.0, memory="~/mfcc-cache").transform(audio_corpus[0][:1])
        assert (tmp_path / "mfcc-cache" / "joblib").is_dir()
        assert not (tmp_path / "~").exists()

    def test_changed_parameters_are_recomputed(self, tmp_path, monkeypatch, audio_corpus):
        paths = audio_corpus[0][:2]
        calls = self.count_decodes(monkeypatch)
        a = MFCCTransformer(duration=2.0, memory=tmp_path).transform(paths)
        b = MFCCTransformer(duration=2.0, n_mfcc=13, memory=tmp_path).transform(paths)
        assert len(calls) == 4
        assert a.shape[2] == 20 and b.shape[2] == 13

    def test_changed_file_is_not_stale(self, tmp_path):
        path = tmp_path / "x.wav"
        sf.write(path, tone(1.0, 220), SR)
        mt = MFCCTransformer(duration=1.0, memory=tmp_path / "cache")
        before = mt.transform([path])
        sf.write(path, tone(1.0, 3000), SR)
        os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
        after = mt.transform([path])
        np.testing.assert_allclose(after, MFCCTransformer(duration=1.0).transform([path]))
        assert not np.allclose(before, after)


class TestErrors:
    def test_missing_file_is_named(self, tmp_path):
        missing = tmp_path / "nope.mp3"
        with pytest.raises(AudioLoadError, match="nope.mp3.*does not exist"):
            MFCCTransformer().transform([missing])

    def test_undecodable_file_is_named(self, tmp_path):
        bad = tmp_path / "fake.wav"
        bad.write_text("this is not audio")
        with pytest.raises(AudioLoadError, match=r"fake\.wav.*not a readable audio file"):
            MFCCTransformer().transform([bad])

    def test_error_names_the_file_in_parallel_too(self, tmp_path, audio_corpus):
        bad = tmp_path / "broken.ogg"
        bad.write_bytes(os.urandom(2000))
        with pytest.raises(AudioLoadError, match="broken.ogg"):
            MFCCTransformer(n_jobs=2).transform(audio_corpus[0][:3] + [bad])

    def test_directory_and_empty_file(self, tmp_path):
        with pytest.raises(AudioLoadError, match="not a regular file"):
            load_audio(tmp_path)
        empty = tmp_path / "empty.wav"
        empty.touch()
        with pytest.raises(AudioLoadError, match="empty"):
            load_audio(empty)

    @pytest.mark.parametrize("bad", [np.nan, np.inf])
    def test_non_finite_waveform(self, bad):
        y = tone(0.2)
        y[10] = bad
        with pytest.raises(ValueError, match="NaN or infinity in waveform 0"):
            MFCCTransformer().fit_transform([y])

    @pytest.mark.parametrize(
        "X, match",
        [
            ([], "0 sample"),
            ("song.mp3", "single path"),
            (np.zeros(100), "1-D numeric array"),
            ([np.zeros((2, 100))], "Item 0"),
            ([3.5], "Item 0"),
        ],
    )
    def test_bad_containers(self, X, match):
        with pytest.raises(ValueError, match=match):
            MFCCTransformer().transform(X)

    def test_bad_parameter_is_named(self):
        with pytest.raises(ValueError, match="deltas"):
            MFCCTransformer(deltas=3).fit([tone(0.1)])
        with pytest.raises(ValueError, match="duration"):
            MFCCTransformer(duration=-1.0).transform([tone(0.1)])


def test_path_like_objects_keep_their_name(tmp_path):
    path = Path(tmp_path) / "UPPER.WAV"
    sf.write(path, tone(0.5), SR)
    assert MFCCTransformer(duration=0.5).transform([path]).shape == (1, 22, 20)
