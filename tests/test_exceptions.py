"""The promise of ``sk_deepsense.exceptions``: ``except SkDeepsenseError`` catches every error
the library raises on purpose, and each one is also the built-in a user would expect.

The first tests read the source of every module (so they cover code that no other test runs);
the last ones call the public API with bad input.
"""

from __future__ import annotations

import ast
import builtins
import pickle
from pathlib import Path

import numpy as np
import pytest

import sk_deepsense
from sk_deepsense import exceptions

PACKAGE = Path(sk_deepsense.__file__).parent

BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type)
    and issubclass(value, BaseException)
    and not issubclass(value, Warning)  # warnings are not errors
}
# Not errors raised on purpose: an abstract method, leaving the interpreter, and the protocols of
# attribute / item access, which Python itself expects to raise these built-ins.
PROTOCOL = {"NotImplementedError", "SystemExit", "StopIteration", "GeneratorExit"}
PROTOCOL_IN = {"__getattr__": {"AttributeError"}, "__getitem__": {"KeyError", "IndexError"}}
LIBRARY = set(exceptions.__all__) | {"CLIError", "UsageError"}


def builtin_raises(source: str, filename: str) -> list[str]:
    """Where ``source`` makes a built-in exception itself (a call, a bare raise or a subclass).

    Returns ``"file:line: what"`` for each, so that a failure says where to look.
    """
    found = []

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        allowed = PROTOCOL | PROTOCOL_IN.get(function or "", set())
        name = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id  # raise ValueError(...), or err = ValueError(...); raise err
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Name):
            name = node.exc.id  # raise ValueError
        if name in BUILTIN_EXCEPTIONS and name not in allowed:
            found.append(f"{filename}:{node.lineno}: {name}")
        if isinstance(node, ast.ClassDef):
            bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
            if bases & BUILTIN_EXCEPTIONS and not bases & LIBRARY:
                found.append(f"{filename}:{node.lineno}: class {node.name} derives from a built-in")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), None)
    return found


def test_the_check_finds_built_in_errors():
    # the source check below passes only if this one can fail
    source = """
class Bad(ValueError):
    pass
class Fine(ParameterError, ValueError):
    pass
def f(x):
    if x:
        raise TypeError("x")
    err = FileNotFoundError("y")
    raise OSError
def __getattr__(name):
    raise AttributeError(name)
def g():
    raise NotImplementedError
    raise AttributeError("z")
"""
    found = builtin_raises(source, "m.py")
    assert found == [
        "m.py:2: class Bad derives from a built-in",
        "m.py:8: TypeError",
        "m.py:9: FileNotFoundError",
        "m.py:10: OSError",
        "m.py:15: AttributeError",
    ]


def test_no_module_raises_a_built_in_exception_on_purpose():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "exceptions.py":
            continue
        found += builtin_raises(path.read_text(), str(path.relative_to(PACKAGE.parent)))
    assert not found, "raise an exception of sk_deepsense.exceptions instead:\n" + "\n".join(found)


@pytest.mark.parametrize("name", sorted(exceptions.__all__))
def test_every_library_exception_is_also_a_built_in(name):
    cls = getattr(exceptions, name)
    assert issubclass(cls, exceptions.SkDeepsenseError)
    if cls is not exceptions.SkDeepsenseError:
        plain = [b for b in cls.__mro__ if b.__module__ == "builtins" and b is not Exception]
        assert plain and plain[0] is not BaseException, f"{name} adds no built-in type"
    # documented where users look: the API reference lists every one
    api = (PACKAGE.parent / "docs" / "api.rst").read_text()
    assert name in api
    # importable from the package root, like the estimators
    assert getattr(sk_deepsense, name) is cls


@pytest.mark.parametrize(
    "error",
    [
        exceptions.ParameterError("bad value"),
        exceptions.ParameterTypeError("bad type"),
        exceptions.MissingFileError("no such file: 'a.wav'"),
        exceptions.OutputExistsError("'out.csv' exists"),
        exceptions.NotAFolderError("'x' is not a folder"),
        exceptions.IsAFolderError("'x' is a folder"),
        exceptions.StateError("flushed"),
        exceptions.MissingDependencyError("pip install 'sk_deepsense[map]'"),
    ],
    ids=type,
)
def test_simple_exceptions_keep_their_message_across_processes(error):
    # joblib workers send exceptions back pickled
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)


def _bad_calls():
    from sk_deepsense import MFCCTransformer, load_model, make_baseline, save_model
    from sk_deepsense.datasets import load_dataset
    from sk_deepsense.library import read_records, write_playlist

    return {
        "unknown dataset": (lambda tmp: load_dataset("no-such-dataset", tmp), ValueError),
        "unknown baseline": (lambda tmp: make_baseline("no-such-baseline"), ValueError),
        "missing model file": (lambda tmp: load_model(tmp / "missing.skds"), FileNotFoundError),
        "save over a file": (
            lambda tmp: save_model(_fitted(), (tmp / "m.skds").touch() or tmp / "m.skds"),
            FileExistsError,
        ),
        "missing records": (lambda tmp: read_records(tmp / "none.jsonl"), FileNotFoundError),
        "playlist into a folder": (lambda tmp: write_playlist([], tmp), IsADirectoryError),
        "waveform with NaN": (
            lambda tmp: MFCCTransformer(sr=8000).fit_transform(
                [np.full(8000, np.nan, dtype=np.float32)]
            ),
            ValueError,
        ),
    }


def _fitted():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit([[0.0], [1.0]], [0, 1])


BAD_CALLS = [
    "missing model file",
    "missing records",
    "playlist into a folder",
    "save over a file",
    "unknown baseline",
    "unknown dataset",
    "waveform with NaN",
]


def test_the_bad_calls_are_all_tested():
    assert sorted(_bad_calls()) == BAD_CALLS


@pytest.mark.parametrize("case", BAD_CALLS)
def test_bad_input_to_the_public_api_raises_a_library_error(case, tmp_path):
    call, builtin = _bad_calls()[case]
    with pytest.raises(exceptions.SkDeepsenseError) as info:
        call(tmp_path)
    assert isinstance(info.value, builtin)
