"""Streaming inference (EmotionStream): equal to the offline per-frame predictions."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline

from sk_deepsense import (
    EmotionStream,
    HybridCNNLSTMClassifier,
    HybridCNNLSTMDynamicRegressor,
    HybridCNNLSTMRegressor,
    LogMelTransformer,
    MFCCTransformer,
    NotStreamableError,
    stream_file,
)
from sk_deepsense.datasets import make_emotion_music
from sk_deepsense.features import DescriptorTransformer
from sk_deepsense.timeline import EmotionTimeline

from .conftest import shared_data

SR = 22050
TOL = 1e-5
NET = dict(max_epochs=2, lstm_hidden_size=8, n_filters=4, n_ensemble=2, random_state=0)


@pytest.fixture(scope="module")
def music():
    bunch = make_emotion_music(8, duration=1.5, sr=SR, random_state=0)
    return bunch.data, np.c_[bunch.arousal, bunch.valence], bunch.target


@pytest.fixture(scope="module")
def long_wave():
    """20 s of music: longer than any training clip."""
    return make_emotion_music(1, duration=20.0, sr=SR, random_state=1).data[0]


def fit(music, network, features=None):
    waves, av, quadrants = music
    features = features or MFCCTransformer(top_db=None, n_mfcc=8, duration=None)
    target = quadrants if isinstance(network, HybridCNNLSTMClassifier) else av
    return Pipeline([("features", features), ("net", network)]).fit(waves, target)


@pytest.fixture(scope="module")
def regressor(music):
    return fit(music, HybridCNNLSTMRegressor(pooling="meanstd", **NET))


@pytest.fixture(scope="module")
def classifier(music):
    return fit(music, HybridCNNLSTMClassifier(**NET))


def offline(pipe, y):
    X = clone(pipe[0]).set_params(duration=None).transform([y])
    if hasattr(pipe[-1], "predict_proba_frames"):
        return pipe[-1].predict_proba_frames(X)[0]
    return pipe[-1].predict_frames(X)[0]


def chunk_sizes(n, seed):
    """Random chunk sizes covering n samples: empty, 1-sample, under a hop, up to 2 s."""
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < n:
        sizes.append(int(rng.choice([0, 1, 7, 300, 511, 2048, 5000, 11025, 44100])))
    return sizes


def stream_all(stream, y, seed=0):
    parts, pos = [], 0
    for size in chunk_sizes(len(y), seed):
        parts.append(stream.push(y[pos : pos + size]))
        pos += size
    parts.append(stream.flush())
    return parts


def joined(parts):
    parts = list(parts)
    return np.concatenate([p.values for p in parts]), np.concatenate([p.times for p in parts])


def assert_streams_like_offline(pipe, y, seed=0):
    expected = offline(pipe, y)
    values, times = joined(stream_all(EmotionStream(pipe), y, seed))
    assert values.shape == expected.shape
    np.testing.assert_allclose(values, expected, atol=TOL, rtol=0)
    hop, sr = pipe[0].hop_length, pipe[0].sr
    np.testing.assert_allclose(times, np.arange(len(expected)) * hop / sr)
    return values


def test_classifier_equals_offline_on_a_long_stream(classifier, long_wave):
    values = assert_streams_like_offline(classifier, long_wave, seed=1)
    np.testing.assert_allclose(values.sum(axis=1), 1.0, atol=1e-6)  # probabilities


@pytest.mark.parametrize("pooling", ["meanstd", "mean", "last"])
def test_regressor_equals_offline_for_every_pooling(music, regressor, long_wave, pooling):
    pipe = regressor if pooling == "meanstd" else fit(
        music, HybridCNNLSTMRegressor(pooling=pooling, **NET)
    )  # fmt: skip
    assert_streams_like_offline(pipe, long_wave[: 8 * SR], seed=2)


@pytest.mark.parametrize("architecture", ["lstm", "hybrid_nolstm"])
def test_other_causal_architectures_stream(music, long_wave, architecture):
    pipe = fit(music, HybridCNNLSTMRegressor(architecture=architecture, **NET))
    assert_streams_like_offline(pipe, long_wave[: 4 * SR], seed=3)


@pytest.mark.parametrize("pooling", ["meanstd", "last"])
def test_dynamic_regressor_streams_like_offline(music, long_wave, pooling):
    waves, _, _ = music
    features = MFCCTransformer(top_db=None, n_mfcc=8, duration=None)
    y = np.stack([np.full(3, 0.5), np.linspace(-1, 1, 3)], axis=1)  # 3 steps of 0.5 s
    y = np.repeat(y[None], len(waves), axis=0) * np.linspace(0.5, 1, len(waves))[:, None, None]
    network = HybridCNNLSTMDynamicRegressor(
        frame_rate=features.frame_rate, target_hop=0.5, pooling=pooling, **NET
    )
    pipe = Pipeline([("features", features), ("net", network)]).fit(waves, y)
    assert pipe[-1].net_.module_.frame_outputs
    assert_streams_like_offline(pipe, long_wave[: 4 * SR], seed=4)


def test_mixed_precision_runs_under_the_nets_autocast(music, long_wave):
    pipe = fit(music, HybridCNNLSTMRegressor(mixed_precision=True, **NET))
    assert_streams_like_offline(pipe, long_wave[: 3 * SR], seed=9)  # same autocast offline


def test_logmel_features_stream(music, long_wave):
    features = LogMelTransformer(top_db=None, n_mels=16, hop_length=512, duration=None)
    pipe = fit(music, HybridCNNLSTMClassifier(**NET), features)
    assert_streams_like_offline(pipe, long_wave[: 5 * SR], seed=5)


def test_reset_gives_the_same_outputs_again(regressor, long_wave):
    y = long_wave[: 3 * SR]
    stream = EmotionStream(regressor)
    first = joined(stream_all(stream, y, seed=6))
    with pytest.raises(RuntimeError, match="reset"):
        stream.push(y[:10])
    assert stream.flush().values.shape == (0, 2)  # a second flush: nothing more
    stream.reset()
    assert stream.n_frames == 0 and stream.seconds == 0
    second = joined(stream_all(stream, y, seed=7))  # other chunk sizes, same numbers
    np.testing.assert_allclose(second[0], first[0], atol=TOL, rtol=0)
    np.testing.assert_array_equal(second[1], first[1])


def test_timeline_fields_and_properties(regressor, classifier):
    stream = EmotionStream(regressor)
    assert stream.kind == "av" and stream.names == ["arousal", "valence"]
    assert stream.frame_rate == pytest.approx(SR / 512)
    assert stream.latency == pytest.approx(1024 / SR)
    empty = stream.push(np.zeros(0, dtype=np.float32))
    assert isinstance(empty, EmotionTimeline) and empty.values.shape == (0, 2)
    # frame t needs samples up to t * 512 + 1023: 1024 samples give frame 0 only
    assert len(stream.push(np.zeros(1023, dtype=np.float32)).times) == 0
    part = stream.push(np.zeros(1, dtype=np.float32))
    assert part.times.tolist() == [0.0] and stream.n_frames == 1
    assert part.kind == "av" and part.source == "stream" and part.time_unit == "s"
    assert stream.seconds == pytest.approx(1024 / SR)
    assert len(stream.flush().times) == 1024 // 512  # frames 1 and 2, with zero padding
    proba = EmotionStream(classifier)
    assert proba.kind == "proba" and proba.names == [str(c) for c in classifier[-1].classes_]


def test_channels_are_averaged_like_files(regressor, long_wave):
    y = long_wave[: 2 * SR]
    mono = joined(stream_all(EmotionStream(regressor), y))[0]
    stereo = np.c_[y * 1.5, y * 0.5]  # averages to y
    stream = EmotionStream(regressor)
    values = np.concatenate([stream.push(stereo[:9000]).values, stream.push(stereo[9000:]).values])
    values = np.concatenate([values, stream.flush().values])
    np.testing.assert_allclose(values, mono, atol=TOL, rtol=0)
    with pytest.raises(ValueError, match="NaN"):
        stream.reset() or stream.push(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="1-D"):
        stream.push(np.zeros((2, 2, 2)))


def test_input_sr_resamples_like_files(regressor, tmp_path):
    y44 = make_emotion_music(1, duration=6.0, sr=44100, random_state=2).data[0]
    path = tmp_path / "clip44.wav"
    sf.write(path, y44, 44100, subtype="FLOAT")
    expected = regressor[-1].predict_frames(
        clone(regressor[0]).set_params(duration=None).transform([str(path)])
    )[0]
    values, _ = joined(stream_all(EmotionStream(regressor, input_sr=44100), y44, seed=8))
    np.testing.assert_allclose(values, expected, atol=TOL, rtol=0)
    from_file = list(stream_file(regressor, path, chunk_seconds=0.37))
    assert all(t.source == str(path) for t in from_file)
    np.testing.assert_allclose(joined(from_file)[0], expected, atol=TOL, rtol=0)


def test_stream_file_at_the_models_rate(classifier, long_wave, tmp_path):
    path = tmp_path / "clip.wav"
    sf.write(path, long_wave[: 3 * SR], SR, subtype="FLOAT")
    expected = classifier[-1].predict_proba_frames(
        clone(classifier[0]).set_params(duration=None).transform([str(path)])
    )[0]
    values, times = joined(stream_file(classifier, path, chunk_seconds=0.5))
    np.testing.assert_allclose(values, expected, atol=TOL, rtol=0)
    assert times[-1] == pytest.approx((len(expected) - 1) * 512 / SR)
    with pytest.raises(ValueError, match="chunk_seconds"):
        next(stream_file(classifier, path, chunk_seconds=0))


def test_non_causal_architectures_are_refused(music):
    pipe = fit(music, HybridCNNLSTMRegressor(architecture="conv1d", **NET))
    with pytest.raises(NotStreamableError, match=r"conv1d.*later frames.*'hybrid'"):
        EmotionStream(pipe)


@pytest.mark.parametrize(
    ("features", "match"),
    [
        (MFCCTransformer(top_db=None, deltas=1), r"deltas=1.*centred window.*deltas=0"),
        (MFCCTransformer(), r"top_db=80.0.*loudest.*top_db=None"),
        (LogMelTransformer(), r"top_db=80.0.*top_db=None"),
        (DescriptorTransformer(), r"DescriptorTransformer.*MFCCTransformer"),
    ],
)
def test_features_that_look_ahead_are_refused(regressor, features, match):
    pipe = Pipeline([("features", features), ("net", regressor[-1])])
    with pytest.raises(NotStreamableError, match=match):
        EmotionStream(pipe)


def test_unfitted_and_other_models_are_refused(regressor):
    unfitted = Pipeline([("mfcc", MFCCTransformer(top_db=None)), ("net", HybridCNNLSTMRegressor())])
    with pytest.raises(NotFittedError, match="fit it before streaming"):
        EmotionStream(unfitted)
    with pytest.raises(NotStreamableError, match="exactly two steps"):
        EmotionStream(regressor[-1])
    three = Pipeline([("a", regressor[0]), ("b", regressor[0]), ("c", regressor[-1])])
    with pytest.raises(NotStreamableError, match="Pipeline of 3 steps"):
        EmotionStream(three)
    with pytest.raises(ValueError, match="input_sr"):
        EmotionStream(regressor, input_sr=0)


@pytest.mark.realdata
def test_realdata_twenty_seconds_of_an_mp3(regressor):
    folder = shared_data("music-unlabeled")
    path = sorted(folder.rglob("*.mp3"))[0]
    stream = EmotionStream(regressor)
    parts = []
    for timeline in stream_file(stream, path, chunk_seconds=0.5):
        parts.append(timeline)
        if stream.seconds >= 20.0:
            parts.append(stream.flush())
            break
    values, times = joined(parts)
    assert np.isfinite(values).all() and values.shape[1] == 2
    # the first 20 s offline: the same decoding, resampling and frames
    first = clone(regressor[0]).set_params(duration=20.0).transform([str(path)])
    np.testing.assert_allclose(values, regressor[-1].predict_frames(first)[0], atol=TOL, rtol=0)
    assert times[-1] == pytest.approx(stream.n_frames * 512 / SR - 512 / SR)
    assert 20.0 <= times[-1] + 512 / SR < 21.0


# ---------------------------------------------------------------- issue 26, finding 11
def pcm_file(tmp_path, y, dtype, subtype, ext="wav"):
    """(integer chunk of dtype, the file holding the same samples at that bit depth)."""
    bits = 8 * np.dtype(dtype).itemsize
    q = np.clip(np.round(y * 2.0 ** (bits - 1)), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    path = tmp_path / f"pcm_{dtype}.{ext}"
    if bits == 32:
        sf.write(path, q.astype(np.int32), SR, subtype=subtype)
    else:  # soundfile writes int16 data; libsndfile keeps its top bits in an 8-bit file
        sf.write(path, (q * 2 ** (16 - bits)).astype(np.int16), SR, subtype=subtype)
    chunk = q.astype(np.int64)
    if dtype == "uint8":  # an 8-bit WAV is unsigned: 128 is silence
        chunk = chunk + 128
    return chunk.astype(dtype), path


@pytest.mark.parametrize(
    ("dtype", "subtype", "ext"),
    [("int16", "PCM_16", "wav"), ("int32", "PCM_32", "wav"), ("uint8", "PCM_U8", "wav"),
     ("int8", "PCM_S8", "aiff")],
)  # fmt: skip
def test_finding_11_integer_pcm_chunks_are_scaled_as_files_are(
    regressor, tmp_path, long_wave, dtype, subtype, ext
):
    y = long_wave[:SR] / np.abs(long_wave[:SR]).max() * 0.9
    chunk, path = pcm_file(tmp_path, y, dtype, subtype, ext)
    from_file = joined(stream_file(regressor, path, chunk_seconds=0.3))[0]
    stream = EmotionStream(regressor)
    values = joined([stream.push(chunk[:5000]), stream.push(chunk[5000:]), stream.flush()])[0]
    np.testing.assert_allclose(values, from_file, atol=TOL, rtol=0)
    from sk_deepsense.streaming import chunk_samples

    np.testing.assert_array_equal(chunk_samples(chunk), sf.read(path, dtype="float32")[0])


def test_finding_11_int16_chunk_gives_the_frames_of_the_16_bit_wav(regressor, long_wave, tmp_path):
    y = long_wave[: 2 * SR] / np.abs(long_wave[: 2 * SR]).max() * 0.9
    chunk, path = pcm_file(tmp_path, y, "int16", "PCM_16")
    features = clone(regressor[0]).set_params(duration=None)
    expected = regressor[-1].predict_frames(features.transform([str(path)]))[0]
    stream = EmotionStream(regressor)
    values = np.concatenate([stream.push(chunk[:7000]).values, stream.push(chunk[7000:]).values])
    values = np.concatenate([values, stream.flush().values])
    np.testing.assert_allclose(values, expected, atol=TOL, rtol=0)  # was off by ~1e3 in MFCC 0


def test_finding_11_a_channels_first_chunk_is_refused_or_read_as_declared(regressor, long_wave):
    y = long_wave[: 2 * SR]
    mono = joined(stream_all(EmotionStream(regressor), y))[0]
    planar = np.stack([y * 1.5, y * 0.5])  # (2, n): librosa's layout
    stream = EmotionStream(regressor)
    with pytest.raises(ValueError, match=r"\(n_samples, n_channels\).*channels_first=True"):
        stream.push(planar)  # used to be read as 44100 channels of 2 samples
    declared = EmotionStream(regressor, channels_first=True)
    parts = [declared.push(planar[:, :9000]), declared.push(planar[:, 9000:]), declared.flush()]
    np.testing.assert_allclose(joined(parts)[0], mono, atol=TOL, rtol=0)
    stream.reset()
    stream.push(planar[:, :40].T)  # 40 samples of 2 channels
    with pytest.raises(ValueError, match=r"3 channel.*earlier chunks of this stream 2"):
        stream.push(np.zeros((5, 3), dtype=np.float32))


@pytest.mark.parametrize(
    ("chunk", "match"),
    [
        (np.array([True, False]), "booleans"),
        (np.array([0.1 + 1j]), "complex"),
        (np.array(["0.1", "0.2"]), "text"),
        ([[0.1, 0.2], [0.3]], "numeric array"),
        (np.arange(4, dtype=np.int64), "int64"),
        (np.zeros((2, 2, 2)), "2-D.*got 3-D"),
        (np.zeros(()), "got 0-D"),
        (np.array([0.0, np.nan]), "NaN"),
        (np.array([[0.0, np.inf]]), "NaN or infinity"),
    ],
)
def test_finding_11_bad_chunks_are_refused_with_a_clear_error(regressor, chunk, match):
    stream = EmotionStream(regressor)
    with pytest.raises(ValueError, match=match):
        stream.push(chunk)
    assert stream.seconds == 0 and stream.n_frames == 0  # nothing was taken in


def test_finding_11_seconds_and_frames_stay_right_when_input_sr_changes(regressor):
    y44 = make_emotion_music(1, duration=2.0, sr=44100, random_state=2).data[0]
    at44 = joined(stream_all(EmotionStream(regressor, input_sr=44100), y44))[0]
    stream = EmotionStream(regressor)
    stream.input_sr = 44100  # before the first sample: takes effect at once
    stream.push(y44)
    assert stream.seconds == pytest.approx(2.0)
    with pytest.raises(ValueError, match=r"middle of a stream.*reset\(\) first"):
        stream.input_sr = 22050  # used to be accepted, and seconds became 4.0
    assert stream.input_sr == 44100 and stream.seconds == pytest.approx(2.0)
    np.testing.assert_allclose(
        np.concatenate([stream.push(np.zeros(0)).values, stream.flush().values])[-3:],
        at44[-3:], atol=TOL, rtol=0,
    )  # fmt: skip
    stream.reset()
    stream.input_sr = SR
    part = stream.push(y44[:SR])
    assert stream.seconds == pytest.approx(1.0) and stream.n_frames == len(part.times)
    for bad in (0, -1, 44100.5, float("inf"), "44100", True):
        with pytest.raises(ValueError, match="input_sr"):
            EmotionStream(regressor, input_sr=bad)


# ---------------------------------------------------------------- issue 26, finding 15
def test_finding_15_a_windowed_stream_equals_predict_timeline_with_window(music, long_wave):
    from sk_deepsense.timeline import predict_timeline

    pipe = fit(music, HybridCNNLSTMClassifier(architecture="conv1d", **NET))  # any network
    y = long_wave[: 6 * SR]
    expected = predict_timeline(pipe, [y], window=1.5, step=0.4)[0]
    stream = EmotionStream(pipe, window=1.5, step=0.4)
    values, times = joined(stream_all(stream, y, seed=11))
    assert len(times) == len(expected.times) > 10
    np.testing.assert_allclose(times, expected.times)
    np.testing.assert_allclose(values, expected.values, atol=TOL, rtol=0)
    with pytest.raises(NotStreamableError, match="later frames"):
        EmotionStream(pipe)  # frame by frame, a conv1d still cannot stream
    for bad in (0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="window"):
            EmotionStream(pipe, window=bad)
    with pytest.raises(ValueError, match="step is only used with window"):
        EmotionStream(pipe, step=0.5)


# ---------------------------------------------------------------- issue 26, finding 10
@pytest.mark.filterwarnings("ignore:'(aifc|audioop|sunau)' is deprecated:DeprecationWarning")
def test_finding_10_listen_reads_a_file_soundfile_cannot_open_block_by_block(
    regressor, long_wave, tmp_path, monkeypatch
):
    import soundfile

    import sk_deepsense.features

    path = tmp_path / "clip.wav"  # audioread's own reader decodes 16-bit WAV
    sf.write(path, np.c_[long_wave[: 3 * SR], long_wave[: 3 * SR] * 0.5], SR, subtype="PCM_16")
    expected = joined(stream_file(regressor, path, chunk_seconds=0.5))[0]

    def refuse(*args, **kwargs):
        raise RuntimeError("not for libsndfile")

    def whole_file(*args, **kwargs):
        raise AssertionError("the whole file was decoded at once")

    monkeypatch.setattr(soundfile, "SoundFile", refuse)
    monkeypatch.setattr(sk_deepsense.features, "load_audio", whole_file)
    from sk_deepsense.streaming import read_blocks

    blocks = list(read_blocks(path, 0.5, SR))
    assert [b.shape for _, b in blocks] == [(SR // 2, 2)] * 6 and {r for r, _ in blocks} == {SR}
    values = joined(stream_file(regressor, path, chunk_seconds=0.5))[0]
    np.testing.assert_allclose(values, expected, atol=TOL, rtol=0)
