"""sk_deepsense.plotting: what is drawn, per-frame timelines, and the error messages."""

from __future__ import annotations

import pickle

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import soundfile as sf
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from sklearn.exceptions import NotFittedError
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from skorch.history import History

from sk_deepsense import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor, MFCCTransformer
from sk_deepsense.plotting import (
    EmotionTimeline,
    plot_arousal_valence,
    plot_confusion_matrix,
    plot_emotion_timeline,
    plot_training_curves,
    predict_timeline,
)

matplotlib.use("Agg")

TINY = dict(
    max_epochs=2,
    n_filters=4,
    lstm_hidden_size=4,
    n_conv_layers=1,
    batch_size=8,
    random_state=0,
    n_ensemble=1,
)
SR, HOP = 8000, 256


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def make_history(valid_loss, best_flags, train_loss=None):
    h = History()
    train_loss = train_loss or [1.0 - 0.1 * i for i in range(len(valid_loss))]
    for e, (tr, va, best) in enumerate(
        zip(train_loss, valid_loss, best_flags, strict=True), start=1
    ):
        h.new_epoch()
        h.record("epoch", e)
        h.record("train_loss", tr)
        h.record("valid_loss", va)
        h.record("valid_loss_best", best)
    return h


def labelled(ax):
    """Artists of ``ax`` with a public label, by label."""
    artists = [*ax.lines, *ax.collections]
    return {a.get_label(): a for a in artists if not a.get_label().startswith("_")}


def texts(ax):
    return [t.get_text() for t in ax.texts]


# ---------------------------------------------------------------------------- fitted models
@pytest.fixture(scope="module")
def mfcc_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 20, 5)).astype("float32")
    X[3, 14:] = np.nan  # clip 3: 14 real frames
    y = np.array(["calm", "happy", "sad"])[np.arange(12) % 3]
    return X, y


@pytest.fixture(scope="module")
def fitted_clf(mfcc_data):
    X, y = mfcc_data
    # early stopping on (the default): the history has valid_loss and valid_loss_best
    return HybridCNNLSTMClassifier(**{**TINY, "max_epochs": 3}).fit(X, y)


@pytest.fixture(scope="module")
def waveforms():
    rng = np.random.default_rng(1)
    t = np.arange(SR) / SR
    waves = [np.sin(2 * np.pi * f * t).astype("float32") for f in rng.uniform(200, 2000, 6)]
    waves[2] = waves[2][: SR // 2]  # half a second: padded by MFCCTransformer(duration=1.0)
    return waves


@pytest.fixture(scope="module")
def audio_pipeline(waveforms):
    pipe = make_pipeline(
        MFCCTransformer(duration=1.0, sr=SR, hop_length=HOP),
        HybridCNNLSTMClassifier(**TINY, early_stopping=False),
    )
    return pipe.fit(waveforms, ["low", "high"] * 3)


# ---------------------------------------------------------------------------- confusion matrix
Y_TRUE = ["Q1", "Q1", "Q1", "Q2", "Q2", "Q3"]
Y_PRED = ["Q1", "Q2", "Q1", "Q2", "Q2", "Q1"]


def test_confusion_matrix_normalised_per_true_class_on_given_ax():
    _, ax = plt.subplots()
    out = plot_confusion_matrix(Y_TRUE, Y_PRED, ax=ax)
    assert out is ax
    expected = [[2 / 3, 1 / 3, 0], [0, 1, 0], [1, 0, 0]]
    np.testing.assert_allclose(ax.images[0].get_array(), expected)
    assert {"0.67", "0.33", "1.00", "0.00"} <= set(texts(ax))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Q1", "Q2", "Q3"]
    assert "true" in ax.get_title()
    assert len(ax.figure.axes) == 2  # the matrix and its colorbar


@pytest.mark.parametrize("normalize", ["pred", "all", None])
def test_confusion_matrix_other_normalisations(normalize):
    ax = plot_confusion_matrix(Y_TRUE, Y_PRED, normalize=normalize, colorbar=False, title="T")
    expected = confusion_matrix(Y_TRUE, Y_PRED, normalize=normalize)
    np.testing.assert_allclose(ax.images[0].get_array(), expected)
    if normalize is None:
        assert set(texts(ax)) == {"0", "1", "2"}  # integer counts
    else:
        assert all(len(s.split(".")[1]) == 2 for s in texts(ax))
    assert ax.get_title() == "T"
    assert len(ax.figure.axes) == 1  # no colorbar


def test_confusion_matrix_labels_fix_the_order():
    ax = plot_confusion_matrix(Y_TRUE, Y_PRED, labels=["Q3", "Q1", "Q2"], normalize=None)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Q3", "Q1", "Q2"]
    np.testing.assert_array_equal(ax.images[0].get_array(), [[0, 1, 0], [0, 2, 1], [0, 0, 2]])


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match="normalize must be one of .* got 'rows'"):
        plot_confusion_matrix(Y_TRUE, Y_PRED, normalize="rows")
    with pytest.raises(ValueError, match="same length, got 6 and 5"):
        plot_confusion_matrix(Y_TRUE, Y_PRED[:5])
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes or None, got str"):
        plot_confusion_matrix(Y_TRUE, Y_PRED, ax="left")


# ---------------------------------------------------------------------------- arousal-valence
def test_arousal_valence_puts_valence_on_x():
    pred = np.array([[0.5, -0.2], [-0.3, 0.8], [0.1, 0.1]])  # (arousal, valence)
    true = np.array([[0.6, -0.4], [-0.5, 0.6], [0.0, 0.3]])
    _, ax = plt.subplots()
    assert plot_arousal_valence(pred, true, ax=ax) is ax
    artists = labelled(ax)
    np.testing.assert_allclose(artists["predicted"].get_offsets(), pred[:, ::-1])
    np.testing.assert_allclose(artists["true"].get_offsets(), true[:, ::-1])
    assert artists["predicted"].get_paths()[0] is not artists["true"].get_paths()[0]
    (connections,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = connections.get_segments()
    assert len(segments) == 3
    np.testing.assert_allclose(segments[0], [[-0.4, 0.6], [-0.2, 0.5]])  # truth -> prediction
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("valence", "arousal")
    assert ax.get_xlim() == (-1.0, 1.0) and ax.get_ylim() == (-1.0, 1.0)
    assert ax.get_aspect() == 1.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["true", "predicted"]


def test_arousal_valence_quadrant_captions_in_their_corners():
    ax = plot_arousal_valence([[0.2, 0.2]])
    where = {t.get_text().split()[0]: t.get_position() for t in ax.texts}
    assert "Q1 happy" in texts(ax) and "Q3 sad" in texts(ax)
    assert any("Q2" in s and "angry" in s for s in texts(ax))
    assert any("Q4" in s and "calm" in s for s in texts(ax))
    # Q1 = high arousal (top) + positive valence (right); Q2 top left; Q3 bottom left
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = (where[q] for q in ("Q1", "Q2", "Q3", "Q4"))
    assert x1 > 0.5 and y1 > 0.5 and x2 < 0.5 and y2 > 0.5
    assert x3 < 0.5 and y3 < 0.5 and x4 > 0.5 and y4 < 0.5


def test_arousal_valence_options_and_limits():
    pred = np.array([[1.5, 0.0], [0.0, -0.2]])
    ax = plot_arousal_valence(pred, pred * 0.5, connect=False, quadrant_labels=False)
    assert not any(isinstance(c, LineCollection) for c in ax.collections)
    assert len(ax.texts) == 0
    lo, hi = ax.get_ylim()
    assert hi >= 1.5 and lo == -hi and ax.get_xlim() == (lo, hi)
    ax = plot_arousal_valence(pred)  # no truth: predictions only
    points = [c.get_label() for c in ax.collections if isinstance(c, PathCollection)]
    assert points == ["predicted"]


def test_arousal_valence_errors():
    with pytest.raises(ValueError, match=r"y_pred must have shape \(n_samples, 2\).*\(3, 3\)"):
        plot_arousal_valence(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="y_true must be finite, but row 1"):
        plot_arousal_valence(np.zeros((2, 2)), [[0.0, 0.0], [np.nan, 0.1]])
    with pytest.raises(ValueError, match="same number of rows, got 1 and 2"):
        plot_arousal_valence(np.zeros((2, 2)), [[0.0, 0.0]])
    with pytest.raises(TypeError, match="y_pred must be a numeric"):
        plot_arousal_valence([["a", "b"]])


# ---------------------------------------------------------------------------- timeline
def test_timeline_proba_trims_padding_and_uses_times():
    values = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]] + [[np.nan] * 3] * 2)
    times = np.array([0.0, 0.5, 1.0, 1.5, 2.0])  # for every row, padding included
    _, ax = plt.subplots()
    assert plot_emotion_timeline(values, times=times, ax=ax) is ax
    assert len(ax.lines) == 3
    for j, line in enumerate(ax.lines):
        np.testing.assert_array_equal(line.get_xdata(), times[:3])
        np.testing.assert_array_equal(line.get_ydata(), values[:3, j])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1", "class 2"]
    assert ax.get_ylabel() == "probability" and ax.get_xlabel() == "time (s)"
    lo, hi = ax.get_ylim()
    assert lo <= 0 and 1 <= hi < 1.1


def test_timeline_av_defaults():
    values = np.array([[0.2, -0.1], [0.4, 0.3], [1.6, 0.5], [0.3, 0.2]])  # rows don't sum to 1
    ax = plot_emotion_timeline(values)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(4))
    assert ax.get_xlabel() == "frame" and ax.get_ylabel() == "value"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["arousal", "valence"]
    lo, hi = ax.get_ylim()
    assert hi >= 1.6 and lo == -hi
    ax = plot_emotion_timeline(values[:, 0] / 4)  # 1-D: one output, y range at least [-1, 1]
    assert len([ln for ln in ax.lines if ln.get_label() == "output 0"]) == 1
    assert ax.get_ylim() == (-1.0, 1.0)


def test_timeline_four_probabilities_are_quadrants_and_kind_can_be_forced():
    values = np.full((3, 4), 0.25)
    ax = plot_emotion_timeline(values)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Q1", "Q2", "Q3", "Q4"]
    ax = plot_emotion_timeline(values, kind="av", names=["a", "b", "c", "d"])
    assert ax.get_ylabel() == "value"


def test_timeline_true_values_dashed_in_the_same_colours():
    values = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]])
    true = np.array([[0.0, 0.1], [0.2, 0.3], [np.nan, np.nan]])  # 2 real rows
    ax = plot_emotion_timeline(values, times=[0, 1, 2, 3], true_values=true, kind="av")
    assert len(ax.lines) == 4 + 1  # 2 predictions, 2 truths, the zero line
    pred_lines, true_lines = ax.lines[:2], ax.lines[2:4]
    for p, t in zip(pred_lines, true_lines, strict=True):
        assert t.get_linestyle() == "--" and p.get_linestyle() == "-"
        assert to_rgba(t.get_color()) == to_rgba(p.get_color())
        np.testing.assert_array_equal(t.get_xdata(), [0, 1])
    assert true_lines[0].get_label() == "arousal (true)"
    ax = plot_emotion_timeline(values, true_values=true[:2], true_times=[0.5, 2.5], kind="av")
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), [0.5, 2.5])


def test_timeline_segments_are_labelled_bands():
    values = np.tile([[0.7, 0.1, 0.1, 0.1]], (10, 1))
    segments = [(0.0, 2.0, "Q1"), (2.0, 4.5, "Q3"), (4.5, 5.0, "medley end")]
    ax = plot_emotion_timeline(values, times=np.arange(10) * 0.5, segments=segments)
    assert texts(ax) == ["Q1", "Q3", "medley end"]
    assert len(ax.patches) == 3
    spans = [p.get_x() for p in ax.patches]
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(spans, [0.0, 2.0, 4.5])
    np.testing.assert_allclose(widths, [2.0, 2.5, 0.5])
    # a band labelled like a class takes that class's colour
    q3 = ax.lines[2]
    assert to_rgba(ax.patches[1].get_facecolor())[:3] == to_rgba(q3.get_color())[:3]


def test_timeline_accepts_bunch_fields_source_and_time_unit():
    ax = plot_emotion_timeline(
        values=np.ones((3, 1)),
        times=np.arange(3.0),
        names=["x"],
        kind="av",
        source="/music/medley.wav",
        time_unit="frame",
    )
    assert "medley.wav" in ax.get_title() and "/music" not in ax.get_title()
    assert ax.get_xlabel() == "frame"
    assert plot_emotion_timeline(np.ones((3, 1)), title="mine").get_title() == "mine"


def test_timeline_errors():
    good = np.full((4, 2), 0.5)
    inner_nan = good.copy()
    inner_nan[1, 0] = np.nan
    with pytest.raises(ValueError, match="values contains NaN or infinity in frame 1"):
        plot_emotion_timeline(inner_nan)
    with pytest.raises(ValueError, match="values has no real frame"):
        plot_emotion_timeline(np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match=r"values must be 1-D .* got shape \(2, 4, 2\)"):
        plot_emotion_timeline(np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match=r"names must have one entry per column of values \(2\)"):
        plot_emotion_timeline(good, names=["a", "b", "c"])
    with pytest.raises(ValueError, match="kind must be 'proba', 'av' or None, got 'pro'"):
        plot_emotion_timeline(good, kind="pro")
    with pytest.raises(ValueError, match="times must be 1-D with one entry per frame"):
        plot_emotion_timeline(good, times=[0.0, 1.0])
    with pytest.raises(ValueError, match="true_values must have the same number of columns"):
        plot_emotion_timeline(good, true_values=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="true_values has 5 frames, more than the 4 real"):
        plot_emotion_timeline(good, true_values=np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"segments\[1\] must have finite start < end"):
        plot_emotion_timeline(good, segments=[(0, 1, "Q1"), (2, 1, "Q2")])
    with pytest.raises(ValueError, match=r"segments\[0\] must be a \(start, end, label\) tuple"):
        plot_emotion_timeline(good, segments=[(0, 1)])
    with pytest.raises(TypeError, match="values must be a numeric"):
        plot_emotion_timeline([["a", "b"]])


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
    assert tl[1].names == ["output 0"] and tl[1].values.shape == (14, 1)


def test_predict_timeline_errors(mfcc_data):
    X, y = mfcc_data
    with pytest.raises(TypeError, match="SVC has no per-frame predictions.*last step"):
        predict_timeline(make_pipeline(StandardScaler(), SVC()), X[:, 0])
    with pytest.raises(TypeError, match="no per-frame predictions.*got SVC"):
        predict_timeline(SVC(), X[:, 0])
    with pytest.raises(NotFittedError):
        predict_timeline(HybridCNNLSTMClassifier(), X)


# ---------------------------------------------------------------------------- training curves
def test_training_curves_mark_the_last_best_epoch():
    h = make_history([0.9, 0.5, 0.7, 0.45, 0.6], [True, True, False, True, False])
    _, ax = plt.subplots()
    assert plot_training_curves(h, ax=ax) is ax
    artists = labelled(ax)
    train, valid, best = (
        artists["train loss"],
        artists["validation loss"],
        artists["best validation epoch"],
    )
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_allclose(valid.get_ydata(), [0.9, 0.5, 0.7, 0.45, 0.6])
    assert train.get_linestyle() == "-" and valid.get_linestyle() == "--"
    assert (list(best.get_xdata()), list(best.get_ydata())) == ([4.0], [0.45])
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


def test_training_curves_of_estimators_and_pipelines(fitted_clf, audio_pipeline):
    ax = plot_training_curves(fitted_clf)  # early stopping on: validation curve and marker
    rows = fitted_clf.history_
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [r["train_loss"] for r in rows])
    best_epoch = [r["epoch"] for r in rows if r["valid_loss_best"]][-1]
    assert list(labelled(ax)["best validation epoch"].get_xdata()) == [best_epoch]
    ax = plot_training_curves(audio_pipeline)  # no early stopping: training loss only
    assert list(labelled(ax)) == ["train loss"]
    assert len(ax.lines[0].get_xdata()) == 2


def test_training_curves_one_pair_per_fold():
    folds = [
        make_history([0.9, 0.5, 0.7], [True, True, False]),
        make_history([0.8, 0.85, 0.9], [True, False, False]),
    ]
    ax = plot_training_curves(folds)
    artists = labelled(ax)
    # one legend entry per kind of curve, not per fold
    assert list(artists) == [
        "train loss (each fold)",
        "validation loss (each fold)",
        "best validation epoch",
    ]
    assert len(ax.lines) == 2 * 2 + 2  # a pair of curves and a marker per fold
    markers = [ln for ln in ax.lines if ln.get_marker() == "*"]
    assert [m.get_xdata()[0] for m in markers] == [2, 1]
    trains = [ln for ln in ax.lines if ln.get_linestyle() == "-"]
    assert len(trains) == 2
    assert to_rgba(trains[0].get_color()) == to_rgba(trains[1].get_color())
    assert all(t.get_alpha() < 1 for t in trains)
    assert "2 folds" in ax.get_title()


def test_training_curves_errors():
    with pytest.raises(TypeError, match="history must be a skorch History.*got int"):
        plot_training_curves(3)
    with pytest.raises(TypeError, match=r"history\[1\] must be .*got SVC"):
        plot_training_curves([make_history([1.0], [True]), SVC()])
    with pytest.raises(ValueError, match="history is empty"):
        plot_training_curves(History())
    with pytest.raises(NotFittedError, match="HybridCNNLSTMRegressor instance is not fitted"):
        plot_training_curves(make_pipeline(HybridCNNLSTMRegressor()))
    with pytest.raises(ValueError, match="history records no train_loss"):
        plot_training_curves([{"epoch": 1, "valid_loss": 0.3}])


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
