"""The lazy package roots: their ``__init__.pyi`` is the list of names, for run time and types.

``lazy_loader.attach_stub`` reads each stub at run time, and type checkers read the same
file, so a name is listed once. These tests hold the stubs true: every name they import
exists at run time, ``__all__`` agrees with them, and they ship with the package.
"""

from __future__ import annotations

import ast
import fnmatch
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sk_deepsense"
LAZY = [
    "sk_deepsense",
    *(f"sk_deepsense.{p}" for p in ("datasets", "features", "neural", "persistence")),
]


def _stub(package: str) -> ast.Module:
    path = PACKAGE.joinpath(*package.split(".")[1:], "__init__.pyi")
    return ast.parse(path.read_text())


def _imported(package: str) -> tuple[set[str], set[str]]:
    """Return the submodules (``from . import x``) and the names (``from .x import y``)."""
    submodules, names = set(), set()
    for node in ast.walk(_stub(package)):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 1, f"{package}: attach_stub reads relative imports only"
            for alias in node.names:
                assert alias.asname == alias.name, f"{package}: {alias.name} not re-exported"
            (names if node.module else submodules).update(a.name for a in node.names)
    return submodules, names


def _annotated(package: str) -> set[str]:
    return {
        node.target.id
        for node in _stub(package).body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    } - {"__all__"}


def test_every_package_that_loads_lazily_has_a_stub():
    calls = [p for p in PACKAGE.rglob("__init__.py") if "_lazy.attach" in p.read_text()]
    assert calls, "no lazy package found"
    for init in calls:
        assert "attach_stub(__name__, __file__)" in init.read_text(), init
        assert init.with_suffix(".pyi").is_file(), init
    assert sorted(str(p.relative_to(ROOT).parent).replace("/", ".") for p in calls) == LAZY


@pytest.mark.parametrize("package", LAZY)
def test_stub_names_exist_and_agree_with_all(package):
    module = importlib.import_module(package)
    submodules, names = _imported(package)
    annotated = _annotated(package)
    for name in submodules:
        assert getattr(module, name).__name__ == f"{package}.{name}"
    for name in names | annotated:
        assert getattr(module, name) is not None, f"{package}.{name}"
    assert set(module.__all__) == names | annotated, package
    assert set(dir(module)) >= names | annotated


def test_stub_annotations_have_the_runtime_types():
    from sk_deepsense import _choices, neural

    assert _annotated("sk_deepsense.neural") == {"ARCHITECTURES", "CAUSAL_ARCHITECTURES"}
    assert neural.ARCHITECTURES is _choices.ARCHITECTURES
    assert neural.CAUSAL_ARCHITECTURES is _choices.CAUSAL_ARCHITECTURES
    assert all(isinstance(a, str) for a in neural.ARCHITECTURES + neural.CAUSAL_ARCHITECTURES)


def test_the_stubs_ship_with_the_package():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["sk_deepsense"]
    stubs = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.pyi")]
    assert len(stubs) == len(LAZY)
    for stub in stubs:
        assert any(fnmatch.fnmatch(stub, pattern) for pattern in patterns), stub
    assert (PACKAGE / "py.typed").is_file() and "py.typed" in patterns
