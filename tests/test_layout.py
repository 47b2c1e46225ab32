"""The package layout promises: a light ``import sk_deepsense``, one version, lazy names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import sk_deepsense

HEAVY = ("torch", "skorch", "librosa", "sklearn", "pandas", "matplotlib")
ROOT = Path(__file__).resolve().parents[1]


def loaded_after(code: str) -> list[str]:
    """Return the heavy modules that ``code`` imports in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return out.stdout.split()


@pytest.mark.parametrize(
    "code",
    [
        "import sk_deepsense",
        "import sk_deepsense.datasets, sk_deepsense.features, sk_deepsense.neural",
        "from sk_deepsense.neural import ARCHITECTURES",
        "from sk_deepsense.datasets import DATASETS",
        "from sk_deepsense._choices import BASELINES, FEATURES",
    ],
)
def test_light_imports_load_no_heavy_library(code):
    assert loaded_after(code) == []


def test_names_load_their_module_on_first_use():
    assert "torch" in loaded_after("from sk_deepsense import HybridCNNLSTMClassifier")
    assert "librosa" in loaded_after("import sk_deepsense; sk_deepsense.MFCCTransformer")


def test_every_public_name_resolves():
    for name in sk_deepsense.__all__:
        assert getattr(sk_deepsense, name) is not None, name
    assert set(sk_deepsense.__all__) <= set(dir(sk_deepsense))
    with pytest.raises(AttributeError):
        sk_deepsense.NoSuchName  # noqa: B018


def test_one_version_source():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    from sk_deepsense._version import __version__

    assert sk_deepsense.__version__ == __version__


def test_limit_threads_restores_the_callers_settings():
    import torch
    from threadpoolctl import threadpool_info

    from sk_deepsense._threads import limit_threads

    before = torch.get_num_threads()
    pools = [p["num_threads"] for p in threadpool_info()]
    with pytest.raises(RuntimeError), limit_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("the block fails")
    assert torch.get_num_threads() == before
    assert [p["num_threads"] for p in threadpool_info()] == pools
