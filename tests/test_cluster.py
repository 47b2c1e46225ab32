"""Predicting a library on a Dask cluster: ``predict_files(client=)`` and ``--scheduler``.

The cluster is a ``LocalCluster`` of two single-thread worker *processes* (the model is
pickled to another interpreter, the files are decoded there), as on a real cluster. Records
must equal the local path's: exactly when the local path predicts the same files together
(a task's files), and to float32 rounding otherwise (another batch composition changes the
last bits of a network's output).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
import soundfile as sf
from sklearn.pipeline import make_pipeline

import sk_deepsense
from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer, predict_files, save_model
from sk_deepsense.batch import DEFAULT_FILES_PER_TASK
from sk_deepsense.cli import main
from sk_deepsense.exceptions import AudioLoadError, ParameterError

from .conftest import BATCH_ATOL, BATCH_RTOL
from .test_cli_predict_library import library  # noqa: F401  (the fixture: good and broken files)

distributed = pytest.importorskip(
    "distributed", reason='dask.distributed is absent: pip install -e ".[dask]"'
)

from sk_deepsense._cluster import local_cluster  # noqa: E402  (needs distributed)

# the worker plugin below travels by value (the workers cannot import this test module)
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def client():
    with local_cluster(2) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def model(audio_corpus):
    paths, labels = audio_corpus
    pipe = make_pipeline(
        # 1-s windows: each file of 1.2 to 2 s is two windows, pooled
        MFCCTransformer(n_mfcc=8, duration=1.0, n_jobs=2),
        HybridCNNLSTMClassifier(
            n_filters=4, lstm_hidden_size=4, max_epochs=2, n_ensemble=1, random_state=0
        ),
    )
    return pipe.fit(paths[:24], labels[:24])


@pytest.fixture(scope="module")
def files(library):  # noqa: F811
    """Twelve good files (absolute paths) and two broken ones, interleaved."""
    good, (bad, empty) = library
    return [*good[:5], bad, *good[5:], empty]


def by_path(records):
    out = {}
    for record in records:
        assert record["path"] not in out, f"{record['path']} has two records"
        out[record["path"]] = record
    return out


def local_in_chunks(model, files, size, **options):
    """The local path over the same files together as the cluster's tasks."""
    return [
        r
        for i in range(0, len(files), size)
        for r in predict_files(model, files[i : i + size], **options)
    ]


def assert_close(got, want):
    """Records equal but for float32 rounding of another batch composition."""
    assert got.keys() == want.keys()
    for path, w in want.items():
        g = got[path]
        assert g.keys() == w.keys()
        assert {k: v for k, v in g.items() if not isinstance(v, (float, dict))} == {
            k: v for k, v in w.items() if not isinstance(v, (float, dict))
        }
        if "probabilities" in w:
            assert g["probabilities"].keys() == w["probabilities"].keys()
            np.testing.assert_allclose(
                list(g["probabilities"].values()),
                list(w["probabilities"].values()),
                rtol=BATCH_RTOL,
                atol=BATCH_ATOL,
            )


# ---------------------------------------------------------------------------------- records
def test_records_equal_the_local_path(client, model, files):
    with distributed.get_task_stream(client) as stream:
        remote = list(predict_files(model, files, client=client, files_per_task=3))
    # every file once, its error record as locally (decoded on a worker)
    got = by_path(remote)
    assert sorted(got) == sorted(files)
    # the same files together: identical to the last bit
    assert got == by_path(local_in_chunks(model, files, 3))
    # the local path as a user runs it (one batch): equal to float32 rounding
    assert_close(got, by_path(predict_files(model, files)))
    # a task's records in its files' order
    position = {r["path"]: i for i, r in enumerate(remote)}
    for i in range(0, len(files), 3):
        chunk = [position[p] for p in files[i : i + 3]]
        assert chunk == list(range(chunk[0], chunk[0] + len(chunk)))

    # the tasks ran on the workers: one that holds the model, then 5 of 3 files each, which
    # depend on it (the model is not in them)
    keys = [str(t["key"]) for t in stream.data]
    assert sum(k.endswith("-shared") for k in keys) == 1
    assert len(keys) == 1 + 5
    assert {t["worker"] for t in stream.data} <= set(client.scheduler_info()["workers"])


def test_regressor_span_and_rounding_as_locally(client, audio_corpus, files):
    paths, labels = audio_corpus
    y = np.column_stack([labels == "high", labels == "low"]).astype(float)[:24]
    from sk_deepsense import HybridCNNLSTMRegressor

    model = make_pipeline(
        MFCCTransformer(n_mfcc=8, duration=1.0),
        HybridCNNLSTMRegressor(
            n_filters=4, lstm_hidden_size=4, max_epochs=2, n_ensemble=1, random_state=0
        ),
    ).fit(paths[:24], y)
    options = dict(decimals=4, offset=0.25, duration=1.0, batch_size=1)
    remote = by_path(
        predict_files(model, files, client=client, files_per_task=DEFAULT_FILES_PER_TASK, **options)
    )
    assert remote == by_path(local_in_chunks(model, files, DEFAULT_FILES_PER_TASK, **options))
    assert {r["start"] for r in remote.values() if "start" in r} == {0.25}
    assert max(r["end"] for r in remote.values() if "end" in r) == 1.25
    assert set(remote[files[0]]) == {"path", "arousal", "valence", "start", "end", "windows"}


def test_relative_paths_are_read_absolute_and_recorded_as_given(client, model, files, monkeypatch):
    folder = Path(files[0]).parent
    monkeypatch.chdir(folder)
    names = [os.path.basename(f) for f in files[:4]] + ["missing.wav"]
    remote = by_path(predict_files(model, names, client=client, files_per_task=2))
    assert remote == by_path(local_in_chunks(model, names, 2))
    # the error names the file as given, as the local path does
    assert "'missing.wav'" in remote["missing.wav"]["error"]
    assert str(folder) not in remote["missing.wav"]["error"]


def test_on_error_raise_raises_the_files_error_in_the_client(client, model, files):
    with pytest.raises(AudioLoadError, match="bad.wav|empty.mp3"):
        list(predict_files(model, files, client=client, on_error="raise"))


def test_files_are_read_lazily_and_the_cluster_is_kept_fed(client, model, files):
    taken = []

    def lazily():
        for f in files:
            taken.append(f)
            yield f

    records = predict_files(model, lazily(), client=client, files_per_task=1)
    first = next(records)
    # 2 tasks per worker thread on the cluster: 4 files taken when the first record came,
    # and one more for the task sent in its place
    assert 4 <= len(taken) <= 5, taken
    rest = list(records)
    assert sorted(r["path"] for r in [first, *rest]) == sorted(files)


def test_stopping_early_cancels_the_tasks_on_the_cluster(client, model, files):
    with distributed.get_task_stream(client) as stream:
        records = predict_files(model, files * 4, client=client, files_per_task=1)
        next(records)
        records.close()
        time.sleep(1)
    # of the 56 tasks, only those on the cluster when it stopped ran (4, and the model's)
    assert len(stream.data) <= 6
    deadline = time.monotonic() + 10
    while any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(client.processing().values())
    assert not any("sk-deepsense" in str(k) for k in client.who_has())


def test_bad_arguments_are_refused_before_any_work(client, model, files):
    with pytest.raises(ParameterError, match="dask.distributed.Client"):
        predict_files(model, files, client="tcp://127.0.0.1:8786")
    with pytest.raises(ParameterError, match="needs client"):
        predict_files(model, files, files_per_task=4)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ParameterError, match="files_per_task"):
            predict_files(model, files, client=client, files_per_task=bad)
    with pytest.raises(ParameterError, match="batch_size"):
        predict_files(model, files, client=client, batch_size=0)


# --------------------------------------------------------------------------- lost workers
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(client, model, files):
    good = [f for f in files if "bad" not in f and "empty" not in f]
    many = [*good * 4, files[5], files[-1]]  # each good file 4 times, and the two bad ones
    records = predict_files(model, many, client=client, files_per_task=2)
    got = [next(records)]
    processing = {w: keys for w, keys in client.processing().items() if keys}
    victim = sorted(processing)[0]  # a worker running one of our tasks now
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    got.extend(records)

    # each file of the input once per occurrence, and the records of its first task
    assert len(got) == len(many)
    assert sorted(r["path"] for r in got) == sorted(many)
    reference = by_path(local_in_chunks(model, files, 1))
    for record in got:
        assert_close({record["path"]: record}, {record["path"]: reference[record["path"]]})
    # the victim's task was running when it died, and the scheduler ran it again
    story = client.story(*processing[victim])
    assert any(t[2] == "processing" and t[3] in ("released", "waiting") for t in story), story
    client.wait_for_workers(2, timeout=30)  # the nanny started a new worker


class Poison(distributed.WorkerPlugin):
    """Make a worker die (as a crashing decoder would) when it decodes a 'poison' file."""

    def setup(self, worker):
        import sk_deepsense.features._audio_io as audio_io
        import sk_deepsense.features._base as base

        load = audio_io.load_audio

        def load_audio(path, *args, **kwargs):
            if "poison" in str(path):
                os._exit(1)
            return load(path, *args, **kwargs)

        audio_io.load_audio = base.load_audio = load_audio  # windows, whole clips


def test_a_file_that_kills_its_workers_gets_an_error_record(client, model, files, tmp_path):
    poison = tmp_path / "poison.wav"
    sf.write(poison, np.zeros(16000, dtype="float32"), 16000)  # valid: a crash, not an error

    def allowed_failures(n, dask_scheduler=None):
        previous, dask_scheduler.allowed_failures = dask_scheduler.allowed_failures, n
        return previous

    # no retry after a worker's death (Dask's default is 3): one death, one KilledWorker
    previous = client.run_on_scheduler(allowed_failures, 0)
    client.register_plugin(Poison(), name="poison")
    try:
        work = [*files[:3], str(poison), *files[3:5]]
        records = by_path(predict_files(model, work, client=client, files_per_task=3))
        # its task of three files was split, the innocent files beside it (in its task, or
        # on its worker) were run again, and only the poison file has no prediction
        assert sorted(records) == sorted(work)
        assert "worker predicting it died" in records[str(poison)]["error"]
        assert_close(
            {p: r for p, r in records.items() if p != str(poison)},
            by_path(predict_files(model, [*files[:3], *files[3:5]])),
        )
        with pytest.raises(distributed.scheduler.KilledWorker):
            list(predict_files(model, [str(poison)], client=client, on_error="raise"))
    finally:
        client.unregister_worker_plugin("poison")
        client.run_on_scheduler(allowed_failures, previous)
        client.wait_for_workers(2, timeout=30)


# --------------------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory):
    return save_model(model, tmp_path_factory.mktemp("model") / "model.skds")


def read_jsonl(path):
    return by_path(json.loads(line) for line in Path(path).read_text().splitlines())


def test_cli_scheduler_local_writes_the_records_of_the_local_run(
    capsys, model_file, files, tmp_path
):
    local, remote = tmp_path / "local.jsonl", tmp_path / "remote.jsonl"
    argv = ["predict", str(model_file), *files, "--format", "jsonl"]
    assert main([*argv, "-o", str(local), "-q"]) == 3  # some failed: exit status 3
    assert main([*argv, "-o", str(remote), "--scheduler", "local:2"]) == 3
    err = capsys.readouterr().err
    assert "--scheduler local:2: 2 worker processes of one thread" in err
    assert "14 files: 12 predicted, 2 failed" in err
    assert_close(read_jsonl(remote), read_jsonl(local))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--scheduler", "local:0"], "at least one worker"),
        (["--scheduler", "locale"], "local or local:N"),
        (["--files-per-task", "4"], "needs --scheduler"),
        (["--scheduler", "local:1", "--files-per-task", "0"], "must be >= 1"),
    ],
)
def test_cli_refuses_bad_scheduler_options(capsys, model_file, files, options, message):
    assert main(["predict", str(model_file), files[0], *options]) == 1
    assert message in capsys.readouterr().err


def test_cli_unreachable_scheduler_is_one_line(capsys, model_file, files, monkeypatch):
    monkeypatch.setattr("sk_deepsense.cli.predict.CONNECT_TIMEOUT", 1)
    assert main(["predict", str(model_file), files[0], "--scheduler", "tcp://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:9: cannot connect to a Dask scheduler there" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_client_killed_mid_run_resumes(capsys, client, model_file, files, tmp_path):
    folder = tmp_path / "music"
    folder.mkdir()
    good = [f for f in files if "bad" not in f and "empty" not in f]
    for i in range(40):  # each good file under several names
        (folder / f"track {i:02d}{Path(good[i % len(good)]).suffix}").symlink_to(
            good[i % len(good)]
        )
    out = tmp_path / "music.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(sk_deepsense.__file__).parents[1])}
    # the client, a process of its own, dies; the cluster (at its address) lives on
    address = client.scheduler.address
    argv = [sys.executable, "-m", "sk_deepsense", "predict", str(model_file), str(folder),
            "-q", "--format", "jsonl", "-o", str(out), "--scheduler", address,
            "--files-per-task", "1", "--batch-size", "1"]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= 5:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    code = proc.wait(timeout=30)
    assert code == -signal.SIGKILL, proc.stderr.read().decode()
    done = out.read_text().splitlines(keepends=True)
    assert 5 <= len(done) < 40

    assert main(["predict", str(model_file), str(folder), "--format", "jsonl", "-o", str(out),
                 "--resume", "--scheduler", address, "-q"]) == 0  # fmt: skip
    records = [json.loads(line) for line in out.read_text().splitlines()]
    paths = sorted(str(p) for p in folder.iterdir())
    assert sorted(r["path"] for r in records) == paths  # exactly one record per file
    local = by_path(predict_files(sk_deepsense.load_model(model_file), paths, decimals=4))
    assert_close(by_path(records), local)


def test_cli_scheduler_local_means_one_worker_per_core(monkeypatch, capsys):
    from sk_deepsense.cli import build_parser
    from sk_deepsense.cli.predict import _check_scheduler

    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    for given, expected in (("local", "local:3"), ("local:2", "local:2"), ("local:9", "local:6")):
        args = build_parser().parse_args(["predict", "m.skds", "a.wav", "--scheduler", given])
        _check_scheduler(args)
        assert args.scheduler == expected
    assert "capped at local:6 (2 per core)" in capsys.readouterr().err


def test_local_cluster_refuses_a_bad_number_of_workers():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ParameterError, match="n_workers"):
            local_cluster(bad)
