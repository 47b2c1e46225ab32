"""HybridCNNLSTMClassifier / Regressor behaviour on MFCC-like arrays."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from sk_deepsense import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor, sequence_lengths

from .conftest import BATCH_ATOL, BATCH_RTOL, SEED

FAST = dict(
    n_filters=8,
    filter_size=3,
    lstm_hidden_size=16,
    max_epochs=15,
    n_ensemble=1,
    lr=1e-2,
    early_stopping=False,
    random_state=SEED,
)
ESTIMATORS = [HybridCNNLSTMClassifier, HybridCNNLSTMRegressor]


def sequences(n=90, t=12, c=10, seed=0):
    """Variable-length NaN-padded sequences; class = which coefficient band is loud."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, t, c)).astype(np.float32)
    y = np.array(["calm", "happy", "sad"])[np.arange(n) % 3]
    for i, label in enumerate(y):
        band = {"calm": slice(0, 3), "happy": slice(3, 6), "sad": slice(6, 9)}[label]
        X[i, :, band] += 2.0
        X[i, rng.integers(4, t + 1) :] = np.nan
    av = np.c_[np.nanmean(X[:, :, 0:3], axis=(1, 2)), np.nanmean(X[:, :, 3:6], axis=(1, 2))]
    return X, y, av


@pytest.fixture(scope="module")
def data():
    return sequences()


@pytest.fixture(scope="module")
def fitted_clf(data):
    X, y, _ = data
    return HybridCNNLSTMClassifier(**FAST).fit(X, y)


def target(Est, data):
    return data[1] if Est is HybridCNNLSTMClassifier else data[2]


def test_classifier_learns_and_exposes_classes(fitted_clf):
    X, y, _ = sequences(seed=1)  # fresh data from the same distribution
    assert list(fitted_clf.classes_) == ["calm", "happy", "sad"]
    assert fitted_clf.score(X, y) > 0.8
    proba = fitted_clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(fitted_clf.predict(X)) <= set(fitted_clf.classes_)
    assert fitted_clf.n_features_in_ == 10


def test_regressor_is_multi_output_and_1d_aware(data):
    X, _, av = data
    reg = HybridCNNLSTMRegressor(**FAST).fit(X, av)
    assert reg.predict(X).shape == (len(X), 2) and reg.n_outputs_ == 2
    Xt, _, avt = sequences(seed=1)
    assert reg.score(Xt, avt) > 0.5
    reg1 = HybridCNNLSTMRegressor(**FAST).fit(X, av[:, 0])
    assert reg1.predict(X).shape == (len(X),)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_padding_does_not_change_predictions(Est, data):
    X, *_ = data
    est = Est(**FAST).fit(X, target(Est, data))
    more = np.concatenate([X, np.full((len(X), 20, X.shape[2]), np.nan, np.float32)], axis=1)
    if Est is HybridCNNLSTMRegressor:
        np.testing.assert_allclose(est.predict(more), est.predict(X), rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(est.predict(more), est.predict(X))
        np.testing.assert_allclose(
            est.predict_proba(more), est.predict_proba(X), rtol=1e-5, atol=1e-6
        )
    # a sample cut to its real length gives the same output as inside the padded batch
    i = int(np.flatnonzero(np.isnan(X[:, :, 0]).any(axis=1))[0])  # a sample with padding
    n_real = int((~np.isnan(X[i, :, 0])).sum())
    one = est.predict(X[i : i + 1, :n_real])
    if Est is HybridCNNLSTMRegressor:
        np.testing.assert_allclose(one, est.predict(X)[i : i + 1], rtol=BATCH_RTOL, atol=BATCH_ATOL)
    else:
        np.testing.assert_array_equal(one, est.predict(X)[i : i + 1])


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_input_order_does_not_change_the_batches_or_any_output(Est, data, monkeypatch):
    X, *_ = data
    est = Est(**{**FAST, "batch_size": 16}).fit(X, target(Est, data))
    module = est.net_.module_
    batches, batch_lengths = [], []
    frame_states = module.frame_states

    def recorded(x, lengths):
        batches.append(sorted(map(bytes, x.numpy())))
        batch_lengths.append(lengths.tolist())
        return frame_states(x, lengths)

    monkeypatch.setattr(module, "frame_states", recorded)
    perm = np.random.default_rng(0).permutation(len(X))
    methods = ["predict"] + (
        ["predict_proba", "predict_proba_frames"] if Est is HybridCNNLSTMClassifier
        else ["predict_frames"]
    )  # fmt: skip
    for method in methods:
        batches.clear()
        out = getattr(est, method)(X)
        seen, batches[:] = list(batches), []
        permuted = getattr(est, method)(X[perm])
        assert batches == seen  # the same clips in the same batches, whatever the order
        np.testing.assert_array_equal(permuted, out[perm])  # hence bit-identical outputs
    # longest clips first, so that each batch holds clips of similar lengths (little padding)
    longest_first = sorted(sequence_lengths(X).tolist(), reverse=True)
    assert batch_lengths[-len(seen) :] == [longest_first[i : i + 16] for i in range(0, len(X), 16)]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_a_clips_output_does_not_depend_on_the_clips_beside_it(Est, data):
    # Exact in real arithmetic; in float32 the batch shape changes the summation order, so
    # the outputs agree within the tolerance the float32 code guarantees (conftest).
    X, *_ = data
    est = Est(**FAST).fit(X, target(Est, data))
    method = "predict_proba" if Est is HybridCNNLSTMClassifier else "predict"
    full = getattr(est, method)(X)
    for i in range(0, len(X), 9):
        np.testing.assert_allclose(
            getattr(est, method)(X[i : i + 1]), full[i : i + 1], rtol=BATCH_RTOL, atol=BATCH_ATOL
        )
    half = getattr(est, method)(X[::2])
    np.testing.assert_allclose(half, full[::2], rtol=BATCH_RTOL, atol=BATCH_ATOL)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_frame_predictions_are_causal(Est, data):
    X, *_ = data
    est = Est(**FAST).fit(X, target(Est, data))
    frames = est.predict_proba_frames if Est is HybridCNNLSTMClassifier else est.predict_frames
    X = X[:, :8].copy()
    X[np.isnan(X)] = 0.0
    before = frames(X)
    changed = X.copy()
    changed[:, 5:] += 3.0
    after = frames(changed)
    np.testing.assert_allclose(before[:, :5], after[:, :5], rtol=1e-5, atol=1e-6)
    assert not np.allclose(before[:, 5:], after[:, 5:])
    # the last frame's output is the clip-level prediction
    clip = est.predict_proba(X) if Est is HybridCNNLSTMClassifier else est.predict(X)
    np.testing.assert_allclose(before[:, -1], clip.reshape(len(X), -1), rtol=1e-4, atol=1e-5)


def test_frame_predictions_are_nan_on_padding(fitted_clf, data):
    X, *_ = data
    proba = fitted_clf.predict_proba_frames(X)
    pad = np.isnan(X).all(axis=2)
    assert np.isnan(proba[pad]).all() and np.isfinite(proba[~pad]).all()


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_same_seed_same_model_and_global_rng_untouched(Est, data):
    X, *_ = data
    y = target(Est, data)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = Est(**FAST).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)
    b = Est(**FAST).fit(X, y)
    c = Est(**{**FAST, "random_state": SEED + 1}).fit(X, y)
    out = "predict_proba" if Est is HybridCNNLSTMClassifier else "predict"
    np.testing.assert_array_equal(getattr(a, out)(X), getattr(b, out)(X))
    assert not np.allclose(getattr(a, out)(X), getattr(c, out)(X))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_clone_is_unfitted_and_persistence_round_trips(Est, data, tmp_path):
    X, *_ = data
    est = Est(**FAST).fit(X, target(Est, data))
    fresh = clone(est)
    assert not hasattr(fresh, "net_")
    with pytest.raises(NotFittedError):
        fresh.predict(X)
    joblib.dump(est, tmp_path / "m.joblib")
    for loaded in (joblib.load(tmp_path / "m.joblib"), pickle.loads(pickle.dumps(est))):
        np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_early_stopping_records_validation_and_restores_best(data):
    from sk_deepsense.neural._data import valid_split

    X, y, _ = data
    y = np.random.default_rng(0).permutation(y)  # unlearnable: validation loss soon rises
    clf = HybridCNNLSTMClassifier(
        **{**FAST, "early_stopping": True, "patience": 2, "max_epochs": 30}
    ).fit(X, y)
    valid = clf.history_[:, "valid_loss"]
    best_epoch = int(np.flatnonzero(clf.history_[:, "valid_loss_best"])[-1]) + 1
    # stopped `patience` epochs after the best one, before max_epochs
    assert len(valid) < 30 and len(valid) - best_epoch == 2
    # the weights in use are the best epoch's: they reproduce its validation loss
    assert clf.history_[best_epoch - 1, "valid_loss"] == min(valid)
    seed = int(np.random.RandomState(SEED).randint(np.iinfo(np.int32).max))  # as fit does
    codes = np.searchsorted(clf.classes_, y)
    _, held_out = valid_split(codes, seed, clf.validation_fraction, stratify=True)
    proba = clf.predict_proba(X[held_out])
    loss = -np.mean(np.log(proba[np.arange(len(held_out)), codes[held_out]]))
    np.testing.assert_allclose(loss, min(valid), rtol=1e-4)


def test_early_stopping_on_too_few_samples_is_explained():
    X = np.zeros((1, 3, 4), np.float32)
    with pytest.raises(ValueError, match="validation_fraction"):
        HybridCNNLSTMRegressor(early_stopping=True).fit(X, [1.0])


def test_grid_search_over_filter_size(data):
    X, y, _ = data
    gs = GridSearchCV(
        HybridCNNLSTMClassifier(**{**FAST, "max_epochs": 4}), {"filter_size": [3, 5]}, cv=2
    ).fit(X, y)
    assert gs.best_params_["filter_size"] in (3, 5)
    assert gs.best_estimator_.net_.module_.conv[0].kernel_size == (gs.best_params_["filter_size"],)


def test_2d_input_is_one_frame_per_sample():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    clf = HybridCNNLSTMClassifier(**{**FAST, "max_epochs": 30}).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), clf.predict(X[:, None, :]))
    assert clf.score(X, y) > 0.8


class TestBadInput:
    def test_nan_inside_a_real_frame(self, fitted_clf, data):
        X = data[0].copy()
        X[2, 1, 4] = np.nan
        with pytest.raises(ValueError, match="sample 2, frame 1"):
            fitted_clf.predict(X)

    def test_padding_before_real_frames(self, fitted_clf, data):
        X = data[0].copy()
        X[3] = 0.0
        X[3, 1] = np.nan
        with pytest.raises(ValueError, match="sample 3 .*padding must come at the end"):
            fitted_clf.predict(X)

    def test_all_padding_sample(self, fitted_clf, data):
        X = data[0].copy()
        X[0] = np.nan
        with pytest.raises(ValueError, match="sample 0 has no real frame"):
            fitted_clf.predict(X)

    def test_infinity(self, fitted_clf, data):
        X = data[0].copy()
        X[0, 0, 0] = np.inf
        with pytest.raises(ValueError, match="infinity"):
            fitted_clf.predict(X)

    def test_wrong_number_of_coefficients(self, fitted_clf, data):
        with pytest.raises(ValueError, match="X has 9 features"):
            fitted_clf.predict(data[0][:, :, :9])

    @pytest.mark.parametrize(
        "param, value", [("filter_size", 0), ("pooling", "max"), ("dropout", 1.5), ("lr", -1.0)]
    )
    def test_bad_hyperparameter_is_named(self, data, param, value):
        with pytest.raises(ValueError, match=param):
            HybridCNNLSTMClassifier(**{**FAST, param: value}).fit(data[0], data[1])


class TestTrainChunks:
    def test_chunk_sequences_cuts_keeps_and_labels(self):
        from sk_deepsense.features._padding import chunk_sequences

        X = np.arange(3 * 10 * 2, dtype=np.float32).reshape(3, 10, 2)
        lengths = np.array([10, 3, 7])
        X[1, 3:] = 0
        X[2, 7:] = 0
        chunks, sizes, y = chunk_sequences(X, lengths, np.array(["a", "b", "c"]), 4)
        # 10 -> 4, 4, 2 (kept: >= half); 3 -> 3 (its only piece); 7 -> 4, 3
        assert sizes.tolist() == [4, 4, 2, 3, 4, 3]
        assert y.tolist() == ["a", "a", "a", "b", "c", "c"]
        np.testing.assert_array_equal(chunks[1], X[0, 4:8])
        np.testing.assert_array_equal(chunks[2, :2], X[0, 8:10])
        assert (chunks[2, 2:] == 0).all() and (chunks[3, 3:] == 0).all()
        np.testing.assert_array_equal(chunks[5, :3], X[2, 4:7])

    def test_training_sees_chunks_and_validation_whole_clips(self, data):
        X, y, _ = data
        lengths = (~np.isnan(X[:, :, 0])).sum(axis=1)
        consecutive = {**FAST, "train_chunk": 4, "chunking": "consecutive", "max_epochs": 2}
        clf = HybridCNNLSTMClassifier(**consecutive).fit(X, y)
        seen = sum(clf.history_[0, "batches", :, "train_batch_size"])
        expected = sum(len([s for s in range(0, n, 4) if n - s >= 2 or s == 0]) for n in lengths)
        assert seen == expected > len(X)

        clf = HybridCNNLSTMClassifier(
            **{
                **FAST,
                "train_chunk": 4,
                "max_epochs": 2,
                "early_stopping": True,
                "validation_fraction": 0.2,
            }
        ).fit(X, y)
        assert sum(clf.history_[0, "batches", :, "valid_batch_size"]) == 18  # whole clips
        assert clf.net_.train_split is None  # no validation data kept inside the model

    def test_none_trains_on_whole_sequences(self, data):
        X, y, _ = data
        clf = HybridCNNLSTMClassifier(**{**FAST, "train_chunk": None, "max_epochs": 1}).fit(X, y)
        assert sum(clf.history_[0, "batches", :, "train_batch_size"]) == len(X)

    def test_random_chunking_draws_one_window_per_clip_and_epoch(self, data):
        from sk_deepsense.neural._data import _RandomCropDataset

        X, y, _ = data
        params = {**FAST, "train_chunk": 4, "chunking": "random", "max_epochs": 2}
        clf = HybridCNNLSTMClassifier(**params).fit(X, y)
        assert sum(clf.history_[0, "batches", :, "train_batch_size"]) == len(X)

        lengths = (~np.isnan(X[:, :, 0])).sum(axis=1)
        ds = _RandomCropDataset(np.nan_to_num(X), lengths, np.arange(len(X)), 4)
        torch.manual_seed(0)
        starts = set()
        for _ in range(30):
            item, target = ds[0]
            assert item["x"].shape == (4, X.shape[2]) and target == 0
            starts.add(int(np.flatnonzero((np.nan_to_num(X[0]) == item["x"][0]).all(1))[0]))
        assert len(starts) > 3 and max(starts) <= lengths[0] - 4  # varied, always inside
        short = int(np.argmin(lengths))
        item, _ = ds[short]
        assert item["lengths"] == min(lengths[short], 4)

    def test_random_chunking_is_reproducible_and_differs_from_consecutive(self, data):
        X, y, _ = data
        params = {**FAST, "train_chunk": 4, "max_epochs": 3}
        p1 = HybridCNNLSTMClassifier(**params, chunking="random").fit(X, y).predict_proba(X)
        p2 = HybridCNNLSTMClassifier(**params, chunking="random").fit(X, y).predict_proba(X)
        p3 = HybridCNNLSTMClassifier(**params, chunking="consecutive").fit(X, y).predict_proba(X)
        np.testing.assert_array_equal(p1, p2)
        assert not np.allclose(p1, p3)


@pytest.mark.parametrize("architecture", ["hybrid", "conv1d", "conv2d", "lstm", "hybrid_nolstm"])
def test_every_architecture_learns_and_counts_its_parameters(data, architecture):
    X, y, _ = data
    clf = HybridCNNLSTMClassifier(**{**FAST, "architecture": architecture}).fit(X, y)
    assert clf.score(X, y) > 0.8
    assert clf.net_.module_.architecture == architecture
    assert clf.n_parameters_ == sum(p.numel() for p in clf.net_.module_.parameters()) > 0
    assert clf.predict_proba_frames(X[:2]).shape == (2, X.shape[1], 3)


def test_architecture_is_a_grid_search_parameter(data):
    X, y, _ = data
    grid = GridSearchCV(
        HybridCNNLSTMClassifier(**{**FAST, "max_epochs": 3}),
        {"architecture": ["hybrid", "lstm"]},
        cv=2,
    ).fit(X, y)
    assert [p["architecture"] for p in grid.cv_results_["params"]] == ["hybrid", "lstm"]


def test_unknown_architecture_is_named(data):
    with pytest.raises(ValueError, match="architecture"):
        HybridCNNLSTMClassifier(**{**FAST, "architecture": "resnet"}).fit(data[0], data[1])


# ------------------------------------------------------------------ the small-data recipe
class TestRecipe:
    @pytest.mark.parametrize("architecture", ["hybrid", "conv1d"])  # features once / not
    @pytest.mark.parametrize("Est", ESTIMATORS)
    def test_window_prediction_is_the_mean_of_the_windows(self, Est, architecture, data):
        X, *_ = data
        est = Est(**{**FAST, "architecture": architecture}).fit(X, target(Est, data))
        assert est.net_.module_.frames_independent is (architecture == "hybrid")
        method = "predict_proba" if Est is HybridCNNLSTMClassifier else "predict"
        windowed = clone(est).set_params(predict_window=5, predict_hop=2)
        windowed.net_, windowed.nets_ = est.net_, est.nets_
        windowed.classes_ = getattr(est, "classes_", None)
        for attr in ("n_features_in_", "target_mean_", "target_scale_", "y_ndim_"):
            if hasattr(est, attr):
                setattr(windowed, attr, getattr(est, attr))
        got = getattr(windowed, method)(X)
        for i in (0, 1, 5):  # clips of various lengths (some padded)
            n = int(sequence_lengths(X[i : i + 1])[0])
            starts = sorted({*range(0, max(n - 5, 0) + 1, 2), max(n - 5, 0)})
            parts = np.concatenate([X[i : i + 1, s : min(s + 5, n)] for s in starts])
            expected = getattr(est, method)(parts).mean(axis=0)
            np.testing.assert_allclose(got[i], expected, rtol=BATCH_RTOL, atol=BATCH_ATOL)
        # a window longer than every clip is one pass over each whole clip
        windowed.set_params(predict_window=1000)
        np.testing.assert_allclose(
            getattr(windowed, method)(X), getattr(est, method)(X), rtol=BATCH_RTOL, atol=BATCH_ATOL
        )

    @pytest.mark.parametrize("architecture", ["hybrid", "lstm", "hybrid_nolstm"])
    def test_windows_cut_from_frame_features_equal_windows_cut_from_x(
        self, architecture, data, monkeypatch
    ):
        from sk_deepsense.neural import HybridCNNLSTMModule

        X, y, _ = data
        est = HybridCNNLSTMClassifier(
            **{**FAST, "architecture": architecture, "predict_window": 6, "predict_hop": 2}
        ).fit(X, y)
        fast = est.predict_proba(X)
        monkeypatch.setattr(HybridCNNLSTMModule, "frames_independent", property(lambda m: False))
        slow = est.predict_proba(X)
        np.testing.assert_allclose(fast, slow, rtol=BATCH_RTOL, atol=BATCH_ATOL)

    def test_masks_change_training_only(self):
        from sk_deepsense.neural import HybridCNNLSTMModule

        torch.manual_seed(0)
        from sk_deepsense.neural._params import module_defaults

        sizes = dict(n_coefficients=12, n_outputs=3, feature_mean=np.full(12, 7.0))
        sizes.update(feature_scale=None, frame_outputs=False)
        small = dict(n_filters=4, lstm_hidden_size=8, dropout=0.0)
        m = HybridCNNLSTMModule(**sizes, **module_defaults(**small, freq_mask=1 / 3, time_mask=0.3))
        plain = HybridCNNLSTMModule(**sizes, **module_defaults(**small, freq_mask=0, time_mask=0))
        plain.load_state_dict(m.state_dict())
        x, lengths = torch.randn(64, 10, 12), torch.tensor([10, 6] * 32)
        m.eval(), plain.eval()
        torch.testing.assert_close(m(x, lengths), plain(x, lengths))  # prediction: no masks
        masked = m.augment(x, lengths)
        changed = masked != x
        assert (masked[changed] == 7.0).all()  # masked values are the feature mean
        bands = changed.all(dim=1)  # (batch, coef): coefficients masked in every frame
        spans = changed.all(dim=2)  # (batch, frame): frames masked in every coefficient
        # up to a third of the 12 coefficients; up to 30 % of the 10 (or 6) real frames
        assert 0 < bands.sum(1).max() <= 4 and 0 < spans[::2].sum(1).max() <= 3
        assert spans[1::2].sum(1).max() <= 1 and not spans[1::2, 6:].any()  # inside real frames
        assert (changed == (bands[:, None, :] | spans[:, :, None])).all()
        m.train()
        assert not torch.allclose(m(x, lengths), plain(x, lengths))

    def test_refit_trains_on_every_clip_for_the_chosen_epochs(self, data):
        X, y, _ = data
        params = {
            **FAST,
            "early_stopping": True,
            "patience": 3,
            "max_epochs": 12,
            "train_chunk": None,
        }
        plain = HybridCNNLSTMClassifier(**params).fit(X, y)
        refit = HybridCNNLSTMClassifier(**params, refit=True).fit(X, y)
        assert refit.best_epoch_ == plain.best_epoch_ >= 1
        assert refit.history_[:, "valid_loss"] == plain.history_[:, "valid_loss"]
        epochs = refit.net_.history
        assert len(epochs) == refit.best_epoch_
        assert all(
            sum(b.get("train_batch_size", 0) for b in e["batches"]) == len(X) for e in epochs
        )
        assert sum(b.get("train_batch_size", 0) for b in plain.history_[-1]["batches"]) < len(X)
        assert not np.allclose(refit.predict_proba(X), plain.predict_proba(X))
        with pytest.raises(ValueError, match="refit=True .* early_stopping=True"):
            HybridCNNLSTMClassifier(**FAST, refit=True).fit(X, y)

    @pytest.mark.parametrize("Est", ESTIMATORS)
    def test_mixup_trains_differently_reproducibly_and_still_learns(self, Est, data):
        X, *_ = data
        y = target(Est, data)
        out = "predict_proba" if Est is HybridCNNLSTMClassifier else "predict"
        a = getattr(Est(**FAST, mixup=0.4).fit(X, y), out)(X)
        b = getattr(Est(**FAST, mixup=0.4).fit(X, y), out)(X)
        plain = Est(**FAST).fit(X, y)
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, getattr(plain, out)(X))
        Xt, yt, avt = sequences(seed=1)
        assert (
            Est(**FAST, mixup=0.4)
            .fit(X, y)
            .score(Xt, yt if Est is HybridCNNLSTMClassifier else avt)
            > 0.5
        )

    @pytest.mark.parametrize("Est", ESTIMATORS)
    def test_ensemble_averages_networks_whose_first_is_the_single_one(self, Est, data, tmp_path):
        from sk_deepsense import load_model, save_model

        X, *_ = data
        y = target(Est, data)
        params = {**FAST, "max_epochs": 4}
        single = Est(**params).fit(X, y)
        ensemble = Est(**{**params, "n_ensemble": 3}).fit(X, y)
        assert len(ensemble.nets_) == 3 and ensemble.net_ is ensemble.nets_[0]
        assert ensemble.n_parameters_ == 3 * single.n_parameters_
        out = "predict_proba" if Est is HybridCNNLSTMClassifier else "predict"

        def member(net):  # the estimator with one of the networks alone
            alone = clone(ensemble).set_params(n_ensemble=1)
            alone.__dict__.update(
                {k: v for k, v in vars(ensemble).items() if k.endswith("_") or k == "y_ndim_"}
            )
            alone.net_, alone.nets_ = net, [net]
            return getattr(alone, out)(X)

        members = [member(net) for net in ensemble.nets_]
        np.testing.assert_array_equal(members[0], getattr(single, out)(X))
        assert not np.allclose(members[0], members[1])
        np.testing.assert_allclose(
            getattr(ensemble, out)(X), np.mean(members, axis=0), rtol=1e-5, atol=1e-6
        )
        loaded = load_model(save_model(ensemble, tmp_path / "ensemble.skds"))
        assert len(loaded.nets_) == 3
        np.testing.assert_array_equal(getattr(loaded, out)(X), getattr(ensemble, out)(X))
