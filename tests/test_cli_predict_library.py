"""Predicting a whole music library: batches, error records, streamed output and --resume."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pytest
import soundfile as sf
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import sk_deepsense
from sk_deepsense import AudioLoadError, MFCCTransformer, load_model, predict_files
from sk_deepsense.batch import prediction_records
from sk_deepsense.cli import _records, format_records, main

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
    out = folder / "model.skds"
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
        model = load_model(path)
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
    model = load_model(clf_path if kind == "clf" else reg_path)
    good, _ = library
    records = list(predict_files(model, good, batch_size=batch_size))
    _assert_same(records, reference[kind])
    if kind == "clf":  # one forward pass gives what predict gives
        assert [r["label"] for r in records] == model.predict(good).tolist()
        assert set(reference["clf"][0]) == {"path", "label", "probabilities"}
    else:
        assert set(records[0]) == {"path", "arousal", "valence", *SPAN}


def test_error_records_keep_input_order_and_raise_mode(clf_path, library, reference):
    model = load_model(clf_path)
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

    model = load_model(clf_path)
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
    code, stdout, err = run(capsys, "predict", clf_path, good[0], bad, "--plot", out, "-q")
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
    clean = {r["path"]: r for r in predict_files(load_model(clf_path), paths, decimals=4)}
    _assert_same(sorted(records, key=lambda r: r["path"]), [clean[p] for p in paths], 2e-4)


# ------------------------------------------------------------------ issue 26: library runs
def _copy(src, dst):
    shutil.copyfile(src, dst)
    return str(dst)


def _huge_wav(path):
    """A float wav with one sample of 1e30: finite audio whose spectrum overflows float32."""
    y = (0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)).astype("float32")
    y[100] = 1e30
    sf.write(path, y, 22050, subtype="FLOAT")
    return str(path)


@pytest.fixture(scope="module")
def messy(audio_corpus, tmp_path_factory):
    """A folder of good files next to each bad file of issue 26 (name -> path)."""
    paths, _ = audio_corpus
    wavs = [p for p in paths if p.endswith(".wav")]
    folder = tmp_path_factory.mktemp("messy library")
    files = {
        "good 1": _copy(wavs[0], folder / "good 1.wav"),
        "good 2": _copy(paths[1], folder / f"good 2{Path(paths[1]).suffix}"),
        "non-utf8": _copy(wavs[1], folder / os.fsdecode(b"bad\xff\xfe.wav")),
        "newline": _copy(wavs[2], folder / "new\nline.wav"),
        "formula": _copy(wavs[3], folder / "=HYPERLINK(1).wav"),
        "huge": _huge_wav(folder / "huge.wav"),
        "undecodable": str(folder / "broken.mp3"),
    }
    Path(files["undecodable"]).write_text("not audio")
    return folder, files


def _records_of(path, fmt):
    """The records of an output file, ``path`` read back to the file name."""
    if fmt == "jsonl":
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        escaped = [r.pop("path_escaped", False) for r in records]
    else:
        with open(path, encoding="utf-8", newline="") as f:
            records = list(csv.DictReader(f))
        for r in records:  # cells that a spreadsheet would run start with a quote
            r.update({k: v[1:] for k, v in r.items() if v.startswith("'")})
        escaped = [r.pop("path_escaped", "") == "true" for r in records]
    for r, e in zip(records, escaped, strict=True):
        r["path"] = _records.unescape_path(r["path"]) if e else r["path"]
    return records


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_finding_03_library_with_every_bad_file_gives_one_record_each_and_resumes(
    capsys, clf_path, messy, tmp_path, fmt
):
    folder, files = messy
    out = tmp_path / f"music.{fmt}"
    argv = ["predict", clf_path, folder, "--format", fmt, "-o", out, "--batch-size", 3, "-q"]
    code, _, err = run(capsys, *argv)
    assert code == 3, err
    assert "7 files: 5 predicted, 2 failed" in err
    records = _records_of(out, fmt)
    assert sorted(r["path"] for r in records) == sorted(files.values())  # one record per file
    errors = {r["path"]: r["error"] for r in records if r.get("error")}
    assert set(errors) == {files["huge"], files["undecodable"]}
    assert errors[files["huge"]].startswith(f"Cannot load audio file {files['huge']!r}")
    assert "non-finite or huge samples" in errors[files["huge"]]
    assert "broken.mp3" in errors[files["undecodable"]]
    good = [r for r in records if not r.get("error")]
    assert all(r["label"] in ("low", "high", "noise") for r in good)
    # a kill cut the file: --resume finishes it, one record per file, the bad ones retried
    text = out.read_text(encoding="utf-8")
    out.write_text(text[: len(text) // 2], encoding="utf-8")
    code, _, err = run(capsys, *argv, "--resume")
    assert code == 3, err
    resumed = _records_of(out, fmt)
    assert sorted(r["path"] for r in resumed) == sorted(files.values())
    assert {r["path"] for r in resumed if r.get("error")} == set(errors)
    code, _, err = run(capsys, *argv, "--resume")  # again: only the two bad files are retried
    assert code == 3 and "2 files: 0 predicted, 2 failed" in err
    assert len(_records_of(out, fmt)) == len(files)


class _Picky(ClassifierMixin, BaseEstimator):
    """Refuses clips under 10 frames (the whole batch fails); NaN under 20 frames."""

    def fit(self, X, y):
        self.classes_ = np.array(["calm", "happy"])
        return self

    def predict_proba(self, X):
        frames = (~np.isnan(X).any(axis=2)).sum(axis=1)
        if (frames < 10).any():
            raise ValueError("a clip too short for this model")
        proba = np.tile([0.25, 0.75], (len(X), 1))
        proba[frames < 20] = np.nan
        return proba

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _refuse_tiny(X):
    if ((~np.isnan(X).any(axis=2)).sum(axis=1) < 5).any():
        raise RuntimeError("a clip under 5 frames")
    return X


def test_finding_03_model_errors_and_nan_predictions_become_error_records(tmp_path):
    sr = 8000
    files = {}
    for name, seconds in [("a", 1.0), ("tiny", 0.1), ("short", 0.25), ("mid", 0.5), ("b", 1.0)]:
        files[name] = str(tmp_path / f"{name}.wav")
        t = np.arange(int(seconds * sr)) / sr
        sf.write(files[name], 0.3 * np.sin(2 * np.pi * 440 * t), sr)
    model = make_pipeline(
        MFCCTransformer(duration=1.0, sr=sr, n_fft=512, hop_length=256),
        FunctionTransformer(_refuse_tiny),
        _Picky().fit(None, None),
    )
    records = list(predict_files(model, list(files.values()), batch_size=None))
    assert [r["path"] for r in records] == list(files.values())
    assert records[0] == {"path": files["a"], "label": "happy", "start": 0.0, "end": 1.0,
                          "windows": 1, "probabilities": {"calm": 0.25, "happy": 0.75}}  # fmt: skip
    assert records[4]["label"] == "happy"
    tiny, short, mid = (records[i]["error"] for i in (1, 2, 3))
    # whole songs: a step failing on a file's window fails the file, named, with the reason
    assert tiny == (
        f"Cannot extract the features of {files['tiny']!r}: RuntimeError: a clip under 5 frames"
    )
    assert (
        short == f"Cannot predict {files['short']!r}: ValueError: a clip too short for this model"
    )
    assert mid.startswith(f"Cannot predict {files['mid']!r}: the model's output is not finite")
    assert all(set(r) == {"path", "error"} for r in records[1:4])
    # raised, the error names the file too (the step's own error is its __cause__)
    with pytest.raises(AudioLoadError, match="extract the features of .*tiny.wav.*under 5 frames"):
        list(predict_files(model, list(files.values()), on_error="raise"))
    with pytest.raises(ValueError, match="not finite"):
        list(predict_files(model, [files["a"], files["mid"]], on_error="raise"))
    # a JSON document never holds a bare NaN, even from records made by hand
    with pytest.raises(ValueError, match="JSON compliant"):
        format_records([{"path": "a.mp3", "label": "Q1", "probabilities": {"Q1": np.nan}}], "json")


def test_finding_04_non_utf8_file_name_is_written_escaped_and_resumed(
    capsys, clf_path, messy, tmp_path
):
    _, files = messy
    name, other = files["non-utf8"], files["good 1"]
    escaped = name.replace("bad\udcff\udcfe", "bad\\xff\\xfe")
    for fmt in ("jsonl", "csv", "json", "table"):
        out = tmp_path / f"out.{fmt}"
        code, _, err = run(capsys, "predict", clf_path, name, other, "--format", fmt, "-o", out)
        assert code == 0, err
        text = out.read_bytes().decode("utf-8")  # valid UTF-8
        assert (json.dumps(escaped)[1:-1] if fmt.startswith("json") else escaped) in text
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert records[0]["path"] == escaped and records[0]["path_escaped"] is True
    assert _records.unescape_path(records[0]["path"]) == name
    assert "path_escaped" not in records[1]
    rows = list(csv.DictReader((tmp_path / "out.csv").open(newline="")))
    assert [r["path_escaped"] for r in rows] == ["true", ""]
    for fmt in ("jsonl", "csv"):  # --resume knows the file is done
        out = tmp_path / f"out.{fmt}"
        before = out.read_text()
        code, _, err = run(capsys, "predict", clf_path, name, other, "--format", fmt, "-o", out,
                           "--resume")  # fmt: skip
        assert code == 0 and "2 files already in" in err and "0 files: 0 predicted" in err
        assert out.read_text() == before
    # a CSV begun without such names gains the column when one comes
    out = tmp_path / "later.csv"
    argv = ["predict", clf_path, "--format", "csv", "-o", out, "-q"]
    assert run(capsys, *argv, other)[0] == 0
    assert run(capsys, *argv, other, name, "--resume")[0] == 0
    rows = list(csv.DictReader(out.open(newline="")))
    assert [(r["path"], r["path_escaped"]) for r in rows] == [(other, ""), (escaped, "true")]
    # an escaped name is lossless: a backslash in a name that is escaped comes back too
    for raw in [os.fsdecode(b"a\\x41\xff.wav"), "b\\\ud800.wav", "plain\\x41.wav"]:
        text, was = _records.escape_path(raw)
        assert text.encode("utf-8") and (_records.unescape_path(text) if was else text) == raw


def test_finding_04_overwrite_replaces_the_old_file_atomically(
    capsys, clf_path, library, tmp_path, monkeypatch
):
    good, _ = library
    out = tmp_path / "old.jsonl"
    out.write_text("precious\n")
    out.chmod(0o640)
    real = predict_files

    def fails_after_one_record(model, files, **kwargs):
        yield from real(model, files[:1], **kwargs)
        raise RuntimeError("the disk was unplugged")

    monkeypatch.setattr("sk_deepsense.cli.predict.predict_files", fails_after_one_record)
    argv = ["predict", clf_path, *good[:2], "--format", "jsonl", "-o", out, "--overwrite", "-q"]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "the disk was unplugged" in err
    assert out.read_text() == "precious\n"  # never truncated
    assert os.listdir(tmp_path) == ["old.jsonl"]  # no temporary file left behind
    monkeypatch.undo()
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    assert [json.loads(line)["path"] for line in out.read_text().splitlines()] == good[:2]
    assert os.listdir(tmp_path) == ["old.jsonl"] and out.stat().st_mode & 0o777 == 0o640


def test_finding_05_csv_resume_reads_a_name_holding_a_newline(capsys, clf_path, messy, tmp_path):
    _, files = messy
    todo = [files["newline"], files["good 1"]]
    out = tmp_path / "music.csv"
    argv = ["predict", clf_path, *todo, "--format", "csv", "-o", out, "-q"]
    assert run(capsys, *argv)[0] == 0
    before = out.read_text()
    assert [r["path"] for r in csv.DictReader(io.StringIO(before, newline=""))] == todo
    code, _, err = run(capsys, *argv, "--resume")
    assert code == 0, err
    assert out.read_text() == before  # both files done: nothing appended, nothing rewritten
    # cut by a kill inside the quoted name: that record is dropped and predicted again
    out.write_text(before[: before.index("line.wav")])
    assert run(capsys, *argv, "--resume")[0] == 0
    assert [r["path"] for r in csv.DictReader(out.open(newline=""))] == todo


def test_finding_06_resume_matches_resolved_paths_and_warns_when_none_match(
    capsys, clf_path, audio_corpus, tmp_path, monkeypatch
):
    paths, _ = audio_corpus
    folder = tmp_path / "music"
    folder.mkdir()
    for p in paths[:3]:
        _copy(p, folder / Path(p).name)
    (tmp_path / "link").symlink_to(folder)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "music.jsonl"
    argv = ["--format", "jsonl", "-o", out, "--resume"]
    assert run(capsys, "predict", clf_path, "music", *argv, "-q")[0] == 0
    assert len(out.read_text().splitlines()) == 3
    for same in (folder, "./link", tmp_path / "music" / ".." / "music"):
        code, _, err = run(capsys, "predict", clf_path, same, *argv)
        assert code == 0 and "--resume: 3 files already in" in err, err
        assert "warning" not in err
        assert len(out.read_text().splitlines()) == 3  # no file predicted twice
    other = _copy(paths[3], tmp_path / Path(paths[3]).name)
    code, _, err = run(capsys, "predict", clf_path, other, *argv, "-q")
    assert code == 0
    assert f"warning: --resume: {str(out)!r} holds 3 records but none of the 1 files" in err
    assert len(out.read_text().splitlines()) == 4


def test_finding_09_n_jobs_is_validated_before_decoding_and_capped(
    capsys, clf_path, library, monkeypatch
):
    good, _ = library
    for bad in (0, -2):
        code, _, err = run(capsys, "predict", clf_path, good[0], "--n-jobs", bad)
        assert code == 1 and f"--n-jobs {bad}: must be >= 1 (or -1: all cores)" in err
        assert err.count("\n") == 1  # one line, no progress bar: no file was decoded
    real, seen = joblib.Parallel, []

    def spy(*args, n_jobs=None, **kwargs):
        seen.append(n_jobs)
        assert n_jobs <= 3, f"{n_jobs} threads for 3 files"  # before any thread starts
        return real(*args, n_jobs=n_jobs, **kwargs)

    monkeypatch.setattr(joblib, "Parallel", spy)
    code, out, err = run(capsys, "predict", clf_path, *good[:3], "--n-jobs", 100000,
                         "--format", "jsonl", "--batch-size", 0)  # fmt: skip
    assert code == 0, err
    assert len(out.splitlines()) == 3 and seen and max(seen) <= 3
    most = 4 * (os.cpu_count() or 1)
    assert f"--n-jobs 100000: capped at {most} (4 per core)" in err


def test_option_values_are_checked_before_the_model_is_loaded(capsys, clf_path, library, tmp_path):
    good, _ = library
    missing = tmp_path / "no model.joblib"  # loading it would be the error otherwise
    for options, message in [
        (["--batch-size", -1], "--batch-size -1: must be >= 1"),
        (["--n-jobs", 0], "--n-jobs 0: must be >= 1"),
        (["-o", tmp_path / "no folder" / "x.jsonl"], "the folder"),
        (["-o", tmp_path], "is a folder"),
        (["-o", good[0]], "already exists"),
        (["--resume", "--format", "json", "-o", tmp_path / "x.json"], "--resume needs"),
    ]:
        code, _, err = run(capsys, "predict", missing, good[0], *options)
        assert code == 1 and message in err and "MODEL" not in err, err
    # the output may not be one of the audio files, even with --overwrite or --resume
    audio = tmp_path / "song.wav"
    shutil.copyfile(good[0], audio)
    for extra in (["--overwrite"], ["--resume", "--format", "jsonl"]):
        code, _, err = run(capsys, "predict", clf_path, tmp_path, "-o", audio, *extra)
        assert code == 1 and "is one of the audio files to predict" in err
    assert audio.read_bytes() == Path(good[0]).read_bytes()


def test_finding_18_csv_cells_that_look_like_formulas_are_escaped(
    capsys, reg_path, audio_corpus, tmp_path, monkeypatch
):
    paths, _ = audio_corpus
    wav = next(p for p in paths if p.endswith(".wav"))
    names = ["=HYPERLINK(1).wav", "+1.wav", "-x.wav", "@x.wav", "'quoted.wav", "plain.wav"]
    for name in names:
        _copy(wav, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "av.csv"
    argv = ["predict", reg_path, "--format", "csv", "-o", out, "-q"]
    assert run(capsys, *argv, "--", *names)[0] == 0
    rows = list(csv.reader(out.open(newline="")))
    assert rows[0] == ["path", "arousal", "valence", "start", "end", "windows", "error"]
    assert [r[0] for r in rows[1:]] == [f"'{n}" for n in names[:-1]] + ["plain.wav"]
    for r in rows[1:]:  # numbers are written as numbers
        float(r[1]), float(r[2])
    before = out.read_text()
    code, _, err = run(capsys, *argv, "--resume", "--", *names)
    assert code == 0 and out.read_text() == before  # escaped cells read back to the names
    record = {"path": "=1+1", "label": "@SUM(A1)", "probabilities": {"-1": -0.25}}
    assert format_records([record], "csv").splitlines() == [
        "path,label,p_-1",
        "'=1+1,'@SUM(A1),-0.25",
    ]


def test_finding_18_benchmark_csv_files_escape_formulas(tmp_path):
    from sk_deepsense.benchmark._result import BenchmarkResult

    fold = {"model": "=cmd|' /C calc'!A0", "fold": 0, "accuracy": -0.5, "n_train": 4,
            "n_test": 2, "fit_s": 1.0, "predict_s": 0.1, "n_parameters": 10, "epochs": "",
            "peak_rss_mib": 100.0}  # fmt: skip
    BenchmarkResult([fold], "classification", ["accuracy"]).save(tmp_path, plot=False)
    for name in ("folds.csv", "summary.csv"):
        row = next(csv.DictReader((tmp_path / name).open(newline="")))
        assert row["model"] == "'=cmd|' /C calc'!A0" and row["accuracy"] == "-0.5"


def test_resume_rewrite_keeps_the_files_permissions(tmp_path):
    """--resume drops a cut last line by rewriting the file: it must stay as readable."""
    path = tmp_path / "music.jsonl"
    path.write_text('{"path": "a.wav", "label": "Q1"}\n{"path": "b.wa')
    path.chmod(0o644)
    done, _ = _records.read_finished(path, "jsonl")
    assert done == {"a.wav"} and path.read_text() == '{"path": "a.wav", "label": "Q1"}\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # mkstemp's 0o600 before the fix
