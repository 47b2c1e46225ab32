"""The package layout promises: a light ``import sk_deepsense``, one version, lazy names."""

from __future__ import annotations

import ast
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


def test_the_file_format_loads_the_estimators_on_first_use():
    estimators = ("sk_deepsense.neural._estimators", "sk_deepsense.features._mfcc")
    probe = (
        "import sys, sk_deepsense.persistence._format as f\n"
        f"print(*[m in sys.modules for m in {estimators!r}])\n"
        "assert 'MFCCTransformer' in f.ESTIMATORS\n"
        f"print(*[m in sys.modules for m in {estimators!r}])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["False", "False", "True", "True"]


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


# ------------------------------------------------------------------------------ layering
# The layers are written once, in docs/layers.txt, which docs/architecture.rst includes:
# a layer's name starts a line; its modules are the names ending in ".py" (a module of
# sk_deepsense/) or "/" (a subpackage, every module in it) at the start of its lines.
LAYERS_FILE = ROOT / "docs" / "layers.txt"
PACKAGE = ROOT / "sk_deepsense"


def _is_entry(token: str) -> bool:
    return token.endswith((".py", "/"))


def read_layers() -> list[tuple[str, list[str]]]:
    """Return ``(layer name, entries)`` from docs/layers.txt, top layer first."""
    layers: list[tuple[str, list[str]]] = []
    for line in LAYERS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("─"):
            continue
        tokens = line.split()
        if not line[0].isspace():  # a new layer: its name, then its first entries
            name = []
            while tokens and not _is_entry(tokens[0]):
                name.append(tokens.pop(0))
            layers.append((" ".join(name), []))
        while tokens and _is_entry(tokens[0]):
            layers[-1][1].append(tokens.pop(0))
    return layers


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def entry_of(module: str) -> list[str]:
    """The entries of docs/layers.txt that hold ``module`` (one, if the file is right)."""
    path = MODULES[module].relative_to(PACKAGE).as_posix()
    return [
        entry
        for _, entries in read_layers()
        for entry in entries
        if path == entry or (entry.endswith("/") and path.startswith(entry))
    ]


def _lazy_names(package: str) -> dict[str, str]:
    """``name -> submodule`` of a lazy package: read from its ``__init__.pyi`` stub, which
    ``lazy_loader.attach_stub`` reads at run time (``from ._mfcc import MFCCTransformer``)."""
    stub = MODULES[package].with_suffix(".pyi")
    if not stub.exists():
        return {}
    names: dict[str, str] = {}
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            target = f"{package}.{node.module}" if node.module else package
            for alias in node.names:
                names[alias.asname or alias.name] = target
                if not node.module:  # from . import submodule
                    names[alias.asname or alias.name] = f"{package}.{alias.name}"
    return names


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (never run)."""
    out, todo = [], [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            test = child.test if isinstance(child, ast.If) else None
            if test is not None and "TYPE_CHECKING" in ast.unparse(test):
                todo.extend(child.orelse)
                continue
            todo.append(child)
    return out


def imports_of(module: str) -> set[str]:
    """The package's modules that ``module`` imports, function-level imports included.

    ``from .features import MFCCTransformer`` counts as an import of the submodule that the
    lazy package loads for that name (``sk_deepsense.features._mfcc``).
    """
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [(base, alias.name) for alias in node.names]
        else:
            continue
        for base, name in targets:
            if not base.startswith("sk_deepsense"):
                continue
            lazy = _lazy_names(base) if base in MODULES else {}
            if name is not None and f"{base}.{name}" in MODULES:
                target = f"{base}.{name}"
            elif name in lazy:
                target = lazy[name]
            else:
                target = base
            while target not in MODULES:  # "import sk_deepsense.a.b" of a name
                target = target.rpartition(".")[0]
            if target != module:
                found.add(target)
    return found


def test_the_layers_file_lists_every_module_once():
    layers = read_layers()
    assert [name for name, _ in layers] == [
        "command line",
        "workflows",
        "inference",
        "services",
        "estimators",
        "data",
        "leaves",
    ]
    entries = [e for _, es in layers for e in es]
    assert len(entries) == len(set(entries)), "an entry is listed twice"
    for entry in entries:  # no stale entry
        assert (PACKAGE / entry).exists(), f"docs/layers.txt lists {entry}, which does not exist"
    for module in MODULES:
        held = entry_of(module)
        assert len(held) == 1, f"{module} is in {len(held)} entries of docs/layers.txt: {held}"


def test_no_module_imports_from_a_layer_above_its_own():
    rank = {e: i for i, (_, entries) in enumerate(read_layers()) for e in entries}
    names = {e: name for name, entries in read_layers() for e in entries}
    wrong = []
    for module in MODULES:
        (own,) = entry_of(module)
        for target in sorted(imports_of(module)):
            (other,) = entry_of(target)
            if rank[other] < rank[own]:
                wrong.append(f"{module} ({names[own]}) imports {target} ({names[other]})")
    assert not wrong, "imports against the layers of docs/layers.txt:\n" + "\n".join(wrong)


def test_no_import_cycles_between_modules():
    graph = {m: imports_of(m) for m in MODULES}
    cycles, index, low, stack, on_stack = [], {}, {}, [], set()

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"modules importing each other (at any depth): {cycles}"


def test_the_import_checker_sees_function_level_and_lazy_imports():
    # guards the guard: what the layering tests read
    assert "sk_deepsense.plotting._common" in imports_of("sk_deepsense.plotting._curves")
    assert "sk_deepsense.cli" in imports_of("sk_deepsense.__main__")
    # inside a function: EmotionTimeline.plot draws with the layer below
    assert "sk_deepsense.plotting" in imports_of("sk_deepsense.timeline")
    # through the lazy package: the submodule that defines the name
    assert "sk_deepsense.features._mfcc" in imports_of("sk_deepsense.benchmark._speed")
    # a TYPE_CHECKING block is never run: timeline's import of matplotlib's Axes is not
    # counted, and neither would be one of the package's modules


def test_the_architecture_page_draws_the_layers_file():
    page = (ROOT / "docs" / "architecture.rst").read_text(encoding="utf-8")
    assert ".. literalinclude:: layers.txt" in page
