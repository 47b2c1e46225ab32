"""SequenceStatistics and the classical baselines built on it."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils import get_tags

from sk_deepsense import MFCCTransformer, SequenceStatistics, make_baseline
from sk_deepsense.baselines import BASELINES


def padded(seed=0):
    """Three sequences of 6, 3 and 1 real frames, NaN-padded to 6."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, 6, 4)).astype(np.float32)
    X[1, 3:] = np.nan
    X[2, 1:] = np.nan
    return X


def real_frames(X, i):
    x = X[i]
    return x[~np.isnan(x).all(axis=1)].astype(np.float64)


def test_statistics_cover_the_real_frames_only():
    X = padded()
    st = SequenceStatistics(
        statistics=("mean", "std", "min", "max", "median"), percentiles=(10, 90)
    )
    out = st.fit_transform(X)
    assert out.shape == (3, 7 * 4) and out.dtype == np.float32
    for i in range(3):
        x = real_frames(X, i)
        expected = np.hstack(
            [
                x.mean(0),
                x.std(0),
                x.min(0),
                x.max(0),
                np.median(x, 0),
                np.percentile(x, 10, axis=0),
                np.percentile(x, 90, axis=0),
            ]
        )
        np.testing.assert_allclose(out[i], expected, rtol=1e-5, atol=1e-6)


def test_padding_amount_does_not_change_the_statistics():
    X = padded()
    st = SequenceStatistics(percentiles=(50,), deltas=True).fit(X)
    wider = np.concatenate([X, np.full((3, 4, 4), np.nan, np.float32)], axis=1)
    np.testing.assert_allclose(st.transform(wider), st.transform(X))


def test_delta_statistics_are_those_of_frame_differences():
    X = padded()
    out = SequenceStatistics(deltas=True).fit_transform(X)
    assert out.shape == (3, 16)
    for i in (0, 1):
        d = np.diff(real_frames(X, i), axis=0)
        np.testing.assert_allclose(
            out[i, 8:], np.hstack([d.mean(0), d.std(0)]), rtol=1e-5, atol=1e-6
        )
    np.testing.assert_array_equal(out[2, 8:], 0.0)  # one frame: no movement


def test_feature_names_follow_the_columns():
    X = padded()
    st = SequenceStatistics(statistics=("mean",), percentiles=(90,), deltas=True).fit(X)
    names = st.get_feature_names_out()  # no names seen: x0 .. as in scikit-learn
    assert list(names[:5]) == ["x0_mean", "x1_mean", "x2_mean", "x3_mean", "x0_p90"]
    assert names[8] == "x0_delta_mean" and len(names) == st.transform(X).shape[1]
    assert names[-1] == "x3_delta_p90"
    assert st.get_feature_names_out(list("abcd"))[0] == "a_mean"
    with pytest.raises(ValueError, match="input_features should have length equal"):
        st.get_feature_names_out(list("abc"))


def test_names_come_from_dataframe_columns():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(np.arange(8.0).reshape(2, 4), columns=list("abcd"), index=[7, 9])
    st = SequenceStatistics().set_output(transform="pandas")
    out = st.fit_transform(df)
    assert list(out.columns[:2]) == ["a_mean", "b_mean"] and list(out.index) == [7, 9]
    np.testing.assert_array_equal(out.to_numpy(), SequenceStatistics().fit_transform(df))


def test_pandas_output_of_the_statistics_step():
    pd = pytest.importorskip("pandas")
    X = padded()
    st = SequenceStatistics(percentiles=(90,)).set_output(transform="pandas").fit(X)
    out = st.transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(st.get_feature_names_out())
    assert out.columns[0] == "x0_mean"
    np.testing.assert_array_equal(
        out.to_numpy(), SequenceStatistics(percentiles=(90,)).fit_transform(X)
    )


def test_names_travel_from_the_audio_transformer_through_a_pipeline():
    pd = pytest.importorskip("pandas")
    t = np.arange(22050) / 22050
    waves = [np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 220 * t[:11025])]
    pipe = Pipeline(
        [
            ("features", MFCCTransformer(duration=1.0, n_mfcc=5, deltas=1)),
            ("stats", SequenceStatistics(deltas=True)),
        ]
    ).fit(waves)
    names = pipe.get_feature_names_out()
    assert names[3] == "mfcc3_mean" and names[5] == "delta_mfcc0_mean"
    assert names[10] == "mfcc0_std" and names[-1] == "delta_mfcc4_delta_std"
    plain = pipe.transform(waves)
    assert len(names) == plain.shape[1]

    named = clone(pipe).set_output(transform="pandas")
    out = named.fit_transform(waves)
    assert isinstance(out, pd.DataFrame) and out.columns.tolist() == names.tolist()
    np.testing.assert_array_equal(out.to_numpy(), plain)
    assert named[-1].coefficient_names_in_[3] == "mfcc3"
    assert "coefficient_names_in_" not in vars(pipe[-1])  # plain arrays carry no names
    # refitting on unnamed sequences forgets the names
    stats = named[-1]
    stats.fit(pipe[0].transform(waves))
    assert stats.get_feature_names_out()[0] == "x0_mean"


def test_baseline_pipelines_name_their_statistics_and_output_pandas():
    pd = pytest.importorskip("pandas")
    X, y, _ = blobs()
    pipe = make_baseline("logreg").set_output(transform="pandas").fit(X, y)
    assert pipe[:-1].get_feature_names_out()[0] == "x0_mean"
    assert isinstance(pipe[:-1].transform(X), pd.DataFrame)
    assert pipe.score(X, y) > 0.9
    t = np.arange(22050) / 22050
    waves = [np.sin(2 * np.pi * f * t) for f in (220, 440, 880, 1760)]
    audio = make_baseline("logreg", features=MFCCTransformer(duration=1.0, n_mfcc=4))
    audio.set_output(transform="pandas").fit(waves, [0, 0, 1, 1])
    assert audio[:-1].get_feature_names_out()[:2].tolist() == ["mfcc0_mean", "mfcc1_mean"]
    assert audio[:-1].transform(waves).columns[0] == "mfcc0_mean"
    assert audio.predict(waves).tolist() == [0, 0, 1, 1]


def test_three_d_input_is_tagged():
    tags = get_tags(SequenceStatistics())
    assert tags.input_tags.three_d_array and tags.input_tags.two_d_array


def test_two_dimensional_input_is_one_frame_per_sample():
    X2 = np.arange(8, dtype=np.float32).reshape(2, 4)
    out = SequenceStatistics().fit_transform(X2)
    np.testing.assert_array_equal(out, np.hstack([X2, np.zeros_like(X2)]))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"statistics": ("mean", "skew")}, "Unknown statistics"),
        ({"percentiles": (120,)}, r"percentiles must lie in \[0, 100\]"),
        ({"statistics": (), "percentiles": ()}, "Nothing to compute"),
    ],
)
def test_bad_parameters_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        SequenceStatistics(**params).fit(padded())


def test_nan_inside_a_real_frame_names_the_sample():
    X = padded()
    X[1, 0, 2] = np.nan
    with pytest.raises(ValueError, match="sample 1, frame 0"):
        SequenceStatistics().fit(X)


def test_transform_checks_the_number_of_coefficients():
    st = SequenceStatistics().fit(padded())
    with pytest.raises(ValueError, match="features"):
        st.transform(padded()[:, :, :3])


def test_statistics_pipeline_on_audio_paths(audio_corpus):
    paths, labels = audio_corpus
    pipe = make_pipeline(MFCCTransformer(sr=16000, duration=None), make_baseline("svm"))
    pipe.fit(paths[:36], labels[:36])
    assert pipe.score(paths[36:], labels[36:]) > 0.8  # the three classes are easy


# ---------------------------------------------------------------------------- baselines
def blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, 8, 5)).astype(np.float32)
    X[:, :, :2] += 4.0 * y[:, None, None]
    X[::4, 5:] = np.nan
    av = np.c_[y - 1.0, (y == 1) * 1.0] + 0.1 * rng.normal(size=(n, 2))
    return X, y, av


@pytest.mark.parametrize("model", BASELINES)
def test_every_classification_baseline_learns(model):
    X, y, _ = blobs()
    pipe = make_baseline(model, random_state=0).fit(X[:45], y[:45])
    score = pipe.score(X[45:], y[45:])
    if model == "majority":
        assert pipe.predict(X[45:]).tolist() == [0] * 15 and score == pytest.approx(1 / 3)
    else:
        assert score > 0.9


@pytest.mark.parametrize("model", BASELINES)
@pytest.mark.parametrize("two_targets", [True, False])
def test_every_regression_baseline_handles_one_or_two_targets(model, two_targets):
    X, _, av = blobs()
    target = av if two_targets else av[:, 0]
    pipe = make_baseline(model, task="regression", random_state=0).fit(X[:45], target[:45])
    pred = pipe.predict(X[45:])
    assert pred.shape == target[45:].shape
    if model != "majority":
        assert np.corrcoef(pred.reshape(15, -1)[:, 0], av[45:, 0])[0, 1] > 0.9


def test_baseline_uses_the_given_statistics():
    pipe = make_baseline("knn", statistics=SequenceStatistics(deltas=True))
    assert pipe.named_steps["stats"].deltas
    assert [n for n, _ in pipe.steps] == ["stats", "scale", "model"]


@pytest.mark.parametrize(
    "kwargs, match",
    [({"model": "xgboost"}, "Unknown baseline"), ({"task": "ranking"}, "task must be")],
)
def test_make_baseline_rejects_unknown_names(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_baseline(**kwargs)
