"""Every example script runs (with --fast) and writes nothing into the working folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("plot_*.py"))


def test_there_is_an_example_per_user_story():
    names = {p.stem for p in EXAMPLES}
    assert {
        "plot_pipeline",
        "plot_grid_search",
        "plot_baselines",
        "plot_persistence",
        "plot_regression",
        "plot_timeline",
    } <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_fast(script, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "TMPDIR": str(tmp_path)}
    work = tmp_path / "cwd"
    work.mkdir()
    proc = subprocess.run(
        [sys.executable, str(script), "--fast"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip()  # it reports what it did
    assert list(work.iterdir()) == []  # temporary files only, never the user's folder
    assert "--data-dir" in script.read_text()  # each accepts a real dataset folder
