"""``sk-deepsense demo``: the main job on the built-in synthetic data, with plots."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .exceptions import NotAFolderError, OutputExistsError

__all__ = ["DEMO_FILES", "run_demo"]

#: Table names of the two hybrid rows; the first is plotted and saved.
HYBRID = "hybrid on MFCCs"
HYBRID_LOGMEL = "hybrid on log-mel"
#: Table name of the recommended model (make_recommended: musicnn + logistic regression).
RECOMMENDED = "recommended (musicnn)"

#: What the demo writes into its folder (besides ``clips/``).
DEMO_FILES = (
    "results.json",
    "confusion_matrix.png",
    "training_curves.png",
    "arousal_valence.png",
    "timeline.png",
    "summary.png",
    "medley.wav",
    "model.skds",
)


class _KeepPredictions:
    """A ``cross_validate`` scorer that also keeps each fold's predictions, in fold order.

    Folds must run in this process, one after the other (``n_jobs=None``), so that the list
    lines up with ``cross_validate``'s ``indices``.
    """

    def __init__(self) -> None:
        from .metrics import PredictionScorer

        self.scorer = PredictionScorer()
        self.predictions: list[np.ndarray] = []

    def __call__(self, estimator: Any, X: Any, y: Any) -> dict[str, float]:
        """Predict ``X`` once, keep the predictions and score them."""
        pred = estimator.predict(X)
        self.predictions.append(pred)
        return self.scorer.score(y, pred)


def run_demo(
    output_dir: str | os.PathLike = "sk-deepsense-demo",
    *,
    n_samples: int = 160,
    folds: int = 4,
    max_epochs: int = 200,
    seed: int = 0,
    fast: bool = False,
    overwrite: bool = False,
    quiet: bool = False,
) -> dict[str, Any]:
    """Cross-validate the hybrid against baselines on synthetic music and draw the results.

    The steps, all on the built-in :func:`~sk_deepsense.datasets.make_emotion_music` data
    (written to ``output_dir/clips`` as WAV files with ``metadata.csv``; no download):

    1. MFCC sequences (:class:`~sk_deepsense.MFCCTransformer`) and log-mel sequences
       (:class:`~sk_deepsense.LogMelTransformer`) of every clip, once, with ``top_db=None``
       (an absolute dB floor, so that the saved model can stream: :ref:`streaming`), and
       the pre-trained musicnn embeddings of :func:`~sk_deepsense.make_recommended`;
    2. stratified ``folds``-fold cross-validation, on identical folds, of a majority-class
       guess, the MFCC-statistics SVM (:func:`~sk_deepsense.make_baseline`) and the hybrid
       CNN + LSTM classifier of the four emotion quadrants, on MFCCs (the design card) and
       on log-mel bands, and of the recommended model's head on the musicnn embeddings
       (a logistic regression: the model recommended for real music); the table is
       printed. Which input
       suits depends on the data: on these synthetic clips, whose cues are timbre and
       spectral envelope, the MFCC input wins; on the 4Q clips of real music the log-mel
       input does (``docs/benchmarks.rst``). Steps 3 to 5 use the MFCC hybrid;
    3. a :class:`~sk_deepsense.HybridCNNLSTMRegressor` of (arousal, valence) trained on the
       first fold's training clips and scored on its held-out clips;
    4. an emotion timeline: three held-out clips of different quadrants joined into one
       ``medley.wav``, and the first fold's classifier's probabilities over a sliding window
       of one clip's length (:func:`~sk_deepsense.timeline.predict_timeline`);
    5. plots and files in ``output_dir`` (see :data:`DEMO_FILES`): the pooled out-of-fold
       confusion matrix of the hybrid, its training curves per fold, the arousal-valence
       plane, the timeline, the four together in ``summary.png``, the scores in
       ``results.json``, and the first fold's fitted pipeline (audio path -> quadrant) in
       ``model.skds``, the safe format of :func:`~sk_deepsense.persistence.save_model` (no
       code runs when it is loaded), for ``sk-deepsense predict`` and
       ``sk-deepsense listen``.

    Parameters
    ----------
    output_dir : str or os.PathLike, default="sk-deepsense-demo"
        Folder for everything written (created if needed).
    n_samples : int, default=160
        Synthetic clips (10 s each).
    folds : int, default=4
        Cross-validation folds.
    max_epochs : int, default=200
        Epoch limit of the networks (early stopping usually ends training sooner). The
        networks have the estimators' defaults but for ``n_ensemble=1``: one network
        instead of three, to keep the demo to a few minutes.
    seed : int, default=0
        Seed of the data, the folds and the networks.
    fast : bool, default=False
        Tiny settings to check an installation in seconds: 40 clips of 4 s, 2 folds,
        3 epochs (the scores then mean nothing).
    overwrite : bool, default=False
        Replace the files of an earlier demo in ``output_dir``. Without it, a
        :class:`FileExistsError` listing them is raised before anything is written.
    quiet : bool, default=False
        No progress output (the table is still printed).

    Returns
    -------
    results : dict
        ``"scores"``: model -> list of per-fold dicts (``accuracy``, ``macro_f1``,
        ``fit_s``); ``"regression"``: the arousal/valence scores; ``"files"``: paths written.

    Raises
    ------
    FileExistsError
        If ``output_dir`` holds files of an earlier run and ``overwrite`` is False.
    """
    import soundfile as sf
    from sklearn.base import clone
    from sklearn.model_selection import cross_validate
    from sklearn.pipeline import Pipeline

    from .baselines import make_baseline
    from .datasets import make_emotion_music
    from .features import LogMelTransformer, MFCCTransformer
    from .metrics import score_predictions
    from .model_selection import make_splits
    from .neural import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor
    from .persistence import save_model
    from .plotting import (
        new_figure,
        plot_arousal_valence,
        plot_confusion_matrix,
        plot_emotion_timeline,
        plot_training_curves,
    )
    from .recommended import make_recommended
    from .timeline import predict_timeline

    def note(*parts: Any) -> None:
        if not quiet:
            print(*parts, file=sys.stderr, flush=True)

    if fast:
        n_samples, folds, max_epochs, duration = 40, 2, 3, 4.0
    else:
        duration = 10.0
    out = Path(output_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise NotAFolderError(f"output folder {str(out)!r} exists and is not a folder")
    existing = [out / name for name in DEMO_FILES if (out / name).exists()]
    if (out / "clips").exists():
        existing.append(out / "clips")
    if existing and not overwrite:
        shown = ", ".join(repr(p.name) for p in existing)
        raise OutputExistsError(
            f"output folder {str(out)!r} already holds {shown} from an earlier demo; pass "
            "--overwrite (overwrite=True) to replace them, or choose another folder"
        )

    t_start = time.perf_counter()
    note(f"generating {n_samples} synthetic clips of {duration:.0f} s in {out / 'clips'} ...")
    music: Any = make_emotion_music(  # a Bunch (not return_X_y)
        n_samples,
        duration=duration,
        output_dir=out / "clips",
        overwrite=overwrite,
        random_state=seed,
    )
    paths, y = list(music.filenames), np.asarray(music.target)
    av = np.column_stack([music.arousal, music.valence])

    t0 = time.perf_counter()
    # top_db=None: each value floored at -100 dB on its own, not relative to the clip's
    # loudest, so that a frame depends on its own audio only and model.skds can stream
    extract: dict[str, Any] = {
        "duration": duration,
        "top_db": None,
        "n_jobs": 2,
        "verbose": int(not quiet),
    }
    mfcc = MFCCTransformer(**extract)
    X = mfcc.transform(paths)
    X_logmel = LogMelTransformer(**extract).transform(paths)
    # the recommended model's pre-trained front end (its head is all that is fitted per fold)
    recommended = make_recommended(n_jobs=2)
    recommended[0].set_params(duration=duration, verbose=int(not quiet))
    X_musicnn = recommended[0].transform(paths)
    note(
        f"MFCC {X.shape}, log-mel {X_logmel.shape} and musicnn {X_musicnn.shape} sequences "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    # one fit at a time: the networks may use every core (n_threads=None)
    net: dict[str, Any] = {
        "max_epochs": max_epochs,
        "random_state": seed,
        "n_ensemble": 1,
        "n_threads": None,
    }
    # name -> (short name, factory, input); the first hybrid is the one plotted and saved
    models = {
        "majority class": ("majority", lambda: make_baseline("majority"), X),
        "MFCC statistics + SVM": ("SVM", lambda: make_baseline("svm"), X),
        HYBRID: ("hybrid", lambda: HybridCNNLSTMClassifier(**net), X),
        HYBRID_LOGMEL: ("hybrid/log-mel", lambda: HybridCNNLSTMClassifier(**net), X_logmel),
        RECOMMENDED: ("recommended", lambda: clone(recommended[-1]), X_musicnn),
    }
    splits = make_splits(y, None, n_splits=folds, random_state=seed)
    scores: dict[str, list[dict[str, float]]] = {}
    oof = np.empty(len(y), dtype=object)
    hybrids = []
    for name, (short, factory, features) in models.items():
        scorer = _KeepPredictions()
        cv = cross_validate(
            factory(),
            features,
            y,
            cv=splits,
            scoring=scorer,
            return_estimator=name == HYBRID,
            return_indices=True,
        )
        scores[name] = [
            {"accuracy": float(a), "macro_f1": float(f), "fit_s": float(t)}
            for a, f, t in zip(
                cv["test_accuracy"], cv["test_macro_f1"], cv["fit_time"], strict=True
            )
        ]
        if name == HYBRID:
            hybrids = list(cv["estimator"])
            # the predictions the scores were computed from (folds run here, in order)
            for pred, test in zip(scorer.predictions, cv["indices"]["test"], strict=True):
                oof[test] = pred
        note(
            f"{short}: accuracy per fold " + ", ".join(f"{r['accuracy']:.3f}" for r in scores[name])
        )

    print(f"\n{len(y)} synthetic clips, 4 quadrants, stratified {folds}-fold CV")
    print(f"{'model':<28} {'accuracy':>15} {'macro-F1':>15} {'fit s/fold':>11}")
    for name, rows in scores.items():
        acc = np.array([r["accuracy"] for r in rows])
        f1 = np.array([r["macro_f1"] for r in rows])
        fit = np.mean([r["fit_s"] for r in rows])
        print(
            f"{name:<28} {acc.mean():.3f} +- {acc.std():.3f} {f1.mean():.3f} +- {f1.std():.3f}"
            f" {fit:>11.1f}"
        )

    # Arousal/valence regression on the first fold.
    train, test = splits[0]
    reg = HybridCNNLSTMRegressor(**net).fit(X[train], av[train])
    av_pred = reg.predict(X[test])
    reg_scores = score_predictions(
        av[test], av_pred, task="regression", target_names=["arousal", "valence"]
    )
    print(
        "\narousal/valence regression (hybrid, fold 1 held-out clips): "
        + ", ".join(
            f"{t} r {reg_scores[f'{t}_r']:.2f} CCC {reg_scores[f'{t}_ccc']:.2f}"
            for t in ("arousal", "valence")
        )
    )

    # An emotion timeline over three held-out clips of different quadrants.
    clf0 = hybrids[0]
    picked: list[int] = []
    for quadrant in ("Q1", "Q3", "Q2"):
        candidates = [i for i in test if y[i] == quadrant]
        if candidates:
            picked.append(int(candidates[0]))
    waves = [music.data[i] for i in picked]
    medley = np.concatenate(waves)
    sf.write(out / "medley.wav", medley, music.sr, subtype="PCM_16")
    segments, start = [], 0.0
    for i, wave in zip(picked, waves, strict=True):
        end = start + len(wave) / music.sr
        segments.append((start, end, str(y[i])))
        start = end
    timeline = predict_timeline(
        Pipeline([("mfcc", clone(mfcc).set_params(duration=None)), ("clf", clf0)]),
        [medley],
        window=duration,
    )[0]

    # The first fold's classifier, as a pipeline on audio paths, in the safe format (the
    # earlier files were checked above: overwrite=True replaces only an earlier demo's).
    pipe = Pipeline([("mfcc", clone(mfcc).set_params(verbose=0)), ("clf", clf0)])
    save_model(pipe, out / "model.skds", overwrite=True)

    # Plots.
    written = []

    def save(fig, name):
        fig.savefig(out / name, dpi=110, bbox_inches="tight")
        written.append(out / name)

    def draw(kind: str, ax) -> None:
        if kind == "cm":
            plot_confusion_matrix(
                y, oof.astype(str), ax=ax, title="Hybrid, out-of-fold (rows: true)"
            )
        elif kind == "curves":
            plot_training_curves(hybrids, ax=ax, title="Hybrid training curves per fold")
        elif kind == "av":
            plot_arousal_valence(
                av_pred, av[test], ax=ax, title="Arousal/valence, fold-1 held-out clips"
            )
        else:
            plot_emotion_timeline(
                timeline.values,
                times=timeline.times,
                names=timeline.names,
                kind=timeline.kind,
                segments=segments,
                ax=ax,
                title=f"Emotion timeline of medley.wav (last {duration:g} s at each moment)",
            )

    for kind, name, size in [
        ("cm", "confusion_matrix.png", (5.5, 5)),
        ("curves", "training_curves.png", (6.5, 4)),
        ("av", "arousal_valence.png", (5.5, 5.5)),
        ("timeline", "timeline.png", (9, 3.5)),
    ]:
        fig, ax = new_figure(figsize=size)  # no pyplot, no backend switch
        draw(kind, ax)
        save(fig, name)
    fig, axes = new_figure(2, 2, figsize=(13, 10))
    for kind, ax in zip(("cm", "curves", "av", "timeline"), axes.ravel(), strict=True):
        draw(kind, ax)
    fig.tight_layout()
    save(fig, "summary.png")

    # The model shipped with the package (trained on real music, never on these clips) on
    # the same medley: what `sk-deepsense predict builtin FILE` prints for a song.
    from .batch import predict_files
    from .persistence import load_pretrained

    builtin = next(iter(predict_files(load_pretrained(), [out / "medley.wav"], decimals=3)))
    builtin["path"] = "medley.wav"

    results = {
        "n_clips": len(y),
        "folds": folds,
        "duration_s": duration,
        "max_epochs": max_epochs,
        "seed": seed,
        "scores": scores,
        "regression": reg_scores,
        "timeline_segments": segments,
        "builtin_medley": builtin,
        "seconds": time.perf_counter() - t_start,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2))
    files = [*written, out / "results.json", out / "medley.wav", out / "model.skds"]
    results["files"] = [str(p) for p in files]
    print(f"\nwritten to {out}: " + ", ".join(p.name for p in files) + ", clips/")
    model, song = out / "model.skds", out / "medley.wav"
    print(
        f"model.skds is the fold-1 hybrid (audio path -> quadrant); try:\n"
        f"  sk-deepsense predict {model} {song} --plot medley_timeline.png\n"
        f"  sk-deepsense listen {model} {song}"
    )
    if "error" not in builtin:
        proba = ", ".join(f"{c} {p:.2f}" for c, p in builtin["probabilities"].items())
        print(
            f"the built-in model (trained on 400 real 4Q clips, not on these) calls medley.wav "
            f"{builtin['label']} ({proba}; arousal {builtin['arousal']:+.2f}, valence "
            f"{builtin['valence']:+.2f}): for your music, no training needed:\n"
            f"  sk-deepsense predict builtin SONG.mp3 ~/Music"
        )
    note(f"done in {time.perf_counter() - t_start:.0f} s")
    return results
