"""sk_deepsense.plotting: what is drawn, on which figure, and the error messages."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from sklearn.exceptions import NotFittedError
from sklearn.metrics import confusion_matrix
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from skorch.history import History

from sk_deepsense import HybridCNNLSTMRegressor
from sk_deepsense._choices import output_names
from sk_deepsense.plotting import (
    new_figure,
    plot_arousal_valence,
    plot_confusion_matrix,
    plot_emotion_timeline,
    plot_training_curves,
)

from . import _fitted_models

# the shared fixtures (fitted once per module), bound here so that pytest finds them
_close_figures = _fitted_models._close_figures
audio_pipeline = _fitted_models.audio_pipeline
fitted_clf = _fitted_models.fitted_clf
mfcc_data = _fitted_models.mfcc_data
waveforms = _fitted_models.waveforms

matplotlib.use("Agg")  # the tests choose a backend; the package never does

REPO = Path(__file__).resolve().parents[1]


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
    assert [t.get_text() for t in ax.get_legend().get_texts()] == output_names(3)
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
    assert len([ln for ln in ax.lines if ln.get_label() == "output_0"]) == 1
    assert ax.get_ylim() == (-1.0, 1.0)


def test_timeline_four_probabilities_are_not_guessed_quadrants_and_kind_can_be_forced():
    values = np.full((3, 4), 0.25)
    ax = plot_emotion_timeline(values)  # unnamed columns: the library's one default naming
    assert [t.get_text() for t in ax.get_legend().get_texts()] == output_names(4)
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
    names = ["Q1", "Q2", "Q3", "Q4"]
    ax = plot_emotion_timeline(values, times=np.arange(10) * 0.5, names=names, segments=segments)
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


# ---------------------------------------------------------------- figures without pyplot
def test_new_figure_is_a_figure_outside_pyplot():
    fig, ax = new_figure(figsize=(5, 3))
    assert type(fig) is Figure and fig.axes == [ax]
    np.testing.assert_allclose(fig.get_size_inches(), [5, 3])
    fig, axes = new_figure(2, 1, squeeze=False, sharex=True, height_ratios=[2, 1], dpi=50)
    assert axes.shape == (2, 1) and fig.dpi == 50
    assert axes[0, 0].get_shared_x_axes().joined(axes[0, 0], axes[1, 0])
    _, row = new_figure(1, 3, subplot_kw={"facecolor": "0.9"})
    assert row.shape == (3,) and to_rgba(row[2].get_facecolor()) == to_rgba("0.9")
    assert plt.get_fignums() == []


def test_every_plot_draws_on_new_figure_and_saves_without_pyplot(fitted_clf):
    fig, axes = new_figure(2, 2, figsize=(10, 8))
    assert plot_confusion_matrix(Y_TRUE, Y_PRED, ax=axes[0, 0]) is axes[0, 0]
    assert plot_arousal_valence([[0.5, -0.2]], [[0.6, -0.4]], ax=axes[0, 1]) is axes[0, 1]
    assert plot_emotion_timeline(np.full((3, 2), 0.5), ax=axes[1, 0]) is axes[1, 0]
    assert plot_training_curves(fitted_clf, ax=axes[1, 1]) is axes[1, 1]
    out = io.BytesIO()
    fig.savefig(out, format="png")
    assert out.getvalue().startswith(b"\x89PNG")
    assert len(fig.axes) == 5  # the four plots and the confusion matrix's colorbar
    assert plt.get_fignums() == []  # pyplot made no figure


def test_plotting_selects_no_backend_and_needs_no_pyplot(tmp_path):
    # a fresh interpreter in which choosing a backend fails
    code = textwrap.dedent(
        f"""
        import sys, matplotlib
        def refuse(*args, **kwargs):
            raise AssertionError("sk_deepsense called matplotlib.use")
        matplotlib.use = refuse
        from sk_deepsense.plotting import (
            new_figure, plot_arousal_valence, plot_emotion_timeline, plot_training_curves
        )
        fig, (left, middle, right) = new_figure(1, 3)
        plot_arousal_valence([[0.1, 0.2]], ax=left)
        plot_emotion_timeline([[0.2, 0.8], [0.4, 0.6]], ax=middle)
        plot_training_curves([{{"epoch": 1, "train_loss": 0.5}}], ax=right)
        fig.savefig({str(tmp_path / "out.png")!r})
        assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out.png").read_bytes().startswith(b"\x89PNG")
