"""A PyTorch port of the musicnn taggers (``MSD_musicnn`` and ``MTT_musicnn``).

musicnn (Jordi Pons and Xavier Serra, ISC licence; https://github.com/jordipons/musicnn)
is a musically motivated CNN trained to tag 3-second log-mel patches with 50 tags, on the
Million Song Dataset (``MSD_musicnn``) or on MagnaTagATune (``MTT_musicnn``). Its
penultimate layer (200 units) and its pooled features (753 max + 753 mean) are common
pre-trained music embeddings. This module ports, with no TensorFlow:

- its input, :func:`musicnn_logmel` and :func:`musicnn_patches`: musicnn's
  ``extractor.batch_data`` (librosa mel power, 16 kHz, ``n_fft`` 512, hop 256, 96 Slaney
  bands, ``log10(10000 * mel + 1)`` of the mel rounded to float16, with NumPy 1's float32
  arithmetic), cut into 187-frame patches;
- its graph, :class:`Musicnn`: ``models.build_musicnn`` as musicnn builds it for inference
  (``is_training=False``);
- its weights, :func:`load_musicnn`: converted from musicnn 0.1.0's checkpoints by
  ``tools/convert_musicnn.py`` into ``sk_deepsense/pretrained/*.npz`` (read with
  ``allow_pickle=False`` after a SHA-256 check; see ``LICENSE-musicnn.txt`` there).

The port matches musicnn's TensorFlow graph within 1e-4 on the tag probabilities, the
penultimate layer and the pools (``tests/test_musicnn.py`` against the outputs of the
original graph stored in ``tests/data/musicnn_reference.npz``).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from importlib import resources
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..exceptions import ModelFileError, ParameterError

__all__ = [
    "MUSICNN_MODELS",
    "Musicnn",
    "cut_patches",
    "load_musicnn",
    "musicnn_logmel",
    "musicnn_patches",
    "seconds_to_frames",
]

# musicnn/configuration.py
SR = 16000
FFT_HOP = 256
FFT_SIZE = 512
N_MELS = 96
#: frames in a 3-s patch: librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1
N_FRAMES = 187

#: model name -> weights file in sk_deepsense/pretrained/
MUSICNN_MODELS = {"MSD_musicnn": "msd_musicnn.npz", "MTT_musicnn": "mtt_musicnn.npz"}

#: SHA-256 of the shipped weights, as printed by tools/convert_musicnn.py (and in SHA256SUMS)
_SHA256 = {
    "msd_musicnn.npz": "5106de8e293014f4eab27e970de928ecd551546181d8444ace28cd4419b47710",
    "mtt_musicnn.npz": "c26dcf8cf9d745a95504c2eddc20fd9428786b6be79fc1c21d72b28f7ec2af6c",
}

# float16 holds mel powers up to this; |y| <= 1 keeps them below ~3e3 (Parseval times the
# largest Slaney filter weight, ~0.032; a full-scale tone gives ~550): _log_compress clips
# there only for waveforms far outside [-1, 1]
_FLOAT16_MAX = float(np.finfo(np.float16).max)

# ---------------------------------------------------------------------------------------------
# input: musicnn's extractor.batch_data
# ---------------------------------------------------------------------------------------------


def _log_compress(mel: np.ndarray) -> np.ndarray:
    """``log10(10000 * mel + 1)`` as musicnn computed it under NumPy 1, as float32.

    musicnn does ``mel = mel.astype(np.float16); np.log10(10000 * mel + 1)``. NumPy 1's
    value-based casting made ``10000 * float16_array`` a float32 array (the scalar 10000
    needs ``uint16``, which only float32 holds): the mel is rounded to float16, the product
    and the logarithm are float32. NumPy 2 (NEP 50) keeps the product float16, which
    overflows to ``inf`` as soon as a mel power exceeds 6.55, so the same line gives ``inf``
    on loud music there. This function does the NumPy 1 computation explicitly.

    Mel powers above float16's maximum (65504; only reached by a waveform far outside
    [-1, 1]) would be ``inf`` in musicnn as well; they are clipped to that maximum instead.
    """
    rounded = np.minimum(mel, _FLOAT16_MAX).astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * rounded + np.float32(1)).astype(np.float32)


def musicnn_logmel(y: np.ndarray, sr: int = SR) -> np.ndarray:
    """Compute musicnn's input, the compressed log-mel spectrogram of a mono waveform.

    As musicnn's ``extractor.batch_data`` with the librosa of its time (0.7): a centred,
    reflect-padded STFT (periodic Hann window of 512 samples, hop 256) at 16 kHz, power 2,
    96 Slaney mel bands (``htk=False``, Slaney area normalisation) from 0 to 8 kHz, float32,
    then ``log10(10000 * mel + 1)`` with the mel rounded to float16 and the rest computed in
    float32, as NumPy 1 did (see the notes). librosa >= 0.9 pads with zeros by default; the
    reflect padding of musicnn's time is passed explicitly here.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Mono waveform, floating point, nominally in [-1, 1].
    sr : int, default=16000
        Its sample rate. Other rates are resampled to 16 kHz with librosa's default
        resampler (musicnn's ``librosa.load`` used resampy's ``kaiser_best``: close, not
        bit-identical).

    Returns
    -------
    numpy.ndarray of shape (n_frames, 96), float32
        ``1 + len(y_16k) // 256`` frames, mel bands from low to high. Finite for any finite
        input.

    Raises
    ------
    ValueError
        If ``y`` is not one-dimensional or holds non-finite values.

    Notes
    -----
    musicnn computes ``np.log10(10000 * mel.astype(np.float16) + 1)``. Under NumPy 1 the
    product was float32; under NumPy 2 it stays float16 and overflows to ``inf`` for mel
    powers above 6.55, that is on most loud music. This function implements the NumPy 1
    semantics on any NumPy.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense.neural._musicnn import musicnn_logmel
    >>> t = np.arange(16000) / 16000
    >>> musicnn_logmel(np.sin(2 * np.pi * 440 * t)).shape
    (63, 96)
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ParameterError(f"musicnn_logmel needs a mono waveform (1-D), got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ParameterError("the waveform holds non-finite values (NaN or inf)")
    if sr != SR:
        y = librosa.resample(y, orig_sr=sr, target_sr=SR).astype(np.float32)
    mel = librosa.feature.melspectrogram(
        y=y,
        sr=SR,
        n_fft=FFT_SIZE,
        hop_length=FFT_HOP,
        win_length=None,
        window="hann",
        center=True,
        pad_mode="reflect",
        power=2.0,
        n_mels=N_MELS,
        fmin=0.0,
        fmax=None,
        htk=False,
        norm="slaney",
        dtype=np.float32,
    )
    return np.ascontiguousarray(_log_compress(mel.T))


def seconds_to_frames(seconds: float) -> int:
    """Convert seconds to frames as musicnn does (``librosa.time_to_frames``, n_fft 512).

    ``floor((int(seconds * 16000) - 256) / 256)``: musicnn's patch length is this plus one
    (187 for 3 s), and its ``input_overlap`` (a hop, despite its name) is this (61 for 1 s).

    Parameters
    ----------
    seconds : float
        A duration.

    Returns
    -------
    int
        The number of frames.

    Examples
    --------
    >>> from sk_deepsense.neural._musicnn import seconds_to_frames
    >>> seconds_to_frames(3) + 1, seconds_to_frames(1.0)
    (187, 61)
    """
    samples = int(np.asarray(seconds, dtype=np.float64) * SR)
    return math.floor((samples - FFT_SIZE // 2) // FFT_HOP)


def cut_patches(logmel: np.ndarray, n_frames: int = N_FRAMES, hop: int | None = None) -> np.ndarray:
    """Cut a log-mel spectrogram into patches as musicnn's ``batch_data`` does.

    Patches start at frames ``0, hop, 2 * hop, ...`` as long as a whole patch fits; the
    frames after the last whole patch are dropped (musicnn pads nothing).

    Parameters
    ----------
    logmel : numpy.ndarray of shape (n_frames_total, n_mels)
        From :func:`musicnn_logmel`.
    n_frames : int, default=187
        Frames per patch (187: 3 s, what the models were trained on).
    hop : int, optional
        Frames between patch starts; by default ``n_frames`` (musicnn's default,
        ``input_overlap=False``: back to back, no overlap).

    Returns
    -------
    numpy.ndarray of shape (n_patches, n_frames, n_mels), float32
        A new array.

    Raises
    ------
    ValueError
        If the spectrogram is shorter than one patch (musicnn itself fails there) or
        ``n_frames`` or ``hop`` is not positive.
    """
    logmel = np.asarray(logmel, dtype=np.float32)
    hop = n_frames if hop is None else int(hop)
    if n_frames < 1 or hop < 1:
        raise ParameterError(f"n_frames and hop must be positive, got {n_frames} and {hop}")
    if logmel.ndim != 2 or logmel.shape[0] < n_frames:
        raise ParameterError(
            f"need a (frames, bands) spectrogram of at least {n_frames} frames "
            f"({(n_frames - 1) * FFT_HOP / SR:.2f} s of audio), got shape {logmel.shape}"
        )
    windows = np.lib.stride_tricks.sliding_window_view(logmel, n_frames, axis=0)
    # (n_starts, n_mels, n_frames) -> (n_patches, n_frames, n_mels)
    return windows[::hop].transpose(0, 2, 1).copy()  # a writable array of its own


def musicnn_patches(
    y: np.ndarray,
    sr: int = SR,
    *,
    input_length: float = 3.0,
    input_overlap: float | None = None,
) -> np.ndarray:
    """Compute musicnn's input batch of a waveform: its log-mel cut into patches.

    :func:`musicnn_logmel` then :func:`cut_patches`, with the patch length and hop derived
    from seconds exactly as musicnn's ``extractor`` derives them.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Mono waveform, nominally in [-1, 1].
    sr : int, default=16000
        Its sample rate (resampled to 16 kHz otherwise).
    input_length : float, default=3.0
        Patch length in seconds: ``seconds_to_frames(input_length) + 1`` frames (187 for
        3 s, the length the models were trained on).
    input_overlap : float, optional
        musicnn's parameter of the same name, which is in fact the *hop* between patch
        starts, in seconds: ``seconds_to_frames(input_overlap)`` frames. ``None`` (or 0,
        or ``False``, as in musicnn): patches back to back.

    Returns
    -------
    numpy.ndarray of shape (n_patches, n_frames, 96), float32
        The frames after the last whole patch are dropped, as musicnn does.

    Raises
    ------
    ValueError
        If the audio is shorter than one patch.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense.neural._musicnn import musicnn_patches
    >>> y = np.random.default_rng(0).uniform(-0.1, 0.1, 10 * 16000)
    >>> musicnn_patches(y).shape  # 626 frames: 3 patches, 65 frames dropped
    (3, 187, 96)
    >>> musicnn_patches(y, input_overlap=1.0).shape  # a patch every 61 frames
    (8, 187, 96)
    """
    n_frames = seconds_to_frames(input_length) + 1
    hop = seconds_to_frames(input_overlap) if input_overlap else n_frames
    return cut_patches(musicnn_logmel(y, sr), n_frames, hop)


# ---------------------------------------------------------------------------------------------
# the network: musicnn's models.build_musicnn
# ---------------------------------------------------------------------------------------------

_BN_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization's default; models.py passes none


class _FrontEndBlock(nn.Module):
    """Conv (one input channel) -> ReLU -> batch norm -> max over all frequency bands.

    musicnn's ``timbral_block`` (time zero-padded by 3 each side beforehand, "valid" conv)
    and ``tempo_block`` (TF "same" padding: ``(k - 1) // 2`` before, the rest after).
    """

    def __init__(self, filters: int, kernel: tuple[int, int], pad: tuple[int, int]) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, filters, kernel)
        self.bn = nn.BatchNorm2d(filters, eps=_BN_EPS)
        self.pad = (0, 0, *pad)  # F.pad order: (freq before, after, time before, after)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(n, 1, time, freq)`` to ``(n, filters, time)``.

        ``max_f bn(relu(z_f))``, computed without normalising every value: batch norm is, per
        filter, ``s * v + b`` with ``s = weight / sqrt(running_var + eps)``, and ReLU and
        ``s * v`` are monotonic, so the maximum over frequency is ``s * relu(max_f z_f) + b``
        where ``s > 0`` and ``s * relu(min_f z_f) + b`` where ``s < 0``; the filters of
        negative ``s`` are convolved negated, so that one ``amax`` gives both. Equal to the
        plain order of operations within float32 rounding (1.5x faster on 2 CPU cores:
        the ReLU and batch norm of the full ``(time, freq)`` maps dominated). In training
        mode (batch statistics) it is the plain order.
        """
        if self.training:
            return self.bn(F.relu(self.conv(F.pad(x, self.pad)))).amax(dim=3)
        bn = self.bn
        # for type checkers: batch norm tracks its statistics, the convolution has a bias
        assert bn.running_mean is not None and bn.running_var is not None
        assert self.conv.bias is not None
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        sign = torch.where(scale > 0, 1.0, -1.0).to(scale.dtype)
        weight = self.conv.weight * sign[:, None, None, None]
        z = F.conv2d(F.pad(x, self.pad), weight, self.conv.bias * sign)
        top = (z.amax(dim=3) * sign[:, None]).clamp_min_(0)
        return top * scale[:, None] + (bn.bias - bn.running_mean * scale)[:, None]


class _MidEndBlock(nn.Module):
    """musicnn's mid-end conv: 7 frames wide across all input features, ReLU, batch norm.

    In TF a 2-D conv whose kernel spans the whole feature axis; here the equivalent 1-D conv
    (time zero-padded by 3 each side).
    """

    def __init__(self, in_channels: int, filters: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_channels, filters, 7, padding=3)
        self.bn = nn.BatchNorm1d(filters, eps=_BN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(n, channels, time)`` to ``(n, filters, time)``."""
        return self.bn(F.relu(self.conv(x)))


class Musicnn(nn.Module):
    """musicnn's tagger (``build_musicnn``) as a torch module, for inference.

    Front end: batch norm on the log-mel input, then five conv blocks on it (conv -> ReLU ->
    batch norm -> max over frequency): two *timbral* (7x38 and 7x67 time x frequency
    kernels, 204 filters each) and three *temporal* (128x1, 64x1, 32x1, 51 filters each).
    Mid end: three 7-frame 1-D convs of 64 filters over the 561 front-end channels, the
    second and third with residual connections. Back end: max and mean over time of the
    753 front- and mid-end channels (interleaved: max then mean of each channel), batch
    norm, dense 200 -> ReLU -> batch norm (the *penultimate* layer), dense 50 (the tag
    logits). Dropout (rate 0.5 in training) is the identity at inference.

    Build it with :func:`load_musicnn` to get trained weights. Batch-norm layers use
    ``eps=1e-3`` (TF's default) and their running statistics: keep the module in eval mode.

    Parameters
    ----------
    n_tags : int, default=50
        Output tags.
    n_mels : int, default=96
        Mel bands of the input.
    midend_filters : int, default=64
        Filters of each mid-end conv (512 in musicnn's ``MSD_musicnn_big``).
    backend_units : int, default=200
        Units of the penultimate dense layer (500 in ``MSD_musicnn_big``).

    Attributes
    ----------
    tags : tuple of str
        The tag names, in output order (set by :func:`load_musicnn`; empty otherwise).
    model_name : str
        ``"MSD_musicnn"`` or ``"MTT_musicnn"`` (set by :func:`load_musicnn`).
    """

    def __init__(
        self,
        n_tags: int = 50,
        n_mels: int = N_MELS,
        midend_filters: int = 64,
        backend_units: int = 200,
    ) -> None:
        super().__init__()
        timbral_filters = int(1.6 * 128)  # 204
        temporal_filters = int(1.6 * 32)  # 51
        self.input_bn = nn.BatchNorm2d(1, eps=_BN_EPS)
        self.timbral = nn.ModuleList(
            _FrontEndBlock(timbral_filters, (7, int(share * n_mels)), (3, 3))
            for share in (0.4, 0.7)
        )
        self.temporal = nn.ModuleList(
            _FrontEndBlock(temporal_filters, (k, 1), ((k - 1) // 2, k - 1 - (k - 1) // 2))
            for k in (128, 64, 32)
        )
        frontend_channels = 2 * timbral_filters + 3 * temporal_filters  # 561
        self.midend = nn.ModuleList(
            _MidEndBlock(c, midend_filters)
            for c in (frontend_channels, midend_filters, midend_filters)
        )
        channels = frontend_channels + 3 * midend_filters  # 753
        self.pool_bn = nn.BatchNorm1d(2 * channels, eps=_BN_EPS)
        self.dense = nn.Linear(2 * channels, backend_units)
        self.dense_bn = nn.BatchNorm1d(backend_units, eps=_BN_EPS)
        self.logits = nn.Linear(backend_units, n_tags)
        self.tags: tuple[str, ...] = ()
        self.model_name = ""

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Tag log-mel patches and return every representation musicnn exposes.

        Parameters
        ----------
        x : torch.Tensor of shape (n, frames, n_mels)
            Patches from :func:`musicnn_patches` (187 frames for the trained length; any
            length works, as in musicnn).

        Returns
        -------
        dict of str to torch.Tensor
            ``taggram`` (n, 50): tag probabilities (sigmoid of the logits); ``logits``
            (n, 50); ``penultimate`` (n, 200); ``max_pool`` and ``mean_pool`` (n, 753);
            per frame, as (n, frames, channels): ``timbral`` (408), ``temporal`` (153),
            ``cnn1``, ``cnn2``, ``cnn3`` (64 each: the mid-end outputs after the residual
            sums) and ``frame_features`` (753: all of them concatenated in that order, what
            the back end pools). The names are those of musicnn's ``extractor`` features.
        """
        h = self.input_bn(x.to(self.input_bn.weight.dtype).unsqueeze(1))
        timbral = [block(h) for block in self.timbral]
        temporal = [block(h) for block in self.temporal]
        frontend = torch.cat(timbral + temporal, dim=1)
        cnn1 = self.midend[0](frontend)
        cnn2 = self.midend[1](cnn1) + cnn1
        cnn3 = self.midend[2](cnn2) + cnn2
        frames = torch.cat([frontend, cnn1, cnn2, cnn3], dim=1)  # (n, 753, time)
        max_pool = frames.amax(dim=2)
        mean_pool = frames.mean(dim=2)
        pooled = torch.stack([max_pool, mean_pool], dim=2).flatten(1)  # max/mean interleaved
        penultimate = self.dense_bn(F.relu(self.dense(self.pool_bn(pooled))))
        logits = self.logits(penultimate)
        return {
            "taggram": torch.sigmoid(logits),
            "logits": logits,
            "penultimate": penultimate,
            "max_pool": max_pool,
            "mean_pool": mean_pool,
            "timbral": torch.cat(timbral, dim=1).transpose(1, 2),
            "temporal": torch.cat(temporal, dim=1).transpose(1, 2),
            "cnn1": cnn1.transpose(1, 2),
            "cnn2": cnn2.transpose(1, 2),
            "cnn3": cnn3.transpose(1, 2),
            "frame_features": frames.transpose(1, 2),
        }


# ---------------------------------------------------------------------------------------------
# the shipped weights
# ---------------------------------------------------------------------------------------------


def _read_checked(name: str, weights: str | os.PathLike | None) -> tuple[str, bytes]:
    """Return (where, bytes) of a weights file whose SHA-256 is the recorded one."""
    if weights is None:
        resource = resources.files("sk_deepsense") / "pretrained" / name
        where = str(resource)
        data = resource.read_bytes()
    else:
        where = os.fspath(weights)
        with open(where, "rb") as file:
            data = file.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != _SHA256[name]:
        raise ModelFileError(
            where,
            f"its SHA-256 is {digest}, not the recorded {_SHA256[name]} of {name}: the file was "
            "changed or damaged (reinstall sk_deepsense, or rerun tools/convert_musicnn.py)",
        )
    return where, data


def load_musicnn(
    model: Literal["MSD_musicnn", "MTT_musicnn"] = "MSD_musicnn",
    *,
    weights: str | os.PathLike | None = None,
) -> Musicnn:
    """Build a :class:`Musicnn` with musicnn's trained weights, in eval mode.

    The weights ship with sk_deepsense (``sk_deepsense/pretrained/``, converted from
    musicnn 0.1.0 by ``tools/convert_musicnn.py``; ISC licence, see ``LICENSE-musicnn.txt``
    there). The file's SHA-256 is checked against the one recorded in this module before it
    is parsed, and it is read with ``numpy.load(allow_pickle=False)``: no pickle, no code.

    Parameters
    ----------
    model : {"MSD_musicnn", "MTT_musicnn"}, default="MSD_musicnn"
        Trained on the Million Song Dataset's or on MagnaTagATune's 50 most frequent tags.
    weights : str or os.PathLike, optional
        Read the weights from this copy of the shipped file instead (it must have the same
        SHA-256).

    Returns
    -------
    Musicnn
        In eval mode, with ``tags`` and ``model_name`` set. No parameter is frozen.

    Raises
    ------
    ValueError
        If ``model`` is not one of the two.
    ModelFileError
        If the file's checksum is not the recorded one, or its arrays do not fit the module.

    Examples
    --------
    >>> import torch
    >>> from sk_deepsense.neural._musicnn import load_musicnn
    >>> net = load_musicnn("MTT_musicnn")
    >>> net.tags[:3]
    ('guitar', 'classical', 'slow')
    >>> with torch.no_grad():
    ...     out = net(torch.zeros(2, 187, 96))
    >>> out["taggram"].shape, out["penultimate"].shape, out["frame_features"].shape
    (torch.Size([2, 50]), torch.Size([2, 200]), torch.Size([2, 187, 753]))
    """
    if model not in MUSICNN_MODELS:
        raise ParameterError(f"model must be one of {sorted(MUSICNN_MODELS)}, got {model!r}")
    name = MUSICNN_MODELS[model]
    where, data = _read_checked(name, weights)
    net = Musicnn()
    # BatchNorm's num_batches_tracked counters only matter in training: not shipped
    counters = {k: v for k, v in net.state_dict().items() if k.endswith("num_batches_tracked")}
    expected = {k: v for k, v in net.state_dict().items() if k not in counters}
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    tags = arrays.pop("tags", None)
    if set(arrays) != set(expected):
        raise ModelFileError(where, f"its arrays {sorted(arrays)} are not {sorted(expected)}")
    state = {}
    for key, target in expected.items():
        array = arrays[key]
        if array.shape != tuple(target.shape) or array.dtype.kind != "f":
            raise ModelFileError(where, f"{key} is {array.dtype}{array.shape}, not {target.shape}")
        state[key] = torch.from_numpy(array.astype(np.float32))
    if tags is None or tags.shape != (net.logits.out_features,) or tags.dtype.kind != "U":
        raise ModelFileError(where, "its tag names are missing or not 50 strings")
    net.load_state_dict({**state, **counters})
    net.tags = tuple(str(tag) for tag in tags)
    net.model_name = model
    return net.eval()
