"""The sk-deepsense command line: train, predict, evaluate, benchmark, demo and its errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

from sk_deepsense import load_model
from sk_deepsense.cli import format_records, main, parse_value

TINY_SETS = [
    "--set", "clf__max_epochs=2",
    "--set", "clf__n_filters=4",
    "--set", "clf__lstm_hidden_size=8",
    "--set", "clf__n_ensemble=1",
    "--set", "logmel__duration=2.0",
    "--set", "logmel__sr=16000",
]  # fmt: skip
#: a small hybrid network (train's default model is the recommended one)
TINY = ["--model", "hybrid", *TINY_SETS]


def run(capsys, *argv):
    """main(argv) -> (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def labels_csv(audio_corpus, tmp_path_factory):
    """A path,label,group CSV beside the corpus, with paths relative to it."""
    paths, labels = audio_corpus
    folder = Path(paths[0]).parent
    csv_path = tmp_path_factory.mktemp("csv") / "labels.csv"
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "group"])
        for i, (p, label) in enumerate(zip(paths, labels, strict=True)):
            rel = Path("..") / folder.name / Path(p).name
            writer.writerow([str(rel) if i % 2 else p, label, f"artist{i // 3}"])
    # the odd rows' relative paths lead from the CSV's folder to the corpus folder
    assert (csv_path.parent.parent / folder.name).samefile(folder)
    return csv_path


@pytest.fixture(scope="module")
def av_csv(audio_corpus, tmp_path_factory):
    paths, labels = audio_corpus
    av = {"low": (-0.5, -0.3), "high": (0.7, 0.5), "noise": (0.6, -0.6)}
    csv_path = tmp_path_factory.mktemp("csv_av") / "av.csv"
    with open(csv_path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "arousal", "valence"])
        for p, label in zip(paths, labels, strict=True):
            writer.writerow([p, *av[label]])
    return csv_path


@pytest.fixture(scope="module")
def clf_model(labels_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "clf.skds"
    assert main(["train", str(labels_csv), "-o", str(out), "-q", *TINY]) == 0
    return out


def test_console_script_is_registered_and_python_m_works():
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("sk-deepsense") == "sk_deepsense.cli:main"
    proc = subprocess.run(
        [sys.executable, "-m", "sk_deepsense", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and proc.stdout.startswith("sk_deepsense ")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("20", 20),
        ("0.5", 0.5),
        ("true", True),
        ("True", True),
        ("null", None),
        ("None", None),
        ("[3, 5]", [3, 5]),
        ("mean", "mean"),
        ('"7"', "7"),
        ("~/cache", "~/cache"),
        ("-3", -3),
        ("1e-3", 0.001),
        ("(3, 5)", (3, 5)),
        ("('a', 2.5)", ("a", 2.5)),
        ("hybrid_nolstm", "hybrid_nolstm"),
        ("", ""),
    ],
)
def test_set_values_are_read_as_json_then_python_literals_then_text(text, value):
    assert parse_value(text) == value and type(parse_value(text)) is type(value)


def test_set_options_become_a_dict_and_every_command_reads_them_alike():
    from sk_deepsense.cli import benchmark, train
    from sk_deepsense.cli._common import CLIError, parse_sets

    sets = [" clf__max_epochs = 20", "train_chunk=None", "a=(1, 2)", "a=x=y", "k="]
    assert parse_sets(sets) == {"clf__max_epochs": 20, "train_chunk": None, "a": "x=y", "k": ""}
    for bad in ("max_epochs", "=3"):
        with pytest.raises(CLIError, match="expected KEY=VALUE"):
            parse_sets([bad])
    assert train.parse_sets is benchmark.parse_sets is parse_sets


HEAVY = ("torch", "skorch", "librosa", "sklearn", "pandas", "matplotlib")


def test_help_imports_no_heavy_library():
    # `sk-deepsense --help` must answer at once: building the parser (every command's
    # options included) imports none of the libraries the commands run on.
    code = (
        "import runpy, sys\n"
        "sys.argv = ['sk-deepsense', '--help']\n"
        "try:\n"
        "    runpy.run_module('sk_deepsense', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "from sk_deepsense.cli import COMMANDS, build_parser, command_parser\n"
        "parser = build_parser()\n"
        "for c in COMMANDS:\n"
        "    command_parser(parser, c.__name__.rsplit('.', 1)[1]).format_help()\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "usage: sk-deepsense" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "[]"


def test_make_pipeline_for_builds_every_model_on_every_feature():
    from sk_deepsense._choices import ARCHITECTURES, BASELINES, FEATURES
    from sk_deepsense.cli import MODELS, make_pipeline_for
    from sk_deepsense.features import BaseAudioTransformer

    assert ("recommended", *ARCHITECTURES, *BASELINES) == MODELS
    for features in FEATURES:
        for model in MODELS:
            if model == "recommended" and features != "musicnn":
                with pytest.raises(ValueError, match="reads musicnn features"):
                    make_pipeline_for(model, "classification", features=features)
                continue
            pipe = make_pipeline_for(model, "classification", features=features, n_jobs=3)
            assert [name for name, _ in pipe.steps] == [features, "clf"]
            assert isinstance(pipe[0], BaseAudioTransformer) and pipe[0].n_jobs == 3
            assert pipe[0].on_error == "raise_all"
            if model in ARCHITECTURES:
                assert pipe[-1].architecture == model
    with pytest.raises(ValueError, match="features must be one of"):
        make_pipeline_for("svm", "classification", features="chroma")
    # the default: the recommended model on its musicnn features; a network on log-mels
    recommended = make_pipeline_for("recommended", "regression", features=None)
    assert [name for name, _ in recommended.steps] == ["musicnn", "clf"]
    assert type(recommended[-1][-1]).__name__ == "Ridge"
    assert make_pipeline_for("hybrid", "classification", features=None).steps[0][0] == "logmel"


def test_format_records_aligns_a_table_and_flattens_probabilities():
    records = [
        {"path": "a b.mp3", "label": "Q1", "probabilities": {"Q1": 0.75, "Q2": 0.25}},
        {"path": "c.mp3", "label": "Q2", "probabilities": {"Q1": 0.1, "Q2": 0.9}},
    ]
    assert format_records(records, "table").splitlines() == [
        "path     label  p_Q1   p_Q2",
        "a b.mp3  Q1     0.750  0.250",
        "c.mp3    Q2     0.100  0.900",
    ]
    assert format_records(records, "csv").splitlines()[1] == "a b.mp3,Q1,0.75,0.25"
    assert json.loads(format_records(records, "json")) == records
    with pytest.raises(ValueError, match="fmt must be one of"):
        format_records(records, "xml")


def test_train_with_cv_saves_a_pipeline_that_predicts_like_the_command(
    capsys, labels_csv, audio_corpus, tmp_path
):
    out = tmp_path / "model.joblib"
    code, stdout, err = run(capsys, "train", labels_csv, "-o", out, "--cv", "2", *TINY)
    assert code == 0, err
    grouped = "grouped by the 'group' column of labels.csv"
    assert f"cross-validated scores (2 folds, {grouped}; mean +- std)" in stdout
    assert "accuracy" in stdout and "macro_f1" in stdout
    assert "fold 2/2" in err and "epoch" in err  # progress: fold lines, epoch table
    assert "epoch" not in stdout
    assert "saved" in stdout
    pipe = joblib.load(out)
    assert pipe.named_steps["clf"].max_epochs == 2  # --set reached the model
    assert pipe.named_steps["logmel"].sr == 16000  # the recommended features by default
    assert pipe.named_steps["logmel"].verbose == 0  # no progress bars baked into the model
    paths, _ = audio_corpus
    argv = ["predict", out, paths[0], paths[5], "--format", "json", "-q", "--allow-pickle"]
    code, stdout, _ = run(capsys, *argv)
    records = json.loads(stdout)
    assert [r["path"] for r in records] == [paths[0], paths[5]]
    assert [r["label"] for r in records] == pipe.predict([paths[0], paths[5]]).tolist()
    proba = pipe.predict_proba([paths[0], paths[5]])
    for rec, row in zip(records, proba, strict=True):
        assert list(rec["probabilities"]) == ["high", "low", "noise"]
        np.testing.assert_allclose(list(rec["probabilities"].values()), row, atol=1e-4)


def test_train_refuses_to_replace_a_model_unless_asked(capsys, labels_csv, tmp_path):
    out = tmp_path / "model.joblib"
    out.write_bytes(b"precious")
    code, _, err = run(capsys, "train", labels_csv, "-o", out, *TINY)
    assert code == 1 and "already exists; pass --overwrite" in err
    assert out.read_bytes() == b"precious"
    assert run(capsys, "train", labels_csv, "-o", out, "--overwrite", "-q", *TINY)[0] == 0
    assert joblib.load(out).predict  # replaced by a model
    assert [p.name for p in tmp_path.iterdir()] == ["model.joblib"]  # no temporary file left


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "clf__max_epoch=3"], "did you mean clf__max_epochs"),
        (["--set", "clf__max_epochs=-3"], "'max_epochs' parameter of HybridCNNLSTMClassifier"),
        (["--set", "logmel__n_mels=zero"], "'n_mels' parameter of LogMelTransformer"),
        (["--set", "mfcc__n_mfcc=3"], "steps 'logmel' (the features, --features)"),
        (["--features", "mfcc", "--set", "mfcc__n_mfcc=zero"], "'n_mfcc' parameter of MFCC"),
        (["--set", "max_epochs"], "expected KEY=VALUE"),
        (["--cv", "1"], "--cv 1: needs at least 2 folds"),
        (["--dataset", "4q"], "either LABELS.csv or --dataset"),
        (["--data-dir", "x"], "--data-dir goes with --dataset"),
    ],
)
def test_train_errors_are_one_line_naming_the_option(capsys, labels_csv, tmp_path, extra, message):
    code, out, err = run(
        capsys, "train", labels_csv, "-o", tmp_path / "m.joblib", "--model", "hybrid", *extra
    )
    assert code == 1
    assert message in err
    assert err.startswith("sk-deepsense train: error: ")
    assert len(err.splitlines()) == 1  # one line, no traceback
    assert not (tmp_path / "m.joblib").exists()


def test_train_needs_data_and_dataset_needs_its_folder(capsys, tmp_path):
    code, _, err = run(capsys, "train", "-o", tmp_path / "m.joblib")
    assert code == 1 and "give a LABELS.csv or --dataset" in err
    code, _, err = run(capsys, "train", "--dataset", "4q", "-o", tmp_path / "m.joblib")
    assert code == 1 and "--dataset 4q needs --data-dir" in err
    code, _, err = run(capsys, "train", tmp_path / "absent.csv", "-o", tmp_path / "m.joblib")
    assert code == 1 and "absent.csv" in err and "not found" in err


def test_unexpected_errors_name_their_type_on_one_line(capsys, monkeypatch, tmp_path):
    import sk_deepsense._demo

    def boom(*args, **kwargs):
        raise RuntimeError("disk\non fire")

    monkeypatch.setattr(sk_deepsense._demo, "run_demo", boom)
    code, _, err = run(capsys, "demo", "-o", tmp_path)
    assert code == 1
    assert err == (
        "sk-deepsense demo: error: RuntimeError: disk on fire (--debug shows the traceback)\n"
    )
    with pytest.raises(RuntimeError, match="fire"):
        main(["demo", "-o", str(tmp_path), "--debug"])


def test_debug_shows_the_traceback(capsys, tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        main(["train", str(tmp_path / "absent.csv"), "-o", str(tmp_path / "m"), "--debug"])


def test_regression_csv_trains_a_regressor_and_predicts_arousal_valence(
    capsys, av_csv, audio_corpus, tmp_path
):
    out = tmp_path / "av.joblib"
    code, stdout, err = run(capsys, "train", av_csv, "-o", out, "--cv", "2", "-q", *TINY)
    assert code == 0, err
    assert "arousal_ccc" in stdout and "valence_rmse" in stdout
    paths, _ = audio_corpus
    code, stdout, _ = run(
        capsys, "predict", out, *paths[:3], "--format", "csv", "-q", "--allow-pickle"
    )
    rows = list(csv.DictReader(io.StringIO(stdout)))
    # a streamed CSV has its error column from the start (empty unless a file failed)
    assert list(rows[0]) == ["path", "arousal", "valence", "start", "end", "windows", "error"]
    assert all(r["error"] == "" for r in rows)
    pred = joblib.load(out).predict(paths[:3])
    np.testing.assert_allclose([[float(r["arousal"]), float(r["valence"])] for r in rows], pred,
                               atol=1e-4)  # fmt: skip
    code, stdout, _ = run(
        capsys, "evaluate", out, av_csv, "--format", "json", "-q", "--allow-pickle"
    )
    scores = json.loads(stdout)["scores"]
    assert set(scores) == {f"{t}_{m}" for t in ("arousal", "valence") for m in ("rmse", "r", "ccc")}


def test_baseline_model_predicts_labels_without_probabilities(
    capsys, labels_csv, audio_corpus, tmp_path
):
    out = tmp_path / "svm.joblib"
    argv = ["train", labels_csv, "-o", out, "--model", "svm", "--cv", "2", *TINY_SETS[8:]]
    code, stdout, err = run(capsys, *argv)
    assert code == 0, err
    assert "cross-validated scores" in stdout
    pipe = joblib.load(out)
    assert type(pipe.named_steps["clf"][-1]).__name__ == "SVC"
    paths, _ = audio_corpus
    code, stdout, _ = run(
        capsys, "predict", out, *paths[:4], "--format", "json", "-q", "--allow-pickle"
    )
    records = json.loads(stdout)
    assert all(set(r) == {"path", "label", "start", "end", "windows"} for r in records)
    assert [r["label"] for r in records] == pipe.predict(paths[:4]).tolist()
    argv = ["predict", out, records[0]["path"], "--plot", tmp_path / "t.png", "--allow-pickle"]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "--plot needs a network model" in err


def test_train_on_descriptors(capsys, labels_csv, tmp_path):
    out = tmp_path / "descriptors.joblib"
    argv = ["train", labels_csv, "-o", out, "--model", "svm", "--features", "descriptors"]
    code, _, err = run(capsys, *argv, "--set", "descriptors__duration=2.0", "-q")
    assert code == 0, err
    pipe = joblib.load(out)
    assert [name for name, _ in pipe.steps] == ["descriptors", "clf"]
    assert type(pipe[0]).__name__ == "DescriptorTransformer" and pipe[0].duration == 2.0


def test_predict_a_folder_in_every_format(capsys, clf_model, audio_corpus):
    paths, _ = audio_corpus
    folder = Path(paths[0]).parent
    code, stdout, _ = run(capsys, "predict", clf_model, folder, "--format", "json", "-q")
    records = json.loads(stdout)
    assert sorted(r["path"] for r in records) == sorted(paths)  # every audio file under it
    code, table, _ = run(capsys, "predict", clf_model, paths[0], "-q")
    header, row = table.splitlines()
    assert header.split() == [
        "path", "label", "start", "end", "windows", "p_high", "p_low", "p_noise"
    ]  # fmt: skip
    label = load_model(clf_model).predict(paths[:1])[0]
    assert row.startswith(paths[0]) and row[len(paths[0]) :].split()[0] == label
    code, text, _ = run(capsys, "predict", clf_model, paths[0], "--format", "csv", "-q")
    assert next(csv.DictReader(io.StringIO(text)))["path"] == paths[0]


def test_predict_errors(capsys, clf_model, labels_csv, tmp_path):
    code, _, err = run(capsys, "predict", clf_model, tmp_path / "absent.mp3")
    assert code == 1 and "absent.mp3" in err and "does not exist" in err
    code, _, err = run(capsys, "predict", labels_csv, tmp_path)
    assert code == 1 and "is not a model file: give a .skds file" in err
    joblib.dump({"not": "a model"}, tmp_path / "dict.joblib")
    code, _, err = run(capsys, "predict", tmp_path / "dict.joblib", labels_csv, "--allow-pickle")
    assert code == 1 and "holds a dict, not a pipeline" in err
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "predict", clf_model, tmp_path / "empty")
    assert code == 1 and "holds no audio file" in err
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    (tmp_path / "empty.mp3").write_bytes(b"")
    code, _, err = run(capsys, "predict", clf_model, bad, tmp_path / "empty.mp3", "-q")
    assert code == 1
    assert err.startswith("sk-deepsense predict: error: 2 of 2 audio files could not be read:")
    assert "bad.wav" in err and "empty.mp3" in err and len(err.splitlines()) == 1
    with pytest.raises(SystemExit) as info:
        main(["predict", str(clf_model), "x.wav", "--format", "xml"])
    assert info.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


def test_predict_timeline_plots_one_panel_per_file(capsys, clf_model, audio_corpus, tmp_path):
    paths, _ = audio_corpus
    out = tmp_path / "timeline.png"
    code, _, err = run(capsys, "predict", clf_model, *paths[:2], "--plot", out)
    assert code == 0, err
    assert out.stat().st_size > 10_000
    import matplotlib.image

    assert matplotlib.image.imread(out).shape[0] > 400  # two panels stacked
    code, _, err = run(capsys, "predict", clf_model, paths[0], "--plot", out)
    assert code == 1 and "already exists" in err


def test_plots_leave_matplotlib_global_state_alone(
    capsys, clf_model, labels_csv, audio_corpus, tmp_path, monkeypatch
):
    import matplotlib
    import matplotlib.pyplot as plt

    def refuse(*args, **kwargs):
        raise AssertionError("library code switched the matplotlib backend")

    monkeypatch.setattr(matplotlib, "use", refuse)
    before = plt.get_fignums()
    code, _, err = run(capsys, "evaluate", clf_model, labels_csv, "--plot", tmp_path / "cm.png")
    assert code == 0, err
    paths, _ = audio_corpus
    code, _, err = run(capsys, "predict", clf_model, paths[0], "--plot", tmp_path / "t.png")
    assert code == 0, err
    assert plt.get_fignums() == before  # no pyplot figure left open
    assert (tmp_path / "cm.png").stat().st_size > 5_000
    assert (tmp_path / "t.png").stat().st_size > 5_000


def test_evaluate_prints_scores_and_the_confusion_matrix(capsys, clf_model, labels_csv, tmp_path):
    code, stdout, _ = run(capsys, "evaluate", clf_model, labels_csv, "--format", "json", "-q")
    assert code == 0
    result = json.loads(stdout)
    pipe = load_model(clf_model)
    from sk_deepsense.datasets import load_labels

    data = load_labels(labels_csv)
    pred = pipe.predict(data.filenames)
    assert result["scores"]["accuracy"] == pytest.approx(np.mean(pred == data.target))
    assert result["labels_order"] == ["high", "low", "noise"]
    expected = confusion_matrix(data.target, pred, labels=["high", "low", "noise"])
    assert result["confusion_matrix"] == expected.tolist()
    out = tmp_path / "cm.png"
    code, text, err = run(capsys, "evaluate", clf_model, labels_csv, "--plot", out)
    assert code == 0 and out.stat().st_size > 5_000
    assert "confusion matrix (rows: true, columns: predicted)" in text
    assert "per class" in text and f"{expected[0, 0]}" in text


@pytest.fixture(scope="module")
def demo_fast(tmp_path_factory):
    """``sk-deepsense demo --fast`` run once: (its folder, its standard output)."""
    from contextlib import redirect_stderr, redirect_stdout

    out = tmp_path_factory.mktemp("demo") / "demo"
    with redirect_stdout(io.StringIO()) as stdout, redirect_stderr(io.StringIO()) as stderr:
        code = main(["demo", "-o", str(out), "--fast"])
    assert code == 0, stderr.getvalue()
    return out, stdout.getvalue()


def test_demo_fast_writes_every_plot_and_protects_them(capsys, demo_fast):
    from sk_deepsense._demo import DEMO_FILES
    from sk_deepsense.persistence import load_model

    out, stdout = demo_fast
    assert "hybrid on MFCCs" in stdout and "hybrid on log-mel" in stdout
    assert "MFCC statistics + SVM" in stdout
    for name in DEMO_FILES:
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "results.json").read_text())
    assert (
        len(results["scores"]["hybrid on MFCCs"])
        == len(results["scores"]["hybrid on log-mel"])
        == 2
    )
    assert [s[2] for s in results["timeline_segments"]] == ["Q1", "Q3", "Q2"]
    model = load_model(out / "model.skds")
    assert model.predict([str(out / "clips" / "clip_0000.wav")])[0] in {"Q1", "Q2", "Q3", "Q4"}
    mtime = (out / "summary.png").stat().st_mtime_ns
    code, _, err = run(capsys, "demo", "-o", out, "--fast")
    assert code == 1 and "--overwrite" in err
    assert (out / "summary.png").stat().st_mtime_ns == mtime


def test_finding_15_the_demo_writes_a_safe_model_that_listen_streams(capsys, demo_fast):
    import zipfile

    from sk_deepsense.persistence import load_model
    from sk_deepsense.timeline import predict_timeline

    out, stdout = demo_fast
    model, song = out / "model.skds", out / "medley.wav"
    assert zipfile.is_zipfile(model) and not (out / "model.joblib").exists()
    assert f"sk-deepsense predict {model} {song}" in stdout  # the hints name the .skds
    assert f"sk-deepsense listen {model} {song}" in stdout
    code, text, err = run(capsys, "listen", model, song, "--no-wait", "--format", "jsonl")
    assert code == 0, err
    assert "the last 4 s at each moment" in err  # --fast clips are 4 s long
    lines = [json.loads(line) for line in text.splitlines()]
    pipe = load_model(model)
    pipe.steps[0] = ("mfcc", pipe[0].set_params(duration=None))
    expected = predict_timeline(pipe, [str(song)], window=4.0, step=0.5)[0]
    assert len(lines) == len(expected.times) > 20  # 12 s of medley, a line every 0.5 s
    got = [[r["probabilities"][name] for name in expected.names] for r in lines]
    np.testing.assert_allclose(got, expected.values, atol=1e-5)
    code, text, err = run(capsys, "listen", model, song, "--no-wait", "--window", "0", "-q")
    assert code == 0 and len(text.splitlines()) == 24  # causal: 0, 0.5, ..., 11.5 s


def test_skds_models_are_saved_and_read_in_the_safe_format(
    capsys, labels_csv, audio_corpus, tmp_path
):
    import zipfile

    out = tmp_path / "model.skds"
    code, _, err = run(capsys, "train", labels_csv, "-o", out, "-q", *TINY)
    assert code == 0, err
    assert zipfile.is_zipfile(out) and set(zipfile.ZipFile(out).namelist()) == {
        "model.json",
        "weights.pt",
    }
    paths, _ = audio_corpus
    code, stdout, _ = run(capsys, "predict", out, paths[0], "--format", "json", "-q")
    from sk_deepsense import load_model

    assert json.loads(stdout)[0]["label"] == load_model(out).predict(paths[:1])[0]
    forest = ("train", labels_csv, "-o", tmp_path / "b.skds", "--model", "random_forest")
    code, _, err = run(capsys, *forest)
    assert code == 1 and "the .skds format cannot hold this model" in err
    assert "RandomForestClassifier" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "b.skds").exists()
    code, _, err = run(
        capsys, "train", labels_csv, "-o", tmp_path / "s.skds", "--model", "svm", "-q"
    )
    assert code == 0, err  # the SVM baseline: a nested Pipeline of supported steps
    assert load_model(tmp_path / "s.skds").predict(paths[:1])[0] in {"low", "high", "noise"}


# ------------------------------------------------------------------- issue 26: 13, 14, 16, 17
def _relabelled_csv(labels_csv: Path, tmp_path: Path, group: str | None) -> Path:
    """The labels CSV with its group column renamed to ``group`` (None: dropped)."""
    rows = list(csv.reader(labels_csv.open()))
    base = labels_csv.parent
    out = tmp_path / "labels.csv"
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        for i, (path, label, artist) in enumerate(rows):
            path = path if i == 0 else str((base / path).resolve())
            writer.writerow([path, label] if group is None else [path, label, artist])
    if group is not None:
        text = out.read_text().replace("path,label,group", f"path,label,{group}", 1)
        out.write_text(text)
    return out


def test_finding_13_train_cv_groups_folds_by_an_artist_column_and_says_so(
    capsys, monkeypatch, labels_csv, tmp_path
):
    import sk_deepsense.model_selection

    seen = []
    make_splits = sk_deepsense.model_selection.make_splits

    def spy(y, groups, **kwargs):
        seen.append(groups)
        return make_splits(y, groups, **kwargs)

    monkeypatch.setattr(sk_deepsense.model_selection, "make_splits", spy)
    data = _relabelled_csv(labels_csv, tmp_path, "Artist")
    argv = [
        "train",
        data,
        "-o",
        tmp_path / "m.joblib",
        "--model",
        "svm",
        "--cv",
        "2",
        *TINY_SETS[8:],
    ]
    code, stdout, err = run(capsys, *argv)
    assert code == 0, err
    assert seen[0].tolist() == [f"artist{i // 3}" for i in range(len(seen[0]))]
    assert "--cv folds grouped by the 'Artist' column of labels.csv (" in err
    assert "cross-validated scores (2 folds, grouped by the 'Artist' column of labels.csv;" in (
        stdout
    )
    assert "warning" not in err


def test_finding_13_train_cv_warns_when_the_folds_are_not_grouped(capsys, labels_csv, tmp_path):
    data = _relabelled_csv(labels_csv, tmp_path, None)
    argv = ["train", data, "-o", tmp_path / "m.joblib", "--model", "svm", "--cv", "2", "-q"]
    code, stdout, err = run(capsys, *argv, *TINY_SETS[8:])
    assert code == 0, err
    # a warning, printed even with -q, naming the columns that would group the folds
    assert err.startswith("sk-deepsense train: warning: --cv folds are not grouped")
    assert "artist, artists, group or groups" in err and len(err.splitlines()) == 1
    assert "cross-validated scores (2 folds, not grouped;" in stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("gpu", "'device' parameter of HybridCNNLSTMClassifier must be 'auto'"),
        ("cuda:x", "a device name torch accepts, e.g. 'cpu', 'cuda', 'cuda:1' or 'mps'"),
        ("meta", "device='meta' cannot be used on this machine"),
    ],
)
def test_finding_14_set_device_fails_before_any_audio_is_decoded(
    capsys, monkeypatch, labels_csv, tmp_path, value, message
):
    from sk_deepsense.features import BaseAudioTransformer

    def decode(*args, **kwargs):
        raise AssertionError("audio was decoded before the check")

    monkeypatch.setattr(BaseAudioTransformer, "transform", decode)
    monkeypatch.setattr(BaseAudioTransformer, "fit_transform", decode)
    argv = [
        "train",
        labels_csv,
        "-o",
        tmp_path / "m.joblib",
        "--model",
        "hybrid",
        "--set",
        f"clf__device={value}",
    ]
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith("sk-deepsense train: error: --set: ") and len(err.splitlines()) == 1
    assert message in err


@pytest.mark.skipif(
    __import__("torch").cuda.is_available(), reason="the machine has CUDA: 'cuda' is usable"
)
def test_finding_14_a_device_this_machine_lacks_fails_at_the_check(capsys, labels_csv, tmp_path):
    argv = [
        "train",
        labels_csv,
        "-o",
        tmp_path / "m.joblib",
        "--model",
        "hybrid",
        "--set",
        "clf__device=cuda",
    ]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "device='cuda' cannot be used on this machine" in err
    assert "use device='cpu', or device='auto'" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("clf__net_params={'nonsense': 1}", "'net_params' parameter of HybridCNNLSTMClassifier"),
        ("clf__callbacks=[('a', 1)]", "'callbacks' parameter of HybridCNNLSTMClassifier"),
    ],
)
def test_finding_14_other_late_failures_now_fail_at_the_check(
    capsys, monkeypatch, labels_csv, tmp_path, item, message
):
    from sk_deepsense.features import BaseAudioTransformer

    def decode(*args, **kwargs):
        raise AssertionError("audio was decoded before the check")

    monkeypatch.setattr(BaseAudioTransformer, "fit_transform", decode)
    code, _, err = run(
        capsys, "train", labels_csv, "-o", tmp_path / "m.joblib", "--model", "hybrid", "--set", item
    )
    assert code == 1 and message in err and len(err.splitlines()) == 1


def test_finding_16_every_command_speaks_one_vocabulary(capsys):
    from sk_deepsense.cli import COMMANDS, build_parser, command_parser

    parser = build_parser()
    for command in (c.__name__.rsplit(".", 1)[1] for c in COMMANDS):
        sub = command_parser(parser, command)
        options = {s for a in sub._actions for s in a.option_strings}
        assert "--out" not in options and "--timeline" not in options, command
        if command in ("train", "predict", "demo", "benchmark"):
            assert {"-o", "--output", "--overwrite"} <= options, command
        if "--plot" in options:
            assert "--overwrite" in options, command
        for action in sub._actions:
            if "--format" in action.option_strings:
                assert "text" not in action.choices and "table" in action.choices, command
    new = parser.parse_args(["predict", "m", "a.wav", "--plot", "t.png"])
    assert new.timeline == Path("t.png") and capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["predict", "m", "a.wav", "--timeline", "t.png"], 2,
         "unrecognized arguments: --timeline"),
        (["evaluate", "m", "l.csv", "--format", "text"], 2, "invalid choice: 'text'"),
        (["listen", "m", "a.wav", "--format", "text"], 2, "invalid choice: 'text'"),
        (["train", "l.csv", "-o", "m", "--model", "random forest"], 2,
         "invalid choice: 'random forest'"),
        (["benchmark", "--models", "random forest"], 2, "invalid choice: 'random forest'"),
        (["demo", "--max-epochs", "5"], 2, "unrecognized arguments: --max-epochs"),
        (["benchmark", "--set", "max_epochs=1", "--data-dir", "d", "--speed-files", "0"], 1,
         "--set max_epochs: the benchmark sets the networks' parameters only, named clf__PARAM"),
    ],
)  # fmt: skip
def test_spellings_of_development_versions_are_refused(
    capsys, monkeypatch, tmp_path, argv, status, message
):
    # backwards compatibility starts at the first release (docs/development.rst): the
    # spellings that 0.1.0.dev0 renamed are unknown, with argparse's usage error (2) or,
    # for a bare --set key of the benchmark, the one-line error (1) before any work
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == status and message in err and "deprecated" not in err
    if status == 2:
        assert err.startswith("usage: sk-deepsense ")  # argparse's own usage error
    else:
        assert len(err.splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_finding_16_demo_takes_set_like_train(capsys, monkeypatch, tmp_path):
    import sk_deepsense._demo

    seen = {}
    monkeypatch.setattr(sk_deepsense._demo, "run_demo", lambda *a, **kw: seen.update(kw))
    assert run(capsys, "demo", "-o", tmp_path, "--set", "clf__max_epochs=7")[0] == 0
    assert seen["max_epochs"] == 7
    code, _, err = run(capsys, "demo", "-o", tmp_path, "--set", "clf__lr=0.1")
    assert code == 1 and "the demo takes clf__max_epochs only" in err
    code, _, err = run(capsys, "demo", "-o", tmp_path, "--set", "clf__max_epochs=0")
    assert code == 1 and "must be an integer >= 1" in err


def test_finding_16_predict_plot_and_evaluate_table_run(capsys, clf_model, labels_csv, tmp_path):
    paths = [r[0] for r in list(csv.reader(labels_csv.open()))[1:3]]
    paths = [str((labels_csv.parent / p).resolve()) for p in paths]
    code, _, err = run(capsys, "predict", clf_model, paths[0], "--plot", tmp_path / "t.png")
    assert code == 0, err
    assert (tmp_path / "t.png").stat().st_size > 5_000
    code, table, err = run(capsys, "evaluate", clf_model, labels_csv, "--format", "table", "-q")
    assert code == 0 and err == "" and "confusion matrix" in table


def _check_progress_and_results(stdout: str, stderr: str, out: Path) -> None:
    """Finding 17: stdout holds the result only; stderr the labelled tables, no colours."""
    assert "\x1b" not in stdout and "\x1b" not in stderr  # no ANSI colour codes
    assert stdout.splitlines() == [stdout.splitlines()[0]]  # only "saved ..."
    assert stdout.startswith(f"saved {out}") and "epoch" not in stdout
    err = stderr.splitlines()
    first, second = err.index("network 1 of 2:"), err.index("network 2 of 2:")
    assert first < second
    for start in (first, second):  # each label heads its own table
        assert err[start + 1].split()[:2] == ["epoch", "train_loss"]
    assert sum(line.split()[:1] == ["epoch"] for line in err) == 2


def _two_networks_argv(labels_csv, out) -> list:
    """``train`` of a tiny hybrid ensemble of two networks (two epoch tables)."""
    sets = [*TINY_SETS[:6], "--set", "clf__n_ensemble=2", *TINY_SETS[8:]]
    return ["train", labels_csv, "-o", out, "--model", "hybrid", *sets]


def test_finding_17_train_keeps_stdout_for_results_and_labels_epoch_tables_on_stderr(
    capsys, labels_csv, tmp_path
):
    out = tmp_path / "m.joblib"
    argv = _two_networks_argv(labels_csv, out)
    code, stdout, stderr = run(capsys, *argv)  # captured: not terminals
    assert code == 0, stderr
    _check_progress_and_results(stdout, stderr, out)


@pytest.mark.slow
def test_finding_17_redirected_train_writes_no_colour_codes(labels_csv, tmp_path):
    out = tmp_path / "m.joblib"
    argv = _two_networks_argv(labels_csv, out)
    proc = subprocess.run(  # stdout and stderr are pipes, as with > and 2>
        [sys.executable, "-m", "sk_deepsense", *map(str, argv)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    _check_progress_and_results(proc.stdout, proc.stderr, out)
