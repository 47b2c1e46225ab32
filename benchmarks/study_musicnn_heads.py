"""Heads on the pre-trained musicnn front end, compared on 4q-dev (artist-grouped folds).

    OMP_NUM_THREADS=2 python benchmarks/study_musicnn_heads.py ../shared/data/4q-dev \
        --cache /tmp/musicnn-cache [--descriptors] [--extras] [--midend] [--regression-proxy] \
        [--regression-samples] \
        [--seeds 0 1 2] [--folds 5] [--only TEXT ...]

Stage 1 extracts, once, the per-patch musicnn outputs of every clip (penultimate, pools
and tag probabilities of ``MSD_musicnn`` and ``MTT_musicnn``, patches back to back, whole
clips) with :class:`~sk_deepsense.MusicnnTransformer` into a joblib cache (``--cache``),
timing it. Stage 2 cross-validates heads on those arrays, on the benchmark's splits
(:func:`sk_deepsense.model_selection.make_splits`: ``StratifiedGroupKFold`` by artist,
shuffled by each seed) and prints macro-F1 mean and spread over folds x seeds, beside the
descriptor SVM of the benchmark computed on the same splits (``--descriptors``).
``--midend`` adds heads on musicnn's per-frame features (front and mid end, 753 per 16-ms
frame, averaged over 0.5-s blocks: the network on the frames, causal up to the receptive
field's 1.17 s of look-ahead). ``--extras`` adds the other heads ``docs/transfer.rst``
cites (the library's networks on the patch-embedding sequences, a ridge classifier, PCA,
the joins with the descriptors and with MTT, soft votes, descriptors at 16 kHz);
``--regression-proxy`` the ridge alphas against the arousal/valence signs of the
quadrants; ``--regression-samples`` the regressor on the 14 annotated clips of
``emomusic-sample`` and ``pmemo-sample`` (beside the 4q-dev folder). Tune on 4q-dev only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def extract(paths, model: str, cache: Path) -> tuple[np.ndarray, list[str], float]:
    """Return the per-patch outputs of ``model`` for ``paths`` (cached), names and seconds."""
    from sk_deepsense import MusicnnTransformer

    tr = MusicnnTransformer(
        model=model,
        output=["penultimate", "pools", "taggram"],
        duration=None,
        n_jobs=2,
        memory=cache,
    )
    t0 = time.perf_counter()
    X = tr.transform(list(paths))
    return X, list(tr.get_feature_names_out()), time.perf_counter() - t0


def descriptor_stats(
    paths, cache: Path, sr: int = 22050, hop: int = 1024
) -> tuple[np.ndarray, float]:
    """Return the descriptor SVM's per-clip vectors (as make_fusion builds them) and seconds."""
    from sk_deepsense import SequenceStatistics
    from sk_deepsense.features import DescriptorTransformer

    t0 = time.perf_counter()
    transformer = DescriptorTransformer(sr=sr, hop_length=hop, n_jobs=2, memory=cache)
    seq = transformer.transform(list(paths))
    return SequenceStatistics(deltas=True).fit_transform(seq), time.perf_counter() - t0


#: frames of musicnn's per-frame features a decision waits for: 64 of the 128-frame
#: temporal conv (TF "same": 63 before, 64 after) + 3 x 3 of the three 7-frame mid-end convs
MIDEND_LOOKAHEAD_FRAMES = 64 + 3 * 3


def _midend_clip(path: str, block: int, duration: float) -> np.ndarray:
    """Return one clip's per-frame musicnn features, whole (no patches), ``block``-frame means."""
    import torch

    from sk_deepsense.features._audio_io import load_audio
    from sk_deepsense.features._musicnn import _network
    from sk_deepsense.neural._musicnn import musicnn_logmel

    logmel = musicnn_logmel(load_audio(path, sr=16000, duration=duration), sr=16000)
    with torch.inference_mode():
        frames = _network("MSD_musicnn")(torch.from_numpy(logmel)[None])["frame_features"][0]
    n = frames.shape[0] // block
    return frames[: n * block].reshape(n, block, -1).mean(dim=1).numpy()


def extract_midend(paths, cache: Path, block: int, duration: float = 30.0):
    """Per-frame mid-end features of every clip, NaN-padded to one length (cached), seconds.

    The whole clip goes through the network at once, so every frame sees its full receptive
    field (what a stream with :data:`MIDEND_LOOKAHEAD_FRAMES` frames of look-ahead sees),
    not the zero padding at the edges of 3-s patches; then frames are averaged by blocks of
    ``block`` (31 frames: 0.5 s) to keep the sequences short.
    """
    import joblib

    clip = joblib.Memory(cache, verbose=0).cache(_midend_clip)
    t0 = time.perf_counter()
    seqs = [clip(str(p), block, duration) for p in paths]
    secs = time.perf_counter() - t0
    X = np.full((len(seqs), max(len(s) for s in seqs), seqs[0].shape[1]), np.nan, np.float32)
    for i, seq in enumerate(seqs):
        X[i, : len(seq)] = seq
    return X, secs


def midend_rows(M: np.ndarray) -> dict:
    """Name -> (X, factory(seed)): heads on the per-frame mid-end features."""
    from sk_deepsense import HybridCNNLSTMClassifier

    # only the LSTM: the hybrid's filters slide along an ordered frequency axis, and the
    # 753 mid-end channels have no order (it is also ~10x slower here; a first try ran
    # past half an hour for one seed)
    return {
        "MSD mid-end frames mean+std, logreg C=0.01": (pooled(M), lambda seed: _lr(0.01)),
        "lstm network on MSD mid-end frames (0.5-s blocks)": (
            M,
            lambda seed: HybridCNNLSTMClassifier(
                architecture="lstm", random_state=seed, max_epochs=60, n_ensemble=1
            ),
        ),
    }


def pooled(X: np.ndarray, stats=("mean", "std")) -> np.ndarray:
    """Per-clip statistics over the real patches of ``X`` (NaN padding ignored)."""
    parts = []
    if "mean" in stats:
        parts.append(np.nanmean(X, axis=1))
    if "std" in stats:
        parts.append(np.nanstd(X, axis=1))
    if "max" in stats:
        parts.append(np.nanmax(X, axis=1))
    return np.concatenate(parts, axis=1)


def _lr(C: float, **kw):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000, **kw))


def _svm(C: float = 1.0):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return make_pipeline(StandardScaler(), SVC(C=C))


#: head name -> factory(seed) of an unfitted classifier on per-clip vectors
HEADS = {
    "logreg C=1": lambda seed: _lr(1.0),
    "logreg C=0.1": lambda seed: _lr(0.1),
    "logreg C=0.01": lambda seed: _lr(0.01),
    "logreg C=0.003": lambda seed: _lr(0.003),
    "svm rbf C=1": lambda seed: _svm(1.0),
    "svm rbf C=10": lambda seed: _svm(10.0),
}


def extra_rows(parts: dict, D: np.ndarray | None, D16: dict, mtt: dict | None) -> dict:
    """Name -> (X, factory(seed)): the other heads the docs cite, each on its inputs."""
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import RidgeClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sk_deepsense import HybridCNNLSTMClassifier

    PT = pooled(parts["penultimate+taggram"])
    rows = {
        "MSD penult+tag mean+std+max, logreg C=0.01": (
            pooled(parts["penultimate+taggram"], ("mean", "std", "max")),
            lambda seed: _lr(0.01),
        ),
        "MSD penult+tag m+s, RidgeClassifier alpha=1000": (
            PT,
            lambda seed: make_pipeline(StandardScaler(), RidgeClassifier(alpha=1000.0)),
        ),
        "MSD penult+tag m+s, PCA 64 + logreg C=0.1": (
            PT,
            lambda seed: make_pipeline(StandardScaler(), PCA(64, random_state=0), _lr(0.1)[-1]),
        ),
    }
    for arch in ("lstm", "hybrid"):  # the library's networks on the patch-embedding sequences
        rows[f"{arch} network on MSD penultimate sequences"] = (
            np.ascontiguousarray(parts["penultimate"]),
            lambda seed, arch=arch: HybridCNNLSTMClassifier(
                architecture=arch, random_state=seed, max_epochs=60, n_ensemble=1
            ),
        )
    if D is None:
        return rows
    rows["MSD penult+tag m+s + descriptors, logreg C=0.01"] = (
        np.hstack([PT, D]),
        lambda seed: _lr(0.01),
    )
    if mtt is not None:
        rows["MSD penult+tag + MTT penult m+s + descriptors, logreg C=0.01"] = (
            np.hstack([PT, pooled(mtt["penultimate"]), D]),
            lambda seed: _lr(0.01),
        )
    n = pooled(parts["penultimate"]).shape[1]

    def vote(weights):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import SVC

        musicnn = make_pipeline(ColumnTransformer([("m", "passthrough", slice(0, n))]), _lr(0.01))
        descriptors = make_pipeline(
            ColumnTransformer([("d", "passthrough", slice(n, None))]),
            StandardScaler(),
            CalibratedClassifierCV(SVC(), ensemble=False, cv=3),
        )
        return VotingClassifier(
            [("musicnn", musicnn), ("descriptors", descriptors)], voting="soft", weights=weights
        )

    for weights in ((1, 1), (2, 1)):
        rows[f"vote logreg(MSD penult m+s) + svm(descriptors) {weights}"] = (
            np.hstack([pooled(parts["penultimate"]), D]),
            lambda seed, w=weights: vote(w),
        )
    for hop, D16_hop in D16.items():
        rows[f"MSD penult+tag m+s + descriptors at 16 kHz, hop {hop}, logreg C=0.01"] = (
            np.hstack([PT, D16_hop]),
            lambda seed: _lr(0.01),
        )
    return rows


def regression_proxy(PT: np.ndarray, y: np.ndarray, groups, seeds, folds) -> None:
    """Print the ridge alphas' correlations with the quadrants' arousal and valence signs."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sk_deepsense.model_selection import make_splits

    arousal = np.where(np.isin(y, ["Q1", "Q2"]), 1.0, -1.0)
    valence = np.where(np.isin(y, ["Q1", "Q4"]), 1.0, -1.0)
    T = np.stack([arousal, valence], axis=1)
    print("ridge on MSD penult+tag m+s, targets: the quadrants' arousal/valence signs")
    for alpha in (1, 10, 100, 1000, 10000):
        rs = []
        for seed in seeds:
            for train, test in make_splits(y, groups, n_splits=folds, random_state=seed):
                model = make_pipeline(StandardScaler(), Ridge(alpha=alpha)).fit(PT[train], T[train])
                p = model.predict(PT[test])
                rs.append([np.corrcoef(p[:, k], T[test, k])[0, 1] for k in (0, 1)])
        a, v = np.mean(rs, axis=0)
        print(f"  alpha {alpha:>6}: mean r arousal {a:.3f}, valence {v:.3f}", flush=True)


def cross_validate(Xc, y, groups, make, seeds, folds) -> np.ndarray:
    """Macro-F1 of ``make(seed)`` on each fold of each seed's artist-grouped splits."""
    from sklearn.base import clone
    from sklearn.metrics import f1_score

    from sk_deepsense.model_selection import make_splits

    scores = []
    for seed in seeds:
        for train, test in make_splits(y, groups, n_splits=folds, random_state=seed):
            model = clone(make(seed)).fit(Xc[train], y[train])
            scores.append(f1_score(y[test], model.predict(Xc[test]), average="macro"))
    return np.array(scores)


def regression_samples(shared: Path, cache: Path) -> None:
    """Print what the 14 annotated clips (emoMusic and PMEmo samples) say: too few to tell.

    Leave-one-out over the 10 emoMusic clips, then trained on them and tested on the 4
    PMEmo clips: correlation of ``make_recommended("regression")``'s predictions with the
    static arousal and valence, for two alphas.
    """
    from sklearn.base import clone

    from sk_deepsense import make_recommended
    from sk_deepsense.datasets import load_emomusic, load_pmemo

    em = load_emomusic(shared / "emomusic-sample")
    pm = load_pmemo(shared / "pmemo-sample")
    X, T = np.asarray(em.filenames), np.asarray(em.target, dtype=float)
    for alpha in (100.0, 1000.0):
        model = make_recommended("regression", memory=cache).set_params(clf__model__alpha=alpha)
        loo = np.array(
            [
                clone(model).fit(np.delete(X, i), np.delete(T, i, axis=0)).predict(X[i : i + 1])[0]
                for i in range(len(X))
            ]
        )
        r_loo = [np.corrcoef(loo[:, k], T[:, k])[0, 1] for k in range(2)]
        p = clone(model).fit(X, T).predict(pm.filenames)
        tp = np.asarray(pm.target, dtype=float)
        r_pm = [np.corrcoef(p[:, k], tp[:, k])[0, 1] for k in range(2)]
        print(
            f"alpha {alpha:g}: emoMusic leave-one-out r arousal {r_loo[0]:.2f}, valence "
            f"{r_loo[1]:.2f}; emoMusic -> PMEmo r {r_pm[0]:.2f}, {r_pm[1]:.2f}",
            flush=True,
        )


def _report(name: str, scores: np.ndarray, n_seeds: int) -> None:
    per_seed = ", ".join(f"{m:.3f}" for m in scores.reshape(n_seeds, -1).mean(axis=1))
    print(f"{name:<68} {scores.mean():.3f} {scores.std():.3f}  ({per_seed})", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="the 4q-dev folder")
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--models", nargs="+", default=["MSD_musicnn", "MTT_musicnn"])
    parser.add_argument("--descriptors", action="store_true", help="also the descriptor SVM")
    parser.add_argument("--only", nargs="+", help="rows whose name holds one of these")
    parser.add_argument(
        "--extras",
        action="store_true",
        help="also the other heads the docs cite (networks, votes, PCA, ...; with "
        "--descriptors the joins with descriptors, at 22.05 and 16 kHz)",
    )
    parser.add_argument(
        "--midend",
        action="store_true",
        help="also heads on musicnn's per-frame mid-end features (0.5-s blocks)",
    )
    parser.add_argument(
        "--regression-proxy", action="store_true", help="also the ridge alphas on a proxy"
    )
    parser.add_argument(
        "--regression-samples",
        action="store_true",
        help="also the regressor on the emoMusic and PMEmo samples beside the data folder",
    )
    args = parser.parse_args(argv)

    from sk_deepsense.datasets import load_4q

    data = load_4q(args.data)
    y, groups = np.asarray(data.target), np.asarray(data.groups)
    feats = {}
    for model in args.models:
        X, _, secs = extract(data.filenames, model, args.cache)
        print(f"{model}: {X.shape} in {secs:.0f} s ({secs / len(y):.2f} s per clip)", flush=True)
        feats[model] = {
            "penultimate": X[:, :, :200],
            "pools": X[:, :, 200:1706],
            "taggram": X[:, :, 1706:],
            "penultimate+taggram": np.concatenate([X[:, :, :200], X[:, :, 1706:]], axis=2),
        }
    sets = {}
    D, D16 = None, {}
    if args.descriptors:
        D, secs = descriptor_stats(data.filenames, args.cache)
        print(f"descriptors: {D.shape} in {secs:.0f} s", flush=True)
        sets["descriptors (the descriptor SVM)"] = D
        if args.extras:
            for hop in (736, 1024):
                D16[hop] = descriptor_stats(data.filenames, args.cache, sr=16000, hop=hop)[0]
    for model, parts in feats.items():
        short = model.split("_")[0]
        for part, X in parts.items():
            sets[f"{short} {part} mean+std"] = pooled(X)
        sets[f"{short} penultimate mean"] = pooled(parts["penultimate"], ("mean",))
    if D is not None:
        for model in args.models:
            short = model.split("_")[0]
            P = pooled(feats[model]["penultimate"])
            sets[f"{short} penultimate m+s + descriptors"] = np.concatenate([P, D], axis=1)
    rows = {
        f"{set_name}, {head}": (X, make)
        for set_name, X in sets.items()
        for head, make in HEADS.items()
    }
    msd = feats.get("MSD_musicnn")
    if args.extras and msd is not None:
        rows.update(extra_rows(msd, D, D16, feats.get("MTT_musicnn")))
    if args.midend:
        M, secs = extract_midend(data.filenames, args.cache, block=31)
        lookahead = MIDEND_LOOKAHEAD_FRAMES * 256 / 16000
        print(
            f"mid-end frames: {M.shape} in {secs:.0f} s; look-ahead {lookahead * 1000:.0f} ms "
            f"({MIDEND_LOOKAHEAD_FRAMES} frames) plus the 0.5-s block",
            flush=True,
        )
        rows.update(midend_rows(M))
    only = set(args.only or [])
    print(f"{'features, head':<68} macro-F1   sd  (per seed), {args.folds} folds x seeds")
    for name, (X, make) in rows.items():
        if not only or any(o in name for o in only):
            _report(
                name, cross_validate(X, y, groups, make, args.seeds, args.folds), len(args.seeds)
            )
    if args.regression_proxy and msd is not None:
        PT = pooled(msd["penultimate+taggram"])
        regression_proxy(PT, y, groups, args.seeds, args.folds)
    if args.regression_samples:
        regression_samples(args.data.parent, args.cache)


if __name__ == "__main__":
    main()
