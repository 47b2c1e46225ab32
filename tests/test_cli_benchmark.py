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
            "--set", "clf__max_epochs=1", "--set", "clf__train_chunk=64",
            "--speed-files", "2", "-o", str(out),
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
    # the network is the pipeline's final step: its parameters and epochs fill the columns
    summary = {s["model"]: s for s in payload["summary"]}
    assert summary["hybrid"]["n_parameters"] > 0 and summary["hybrid"]["epochs"] == 1
    assert summary["svm"]["n_parameters"] == summary["svm"]["epochs"] == ""
    hybrid = next(line for line in printed.splitlines() if line.startswith("| hybrid |"))
    assert hybrid.endswith(f"| {summary['hybrid']['n_parameters']:,} | 1 |")


def test_set_reads_values_like_train_and_quiet_leaves_the_table(tmp_path, capsys):
    # One --set parser for every command: None is None here too (it was the text "None").
    out = tmp_path / "out"
    code, stdout, err = run(
        capsys, "benchmark", "-q", "--n-samples", "8", "--folds", "2", "--models", "majority",
        "--set", "clf__train_chunk=None", "--set", "clf__pooling=last",
        "--set", "clf__net_params={'optimizer__betas': (0.8, 0.9)}",
        "--speed-files", "0", "-o", out,
    )  # fmt: skip
    assert code == 0, err
    assert "| majority |" in stdout and "(cached" not in stdout and "fold 0" not in stdout
    params = json.loads((out / "results.json").read_text())["info"]["network_params"]
    assert params == {  # the tuple became a JSON list
        "train_chunk": None,
        "pooling": "last",
        "net_params": {"optimizer__betas": [0.8, 0.9]},
    }


def test_command_line_rejects_unknown_models(capsys):
    with pytest.raises(SystemExit) as info:
        main(["benchmark", "--n-samples", "4", "--models", "gpt", "--speed-files", "0"])
    assert info.value.code == 2  # a usage error, reported by the benchmark's parser
    err = capsys.readouterr().err
    assert "invalid choice: 'gpt'" in err and err.startswith("usage: sk-deepsense benchmark")
    assert "random_forest" in err  # the valid names are listed


def test_real_datasets_need_their_folder(capsys):
    code, _, err = run(capsys, "benchmark", "--dataset", "4q")
    assert code == 1 and "needs --data-dir" in err
    assert err.startswith("sk-deepsense benchmark: error: ") and len(err.splitlines()) == 1


def test_set_without_equals_is_an_error(capsys):
    code, _, err = run(capsys, "benchmark", "--set", "max_epochs", "--speed-files", "0")
    assert code == 1 and "expected KEY=VALUE" in err


def test_finding_16_new_names_work_and_output_is_not_replaced(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_text("an earlier run")
    argv = [
        "benchmark", "--n-samples", "8", "--folds", "2", "--models", "random_forest",
        "majority", "--speed-files", "0", "--set", "clf__max_epochs=1", "-o", out,
    ]  # fmt: skip
    code, _, err = run(capsys, *argv, "--data-dir", tmp_path / "a")
    assert code == 1 and "already holds results.json; pass --overwrite" in err
    assert not (tmp_path / "a").exists()  # refused before any work
    assert (out / "results.json").read_text() == "an earlier run"
    code, stdout, err = run(capsys, *argv, "--data-dir", tmp_path / "b", "--overwrite")
    assert code == 0, err
    assert "| random forest |" in stdout  # the table labels stay as they were
    summary = json.loads((out / "results.json").read_text())["summary"]
    assert [s["model"] for s in summary] == ["majority", "random forest"]


def test_finding_16_train_and_benchmark_take_the_same_model_names():
    from sk_deepsense._choices import ARCHITECTURES, BENCHMARK_MODELS
    from sk_deepsense.benchmark import default_models, model_label
    from sk_deepsense.cli import MODELS, build_parser

    parser = build_parser()
    assert set(MODELS) <= set(BENCHMARK_MODELS)
    for name in MODELS:  # every train --model name is a benchmark --models name
        assert parser.parse_args(["benchmark", "--models", name]).models == [name]
        assert parser.parse_args(["train", "x.csv", "-o", "m", "--model", name]).model == name
    for task in ("classification", "regression"):
        labels = [model_label(n, task) for n in BENCHMARK_MODELS]
        rows = default_models(task)
        assert [label for label in labels if label in rows] == list(rows)  # table order
        assert set(rows) == set(labels) - ({"fusion"} if task == "regression" else set())
    models = default_models()
    for arch in ARCHITECTURES:  # the same name means the same network in both commands
        assert models[model_label(arch)](0)[-1].architecture == arch


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["clf__device=gpu"], "'device' parameter of HybridCNNLSTMClassifier must be 'auto'"),
        (["clf__max_epoch=3"], "did you mean clf__max_epochs"),
        (["logmel__n_mels=96"], "the networks' parameters only, named clf__PARAM"),
        (["clf__net_params={'nonsense': 1}"], "'net_params' parameter"),
    ],
)
def test_finding_14_benchmark_set_is_validated_before_any_work(tmp_path, capsys, sets, message):
    argv = ["benchmark", "--n-samples", "8", "--data-dir", tmp_path / "synthetic"]
    for item in sets:
        argv += ["--set", item]
    code, _, err = run(capsys, *argv)
    assert code == 1 and message in err
    assert err.startswith("sk-deepsense benchmark: error: --set") and len(err.splitlines()) == 1
    assert not (tmp_path / "synthetic").exists()  # no clip was generated, none decoded
