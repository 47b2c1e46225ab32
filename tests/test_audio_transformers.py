"""LogMelTransformer, DescriptorTransformer, and the contract all audio transformers share."""

from __future__ import annotations

import io
import pickle
import time

import joblib
import librosa
import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from sk_deepsense import (
    AudioLoadError,
    AudioLoadErrors,
    HybridCNNLSTMClassifier,
    LogMelTransformer,
    MFCCTransformer,
    SequenceStatistics,
    load_model,
    save_model,
    sequence_lengths,
)
from sk_deepsense.features import (
    BaseAudioTransformer,
    DescriptorTransformer,
    FeatureSequences,
    _base,
    descriptor_names,
)
from sk_deepsense.features._mfcc import _mfcc_sequence
from sk_deepsense.features._named import coefficient_names
from sk_deepsense.timeline import predict_timeline

from .conftest import SEED

SR = 22050
TRANSFORMERS = [MFCCTransformer, LogMelTransformer, DescriptorTransformer]


def tone(seconds: float, freq: float = 440.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def n_coefficients(transformer: BaseAudioTransformer) -> int:
    if isinstance(transformer, DescriptorTransformer):
        return len(descriptor_names(transformer.n_mfcc, transformer.n_bands))
    return transformer.n_mfcc if isinstance(transformer, MFCCTransformer) else transformer.n_mels


# ------------------------------------------------------------------------- log-mel values
def test_equal_to_librosa_log_mel_spectrogram():
    y = tone(1.0) + 0.01 * np.random.default_rng(0).normal(size=SR).astype(np.float32)
    X = LogMelTransformer(duration=1.0).fit_transform([y])
    assert X.shape == (1, 1 + SR // 1024, 64) and X.dtype == np.float32  # 46 ms hop
    expected = librosa.power_to_db(
        librosa.feature.melspectrogram(y=y, sr=SR, n_mels=64, hop_length=1024),
        ref=1.0,
        top_db=80.0,
    ).T
    np.testing.assert_allclose(X[0], expected, rtol=1e-4, atol=1e-3)


def test_parameters_reach_librosa():
    y = tone(0.5, 1000)
    params = dict(n_mels=96, n_fft=1024, hop_length=256, fmin=50.0, fmax=8000.0)
    X = LogMelTransformer(**params, top_db=None, duration=None).transform([y])
    mel = librosa.feature.melspectrogram(y=y, sr=SR, **params)
    np.testing.assert_allclose(X[0], librosa.power_to_db(mel, top_db=None).T, atol=1e-3)
    assert X[0].min() < X[0].max() - 80  # no floor: the full range is kept


def test_bands_run_from_low_to_high_frequency():
    X = LogMelTransformer(duration=0.5).transform([tone(0.5, 200), tone(0.5, 4000)])
    low, high = X[:, 5].argmax(axis=1)
    assert low < high
    assert X[0, 5].max() - X[0, 5].min() <= 80.0 + 1e-3  # top_db floors each clip at -80 dB


def test_bad_parameter_is_named():
    with pytest.raises(ValueError, match="n_mels"):
        LogMelTransformer(n_mels=0).fit([tone(0.1)])
    with pytest.raises(ValueError, match="top_db"):
        LogMelTransformer(top_db=-3.0).transform([tone(0.1)])


# ---------------------------------------------------------------------- descriptor values
def clicks(seconds: float, bpm: float, sr: int = SR) -> np.ndarray:
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    period = int(round(60 / bpm * sr))
    for start in range(0, y.size - 200, period):
        y[start : start + 200] = np.random.default_rng(start).normal(size=200)
    return y


def test_descriptors_measure_what_they_are_named_after():
    names = descriptor_names()
    X = DescriptorTransformer(duration=6.0).transform([tone(6.0, 440), clicks(6.0, 120)])
    assert X.shape[2] == len(names) == 67
    at = {name: X[:, 10:-10, i].mean(axis=1) for i, name in enumerate(names)}
    pitch = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
    assert pitch[int(np.argmax([at[f"chroma_{p}"][0] for p in pitch]))] == "A"
    assert abs(at["centroid"][0] - 440) < 20  # a pure tone's centroid is its frequency
    assert at["flatness"][0] < 0.01 < at["flatness"][1]  # tone against noise bursts
    assert at["onset_strength"][1] > 10 * at["onset_strength"][0]
    assert abs(X[1, 0, names.index("tempo")] - 120) < 6 and np.ptp(X[1, :, -1]) == 0
    deltas = X[:, 10:-10, names.index("delta_mfcc_0")]
    assert np.abs(deltas[0]).max() < np.abs(deltas[1]).max()  # a steady tone barely moves
    # pooled into statistics, they feed a classical model
    stats = SequenceStatistics().fit_transform(X)
    assert stats.shape == (2, 2 * 67) and np.isfinite(stats).all()


def test_descriptor_names_follow_the_parameters():
    names = descriptor_names(n_mfcc=13, n_bands=4)
    assert names[:2] == ["mfcc_0", "mfcc_1"] and "delta_mfcc_12" in names
    assert names.count("contrast_4") == 1 and "contrast_5" not in names
    X = DescriptorTransformer(n_mfcc=13, n_bands=4, duration=1.0).transform([tone(1.0)])
    assert X.shape[2] == len(names)


# ---------------------------------------------------- the contract all transformers share
@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_crops_and_pads_with_nan(Transformer):
    mt = Transformer(duration=1.0)
    X = mt.transform([tone(2.0), tone(0.5)])
    assert X.shape == (2, mt.expected_n_frames(), n_coefficients(mt))
    short = 1 + (SR // 2) // mt.hop_length
    assert sequence_lengths(X).tolist() == [mt.expected_n_frames(), short]
    assert np.isnan(X[1, short:]).all() and np.isfinite(X[1, :short]).all()


@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_paths_waveforms_threads_and_cache_agree(Transformer, audio_corpus, tmp_path, monkeypatch):
    paths = audio_corpus[0][:6]
    reference = Transformer(duration=2.0).transform(paths)
    assert np.isfinite(reference[:, 0]).all()
    np.testing.assert_array_equal(Transformer(duration=2.0, n_jobs=2).transform(paths), reference)
    y = load_first(paths[0])
    np.testing.assert_allclose(Transformer(duration=2.0).transform([y]), reference[:1], atol=1e-4)

    calls = []
    real = _base.load_audio
    monkeypatch.setattr(_base, "load_audio", lambda p, **kw: calls.append(p) or real(p, **kw))
    cached = Transformer(duration=2.0, memory=tmp_path)
    np.testing.assert_array_equal(cached.transform(paths), reference)
    np.testing.assert_array_equal(cached.transform(paths), reference)
    assert len(calls) == 6  # the second pass decoded nothing


def load_first(path):
    from sk_deepsense import load_audio

    return load_audio(path, sr=SR, duration=2.0)


def test_one_cache_folder_keeps_the_kinds_apart(audio_corpus, tmp_path):
    paths = audio_corpus[0][:2]
    mfcc = MFCCTransformer(duration=2.0, n_mels=64, memory=tmp_path).transform(paths)
    logmel = LogMelTransformer(duration=2.0, n_mels=64, memory=tmp_path).transform(paths)
    desc = DescriptorTransformer(duration=2.0, n_mels=64, memory=tmp_path).transform(paths)
    assert (mfcc.shape[2], logmel.shape[2], desc.shape[2]) == (20, 64, 67)
    np.testing.assert_array_equal(logmel, LogMelTransformer(duration=2.0).transform(paths))


@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_unreadable_files_are_named(Transformer, audio_corpus, tmp_path):
    bad = tmp_path / "fake.wav"
    bad.write_text("this is not audio")
    paths = [audio_corpus[0][0], str(bad), str(tmp_path / "missing.mp3")]
    with pytest.raises(AudioLoadError, match=r"fake\.wav.*not a readable audio file"):
        Transformer(duration=1.0).transform(paths)
    with pytest.raises(AudioLoadErrors) as info:
        Transformer(duration=1.0, on_error="raise_all", n_jobs=2).transform(paths)
    assert info.value.failed_indices == [1, 2]


@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_fit_is_stateless(Transformer):
    mt = Transformer()
    assert mt.fit([tone(0.1)]) is mt
    assert vars(mt) == vars(Transformer())


# --------------------------------------------------------------- names and set_output
@pytest.mark.parametrize(
    "transformer, first, last",
    [
        (MFCCTransformer(n_mfcc=13, deltas=2), "mfcc0", "delta2_mfcc12"),
        (LogMelTransformer(n_mels=32), "logmel0", "logmel31"),
        (DescriptorTransformer(n_mfcc=13, n_bands=4), "mfcc_0", "tempo"),
    ],
)
def test_feature_names_name_the_last_axis(transformer, first, last):
    names = transformer.get_feature_names_out()  # stateless: no fit needed
    assert isinstance(names, np.ndarray) and names.dtype == object
    assert (names[0], names[-1]) == (first, last)
    assert (
        len(set(names))
        == len(names)
        == n_coefficients(transformer) * (1 + getattr(transformer, "deltas", 0))
    )
    X = clone(transformer).set_params(duration=0.5).transform([tone(0.5)])
    assert X.shape[2] == len(names)
    if isinstance(transformer, DescriptorTransformer):
        assert names.tolist() == descriptor_names(13, 4)


@pytest.mark.parametrize("Transformer", TRANSFORMERS)
def test_pandas_output_is_the_same_array_carrying_its_names(Transformer):
    waves = [tone(0.5), tone(0.3, 880)]
    plain = Transformer(duration=0.5).fit_transform(waves)
    assert type(plain) is np.ndarray
    mt = Transformer(duration=0.5).set_output(transform="pandas")
    for named in (mt.fit_transform(waves), clone(mt).transform(waves)):
        assert isinstance(named, FeatureSequences)
        np.testing.assert_array_equal(named, plain)
        assert named.feature_names.tolist() == mt.get_feature_names_out().tolist()
    with config_context(transform_output="pandas"):  # the global setting too
        assert isinstance(Transformer(duration=0.5).transform(waves), FeatureSequences)
    assert type(mt.set_output(transform="default").transform(waves)) is np.ndarray
    with pytest.raises(ValueError, match="transform must be"):
        mt.set_output(transform="xarray")


def test_feature_sequences_keep_their_names_through_indexing_and_pickle():
    X = FeatureSequences(np.zeros((4, 3, 2), np.float32), ["a", "b"])
    for Y in (X[[0, 2]], pickle.loads(pickle.dumps(X)), joblib.load(dump(X))):
        assert isinstance(Y, FeatureSequences) and Y.feature_names.tolist() == ["a", "b"]
    assert coefficient_names(X).tolist() == ["a", "b"]
    assert coefficient_names(X[:, :, :1]) is None  # names of dropped coefficients: unusable
    assert coefficient_names(np.zeros((4, 3, 2))) is None
    with pytest.raises(ValueError, match="3-D array with 3 coefficients"):
        FeatureSequences(np.zeros((4, 3, 2)), ["a", "b", "c"])


def dump(X):
    buffer = io.BytesIO()
    joblib.dump(X, buffer)
    buffer.seek(0)
    return buffer


# ------------------------------------------------------------------------ with the network
def test_hybrid_pipeline_on_log_mel_learns_saves_and_times_its_frames(audio_corpus, tmp_path):
    paths, labels = audio_corpus
    clf = HybridCNNLSTMClassifier(
        n_filters=8, lstm_hidden_size=16, max_epochs=25, lr=1e-2, early_stopping=False,
        n_ensemble=1, random_state=SEED,
    )  # fmt: skip
    features = LogMelTransformer(duration=2.0, n_mels=32, hop_length=1024)
    pipe = Pipeline([("logmel", features), ("clf", clf)]).fit(paths[:32], labels[:32])
    assert pipe[-1].n_features_in_ == 32
    assert (pipe.predict(paths[32:]) == labels[32:]).mean() >= 0.75  # chance is 1/3

    path = save_model(pipe, tmp_path / "model.skds")
    loaded = load_model(path)
    assert isinstance(loaded[0], LogMelTransformer) and loaded[0].n_mels == 32
    np.testing.assert_array_equal(loaded.predict_proba(paths[32:]), pipe.predict_proba(paths[32:]))

    timeline = predict_timeline(pipe, paths[32:33])[0]
    assert timeline.time_unit == "s"
    np.testing.assert_allclose(np.diff(timeline.times), 1024 / SR)


# ------------------------------------------------------- clips as they finish (iter_transform)
def slow_first_mfcc(y, **params):
    """MFCC, the longest clip (the first of the tests below) slowed down."""
    if y.size >= SR:
        time.sleep(0.3)  # with 2 threads the later clips finish first
    return _mfcc_sequence(y, **params)


class SlowFirstMFCC(MFCCTransformer):
    _sequence = staticmethod(slow_first_mfcc)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_iter_transform_yields_every_clip_once_in_the_order_of_x(n_jobs):
    seconds = [1.0, 0.2, 0.5, 0.3, 0.8, 0.4]
    clips = [tone(s, 200 + 100 * i) for i, s in enumerate(seconds)]
    mfcc = SlowFirstMFCC(duration=None, n_jobs=n_jobs)
    reference = MFCCTransformer(duration=None).transform(clips)
    seen = [seq for seq in mfcc.iter_transform(clips)]  # each result as the iterator gives it
    assert len(seen) == len(clips)  # every clip exactly once
    assert [len(s) for s in seen] == [1 + int(s * SR) // 512 for s in seconds]  # X's order
    for i, seq in enumerate(seen):  # unpadded rows of transform
        np.testing.assert_array_equal(seq, reference[i, : len(seq)])
    np.testing.assert_array_equal(mfcc.stack(mfcc.iter_transform(clips)), reference)
    np.testing.assert_array_equal(mfcc.transform(clips), reference)


def test_iter_transform_hands_over_a_clip_before_the_next_ones_are_extracted():
    calls = []

    def counted(y, **params):
        calls.append(y.size)
        return _mfcc_sequence(y, **params)

    class Counted(MFCCTransformer):
        _sequence = staticmethod(counted)

    it = Counted(duration=None).iter_transform([tone(0.2), tone(0.3), tone(0.4)])
    assert calls == []  # nothing extracted before the first next()
    assert next(it).shape[0] == 1 + int(0.2 * SR) // 512
    assert len(calls) == 1  # one thread: the second clip waits for the caller


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_iter_transform_errors(n_jobs, audio_corpus, tmp_path):
    bad = tmp_path / "fake.wav"
    bad.write_text("this is not audio")
    good = audio_corpus[0][:2]
    paths = [good[0], str(bad), good[1], str(tmp_path / "missing.mp3")]
    reference = MFCCTransformer(duration=1.0).transform(good)

    # "raise": the clips before the broken file come out, then its error (with threads,
    # the first failure to happen stops everything, maybe before an earlier clip is done)
    seen = []
    with pytest.raises(AudioLoadError, match=r"fake\.wav" if n_jobs == 1 else r"fake|missing"):
        for seq in MFCCTransformer(duration=1.0, n_jobs=n_jobs).iter_transform(paths):
            seen.append(seq)
    assert len(seen) == 1 if n_jobs == 1 else len(seen) <= 1
    for seq in seen:
        np.testing.assert_array_equal(seq, reference[0, : len(seq)])

    # "raise_all": every file is tried, each failure in its place; stack raises them all
    mfcc = MFCCTransformer(duration=1.0, n_jobs=n_jobs, on_error="raise_all")
    results = list(mfcc.iter_transform(paths))
    assert [isinstance(r, AudioLoadError) for r in results] == [False, True, False, True]
    assert "missing.mp3" in str(results[3])
    with pytest.raises(AudioLoadErrors) as info:
        mfcc.stack(results)
    assert info.value.failed_indices == [1, 3]
    np.testing.assert_array_equal(mfcc.stack([results[0], results[2]]), reference)

    # bad input and parameters are refused at the call, before any iteration
    with pytest.raises(ValueError, match="0 sample"):
        MFCCTransformer().iter_transform([])
    with pytest.raises(ValueError, match="n_jobs=0"):
        MFCCTransformer(n_jobs=0).iter_transform([tone(0.2)])


def test_stack_gives_the_output_container_of_transform():
    mfcc = MFCCTransformer(duration=0.5).set_output(transform="pandas")
    clips = [tone(0.5), tone(0.2)]
    X = mfcc.stack(mfcc.iter_transform(clips))
    assert isinstance(X, FeatureSequences) and X.shape == (2, 1 + SR // 2 // 512, 20)
    assert list(X.feature_names[:2]) == ["mfcc0", "mfcc1"]
    assert np.isnan(X[1, -1]).all() and not np.isnan(X[0, -1]).any()  # padded at the end


# ------------------------------------------------------------------- progress bar and ETA
def bar_lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "\n").splitlines() if line.strip()]


def test_progress_bar_has_no_eta_from_the_first_slow_update(monkeypatch):
    import tqdm.std

    from sk_deepsense.features._progress import progress_bar

    now = [0.0]
    monkeypatch.setattr(tqdm.std, "time", lambda: now[0])  # tqdm's clock
    monkeypatch.setattr(tqdm.std.tqdm, "monitor_interval", 0)
    out = io.StringIO()
    bar = progress_bar(total=160, unit="clip", file=out, mininterval=0, miniters=1, ncols=80)
    now[0] = 15.0  # the first clip: numba compiles
    bar.update(1)
    for _ in range(3):  # then 0.2 s per clip
        now[0] += 0.2
        bar.update(1)
    bar.close()
    lines = bar_lines(out.getvalue())
    first = next(line for line in lines if "1/160" in line)
    assert "00:15<?, ?clip/s" in first  # no rate, no ETA: only the slow clip measured
    second = next(line for line in lines if "2/160" in line)
    assert "<00:31," in second and "5.00clip/s" in second  # 158 x 0.2 s, not 158 x 7.6 s
    assert "<00:31" in next(line for line in lines if "4/160" in line)


def test_transform_progress_bar_shows_no_eta_after_the_first_clip(capsys):
    clips = [tone(1.0), tone(0.2), tone(0.2), tone(0.2)]
    SlowFirstMFCC(duration=None, verbose=1).transform(clips)
    lines = bar_lines(capsys.readouterr().err)
    assert any("mfcc:" in line and "0/4" in line for line in lines)
    first = [line for line in lines if "1/4" in line]
    assert first and all("<?, ?clip/s" in line for line in first)  # not 3 x 0.3 s
