"""Dynamic regression: series targets, time alignment, masked loss, baselines, scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from sk_deepsense import HybridCNNLSTMDynamicRegressor, MFCCTransformer, load_model, save_model
from sk_deepsense.dynamic import FrameRidgeRegressor, series_targets
from sk_deepsense.metrics import PredictionScorer, dynamic_scores, make_dynamic_scorer
from sk_deepsense.neural._data import training_data
from sk_deepsense.neural._dynamic import MaskedMSELoss

from .conftest import SEED

TINY = dict(
    n_filters=4,
    filter_size=3,
    n_conv_layers=1,
    lstm_hidden_size=16,
    n_ensemble=1,
    batch_size=16,
    lr=1e-2,
    early_stopping=False,
    mixup=0.0,
    train_chunk=None,
    random_state=SEED,
)


def running_data(n: int = 48, frames: int = 24, seed: int = 0):
    """Features and a target that needs memory: the running mean of coefficient 0.

    One target every 2 frames (frame_rate 4, target_hop 0.5); the last 4 clips are shorter
    (NaN padding), their late steps NaN.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, frames, 4)).astype(np.float32)
    running = np.cumsum(X[:, :, 0], axis=1) / np.arange(1, frames + 1)
    y = running[:, ::2, None].astype(np.float64)
    X[-4:, frames // 2 :] = np.nan
    y[-4:, frames // 4 :] = np.nan
    return X, y


# ------------------------------------------------------------------------- series_targets
def test_series_targets_puts_annotations_on_the_grid_and_nan_elsewhere():
    y = series_targets(
        [np.array([[1, 2], [3, 4]]), np.array([[5, 6]])], [[15.0, 15.5], [16.5]], hop=0.5
    )
    assert y.shape == (2, 4, 2)
    np.testing.assert_array_equal(y[0, :2], [[1, 2], [3, 4]])
    assert np.isnan(y[0, 2:]).all() and np.isnan(y[1, :3]).all()
    np.testing.assert_array_equal(y[1, 3], [5, 6])
    assert series_targets([[1.0]], [[2.0]], hop=0.5, offset=0.0).shape == (1, 5, 1)


@pytest.mark.parametrize(
    ("values", "times", "message"),
    [
        ([[1.0, 2.0]], [[15.0, 15.3]], "not on the grid"),
        ([[1.0, 2.0]], [[15.0]], "2 annotations but 1 times"),
        ([np.ones((1, 2)), np.ones((1, 3))], [[0.0], [0.0]], "different numbers of outputs"),
    ],
)
def test_series_targets_refuses_what_it_cannot_place(values, times, message):
    with pytest.raises(ValueError, match=message):
        series_targets(values, times, hop=0.5)


# ------------------------------------------------------------------------- alignment
def test_steps_are_read_from_the_frame_nearest_their_time():
    reg = HybridCNNLSTMDynamicRegressor(frame_rate=43.07, target_hop=0.5, target_offset=1.0)
    frames = reg._step_frames(3)
    np.testing.assert_array_equal(frames, np.round(np.array([1.0, 1.5, 2.0]) * 43.07))
    y = np.arange(6, dtype=float).reshape(1, 3, 2)
    targets = reg._frame_targets(y, np.array([100]), 100)
    np.testing.assert_array_equal(targets[0, frames], y[0])
    assert np.isfinite(targets).all(axis=2).sum() == 3  # every other frame has no target


def test_a_step_past_the_clip_end_is_an_error_naming_the_clip():
    reg = HybridCNNLSTMDynamicRegressor(frame_rate=10.0, target_hop=1.0)
    y = np.zeros((2, 6, 1))
    y[0, 5:] = np.nan
    with pytest.raises(ValueError, match=r"Clip 1: target step 5 \(at 5.000 s\)"):
        reg._frame_targets(y, np.array([50, 40]), 50)
    # half a step past the last frame is the last frame (annotations ending with the audio)
    y[0, 5] = 7.0  # step 5 is at frame 50, 3 frames past the end of a 48-frame clip
    np.testing.assert_array_equal(reg._frame_targets(y[:1], np.array([48]), 50)[0, 47], [7.0])


def test_times_in_seconds_without_frame_rate_are_an_error():
    X, y = running_data(8)
    with pytest.raises(ValueError, match="need frame_rate"):
        HybridCNNLSTMDynamicRegressor(target_hop=0.5, **TINY).fit(X, y)
    with pytest.raises(ValueError, match="need frame_rate"):
        FrameRidgeRegressor(target_offset=1.0).fit(X, y)
    # without frame_rate or offset: one step per frame, from the first
    assert FrameRidgeRegressor().fit(X, y[:, :24]).predict(X).shape == (8, 24, 1)


@pytest.mark.parametrize("y_shape", [(48,), (48, 12, 2, 1)])
def test_y_that_is_not_a_series_is_refused(y_shape):
    X, _ = running_data()
    with pytest.raises(ValueError, match="trained on a series per clip"):
        HybridCNNLSTMDynamicRegressor(**TINY).fit(X, np.zeros(y_shape))


# ------------------------------------------------------------------------- masked loss
def test_masked_loss_is_the_mse_of_the_annotated_values_and_ignores_nan():
    pred = torch.tensor([[[1.0], [2.0], [3.0]]], requires_grad=True)
    true = torch.tensor([[[0.0], [float("nan")], [1.0]]])
    loss = MaskedMSELoss()(pred, true)
    assert loss.item() == pytest.approx((1.0 + 4.0) / 2)
    loss.backward()
    assert torch.isfinite(pred.grad).all() and pred.grad[0, 1, 0] == 0
    empty = MaskedMSELoss()(pred, torch.full_like(true, float("nan")))
    assert empty.item() == 0.0 and empty.requires_grad


def test_crops_and_chunks_cut_per_frame_targets_with_their_frames():
    X = np.tile(np.arange(30, dtype=np.float32)[None, :, None], (3, 1, 2))  # value = frame
    y = X[:, :, :1].copy()  # the target of a frame is its index
    lengths = np.array([30, 30, 17])
    X[2, 17:] = 0.0
    y[2, 17:] = np.nan
    data, _ = training_data(X, lengths, y, 8, "random")
    torch.manual_seed(0)
    for i in range(3):
        xi, yi = data[i]
        n = int(xi["lengths"])
        np.testing.assert_array_equal(yi[:n, 0], xi["x"][:n, 0])
    chunks, yc = training_data(X, lengths, y, 8, "consecutive")
    real = np.arange(8)[None, :] < chunks["lengths"][:, None]
    np.testing.assert_array_equal(yc[real][:, 0], chunks["x"][real][:, 0])
    assert np.isnan(yc[~real]).all()  # padding of the last chunks: no target, not 0


# ------------------------------------------------------------------------- the estimator
@pytest.fixture(scope="module")
def fitted():
    X, y = running_data()
    reg = HybridCNNLSTMDynamicRegressor(frame_rate=4.0, target_hop=0.5, max_epochs=60, **TINY)
    return reg.fit(X[:40], y[:40]), X, y


def test_the_dynamic_model_learns_a_running_quantity(fitted):
    reg, X, y = fitted
    pred = reg.predict(X[40:])
    assert pred.shape == (8, 12, 1)
    assert np.isnan(pred[-4:, 6:]).all() and np.isfinite(pred[:4]).all()  # clips end early
    scores = dynamic_scores(y[40:], pred)
    mean = np.full_like(y[40:], np.nanmean(y[:40]))
    baseline = dynamic_scores(y[40:], mean)
    assert scores["output_0_rmse"] < 0.7 * baseline["output_0_rmse"]
    assert scores["output_0_r"] > 0.6
    assert reg.score(X[40:], y[40:]) > 0.4


def test_frame_outputs_are_causal_and_predict_reads_them_at_the_steps(fitted):
    reg, X, _ = fitted
    frames = reg.predict_frames(X[:4])
    prefix = reg.predict_frames(X[:4, :10])
    np.testing.assert_allclose(prefix, frames[:, :10], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(reg.predict(X[:4]), frames[:, ::2], rtol=1e-12)
    assert reg.net_.module_.frame_outputs


def test_missing_annotations_are_left_out_not_zero_filled():
    X, y = running_data(24)
    holes = y.copy()
    holes[:, 1::2] = np.nan  # every other step unannotated
    zeros = y.copy()
    zeros[:, 1::2] = 0.0  # the same holes filled with zeros (the short clips keep their end)
    zeros[np.isnan(y)] = np.nan
    kwargs = dict(frame_rate=4.0, target_hop=0.5, max_epochs=5, **TINY)
    a = HybridCNNLSTMDynamicRegressor(**kwargs).fit(X, holes)
    b = HybridCNNLSTMDynamicRegressor(**kwargs).fit(X, zeros)
    np.testing.assert_allclose(a.target_mean_, [np.nanmean(holes)])
    assert np.isfinite(a.history_[:, "train_loss"]).all()
    assert not np.allclose(a.predict(X), b.predict(X))


def test_two_dimensional_y_gives_two_dimensional_predictions():
    X, y = running_data(16)
    reg = HybridCNNLSTMDynamicRegressor(frame_rate=4.0, target_hop=0.5, max_epochs=2, **TINY)
    assert reg.fit(X, y[:, :, 0]).predict(X).shape == (16, 12)
    assert reg.y_ndim_ == 2


@pytest.mark.parametrize("train_chunk", [6, None])
def test_mixup_crops_and_ensembles_train_on_series(train_chunk):
    X, y = running_data(16)
    params = {**TINY, "mixup": 0.4, "n_ensemble": 2, "train_chunk": train_chunk}
    reg = HybridCNNLSTMDynamicRegressor(frame_rate=4.0, target_hop=0.5, max_epochs=3, **params)
    reg.fit(X, y)
    assert len(reg.nets_) == 2 and np.isfinite(reg.predict(X[:12])).all()


def test_save_and_load_give_the_same_series(fitted, tmp_path):
    reg, X, _ = fitted
    loaded = load_model(save_model(reg, tmp_path / "dynamic.skds"))
    assert type(loaded) is HybridCNNLSTMDynamicRegressor
    assert loaded.get_params()["target_hop"] == 0.5
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_grid_search_and_cross_validate_with_the_series_scorers():
    X, y = running_data(24)
    reg = HybridCNNLSTMDynamicRegressor(frame_rate=4.0, target_hop=0.5, max_epochs=2, **TINY)
    search = GridSearchCV(
        reg, {"lstm_hidden_size": [4, 8]}, cv=KFold(2), scoring=make_dynamic_scorer("ccc")
    ).fit(X, y)
    assert search.best_params_["lstm_hidden_size"] in (4, 8)
    cv = cross_validate(
        clone(reg), X, y, cv=KFold(2), scoring=PredictionScorer("dynamic", ["value"])
    )
    assert sorted(k for k in cv if k.startswith("test_")) == [
        "test_value_ccc", "test_value_r", "test_value_rmse",
    ]  # fmt: skip


# ------------------------------------------------------------------------- the ridge baseline
def test_frame_ridge_recovers_a_per_frame_linear_target():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 20, 3))
    y = (X[:, 3::4] @ np.array([1.0, -2.0, 0.5]))[:, :, None]  # steps at frames 3, 7, ...
    reg = FrameRidgeRegressor(frame_rate=8.0, target_hop=0.5, target_offset=3 / 8, alpha=1e-9)
    reg.fit(X, y)
    np.testing.assert_allclose(reg.predict(X), y, atol=1e-6)
    X[0, 10:] = np.nan
    assert np.isnan(reg.predict(X)[0, 2:]).all()


def test_frame_ridge_on_audio_features_has_the_transformer_frame_rate():
    mt = MFCCTransformer(hop_length=441, sr=22050)
    assert mt.frame_rate == 50.0


# ------------------------------------------------------------------------- metrics
def test_dynamic_scores_average_per_song_scores():
    rng = np.random.default_rng(1)
    y = rng.normal(size=(3, 8, 2))
    pred = y + rng.normal(scale=0.3, size=y.shape)
    y[2, 5:] = np.nan
    scores = dynamic_scores(y, pred, target_names=["a", "v"])
    per_song = [np.sqrt(np.nanmean((y[i, :, 1] - pred[i, :, 1]) ** 2)) for i in range(3)]
    assert scores["v_rmse"] == pytest.approx(np.mean(per_song))
    r = [np.corrcoef(y[i, : 8 if i < 2 else 5, 0], pred[i, : 8 if i < 2 else 5, 0])[0, 1]
         for i in range(3)]  # fmt: skip
    assert scores["a_r"] == pytest.approx(np.mean(r))
    constant = dynamic_scores(y, np.repeat(np.nanmean(y, axis=1, keepdims=True), 8, axis=1))
    assert constant["output_0_r"] == 0.0 and constant["output_0_ccc"] == 0.0


def test_dynamic_scores_refuse_an_annotated_step_without_prediction():
    y = np.zeros((2, 4))
    with pytest.raises(ValueError, match="Clip 1 has annotated steps without a prediction"):
        dynamic_scores(y, np.c_[np.zeros((2, 3)), [0.0, np.nan]])
    with pytest.raises(ValueError, match="Clip 0"):
        dynamic_scores(y, np.zeros((2, 3)))  # the prediction stops before the annotation


def test_the_rmse_scorer_is_negated_and_the_others_are_not():
    X = np.random.default_rng(0).normal(size=(6, 6, 2))
    y = X[:, :, :1] * 0.5
    reg = FrameRidgeRegressor(alpha=10.0).fit(X, y)
    assert make_dynamic_scorer("rmse")(reg, X, y) < 0
    assert 0 < make_dynamic_scorer("ccc")(reg, X, y) <= 1
    with pytest.raises(ValueError, match="metric must be"):
        make_dynamic_scorer("mae")


# ------------------------------------------------------------------------- real annotations
@pytest.mark.realdata
@pytest.mark.parametrize(
    ("folder", "loader", "offset"),
    [("emomusic-sample", "load_emomusic", 15.0), ("pmemo-sample", "load_pmemo", None)],
)
def test_dynamic_model_on_real_annotated_clips(folder, loader, offset):
    """emoMusic (every 0.5 s from 15 s of 45 s clips) and PMEmo: series, fit, predict, score."""
    from sk_deepsense import datasets

    from .conftest import shared_data

    data = getattr(datasets, loader)(shared_data(folder))
    times = np.concatenate(data.dynamic_times)
    start = float(times.min()) if offset is None else offset
    y = series_targets(data.dynamic, data.dynamic_times, hop=0.5, offset=start)
    assert y.shape[0] == len(data.filenames) and y.shape[2] == 2
    assert np.isfinite(y).any(axis=(1, 2)).all()  # every clip has annotations
    features = MFCCTransformer(top_db=None, duration=None, n_jobs=2)
    X = features.transform(data.filenames)
    reg = HybridCNNLSTMDynamicRegressor(
        frame_rate=features.frame_rate, target_hop=0.5, target_offset=start,
        max_epochs=3, **{**TINY, "train_chunk": 256},
    )  # fmt: skip
    reg.fit(X, y)
    pred = reg.predict(X)
    scores = dynamic_scores(y, pred, target_names=["arousal", "valence"])
    assert np.isfinite(list(scores.values())).all()
    # every annotated step has a prediction at the frame nearest its time
    annotated = np.isfinite(y).all(axis=2)
    assert np.isfinite(pred[:, : y.shape[1]][annotated[:, : pred.shape[1]]]).all()
