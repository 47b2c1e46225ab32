"""``sk-deepsense benchmark``: a subcommand like the others (options, errors, --set, -q)."""

from __future__ import annotations

import json

import pytest

from sk_deepsense.cli import main


def run(capsys, *argv):
    """main(argv) -> (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_benchmark_is_a_subcommand(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["benchmark", "--help"])
    assert info.value.code == 0
    assert "usage: sk-deepsense benchmark" in capsys.readouterr().out
    code, stdout, _ = run(
        capsys, "benchmark", "--n-samples", "16", "--folds", "2", "--models", "majority", "svm",
        "--speed-files", "0", "--data-dir", tmp_path / "synthetic",
    )  # fmt: skip
    assert code == 0
    assert "majority" in stdout and "svm" in stdout


def test_command_line_on_the_synthetic_default(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        [
            "benchmark",
            "--n-samples", "12", "--folds", "2", "--models", "majority", "svm", "hybrid",
            "--set", "max_epochs=1", "--set", "train_chunk=64",
            "--speed-files", "2", "--out", str(out),
        ]
    )  # fmt: skip
    assert status == 0
    printed = capsys.readouterr().out
    assert "| hybrid |" in printed and "naive librosa loop" in printed
    assert printed.count("(cached, shared by all fits)") == 2  # MFCCs, log-mel bands
    payload = json.loads((out / "results.json").read_text())
    assert [s["model"] for s in payload["summary"]] == ["majority", "svm", "hybrid"]
    assert payload["info"]["network_params"] == {"max_epochs": 1, "train_chunk": 64}
    assert payload["info"]["speed"]["files"] == 2
    assert payload["info"]["command"].startswith("sk-deepsense benchmark --n-samples 12")


def test_set_reads_values_like_train_and_quiet_leaves_the_table(tmp_path, capsys):
    # One --set parser for every command: None is None here too (it was the text "None").
    out = tmp_path / "out"
    code, stdout, err = run(
        capsys, "benchmark", "-q", "--n-samples", "8", "--folds", "2", "--models", "majority",
        "--set", "train_chunk=None", "--set", "hidden=(8, 4)", "--set", "optimizer=adam",
        "--speed-files", "0", "--out", out,
    )  # fmt: skip
    assert code == 0, err
    assert "| majority |" in stdout and "(cached" not in stdout and "fold 0" not in stdout
    params = json.loads((out / "results.json").read_text())["info"]["network_params"]
    assert params == {"train_chunk": None, "hidden": [8, 4], "optimizer": "adam"}  # JSON list


def test_command_line_rejects_unknown_models(capsys):
    with pytest.raises(SystemExit) as info:
        main(["benchmark", "--n-samples", "4", "--models", "gpt", "--speed-files", "0"])
    assert info.value.code == 2  # a usage error, reported by the benchmark's parser
    err = capsys.readouterr().err
    assert "unknown --models" in err and err.startswith("usage: sk-deepsense benchmark")


def test_real_datasets_need_their_folder(capsys):
    code, _, err = run(capsys, "benchmark", "--dataset", "4q")
    assert code == 1 and "needs --data-dir" in err
    assert err.startswith("sk-deepsense benchmark: error: ") and len(err.splitlines()) == 1


def test_set_without_equals_is_an_error(capsys):
    code, _, err = run(capsys, "benchmark", "--set", "max_epochs", "--speed-files", "0")
    assert code == 1 and "expected KEY=VALUE" in err
