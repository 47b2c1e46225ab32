"""Write ``tests/data/musicnn_reference.npz``: what the ORIGINAL musicnn computes.

The torch port (``sk_deepsense/neural/_musicnn.py``) is tested against these outputs, made
by musicnn 0.1.0's own code: its TensorFlow graph (``musicnn.models.define_model``, as
``musicnn.extractor.extractor`` builds it, restored from the wheel's checkpoints with
TensorFlow's ``Saver``) and its preprocessing (``musicnn.extractor.batch_data``) under
NumPy 1 and the librosa of its time, not under our expectations.

Rerun (Python 3.11, a throwaway virtual environment; nothing of it enters sk_deepsense)::

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.15.1 numpy==1.26.4 librosa==0.9.2
    /tmp/tfenv/bin/pip install --no-deps librosa==0.7.2 musicnn==0.1.0
    /tmp/tfenv/bin/python tools/make_musicnn_fixture.py

- tensorflow-cpu 2.15.1 is the last release whose ``tf.compat.v1.layers`` (used by
  musicnn's models.py) still works (2.16 moved to Keras 3); it needs NumPy < 2.
- librosa 0.9.2 is installed only for its dependencies (numba, soundfile, resampy, ...);
  librosa 0.7.2 replaces it: musicnn 0.1.0 requires ``librosa>=0.7.0`` and
  ``numpy<1.17``, i.e. the 0.7 series, whose STFT pads by reflection (librosa >= 0.9 pads
  with zeros). librosa 0.7.2 needs two shims here, applied below before it is imported:
  NumPy's removed aliases (``np.complex`` ...) and ``numba.decorators.jit``. Neither changes
  a computed value.
- ``import_meta_graph`` on the wheel's ``.meta`` fails on TF 2.x (stale shape attributes of
  gradient nodes); the inference graph is rebuilt with musicnn's own ``models.py`` instead,
  exactly as its extractor does, and ``Saver.restore`` loads the checkpoint. Every restored
  variable is compared with what ``tools/convert_musicnn.py``'s TF-free reader gives.
- ``TF_ENABLE_ONEDNN_OPTS=0``: TensorFlow's plain (Eigen) kernels.

The fixture holds (float32 unless said; about 0.5 MB):

- ``waveform_int16``: a 6-s synthetic 16-kHz signal (a loud bass tone with harmonics, a
  chirp with clicks, a near-full-scale square wave plus noise), 16-bit PCM as written to
  the WAV file musicnn reads (``sample / 32768`` is exactly what ``librosa.load`` returns);
- ``logmel``: musicnn's input of that WAV, ``batch_data``'s ``audio_rep`` (376 x 96);
  ``mel_max`` and ``mel_share_over_6_55``: how far the mel powers go past 6.55, where
  NumPy 2's float16 product overflows (so the fixture covers that trap);
- ``patch_starts_default``, ``patch_starts_overlap_1s``: the frames where ``batch_data``'s
  patches start with musicnn's default hop and with ``input_overlap=1`` (checked here);
- ``random_patch``: one uniform-random 187 x 96 patch; the network's input is the two
  patches of the WAV, one of silence (zeros) and this one;
- per model (``MSD_musicnn.*``, ``MTT_musicnn.*``): ``taggram``, ``logits``,
  ``penultimate``, ``max_pool``, ``mean_pool`` of those four patches, and ``timbral``,
  ``temporal``, ``cnn1``, ``cnn2``, ``cnn3`` of the first patch at the frames
  ``frame_index`` (both edges and a sample of the middle); ``extractor_taggram`` and
  ``extractor_penultimate``: what ``musicnn.extractor.extractor`` itself returns for the WAV;
- ``versions``: the versions that made it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import types
from pathlib import Path

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

if int(np.__version__.split(".")[0]) != 1:
    raise SystemExit("run this with NumPy 1 (see the docstring): musicnn's numbers need it")

# --- shims for librosa 0.7.2 on NumPy 1.26 and numba >= 0.49 (values unchanged) ---------------
for _alias, _type in {"complex": complex, "float": float, "int": int, "bool": bool}.items():
    if _alias not in np.__dict__:
        setattr(np, _alias, _type)
try:
    import numba.decorators  # noqa: F401
except ImportError:
    import numba

    sys.modules["numba.decorators"] = types.SimpleNamespace(jit=numba.jit)

import librosa  # noqa: E402
import soundfile as sf  # noqa: E402
import tensorflow as tf  # noqa: E402
from musicnn import configuration, extractor, models  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from convert_musicnn import is_inference_variable, read_bundle  # noqa: E402

OUT = ROOT / "tests" / "data" / "musicnn_reference.npz"
MODELS = ("MSD_musicnn", "MTT_musicnn")
N_FRAMES = 187
FRAME_INDEX = np.array([*range(8), *range(15, 172, 15), *range(179, 187)])


def synthetic_waveform(seconds: float = 6.0, sr: int = 16000) -> np.ndarray:
    """Return a deterministic loud test signal as 16-bit PCM samples."""
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(20190801)
    y = np.zeros_like(t)
    part = t < 2  # a loud bass tone with harmonics
    y[part] = sum(0.6 / k * np.sin(2 * np.pi * 110 * k * t[part]) for k in range(1, 6))
    part = (t >= 2) & (t < 4)  # a chirp 200 Hz -> 4 kHz, clicks every 0.25 s
    tau = t[part] - 2
    y[part] = 0.3 * np.sin(2 * np.pi * (200 * tau + 950 * tau**2))
    y[part] += 0.5 * np.exp(-60 * (tau % 0.25)) * rng.standard_normal(tau.size)
    part = t >= 4  # a near-full-scale square wave plus noise
    y[part] = 0.9 * np.sign(np.sin(2 * np.pi * 220 * t[part]))
    y[part] += 0.05 * rng.standard_normal(part.sum())
    y = np.clip(y, -1.0, 32767 / 32768)
    return np.round(y * 32768).astype(np.int16)


def patch_starts(batch: np.ndarray, logmel: np.ndarray) -> np.ndarray:
    """Return the frame where each patch of ``batch`` starts in ``logmel`` (checked exactly)."""
    starts = []
    for patch in batch:
        hits = [
            s
            for s in range(logmel.shape[0] - N_FRAMES + 1)
            if np.array_equal(patch, logmel[s : s + N_FRAMES])
        ]
        assert hits, "a patch of batch_data is not a window of its spectrogram"
        starts.append(hits[0])
    return np.array(starts)


def run_graph(model: str, patches: np.ndarray, double: bool = False) -> dict[str, np.ndarray]:
    """Run musicnn's graph for ``model`` on ``patches``, as its extractor does.

    ``double=False``: float32, the weights restored by ``tf.compat.v1.train.Saver`` from the
    checkpoint, as musicnn runs. ``double=True``: the same graph built in float64 (Keras'
    floatx), the weights read by ``convert_musicnn.read_bundle`` and loaded exactly: a
    reference free of float32 rounding.
    """
    tf.compat.v1.reset_default_graph()
    tf.keras.backend.set_floatx("float64" if double else "float32")
    dtype = tf.float64 if double else tf.float32
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(dtype, [None, N_FRAMES, configuration.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        y, timbral, temporal, cnn1, cnn2, cnn3, mean_pool, max_pool, penultimate = (
            models.define_model(x, is_training, model, 50)
        )
        normalized_y = tf.nn.sigmoid(y)
    prefix = str(Path(extractor.__file__).parent / model) + "/"
    ours = read_bundle(prefix)
    with tf.compat.v1.Session() as sess:
        variables = tf.compat.v1.global_variables()
        # all 64 weights of the graph, and nothing else than the optimiser's state left over
        assert {v.op.name for v in variables} == {k for k in ours if is_inference_variable(k)}
        assert all(v.dtype.base_dtype == dtype for v in variables)
        if double:
            for var in variables:
                var.load(ours[var.op.name].astype(np.float64), sess)
        else:
            tf.compat.v1.train.Saver().restore(sess, prefix)  # no bare except, unlike extractor
            for var, value in zip(variables, sess.run(variables), strict=True):
                assert np.array_equal(value, ours[var.op.name]), var.op.name
        fetches = {
            "taggram": normalized_y,
            "logits": y,
            "penultimate": penultimate,
            "max_pool": max_pool,
            "mean_pool": mean_pool,
            "timbral": timbral,
            "temporal": temporal,
            "cnn1": cnn1,
            "cnn2": cnn2,
            "cnn3": cnn3,
        }
        out = sess.run(
            fetches, feed_dict={x: patches.astype(dtype.as_numpy_dtype), is_training: False}
        )
    tf.keras.backend.set_floatx("float32")
    for name in ("cnn1", "cnn2", "cnn3"):
        out[name] = out[name][..., 0]  # (n, frames, 64, 1) -> (n, frames, 64)
    return {name: np.asarray(value) for name, value in out.items()}


def main() -> int:
    """Compute and save the reference outputs."""
    tf.compat.v1.disable_eager_execution()
    assert librosa.__version__ == "0.7.2", librosa.__version__
    pcm = synthetic_waveform()
    fixture: dict[str, np.ndarray] = {"waveform_int16": pcm, "sr": np.array(16000)}
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "synthetic.wav")
        sf.write(wav, pcm, 16000, subtype="PCM_16")
        audio, sr = librosa.load(wav, sr=configuration.SR)
        assert sr == 16000 and np.array_equal(audio, pcm / np.float32(32768))
        mel = librosa.feature.melspectrogram(
            y=audio, sr=sr, hop_length=configuration.FFT_HOP, n_fft=configuration.FFT_SIZE,
            n_mels=configuration.N_MELS,
        )  # fmt: skip
        batch, logmel = extractor.batch_data(wav, N_FRAMES, N_FRAMES)
        overlap = librosa.time_to_frames(1.0, sr=16000, n_fft=512, hop_length=256)
        batch_1s, _ = extractor.batch_data(wav, N_FRAMES, overlap)
        e2e = {
            model: extractor.extractor(wav, model=model, input_length=3, extract_features=True)
            for model in MODELS
        }
    assert logmel.dtype == np.float32 and np.all(np.isfinite(logmel)), logmel.dtype
    fixture["logmel"] = logmel
    fixture["mel_max"] = np.array(mel.max(), dtype=np.float32)
    fixture["mel_share_over_6_55"] = np.array((mel > 6.55).mean(), dtype=np.float32)
    fixture["patch_starts_default"] = patch_starts(batch, logmel)
    fixture["patch_starts_overlap_1s"] = patch_starts(batch_1s, logmel)
    rng = np.random.default_rng(187)
    fixture["random_patch"] = rng.uniform(0, 5, (N_FRAMES, 96)).astype(np.float32)
    patches = np.concatenate(
        [batch, np.zeros((1, N_FRAMES, 96), np.float32), fixture["random_patch"][None]]
    ).astype(np.float32)
    fixture["frame_index"] = FRAME_INDEX
    for model in MODELS:
        out = run_graph(model, patches)
        out64 = run_graph(model, patches, double=True)
        for name in ("taggram", "logits", "penultimate", "max_pool", "mean_pool"):
            fixture[f"{model}.{name}"] = out[name].astype(np.float32)
            fixture[f"{model}.float64.{name}"] = out64[name].astype(np.float64)
        for name in ("timbral", "temporal", "cnn1", "cnn2", "cnn3"):
            fixture[f"{model}.{name}"] = out[name][0, FRAME_INDEX].astype(np.float32)
        print(model, "TF float32 - float64, max abs:", {
            name: float(np.abs(out[name] - out64[name]).max())
            for name in ("taggram", "penultimate", "max_pool", "mean_pool")
        })  # fmt: skip
        taggram, tags, features = e2e[model]
        assert list(tags) == list(getattr(configuration, model[:3] + "_LABELS"))
        # the extractor restores with a bare except: check it did not run untrained weights
        np.testing.assert_allclose(taggram, out["taggram"][:2], atol=1e-5)
        fixture[f"{model}.extractor_taggram"] = taggram.astype(np.float32)
        fixture[f"{model}.extractor_max_pool"] = features["max_pool"].astype(np.float32)
        # musicnn 0.1.0's extractor bug: from the second batch on it concatenates the
        # *first* batch's penultimate/cnn1/cnn2/cnn3 again (stale variables), so these rows
        # all repeat patch 0's; kept to show it, not as a reference for the later patches
        fixture[f"{model}.extractor_penultimate"] = features["penultimate"].astype(np.float32)
        assert np.array_equal(features["penultimate"][1], features["penultimate"][0])
        print(model, "top tags of patch 0:", [tags[i] for i in np.argsort(-taggram[0])[:5]])
    fixture["versions"] = np.array(
        [
            f"tensorflow-cpu {tf.__version__}",
            f"numpy {np.__version__}",
            f"librosa {librosa.__version__}",
            "musicnn 0.1.0",
            f"python {sys.version.split()[0]}",
        ]
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **fixture)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes); mel max {fixture['mel_max']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
