"""Predicting a whole music library: batches, error records, streamed output and --resume."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pytest

import sk_deepsense
from sk_deepsense import AudioLoadError, predict_files
from sk_deepsense.batch import prediction_records
from sk_deepsense.cli import main

from .test_cli import TINY

N_FILES = 12


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def library(audio_corpus, tmp_path_factory):
    """Twelve good files and two broken ones (text named .wav, an empty .mp3)."""
    paths, _ = audio_corpus
    folder = tmp_path_factory.mktemp("broken")
    bad, empty = folder / "bad.wav", folder / "empty.mp3"
    bad.write_text("not audio")
    empty.write_bytes(b"")
    return paths[:N_FILES], [str(bad), str(empty)]


def _train(audio_corpus, tmp_path_factory, task):
    paths, labels = audio_corpus
    folder = tmp_path_factory.mktemp(task)
    with open(folder / "labels.csv", "w", newline="") as f:
        writer = csv.writer(f)
        if task == "clf":
            writer.writerow(["path", "label"])
            writer.writerows(zip(paths, labels, strict=True))
        else:
            writer.writerow(["path", "arousal", "valence"])
            av = {"low": (-0.5, -0.3), "high": (0.7, 0.5), "noise": (0.6, -0.6)}
            writer.writerows([p, *av[label]] for p, label in zip(paths, labels, strict=True))
    out = folder / "model.joblib"
    assert main(["train", str(folder / "labels.csv"), "-o", str(out), "-q", *TINY]) == 0
    return out


@pytest.fixture(scope="module")
def clf_path(audio_corpus, tmp_path_factory):
    return _train(audio_corpus, tmp_path_factory, "clf")


@pytest.fixture(scope="module")
def reg_path(audio_corpus, tmp_path_factory):
    return _train(audio_corpus, tmp_path_factory, "reg")


@pytest.fixture(scope="module")
def reference(clf_path, reg_path, library):
    """All-at-once records of both models (full precision)."""
    good, _ = library
    refs = {}
    for name, path in (("clf", clf_path), ("reg", reg_path)):
        model = joblib.load(path)
        refs[name] = prediction_records(model[-1], model[:-1].transform(good), good)
    return refs


def _read(path, fmt):
    """Records of a jsonl or csv output file by path, numbers as floats, flat."""
    text = path.read_text()
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
        rows = [{**{k: v for k, v in r.items() if k != "probabilities"},
                 **r.get("probabilities", {})} for r in rows]  # fmt: skip
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
    out = {}
    for r in rows:
        out[r["path"]] = {k: _number(v) for k, v in r.items()}
    return out


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


#: What a record says of the span it covers (whole songs); these short clips are one window.
SPAN = {"start", "end", "windows"}


def _assert_same(records, expected, atol=1e-6):
    assert [r["path"] for r in records] == [r["path"] for r in expected]
    for got, want in zip(records, expected, strict=True):
        assert set(got) == set(want) | SPAN and got["windows"] == 1 and got["start"] == 0
        if "label" in want:
            assert got["label"] == want["label"]
            got_p, want_p = got["probabilities"], want["probabilities"]
            assert list(got_p) == list(want_p)
            np.testing.assert_allclose(list(got_p.values()), list(want_p.values()), atol=atol)
        else:
            keys = [k for k in want if k != "path"]
            np.testing.assert_allclose([got[k] for k in keys], [want[k] for k in keys], atol=atol)


@pytest.mark.parametrize("batch_size", [1, 3, None])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_batched_records_equal_all_at_once(
    kind, batch_size, clf_path, reg_path, library, reference
):
    model = joblib.load(clf_path if kind == "clf" else reg_path)
    good, _ = library
    records = list(predict_files(model, good, batch_size=batch_size))
    _assert_same(records, reference[kind])
    if kind == "clf":  # one forward pass gives what predict gives
        assert [r["label"] for r in records] == model.predict(good).tolist()
        assert set(reference["clf"][0]) == {"path", "label", "probabilities"}
    else:
        assert set(records[0]) == {"path", "arousal", "valence", *SPAN}


def test_error_records_keep_input_order_and_raise_mode(clf_path, library, reference):
    model = joblib.load(clf_path)
    step = model[0]
    settings = (step.on_error, step.verbose)
    good, (bad, empty) = library
    files = [good[0], bad, good[1], good[2], empty, good[3]]
    records = list(predict_files(model, iter(files), batch_size=3))  # a generator is fine
    assert [r["path"] for r in records] == files
    assert records[1] == {"path": bad, "error": records[1]["error"]}
    assert records[1]["error"].startswith(f"Cannot load audio file {bad!r}")
    assert set(records[4]) == {"path", "error"} and "empty.mp3" in records[4]["error"]
    kept = [records[i] for i in (0, 2, 3, 5)]
    _assert_same(kept, reference["clf"][:4])
    assert (step.on_error, step.verbose) == settings  # the model is not modified
    with pytest.raises(AudioLoadError, match="bad.wav"):
        list(predict_files(model, files, batch_size=3, on_error="raise"))
    for kw, match in [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"on_error": "skip"}, "on_error"),
    ]:
        with pytest.raises(ValueError, match=match):
            predict_files(model, files, **kw)  # at the call, before any record is asked for
    with pytest.raises(ValueError, match="Pipeline"):
        predict_files(model[-1], files)
    assert len(list(predict_files(model, good[:3], batch_size=np.int64(2)))) == 3


def test_rounded_records_are_what_predict_records_gives(clf_path, library):
    from sk_deepsense.cli import predict_records

    model = joblib.load(clf_path)
    good, _ = library
    old = predict_records(model[-1], model[:-1].transform(good[:4]), good[:4])
    new = list(predict_files(model, good[:4], batch_size=4, decimals=4))
    assert [{k: v for k, v in r.items() if k not in SPAN} for r in new] == old


def test_cli_jsonl_error_records_summary_and_exit_3(capsys, clf_path, library, reference):
    good, (bad, empty) = library
    files = [*good[:4], bad, empty]
    code, out, err = run(
        capsys, "predict", clf_path, *files, "--format", "jsonl", "--batch-size", 2
    )
    assert code == 3, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["path"] for r in records] == files
    assert "error" in records[4] and "error" in records[5]
    _assert_same(records[:4], reference["clf"][:4], atol=2e-4)
    assert "6 files: 4 predicted, 2 failed" in err
    assert "predict: 100%" in err and "6/6" in err  # the progress bar counts files
    # -q keeps the summary of failures (it explains exit status 3), nothing else
    code, out, err = run(capsys, "predict", clf_path, good[0], bad, "--format", "jsonl", "-q")
    assert (
        code == 3 and err.strip() == "2 files: 1 predicted, 1 failed (error records in the output)"
    )


def test_cli_timeline_leaves_the_unreadable_files_out(capsys, clf_path, library, tmp_path):
    good, (bad, _) = library
    out = tmp_path / "t.png"
    code, stdout, err = run(capsys, "predict", clf_path, good[0], bad, "--timeline", out, "-q")
    assert code == 3 and out.stat().st_size > 0
    assert "bad.wav" in stdout.splitlines()[-1]  # the table's error column


def test_cli_csv_to_a_file_with_an_error_column(capsys, reg_path, library, reference, tmp_path):
    good, (bad, _) = library
    out = tmp_path / "av.csv"
    code, stdout, err = run(capsys, "predict", reg_path, bad, *good[:3], "--format", "csv",
                            "-o", out, "-q")  # fmt: skip
    assert code == 3 and stdout == ""
    rows = list(csv.DictReader(out.open(newline="")))
    assert list(rows[0]) == ["path", "arousal", "valence", "start", "end", "windows", "error"]
    assert rows[0]["path"] == bad and rows[0]["arousal"] == "" and "bad.wav" in rows[0]["error"]
    got = [[float(r["arousal"]), float(r["valence"])] for r in rows[1:]]
    want = [[r["arousal"], r["valence"]] for r in reference["reg"][:3]]
    np.testing.assert_allclose(got, want, atol=2e-4)
    assert all(r["error"] == "" for r in rows[1:])


def test_cli_output_is_never_overwritten_without_asking(capsys, clf_path, library, tmp_path):
    good, (bad, _) = library
    out = tmp_path / "music.jsonl"
    out.write_text("precious\n")
    code, _, err = run(capsys, "predict", clf_path, good[0], "--format", "jsonl", "-o", out)
    assert code == 1 and "already exists" in err and "--overwrite" in err
    assert out.read_text() == "precious\n"
    code, stdout, err = run(capsys, "predict", clf_path, bad, "--format", "json", "-o", out,
                            "--overwrite")  # fmt: skip
    assert code == 1 and "1 of 1 audio files could not be read" in err and stdout == ""
    assert out.read_text() == "precious\n"  # nothing predicted: nothing replaced
    code, _, err = run(capsys, "predict", clf_path, good[0], "-o", out, "--resume")
    assert code == 1 and "--resume needs -o FILE and --format jsonl or csv" in err
    code, _, err = run(capsys, "predict", clf_path, good[0], "--batch-size", -1)
    assert code == 1 and "--batch-size -1" in err
    code, _, _ = run(capsys, "predict", clf_path, good[0], "--format", "json", "-o", out,
                     "--overwrite", "-q")  # fmt: skip
    assert code == 0 and json.loads(out.read_text())[0]["path"] == good[0]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_retries_errors_and_rewrites_a_cut_last_line(
    capsys, clf_path, library, tmp_path, fmt
):
    good, (bad, _) = library
    files = [*good[:5], bad]
    clean = tmp_path / f"clean.{fmt}"
    assert run(capsys, "predict", clf_path, *files, "--format", fmt, "-o", clean, "-q")[0] == 3
    lines = clean.read_text().splitlines(keepends=True)
    head = int(fmt == "csv")
    # an earlier run: two records, an error record for a file since fixed, a cut last line
    error_line = json.dumps({"path": good[2], "error": "x"}) + "\n"
    if fmt == "csv":
        error_line = good[2] + "," * (lines[0].count(",") - 1) + ",x\n"
    partial = tmp_path / f"partial.{fmt}"
    partial.write_text("".join([*lines[: head + 2], error_line, lines[head + 3][:15]]))
    code, _, err = run(capsys, "predict", clf_path, *files, "--format", fmt, "-o", partial,
                       "--resume")  # fmt: skip
    assert code == 3, err
    assert "--resume: 2 files already in" in err and "4 files: 3 predicted, 1 failed" in err
    got, want = _read(partial, fmt), _read(clean, fmt)
    assert got.keys() == want.keys()
    for path, record in got.items():
        assert record == pytest.approx(want[path], abs=2e-4)
    assert len(partial.read_text().splitlines()) == head + len(files)  # one record per file
    # resuming a finished file predicts nothing but the failed file again
    code, _, err = run(capsys, "predict", clf_path, *files[:5], "--format", fmt, "-o", partial,
                       "--resume", "-q")  # fmt: skip
    assert code == 0 and len(partial.read_text().splitlines()) == head + 5


def test_resume_refuses_a_damaged_line_in_the_middle(capsys, clf_path, library, tmp_path):
    good, _ = library
    out = tmp_path / "damaged.jsonl"
    out.write_text('{"path": "a"}\nnot json\n{"path": "b"}\n')
    code, _, err = run(capsys, "predict", clf_path, good[0], "--format", "jsonl", "-o", out,
                       "--resume")  # fmt: skip
    assert code == 1 and "line 2" in err and "not a complete jsonl record" in err
    assert out.read_text() == '{"path": "a"}\nnot json\n{"path": "b"}\n'


def test_killed_run_leaves_complete_records_and_resume_finishes_it(
    capsys, clf_path, library, tmp_path
):
    good, _ = library
    folder = tmp_path / "music"
    folder.mkdir()
    for i in range(40):  # each good file under several names
        (folder / f"track {i:02d}{Path(good[i % N_FILES]).suffix}").symlink_to(good[i % N_FILES])
    out = tmp_path / "music.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(sk_deepsense.__file__).parents[1])}
    argv = [sys.executable, "-m", "sk_deepsense", "predict", str(clf_path), str(folder), "-q",
            "--format", "jsonl", "-o", str(out), "--batch-size", "1", "--n-jobs", "1"]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= 3:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    if proc.poll() is None and time.monotonic() >= deadline:
        proc.kill()
    code = proc.wait()
    lines = out.read_text().splitlines(keepends=True)
    if code == 0:  # finished before the kill: cut it by hand where a kill would have
        out.write_text("".join(lines[:20]) + lines[20][:10])
    else:
        assert code == -signal.SIGKILL
        assert 3 <= len(lines) < 40
    for line in out.read_text().splitlines(keepends=True):  # every finished line is whole
        if line.endswith("\n"):
            assert set(json.loads(line)) == {"path", "label", "probabilities", *SPAN}
    code, _, err = run(capsys, "predict", clf_path, folder, "--format", "jsonl", "-o", out,
                       "--resume", "--batch-size", 7, "-q")  # fmt: skip
    assert code == 0, err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    paths = sorted(str(p) for p in folder.iterdir())
    assert sorted(r["path"] for r in records) == paths  # exactly one record per file
    clean = {r["path"]: r for r in predict_files(joblib.load(clf_path), paths, decimals=4)}
    _assert_same(sorted(records, key=lambda r: r["path"]), [clean[p] for p in paths], 2e-4)
