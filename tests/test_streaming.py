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
