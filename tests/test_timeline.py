"""sk_deepsense.timeline: per-frame (causal) and sliding-window predictions of each clip."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import soundfile as sf
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sk_deepsense import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor, MFCCTransformer, plotting
from sk_deepsense.plotting import plot_emotion_timeline
from sk_deepsense.timeline import EmotionTimeline, predict_timeline

from . import _fitted_models
from ._fitted_models import HOP, SR, TINY

# the shared fixtures (fitted once per module), bound here so that pytest finds them
_close_figures = _fitted_models._close_figures
audio_pipeline = _fitted_models.audio_pipeline
fitted_clf = _fitted_models.fitted_clf
mfcc_data = _fitted_models.mfcc_data
waveforms = _fitted_models.waveforms

matplotlib.use("Agg")  # EmotionTimeline.plot() draws with pyplot when given no ax

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------- the module
def test_importing_timeline_does_not_import_matplotlib():
    # a fresh interpreter: this one has imported matplotlib already
    code = "import sys, sk_deepsense.timeline; assert 'matplotlib' not in sys.modules"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_timeline_is_a_lazy_submodule_of_the_package():
    code = (
        "import sys, sk_deepsense; f = sk_deepsense.timeline.predict_timeline; "
        "assert 'matplotlib' not in sys.modules"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_plotting_does_not_import_the_timelines_above_it():
    # figures are a layer below the timelines (docs/layers.txt): no cycle between them
    assert not hasattr(plotting, "predict_timeline")
    assert not {"predict_timeline", "EmotionTimeline"} & set(plotting.__all__)


# ---------------------------------------------------------------------------- predict_timeline
def test_predict_timeline_pipeline_times_and_trimming(audio_pipeline, waveforms):
    timelines = predict_timeline(audio_pipeline, waveforms)
    assert len(timelines) == 6
    features = audio_pipeline[:-1].transform(waveforms)
    frames = audio_pipeline[-1].predict_proba_frames(features)
    n_full = 1 + SR // HOP  # 32 frames in one second
    for i, tl in enumerate(timelines):
        n = n_full if i != 2 else 1 + (SR // 2) // HOP  # the half-second clip: 16 frames
        assert tl.values.shape == (n, 2)
        np.testing.assert_allclose(tl.values, frames[i, :n])
        assert not np.isnan(tl.values).any()
        np.testing.assert_allclose(tl.times, np.arange(n) * HOP / SR)
        assert tl.names == ["high", "low"] and tl.kind == "proba" and tl.time_unit == "s"
        assert tl.source == f"clip {i}"
    assert np.isnan(frames[2, 16:]).all()  # what was trimmed was padding
    ax = timelines[2].plot()
    np.testing.assert_allclose(ax.lines[0].get_xdata(), timelines[2].times)
    assert ax.get_xlabel() == "time (s)" and "clip 2" in ax.get_title()


def test_predict_timeline_offset_nested_pipeline_and_paths(audio_pipeline, waveforms, tmp_path):
    clf = audio_pipeline[-1]
    mfcc = MFCCTransformer(duration=1.0, sr=SR, hop_length=HOP, offset=0.125)
    nested = Pipeline([("features", make_pipeline(mfcc)), ("clf", clf)])
    paths = []
    for i in (0, 2):
        paths.append(str(tmp_path / f"song {i}.wav"))
        sf.write(paths[-1], waveforms[i], SR)
    tl = predict_timeline(nested, paths)
    assert [t.source for t in tl] == paths
    assert tl[0].times[0] == 0.125
    np.testing.assert_allclose(np.diff(tl[0].times), HOP / SR)
    assert len(tl[1].times) == 1 + (SR // 2 - SR // 8) // HOP  # 0.375 s left after the offset


def test_predict_timeline_bare_estimator_counts_frames(fitted_clf, mfcc_data):
    X, _ = mfcc_data
    tl = predict_timeline(fitted_clf, X[:4])
    assert isinstance(tl[3], EmotionTimeline)
    assert pickle.loads(pickle.dumps(tl[3])).values.shape == (14, 3)
    assert tl[3].values.shape == (14, 3) and tl[0].values.shape == (20, 3)
    np.testing.assert_array_equal(tl[3].times, np.arange(14))
    assert tl[3].time_unit == "frame" and tl[3].names == ["calm", "happy", "sad"]
    np.testing.assert_allclose(tl[3].values.sum(axis=1), 1.0, rtol=1e-5)
    assert tl[3].plot().get_xlabel() == "frame"


def test_predict_timeline_regressors(mfcc_data):
    X, _ = mfcc_data
    rng = np.random.default_rng(2)
    av = rng.uniform(-1, 1, size=(12, 2))
    reg = HybridCNNLSTMRegressor(**TINY, early_stopping=False).fit(X, av)
    tl = predict_timeline(reg, X)
    assert tl[3].names == ["arousal", "valence"] and tl[3].kind == "av"
    assert tl[3].values.shape == (14, 2)
    np.testing.assert_allclose(tl[3].values, reg.predict_frames(X)[3, :14])
    ax = tl[3].plot()
    assert ax.get_ylabel() == "value"
    reg1 = HybridCNNLSTMRegressor(**TINY, early_stopping=False).fit(X, av[:, 0])
    tl = predict_timeline(reg1, X[2:4])
    assert tl[1].names == ["output_0"] and tl[1].values.shape == (14, 1)


def test_predict_timeline_errors(mfcc_data):
    X, y = mfcc_data
    with pytest.raises(TypeError, match="SVC has no per-frame predictions.*last step"):
        predict_timeline(make_pipeline(StandardScaler(), SVC()), X[:, 0])
    with pytest.raises(TypeError, match="no per-frame predictions.*got SVC"):
        predict_timeline(SVC(), X[:, 0])
    with pytest.raises(NotFittedError):
        predict_timeline(HybridCNNLSTMClassifier(), X)


def test_predict_timeline_sliding_window_predicts_each_window(fitted_clf, mfcc_data):
    X, _ = mfcc_data
    tl = predict_timeline(fitted_clf, X[3:4], window=6, step=4)[0]  # clip 3: 14 real frames
    # windows end after frames 4, 8, 12 and the last one, 14; they hold at most 6 frames
    np.testing.assert_array_equal(tl.times, [3, 7, 11, 13])
    windows = np.stack([_pad(X[3, 0:4], 6), X[3, 2:8], X[3, 6:12], X[3, 8:14]])
    expected = fitted_clf.predict_proba(windows)  # the first window is shorter: frames 0..3
    np.testing.assert_allclose(tl.values, expected, rtol=1e-5)
    # differs from the causal prefix, which remembers the whole past
    assert not np.allclose(tl.values[-1], predict_timeline(fitted_clf, X[3:4])[0].values[-1])
    default = predict_timeline(fitted_clf, X[3:4], window=6)[0]  # step window/20 -> 1 frame
    np.testing.assert_array_equal(default.times, np.arange(14))


def _pad(frames, n):
    out = np.full((n, frames.shape[1]), np.nan, np.float32)
    out[: len(frames)] = frames
    return out


@pytest.mark.parametrize(
    ("kw", "match"), [({"window": 0}, "window must"), ({"window": 3, "step": -1}, "step must")]
)
def test_predict_timeline_window_errors(fitted_clf, mfcc_data, kw, match):
    X, _ = mfcc_data
    with pytest.raises(ValueError, match=match):
        predict_timeline(fitted_clf, X[:1], **kw)


def test_timeline_fields_are_the_parameters_of_plot_emotion_timeline(fitted_clf, mfcc_data):
    X, _ = mfcc_data
    tl = predict_timeline(fitted_clf, X[3:4])[0]
    by_plot = tl.plot()
    by_fields = plot_emotion_timeline(**dataclasses.asdict(tl))
    assert [ln.get_label() for ln in by_fields.lines] == ["calm", "happy", "sad"]
    for a, b in zip(by_plot.lines, by_fields.lines, strict=True):
        np.testing.assert_array_equal(a.get_xydata(), b.get_xydata())
    assert by_plot.get_title() == by_fields.get_title() == "Emotion timeline: clip 0"


# ----------------------------------------------------------- long files (issue 26, finding 10)
def _long_wav(path, seconds):
    """A file of ``seconds`` whose pitch glides: each window differs from the last."""
    t = np.arange(int(seconds * SR)) / SR
    y = 0.3 * np.sin(2 * np.pi * (300 + 200 * np.sin(t / 5)) * t) + 0.3 * np.sin(
        2 * np.pi * 900 * t
    )
    sf.write(path, y.astype("float32"), SR)
    return str(path)


def _whole_file(pipe):
    return Pipeline([("mfcc", clone(pipe[0]).set_params(duration=None)), ("clf", pipe[-1])])


@pytest.mark.parametrize("kw", [{"window": np.inf}, {"window": np.nan}, {"window": 1e300},
                                {"window": 1.0, "step": np.inf}])  # fmt: skip
def test_finding_10_window_inf_nan_refused_before_decoding(
    audio_pipeline, tmp_path, monkeypatch, capsys, kw
):
    import sk_deepsense.features._audio_io as audio_io
    from sk_deepsense import save_model
    from sk_deepsense.cli import main

    path = _long_wav(tmp_path / "song.wav", 3.0)
    model = save_model(audio_pipeline, tmp_path / "model.skds")
    decoded = []

    def refuse(*args, **kwargs):
        decoded.append(args)
        raise AssertionError("decoded")

    monkeypatch.setattr(audio_io, "_read_soundfile", refuse)
    monkeypatch.setattr(audio_io, "_read_audioread", refuse)
    whole = _whole_file(audio_pipeline)
    with pytest.raises(ValueError, match="must be a positive number of seconds"):
        predict_timeline(whole, [path], **kw)
    if "step" not in kw:  # the command line has no --step
        argv = ["predict", model, path, "--plot", tmp_path / "t.png", "--window", kw["window"]]
        assert main([str(a) for a in argv]) == 1
        err = capsys.readouterr().err
        assert err.startswith("sk-deepsense predict: error: --window ") and err.count("\n") == 1
        assert not (tmp_path / "t.png").exists()
    assert decoded == []


def test_finding_10_file_timeline_memory_is_o_window_not_o_file(audio_pipeline, tmp_path):
    import tracemalloc

    whole = _whole_file(audio_pipeline)
    peaks = {}
    for seconds in (30, 120):  # a file four times as long: the same peak
        path = _long_wav(tmp_path / f"{seconds}.wav", seconds)
        tracemalloc.start()
        try:
            (tl,) = predict_timeline(whole, [path], window=1.0, step=0.5)
            peaks[seconds] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert tl.times[-1] == pytest.approx(seconds, abs=0.05)
    # the audio of the longer file alone (float32 at SR) is 3.8 MB; decoded whole, its
    # spectrogram many times more
    assert peaks[120] < 1.3 * peaks[30], peaks
    assert peaks[120] < 4 * SR * 120, peaks


@pytest.mark.parametrize(("top_db", "atol"), [(None, 1e-5), (80.0, 1e-3)])
def test_file_timeline_read_in_blocks_equals_the_whole_file_one(
    audio_pipeline, tmp_path, top_db, atol
):
    whole = _whole_file(audio_pipeline)
    whole[0].set_params(top_db=top_db)  # 80 dB: a floor below each block's loudest value
    path = _long_wav(tmp_path / "song.wav", 20.0)
    y = sf.read(path, dtype="float32")[0]
    for kw in ({"window": 1.0}, {"window": 1.0, "step": 3.0}, {"window": 4.0, "step": 0.2}):
        (blocks,) = predict_timeline(whole, [path], **kw)
        (at_once,) = predict_timeline(whole, [y], **kw)  # a waveform: features of all of it
        np.testing.assert_allclose(blocks.times, at_once.times)
        np.testing.assert_allclose(blocks.values, at_once.values, rtol=1e-4, atol=atol)
        assert blocks.source == path and blocks.names == at_once.names
