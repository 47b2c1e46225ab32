"""The benchmark: shared splits, metrics, tables and files (its command: test_cli_benchmark)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from sk_deepsense import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor, make_baseline
from sk_deepsense.benchmark import default_models, run_benchmark

TINY = dict(
    n_filters=4, filter_size=3, lstm_hidden_size=8, max_epochs=2, early_stopping=False, n_ensemble=1
)


def sequences(n=40, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["Q1", "Q2"])[np.arange(n) % 2]
    X = rng.normal(size=(n, 10, 6)).astype(np.float32)
    X[y == "Q2", :, :2] += 2.0
    X[::3, 7:] = np.nan
    groups = np.arange(n) // 4  # ten "artists" of four clips
    return X, y, groups


def test_run_benchmark_scores_every_model_on_the_same_folds(tmp_path):
    X, y, groups = sequences()
    models = {
        "majority": lambda seed: make_baseline("majority"),
        "svm": lambda seed: make_baseline("svm"),
        "hybrid": lambda seed: HybridCNNLSTMClassifier(**TINY, random_state=seed),
    }
    result = run_benchmark(X, y, groups=groups, models=models, n_splits=3, verbose=False)
    assert [(r["model"], r["fold"]) for r in result.folds] == [
        (m, k) for m in models for k in range(3)
    ]
    for k in range(3):
        rows = [r for r in result.folds if r["fold"] == k]
        assert len({r["n_test"] for r in rows}) == 1  # identical test folds
    summary = {s["model"]: s for s in result.summary()}
    assert summary["majority"]["accuracy"] == pytest.approx(0.5, abs=0.1)
    assert summary["svm"]["accuracy"] > 0.9  # the classes are easy
    assert summary["hybrid"]["n_parameters"] > 0 and summary["hybrid"]["epochs"] == 2
    assert summary["svm"]["n_parameters"] == ""
    svm_line = next(line for line in result.table().splitlines() if line.startswith("| svm |"))
    acc = summary["svm"]["accuracy"]
    assert f"| {acc:.3f} ± {summary['svm']['accuracy_std']:.3f} |" in svm_line

    written = result.save(tmp_path)
    assert {p.name for p in written} == {"folds.csv", "summary.csv", "results.json", "scores.png"}
    with (tmp_path / "folds.csv").open() as f:
        assert len(list(csv.DictReader(f))) == 9
    payload = json.loads((tmp_path / "results.json").read_text())
    assert payload["metrics"] == ["accuracy", "macro_f1"]
    assert (tmp_path / "scores.png").stat().st_size > 1000


def test_network_rows_of_pipelines_fill_the_parameters_and_epochs_columns():
    # every row of the default table is a pipeline: the network is its final step
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y, groups = sequences(n=24)
    models = {
        "svm": lambda seed: make_baseline("svm"),
        "net": lambda seed: Pipeline(
            [("id", FunctionTransformer()), ("model", HybridCNNLSTMClassifier(**TINY))]
        ),
    }
    result = run_benchmark(X, y, groups=groups, models=models, n_splits=2, verbose=False)
    assert result.networks == ["net"]
    rows = [r for r in result.folds if r["model"] == "net"]
    n_params = HybridCNNLSTMClassifier(**TINY).fit(X, y).n_parameters_
    assert [(r["n_parameters"], r["epochs"]) for r in rows] == [(n_params, 2)] * 2
    net = {s["model"]: s for s in result.summary()}["net"]
    assert (net["n_parameters"], net["epochs"]) == (n_params, 2.0)
    # training throughput counts every epoch of every training clip
    clip_epochs = sum(r["n_train"] * 2 for r in rows)
    assert net["train_clips_per_s"] == pytest.approx(clip_epochs / sum(r["fit_s"] for r in rows))
    line = next(line for line in result.table().splitlines() if line.startswith("| net |"))
    assert line.endswith(f"| {n_params:,} | 2 |")


def test_run_benchmark_leaves_the_callers_torch_threads_alone():
    import torch

    X, y, groups = sequences()
    models = {"hybrid": lambda seed: HybridCNNLSTMClassifier(**TINY, random_state=seed)}
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, before - 1) if before > 1 else 2)
    wanted = torch.get_num_threads()
    try:
        run_benchmark(X, y, groups=groups, models=models, n_splits=2, verbose=False)
        assert torch.get_num_threads() == wanted
    finally:
        torch.set_num_threads(before)


def test_run_benchmark_regression_reports_rmse_r_and_ccc():
    X, _, groups = sequences()
    rng = np.random.default_rng(1)
    av = np.c_[np.nanmean(X[:, :, 0], axis=1), rng.normal(size=len(X))]
    models = {
        "mean": lambda seed: make_baseline("majority", task="regression"),
        "ridge": lambda seed: make_baseline("logreg", task="regression"),
        "hybrid": lambda seed: HybridCNNLSTMRegressor(**TINY, random_state=seed),
    }
    result = run_benchmark(
        X,
        av,
        groups=groups,
        task="regression",
        models=models,
        n_splits=3,
        target_names=["arousal", "valence"],
        verbose=False,
    )
    assert result.metrics == [
        f"{t}_{m}" for t in ("arousal", "valence") for m in ("rmse", "r", "ccc")
    ]
    summary = {s["model"]: s for s in result.summary()}
    assert summary["ridge"]["arousal_r"] > 0.9  # arousal is the mean of coefficient 0
    assert summary["mean"]["arousal_ccc"] == pytest.approx(0.0, abs=1e-9)


def test_default_models_are_pipelines_on_audio_paths():
    from sklearn.ensemble import VotingClassifier

    from sk_deepsense import LogMelTransformer, MFCCTransformer
    from sk_deepsense.features import DescriptorTransformer

    models = default_models(memory="cache", features={"duration": 5.0, "n_mfcc": 13})
    assert list(models)[:3] == ["recommended", "majority", "svm"] and list(models)[-1] == "fusion"
    recommended = models["recommended"](0)
    assert type(recommended[0]).__name__ == "MusicnnTransformer"
    assert (recommended[0].memory, recommended[0].duration) == ("cache", 5.0)
    nets = [models[n](0) for n in ("hybrid", "conv1d+lstm", "conv2d+lstm", "lstm")]
    assert [m[-1].architecture for m in nets] == ["hybrid", "conv1d", "conv2d", "lstm"]
    assert all(isinstance(m[0], LogMelTransformer) for m in nets)
    design_card = models["hybrid, MFCC"](0)
    assert isinstance(design_card[0], MFCCTransformer) and design_card[0].n_mfcc == 13
    # the defaults, but the runner's threads (cpu_count // n_jobs) instead of one
    want = HybridCNNLSTMClassifier(random_state=0, n_threads=None).get_params()
    assert design_card[-1].get_params() == want
    strongest = models["svm, descriptors"](0)
    assert isinstance(strongest[0], DescriptorTransformer) and strongest[0].hop_length == 1024
    assert all(t.memory == "cache" and t.duration == 5.0 for t in (nets[0][0], strongest[0]))
    fusion = models["fusion"](3)
    assert isinstance(fusion, VotingClassifier)
    assert fusion.estimators[0][1][-1].random_state == 3
    assert models["hybrid, no lstm"](3)[-1].get_params()["random_state"] == 3
    regression = default_models("regression", neural={"max_epochs": 1})
    assert "mean" in regression and "fusion" not in regression
    assert regression["hybrid"](0)[-1].max_epochs == 1


def test_the_default_tables_networks_are_found_by_what_they_declare():
    from sk_deepsense.benchmark import is_network

    models = default_models()
    networks = [name for name, factory in models.items() if is_network(factory(0))]
    # the fusion holds the hybrid; the recommended model's pre-trained front end trains none
    assert networks == [
        "hybrid, MFCC", "hybrid", "conv1d+lstm", "conv2d+lstm", "lstm", "hybrid, no lstm", "fusion"
    ]  # fmt: skip
