"""Grid search, cross-validation and feature extraction on a real Dask cluster.

The cluster is a ``LocalCluster`` of two worker *processes* (not threads), so everything that
reaches the workers is pickled, shipped and computed in another interpreter, as on a real
cluster; the results must equal the local run's exactly (see ``test_grid_search``).
"""

from __future__ import annotations

import os
import re

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_info

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer
from sk_deepsense.datasets import make_emotion_music

distributed = pytest.importorskip(
    "distributed", reason='dask.distributed is absent: pip install -e ".[dask]"'
)

# Small features: 1 s clips (44 frames), 8 MFCCs. The mel product keeps its default size
# (2048-point FFT, 128 bands): big enough for BLAS threads to change the last bits, so that
# the comparisons also check the workers' BLAS threads (smaller products stay single-threaded).
MFCC_PARAMS = dict(n_mfcc=8, duration=1.0)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        # Exact equality with the local run needs the same threads on both sides. The workers'
        # nanny starts them with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1 (dask's default), and
        # the transformers limit this process's BLAS to one thread (a limit that cannot be set
        # from a Dask task: OpenBLAS ignores it outside the main thread). Checked in a task,
        # since tasks run in a worker's executor thread.
        assert client.submit(blas_threads, pure=False).result() <= {1}
        worker_torch = client.submit(torch.get_num_threads, pure=False).result()
        if worker_torch != torch.get_num_threads():
            pytest.skip(
                f"workers run torch with {worker_torch} threads, this process with "
                f"{torch.get_num_threads()}: results would differ in the last bits"
            )
        yield client


@pytest.fixture(scope="module")
def music(tmp_path_factory):
    folder = tmp_path_factory.mktemp("music")
    data = make_emotion_music(16, duration=1.0, output_dir=folder, random_state=0)
    return list(data.filenames), data.target


def hybrid(**params):
    return HybridCNNLSTMClassifier(
        n_filters=4,
        filter_size=3,
        lstm_hidden_size=8,
        max_epochs=2,
        early_stopping=False,
        n_ensemble=1,
        random_state=0,
        **params,
    )


def blas_threads():
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def worker_calls(stream):
    """Calls that each worker ran, from joblib's task keys ("batch_of_one_3_calls-<hash>")."""
    counts = {}
    for task in stream.data:
        match = re.match(r"batch_of_.*_(\d+)_calls", str(task["key"]))
        if match:
            counts[task["worker"]] = counts.get(task["worker"], 0) + int(match.group(1))
    return counts


def test_extraction_runs_on_the_workers(client, music, tmp_path, monkeypatch):
    # First in the file, on fresh workers: the tasks alone must bring the feature code along
    # (nothing has sent the workers a transformer, whose class would import it, yet).
    X, _ = music
    local = MFCCTransformer(**MFCC_PARAMS).transform(X)
    transformer = MFCCTransformer(**MFCC_PARAMS, n_jobs=2, memory=tmp_path / "cache")
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        remote = transformer.transform(X)

    np.testing.assert_array_equal(remote, local)  # NaN padding compares equal too
    ran = worker_calls(stream)
    assert sum(ran.values()) == len(X)  # one call per file, all on the workers
    assert set(ran) <= set(client.scheduler_info()["workers"])

    # The workers filled the cache folder, and it answers this process without decoding.
    def no_decoding(path, *args, **params):
        raise AssertionError(f"{path} was decoded: the workers' cache entry was not used")

    monkeypatch.setattr("sk_deepsense.features._base._path_features", no_decoding)
    cached = MFCCTransformer(**MFCC_PARAMS, memory=tmp_path / "cache")
    np.testing.assert_array_equal(cached.transform(X), local)


def test_grid_search(client, music, tmp_path):
    # The pipeline starts from audio paths; its feature cache is one folder that the workers
    # and this process share (on a real cluster: a shared filesystem).
    X, y = music
    pipe = Pipeline([("mfcc", MFCCTransformer(**MFCC_PARAMS, memory=tmp_path)), ("clf", hybrid())])
    grid = {"clf__filter_size": [3, 5]}
    local = GridSearchCV(pipe, grid, cv=2, n_jobs=1).fit(X, y)
    with distributed.get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        remote = GridSearchCV(pipe, grid, cv=2).fit(X, y)

    # 2 candidates x 2 folds ran on the workers (joblib names its tasks "batch_of_...").
    assert sum(worker_calls(stream).values()) == 4
    # Exact, not approximate: the same float32 operations in the same order (one torch and
    # one BLAS thread on both sides, seeded weights and shuffling) give the same bits, so any
    # difference would be a real one (a lost seed, a parameter not shipped).
    for key in ("split0_test_score", "split1_test_score", "mean_test_score"):
        np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict_proba(X[:4]), local.predict_proba(X[:4]))
    # the workers wrote the cache entries of the files they read (a fresh folder here)
    assert any(name.endswith("output.pkl") for _, _, names in os.walk(tmp_path) for name in names)


def test_cross_validate(client, music):
    X, y = music
    pipe = Pipeline([("mfcc", MFCCTransformer(**MFCC_PARAMS)), ("clf", hybrid())])
    local = cross_validate(pipe, X, y, cv=2, n_jobs=1)
    with joblib.parallel_backend("dask"):
        remote = cross_validate(pipe, X, y, cv=2)
    np.testing.assert_array_equal(remote["test_score"], local["test_score"])
