"""Loading hostile ``.skds`` model files: peak memory and outcome of one load each.

    OMP_NUM_THREADS=1 python benchmarks/bench_hostile_models.py [--workdir DIR]

Trains a tiny MFCC + hybrid pipeline on generated clips, saves it as ``good.skds``, and
derives small hostile files from it, each built the way an attacker would hand one over:

- ``deflate_bomb``: ``model.json`` padded with 16 MiB of spaces (valid JSON), deflated to a
  few kB;
- ``bzip2_bomb``: the same padding, 64 MiB, with bzip2 (far higher ratios than deflate);
- ``wide_classes``: ``classes_`` stored with dtype ``<U100000000`` (400 MB per label from a
  few bytes of JSON);
- ``huge_lstm``: ``lstm_hidden_size=100000`` (a network of about 160 GB if built as told).

Each file is loaded by ``sk_deepsense.load_model`` in a child process of its own (its peak
resident memory is ``ru_maxrss`` from ``wait4``, as ``bench_songs.py`` measures it), next
to two references measured in the same run: a child that only imports torch and
sk_deepsense (the floor) and one that loads ``good.skds``. A hostile file must be refused
(``ModelFileError``) with a peak near the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

LOAD = (
    "import sys, torch, sk_deepsense\n"
    "from sk_deepsense import load_model\n"
    "from sk_deepsense.exceptions import ModelFileError\n"
    "if sys.argv[1] == '-':\n"
    "    raise SystemExit(0)\n"
    "try:\n"
    "    load_model(sys.argv[1])\n"
    "except ModelFileError as exc:\n"
    "    print('refused:', ' '.join(str(exc).split())[-90:], file=sys.stderr)\n"
    "    raise SystemExit(3)\n"
    "print('loaded', file=sys.stderr)\n"
)


def train_good(out: Path) -> Path:
    """Fit a tiny MFCC + hybrid pipeline on six generated 1-s clips and save it as ``.skds``."""
    import numpy as np
    from sklearn.pipeline import make_pipeline

    from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer, save_model

    sr = 8000
    t = np.arange(sr) / sr
    clips = [0.3 * np.sin(2 * np.pi * f * t).astype(np.float32) for f in range(200, 800, 100)]
    pipe = make_pipeline(
        MFCCTransformer(duration=1.0, sr=sr, hop_length=256),
        HybridCNNLSTMClassifier(
            max_epochs=1, n_filters=4, lstm_hidden_size=4, n_conv_layers=1, n_ensemble=1
        ),
    )
    pipe.fit(clips, ["low", "high"] * 3)
    return save_model(pipe, out, overwrite=True)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(dst: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(dst, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dst


def _edit_net(good: Path, dst: Path, edit) -> Path:
    members = _members(good)
    doc = json.loads(members["model.json"])
    edit(doc["model"]["steps"][-1])
    members["model.json"] = json.dumps(doc).encode()
    return _write(dst, members)


def hostile_files(good: Path, work: Path) -> dict[str, Path]:
    """Write the hostile variants of ``good`` (see the module docstring)."""
    members = _members(good)
    bomb = {**members, "model.json": members["model.json"] + b" " * 2**24}
    bzip = {**members, "model.json": members["model.json"] + b" " * 2**26}

    def wide(net: dict) -> None:
        net["fitted"]["classes_"]["dtype"] = "<U100000000"

    return {
        "deflate_bomb": _write(work / "deflate_bomb.skds", bomb),
        "bzip2_bomb": _write(work / "bzip2_bomb.skds", bzip, zipfile.ZIP_BZIP2),
        "wide_classes": _edit_net(good, work / "wide_classes.skds", wide),
        "huge_lstm": _edit_net(
            good,
            work / "huge_lstm.skds",
            lambda net: net["params"].update(lstm_hidden_size=100_000),
        ),
    }


def run(path: str) -> tuple[int, float, float, str]:
    """Load ``path`` in a child: (exit status, peak RSS in MiB, seconds, last stderr line)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_songs import run as run_child  # one way of measuring a child, shared

    return run_child([sys.executable, "-c", LOAD, path])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temp dir)")
    parser.add_argument("--train-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.train_only:
        train_good(args.train_only)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        # fitted in a child: Linux carries a parent's peak RSS over to the children it
        # starts (exec keeps the high-water mark), so this process must stay small
        good = work / "good.skds"
        subprocess.run(
            [sys.executable, __file__, "--train-only", str(good)],
            check=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        files = {"(import only)": "-", "good": str(good)}
        files.update({k: str(v) for k, v in hostile_files(good, work).items()})
        print(f"{'file':<14} {'bytes':>9} {'peak RSS MiB':>12} {'seconds':>8}  outcome")
        for name, path in files.items():
            size = "" if path == "-" else f"{Path(path).stat().st_size:9d}"
            code, rss, secs, last = run(path)
            outcome = {0: "ok", 3: last}.get(code, f"exit {code}: {last}")
            print(f"{name:<14} {size:>9} {rss:12.0f} {secs:8.1f}  {outcome}", flush=True)


if __name__ == "__main__":
    main()
