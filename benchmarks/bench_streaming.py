"""Streaming inference (EmotionStream): exactness, speed on one thread, per-chunk latency.

    OMP_NUM_THREADS=1 python benchmarks/bench_streaming.py [--audio FILE] [--seconds 60]

Trains the default dynamic regressor (``MFCCTransformer(top_db=None)`` + a default
``HybridCNNLSTMDynamicRegressor`` on 0.5 s arousal/valence series, 3 networks), the default
clip-level regressor and the default classifier briefly on 16 synthetic clips (accuracy is
irrelevant to speed), then streams ``--seconds`` of audio (synthetic music, or the start of
``--audio``) in ``--chunk``-second chunks and prints, per model: the
largest |streaming - offline| difference over every frame and output, the streaming speed as
a multiple of real time, the per-chunk latency (median, p90, p99, max, in ms) and the
offline per-frame path's speed in the same run (features of the whole audio, then
``predict_frames`` / ``predict_proba_frames``). Everything runs on one thread (torch and
BLAS).
"""

import argparse
import time

import numpy as np
import torch
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from sk_deepsense import (
    EmotionStream,
    HybridCNNLSTMClassifier,
    HybridCNNLSTMDynamicRegressor,
    HybridCNNLSTMRegressor,
    MFCCTransformer,
    load_audio,
)
from sk_deepsense.datasets import make_emotion_music

SR = 22050


def train(network, epochs):
    """Fit ``network`` behind MFCCs for ``epochs`` on 16 synthetic clips of 5 s."""
    music = make_emotion_music(16, duration=5.0, sr=SR, dynamic=True, random_state=0)
    if isinstance(network, HybridCNNLSTMClassifier):
        target = music.target
    elif isinstance(network, HybridCNNLSTMDynamicRegressor):
        target = np.stack([music.dynamic_arousal, music.dynamic_valence], axis=-1)
        network.set_params(frame_rate=MFCCTransformer().frame_rate, target_hop=0.5)
    else:
        target = np.c_[music.arousal, music.valence]
    network.set_params(max_epochs=epochs, early_stopping=False, random_state=0)
    return Pipeline([("mfcc", MFCCTransformer(top_db=None)), ("net", network)]).fit(
        music.data, target
    )


def offline(pipe, y):
    X = clone(pipe[0]).set_params(duration=None).transform([y])
    final = pipe[-1]
    frames = final.predict_proba_frames if hasattr(final, "predict_proba_frames") else None
    return (frames or final.predict_frames)(X)[0]


def measure(pipe, y, chunk_seconds):
    stream = EmotionStream(pipe)
    stream.push(y[: SR // 2])  # warm-up: first calls, caches
    stream.reset()
    step = int(round(chunk_seconds * SR))
    latencies, parts = [], []
    for start in range(0, len(y), step):
        t0 = time.perf_counter()
        parts.append(stream.push(y[start : start + step]).values)
        latencies.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    parts.append(stream.flush().values)
    latencies.append(time.perf_counter() - t0)
    streamed = np.concatenate(parts)
    t0 = time.perf_counter()
    expected = offline(pipe, y)
    offline_s = time.perf_counter() - t0
    return np.abs(streamed - expected).max(), np.array(latencies) * 1000, offline_s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audio", help="an audio file (default: synthetic music)")
    ap.add_argument("--seconds", type=float, default=60.0, help="audio streamed (default 60)")
    ap.add_argument("--chunk", type=float, default=0.5, help="seconds per chunk (default 0.5)")
    ap.add_argument("--epochs", type=int, default=3, help="training epochs (default 3)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        if args.audio:
            y = load_audio(args.audio, sr=SR, duration=args.seconds)
            source = args.audio
        else:
            y = make_emotion_music(1, duration=args.seconds, sr=SR, random_state=1).data[0]
            source = "synthetic music"
        audio_s = len(y) / SR
        print(f"{audio_s:.1f} s of {source}, {args.chunk:g} s chunks, 1 thread")
        header = (
            f"{'model':<12}{'max |diff|':>12}{'x real time':>13}{'median ms':>11}"
            f"{'p90':>7}{'p99':>7}{'max':>7}{'offline x rt':>14}"
        )
        print(header)
        for name, network in (
            ("dynamic", HybridCNNLSTMDynamicRegressor()),
            ("regressor", HybridCNNLSTMRegressor()),
            ("classifier", HybridCNNLSTMClassifier()),
        ):
            pipe = train(network, args.epochs)
            diff, ms, offline_s = measure(pipe, y, args.chunk)
            p50, p90, p99 = np.percentile(ms, [50, 90, 99])
            print(
                f"{name:<12}{diff:>12.1e}{audio_s / (ms.sum() / 1000):>13.0f}{p50:>11.2f}"
                f"{p90:>7.2f}{p99:>7.2f}{ms.max():>7.2f}{audio_s / offline_s:>14.0f}"
            )


if __name__ == "__main__":
    main()
