"""Train the emotion model that sk_deepsense ships: ``sk_deepsense/pretrained/4q_quadrants.skds``.

Usage (from the repository root, with ``../shared/data`` beside it)::

    python tools/train_builtin_model.py ../shared/data/4q-dev

It fits :func:`sk_deepsense.make_recommended` (the pre-trained ``MSD_musicnn`` front end,
mean and standard deviation over its 3-s patches, a standardiser and a logistic regression
with ``C=0.01``) on **all** 400 clips of ``4q-dev`` and nothing else, and saves it with
:func:`sk_deepsense.save_model` (the front end's weights are referenced by their checksum,
not copied: the file holds the head only). The fit is deterministic (lbfgs, no random
draws), so a rerun gives the same predictions up to float32 rounding of the front end on
another CPU (``docs/development.rst``, numerics policy); the file's bytes also carry the
library versions that wrote it. ``--check`` compares a rerun with the shipped file on the
training clips instead of writing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "sk_deepsense" / "pretrained" / "4q_quadrants.skds"


def main(argv: list[str] | None = None) -> int:
    """Fit on 4q-dev, then write the model (or compare it with the shipped one)."""
    from sk_deepsense import load_model, make_recommended, save_model
    from sk_deepsense.datasets import load_dataset

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="the 4q-dev folder (400 labelled clips)")
    parser.add_argument("-o", "--output", type=Path, default=OUT, help=f"default: {OUT}")
    parser.add_argument("--n-jobs", type=int, default=2, help="feature threads (default 2)")
    parser.add_argument("--cache", type=Path, help="a feature cache folder (joblib.Memory)")
    parser.add_argument(
        "--check", action="store_true", help="compare a rerun with --output, write nothing"
    )
    args = parser.parse_args(argv)

    data = load_dataset("4q", args.data_dir, missing_audio="raise")
    if len(data.filenames) != 400:
        parser.error(f"{args.data_dir} holds {len(data.filenames)} clips, not 4q-dev's 400")
    model = make_recommended(n_jobs=args.n_jobs, memory=args.cache)
    # the front end is fixed (nothing to fit): its features, extracted once, train the head
    # and, with --check, compare the two heads
    X = model[:-1].fit_transform(list(data.filenames))
    model[-1].fit(X, data.target)
    print(f"fitted on {len(data.filenames)} clips: classes {[str(c) for c in model.classes_]}")
    if args.check:
        shipped = load_model(args.output)
        new, old = model[-1].predict_proba(X), shipped[-1].predict_proba(X)
        same = np.array_equal(model[-1].predict(X), shipped[-1].predict(X))
        print(f"largest probability difference {np.abs(new - old).max():.2e}; labels equal: {same}")
        return 0 if same and np.allclose(new, old, atol=1e-4) else 1
    save_model(model, args.output, overwrite=True)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
