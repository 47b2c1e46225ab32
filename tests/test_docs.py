"""The documentation builds offline with warnings as errors (the examples' code included)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_docs_build_with_warnings_as_errors(tmp_path):
    pytest.importorskip("sphinx_gallery", reason="the docs extra is not installed")
    pytest.importorskip("numpydoc", reason="the docs extra is not installed")
    # Build a copy, so that the test never writes into the checkout.
    ignore = shutil.ignore_patterns("_build", "generated", "auto_examples", "sg_execution_times*")
    shutil.copytree(REPO / "docs", tmp_path / "docs", ignore=ignore)
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
         "-D", "plot_gallery=0", str(tmp_path / "docs"), str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-5000:]
    cli = (out / "cli.html").read_text()
    assert "usage: sk-deepsense train" in cli and "--set KEY=VALUE" in cli
    assert (out / "auto_examples" / "index.html").exists()
    api = (out / "api.html").read_text()
    assert "plot_emotion_timeline" in api and "load_labels" in api
    assert list((out / "_images").glob("filters*.png"))  # the figure of the filters
