"""
Quickstart: recognise emotion quadrants in music, hybrid CNN+LSTM vs a classical baseline
==========================================================================================

The main job of sk_deepsense in one script, on the built-in synthetic data (no download):

1. generate clips whose tempo, loudness, brightness, mode and consonance follow an emotion
   (:func:`sk_deepsense.datasets.make_emotion_music`) and write them as WAV files;
2. build ``Pipeline([MFCCTransformer, HybridCNNLSTMClassifier])`` over the *file paths*;
3. cross-validate it next to a majority-class guess and the classical MFCC mean/std + SVM;
4. fit on everything, save with joblib, reload and predict.

Run ``python examples/quickstart.py`` (about 2.5 minutes on 2 CPU cores), or point it at your
own copy of the 4Q emotion dataset with ``--data-dir PATH/4q`` (artist-grouped folds). The
clips, the feature cache and the model go to a new temporary folder, printed at the start.
"""

# %%
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from sk_deepsense import HybridCNNLSTMClassifier, MFCCTransformer
from sk_deepsense.datasets import load_4q, make_emotion_music


def mfcc_stats(X):
    """Per-clip mean and std of each MFCC over the real (non-padding) frames."""
    return np.hstack([np.nanmean(X, axis=1), np.nanstd(X, axis=1)])


def main(argv=None):
    """Run the quickstart (``argv``: command-line arguments, ``None`` for ``sys.argv``)."""
    ap = argparse.ArgumentParser(description="hybrid CNN+LSTM vs classical baseline")
    ap.add_argument("--data-dir", type=Path, help="a 4Q dataset folder (default: synthetic)")
    ap.add_argument("--n-samples", type=int, default=160, help="synthetic clips")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--max-epochs", type=int, default=40)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sk_deepsense-quickstart-"))

    # %%
    # Data: audio files and labels
    # ----------------------------
    if args.data_dir:
        data = load_4q(args.data_dir)
        paths, labels, groups = list(data.filenames), np.asarray(data.target), data.groups
        cv = StratifiedGroupKFold(args.folds, shuffle=True, random_state=0)
        duration = 30.0
    else:
        t0 = time.perf_counter()
        data = make_emotion_music(args.n_samples, output_dir=work / "clips", random_state=0)
        paths, labels, groups = list(data.filenames), np.asarray(data.target), None
        cv = StratifiedKFold(args.folds, shuffle=True, random_state=0)
        duration = 10.0
        print(f"generated {len(paths)} clips in {time.perf_counter() - t0:.1f} s -> {work}")
    names, counts = np.unique(labels, return_counts=True)
    print("clips per label:", ", ".join(f"{n}: {c}" for n, c in zip(names, counts, strict=True)))

    # %%
    # The pipeline: audio paths -> MFCC sequences -> hybrid 1-D CNN + LSTM
    # --------------------------------------------------------------------
    # The cache makes every fold (and every later run) decode each file only once.
    mfcc = MFCCTransformer(duration=duration, n_jobs=2, memory=work / "cache")
    hybrid = Pipeline(
        [
            ("mfcc", mfcc),
            ("clf", HybridCNNLSTMClassifier(max_epochs=args.max_epochs, random_state=0)),
        ]
    )
    baseline = Pipeline(
        [
            ("mfcc", mfcc),
            ("stats", FunctionTransformer(mfcc_stats)),
            ("svm", make_pipeline(StandardScaler(), SVC())),
        ]
    )
    majority = Pipeline(
        [("mfcc", mfcc), ("stats", FunctionTransformer(mfcc_stats)), ("dummy", DummyClassifier())]
    )

    # %%
    # Cross-validation on identical folds
    # -----------------------------------
    print(f"\n{'model':<36} {'accuracy':>16} {'macro-F1':>16} {'fit s':>7}")
    for name, model in [
        ("majority class", majority),
        ("MFCC mean/std + RBF SVM", baseline),
        ("hybrid 1-D CNN + LSTM", hybrid),
    ]:
        res = cross_validate(
            model, paths, labels, groups=groups, cv=cv, scoring=["accuracy", "f1_macro"]
        )
        acc, f1 = res["test_accuracy"], res["test_f1_macro"]
        print(
            f"{name:<36} {acc.mean():.3f} +- {acc.std():.3f}   {f1.mean():.3f} +- "
            f"{f1.std():.3f} {res['fit_time'].mean():7.1f}",
            flush=True,
        )

    # %%
    # Fit on everything, save, reload, predict
    # ----------------------------------------
    hybrid.fit(paths, labels)
    joblib.dump(hybrid, work / "model.joblib")
    reloaded = joblib.load(work / "model.joblib")
    assert np.array_equal(reloaded.predict_proba(paths[:5]), hybrid.predict_proba(paths[:5]))
    print(f"\nsaved and reloaded {work / 'model.joblib'}; predictions for 5 clips:")
    predictions = zip(
        paths[:5], reloaded.predict(paths[:5]), reloaded.predict_proba(paths[:5]), strict=True
    )
    for path, label, proba in predictions:
        probs = " ".join(f"{c}={p:.2f}" for c, p in zip(reloaded.classes_, proba, strict=True))
        print(f"  {Path(path).name:<20} -> {label}   ({probs})")


if __name__ == "__main__":
    main()
