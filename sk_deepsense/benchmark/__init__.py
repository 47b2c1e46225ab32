"""Benchmark the hybrid CNN + LSTM against its ablations and classical baselines.

Every model of the command line's table is a pipeline on audio paths, as a user would build
it; each kind of feature (MFCCs, log-mel bands, descriptors) is extracted once into a shared
cache. Every model sees the same cross-validation splits: stratified and artist-grouped
when the dataset names artists, so that no artist straddles training and test data. The
result is a table of accuracy and macro-F1 (or RMSE, Pearson r and concordance correlation
for arousal/valence), fit and predict times and parameter counts, plus a speed section
measured in the same run, written to CSV, JSON and a plot.

Run it from the command line, its one entry point (``python -m sk_deepsense benchmark`` is
the same command)::

    sk-deepsense benchmark --dataset 4q --data-dir PATH/4q --folds 5 -o DIR

or from Python with :func:`~sk_deepsense.benchmark.run_benchmark`, on audio paths or on
features you already have.

The package runs and reports; the command line (``sk_deepsense.cli.benchmark``, a layer
above) parses options, and this package never imports it.
Its modules: ``_models`` (the model zoo), ``_runner`` (scheduling ``cross_validate`` over
models and folds), ``_result`` (summary, table, files, plot), ``_speed`` (extraction timing).
"""

from __future__ import annotations

from ..datasets._registry import DATASETS
from ..metrics import ccc, score_predictions
from ..model_selection import make_splits
from ._models import NEURAL_MODELS, audio_steps, default_models, is_network, model_label
from ._result import BenchmarkResult
from ._runner import cache_features, peak_rss_mib, run_benchmark
from ._speed import format_speed, time_extraction

__all__ = [
    "DATASETS",
    "NEURAL_MODELS",
    "BenchmarkResult",
    "audio_steps",
    "cache_features",
    "ccc",
    "default_models",
    "format_speed",
    "is_network",
    "make_splits",
    "model_label",
    "peak_rss_mib",
    "run_benchmark",
    "score_predictions",
    "time_extraction",
]
