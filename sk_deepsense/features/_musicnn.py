"""Pre-trained musicnn embeddings of 3-second patches: the transfer-learning front end."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from numbers import Real
from typing import Any, Literal, cast

import joblib
import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..exceptions import ParameterError
from ._base import COMMON_PARAMETERS_DOC, CONTRACT_DOC, BaseAudioTransformer, _UnusableClip

__all__ = ["MUSICNN_OUTPUTS", "MusicnnTransformer"]

#: musicnn's sample rate, FFT and hop (samples), and frames per 3-s patch
_SR, _N_FFT, _HOP, _PATCH = 16000, 512, 256, 187

#: output name -> width per patch (``"pools"`` is max_pool then mean_pool)
MUSICNN_OUTPUTS = {"penultimate": 200, "pools": 1506, "taggram": 50}


@functools.cache
def _network(model: str) -> Any:
    """Load the shipped musicnn network ``model`` once per process (eval mode, no grad)."""
    from ..neural._musicnn import load_musicnn

    net = load_musicnn(cast(Literal["MSD_musicnn", "MTT_musicnn"], model))  # checked by it
    for p in net.parameters():
        p.requires_grad_(False)
    return net


#: patches per forward pass: bounds the activations' memory for long clips, and small batches
#: keep them in the CPU caches (2 patches: 0.21 s per 10 on 2 cores, 16: 0.37 s)
_PATCHES_PER_FORWARD = 2

#: one forward at a time: torch's own threads do the work, extraction threads decode
_FORWARD = threading.Lock()


def _outputs(output: str | Sequence[str]) -> tuple[str, ...]:
    names = (output,) if isinstance(output, str) else tuple(output)
    if not names or any(n not in MUSICNN_OUTPUTS for n in names) or len(set(names)) != len(names):
        raise ParameterError(
            f"output must be one of {sorted(MUSICNN_OUTPUTS)} or a list of distinct ones, "
            f"got {output!r}"
        )
    return names


def _musicnn_sequence(
    y: np.ndarray, *, model: str, output: tuple[str, ...], patch_hop: int, **_: Any
) -> np.ndarray:
    """One row per 3-s patch of ``y`` (16 kHz mono): the chosen musicnn outputs, float32."""
    import torch

    from ..neural._musicnn import cut_patches, musicnn_logmel

    logmel = musicnn_logmel(y, sr=_SR)
    if logmel.shape[0] < _PATCH:
        raise _UnusableClip(
            f"it is {y.size / _SR:.2f} s long, shorter than one 3-s musicnn patch "
            f"({_PATCH} frames of 16 ms; musicnn pads nothing)"
        )
    patches = torch.from_numpy(cut_patches(logmel, hop=patch_hop))
    del logmel
    net = _network(model)
    rows = []
    # a few patches per forward: the activations of one patch take ~40 MB (a 2-hour file
    # has 2,400 patches), so memory stays bounded whatever the length
    for start in range(0, len(patches), _PATCHES_PER_FORWARD):
        with _FORWARD, torch.inference_mode():
            out = net(patches[start : start + _PATCHES_PER_FORWARD])
        parts = []
        for name in output:
            if name == "pools":
                parts += [out["max_pool"], out["mean_pool"]]
            else:
                parts.append(out[name])
        rows.append(torch.cat(parts, dim=1).numpy().astype(np.float32, copy=False))
    return np.concatenate(rows, axis=0)


class MusicnnTransformer(BaseAudioTransformer):
    __doc__ = (
        """Turn audio into pre-trained musicnn embeddings, one row per 3-second patch.

    musicnn (Pons & Serra, 2019) is a CNN trained to tag music: on the Million Song
    Dataset's 50 most frequent Last.fm tags (``"MSD_musicnn"``, several of them moods: sad,
    happy, chill, Mellow, beautiful, party) or on MagnaTagATune's (``"MTT_musicnn"``). Its
    inner layers describe music far better than features learned from a few hundred clips:
    used as a frozen front end, with a small model on top, it is the transfer learning of
    the field (MTG's arousal/valence models in Essentia are such heads). Its weights ship
    with sk_deepsense (converted from musicnn 0.1.0, ISC licence, see
    ``sk_deepsense/pretrained/LICENSE-musicnn.txt``): nothing is downloaded.

    Each clip is decoded at 16 kHz mono, turned into musicnn's log-mel input (96 bands,
    hop 256 samples, ``log10(10000 * mel + 1)`` with NumPy 1's arithmetic; see the Notes)
    and cut into 187-frame (3 s) patches every ``patch_hop`` seconds; each patch gives one
    output row. Same contract as :class:`~sk_deepsense.LogMelTransformer` (decoding,
    cropping, NaN padding, ``n_jobs``, ``memory``, ``on_error``, ``get_feature_names_out``),
    with patches in place of frames. Stateless: ``fit`` learns nothing.

    Parameters
    ----------
    model : {"MSD_musicnn", "MTT_musicnn"}, default="MSD_musicnn"
        Which pre-trained tagger.
    output : str or list of str, default="penultimate"
        What each patch gives, concatenated in the order given: ``"penultimate"`` (the 200
        units before the tag layer: musicnn's embedding), ``"pools"`` (the 753 max- then
        the 753 mean-pooled front- and mid-end channels), ``"taggram"`` (the 50 tag
        probabilities, named after the tags).
    patch_hop : float or None, default=None
        Seconds between the starts of successive patches. ``None``: back to back (187
        frames, 2.992 s apart), musicnn's default. A number is converted to frames as
        musicnn converts its ``input_overlap`` (``floor((s * 16000 - 256) / 256)``: 1.0 is
        61 frames, 0.976 s), so ``patch_hop=1.0`` gives about three times the rows
        (overlapping patches) at three times the cost."""
        + COMMON_PARAMETERS_DOC.replace(
            "``1 + round(duration * sr) // hop_length`` frames, the frames past the end of a "
            "shorter\n        clip",
            "the patches that fit in ``duration`` (:meth:`expected_n_frames`), the patches "
            "past the end of a shorter\n        clip",
        )
        + """
    See Also
    --------
    LogMelTransformer : Log-mel frames, for the networks trained from scratch.
    sk_deepsense.SequenceStatistics : Per-clip statistics of the patch rows.

    Notes
    -----"""
        + CONTRACT_DOC.replace("rows are time frames", "rows are 3-s patches")
        + """
    A clip shorter than one patch (3 s after ``offset``) cannot be embedded: it is an
    :class:`~sk_deepsense.exceptions.AudioLoadError` naming the file (nothing is padded
    with silence behind your back). Frames after the last whole patch are not used, as in
    musicnn. Patch ``t`` covers the 2.992 s from ``offset + t / frame_rate`` seconds.

    **The float16 trap.** musicnn computes ``np.log10(10000 * mel.astype(np.float16) + 1)``.
    Under NumPy 1 the product was float32; under NumPy 2 it stays float16 and overflows to
    infinity wherever the mel exceeds 6.55 (in almost every real clip), so the stock code
    run today gives the same vector for most patches. The networks were trained with
    NumPy 1's arithmetic, which is what this transformer computes. The port matches the
    original TensorFlow graph within 1e-4 (``tests/test_musicnn.py``).

    Every torch forward runs one at a time under a lock, with torch's own threads; the
    ``n_jobs`` threads decode and compute spectrograms meanwhile.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_deepsense.features import MusicnnTransformer
    >>> t = np.arange(16000 * 6) / 16000
    >>> X = MusicnnTransformer(duration=6.0).fit_transform([np.sin(2 * np.pi * 440 * t)])
    >>> X.shape, X.dtype
    ((1, 2, 200), dtype('float32'))
    """
    )

    _kind = "musicnn"
    _sequence = staticmethod(_musicnn_sequence)

    _parameter_constraints: dict = {
        **{
            k: v
            for k, v in BaseAudioTransformer._parameter_constraints.items()
            if k not in ("sr", "n_fft", "hop_length")
        },
        "model": [StrOptions({"MSD_musicnn", "MTT_musicnn"})],
        "output": [StrOptions(set(MUSICNN_OUTPUTS)), list, tuple],
        "patch_hop": [Interval(Real, 0, None, closed="neither"), None],
        "duration": [Interval(Real, 3, None, closed="left"), None],
    }

    #: fixed by the pre-trained network (not parameters): 16 kHz, FFT 512, hop 256 samples
    sr = _SR
    n_fft = _N_FFT
    hop_length = _HOP

    def __init__(
        self,
        *,
        model: str = "MSD_musicnn",
        output: str | Sequence[str] = "penultimate",
        patch_hop: float | None = None,
        duration: float | None = 30.0,
        offset: float = 0.0,
        n_jobs: int | None = None,
        memory: str | os.PathLike | joblib.Memory | None = None,
        on_error: str = "raise",
        verbose: int = 0,
    ) -> None:
        self.model = model
        self.output = output
        self.patch_hop = patch_hop
        self.duration = duration
        self.offset = offset
        self.n_jobs = n_jobs
        self.memory = memory
        self.on_error = on_error
        self.verbose = verbose

    def _patch_hop_frames(self) -> int:
        from ..neural._musicnn import seconds_to_frames

        if self.patch_hop is None:
            return _PATCH
        hop = seconds_to_frames(self.patch_hop)
        if hop < 1:
            raise ParameterError(f"patch_hop={self.patch_hop!r} s is under one 16-ms frame")
        return hop

    def expected_n_frames(self) -> int | None:
        """Patches per output sequence implied by ``duration`` and ``patch_hop``.

        Returns
        -------
        n_patches : int or None
            The whole 187-frame patches, ``patch_hop`` apart, in ``duration`` seconds;
            ``None`` when ``duration`` is ``None``.

        Examples
        --------
        >>> from sk_deepsense.features import MusicnnTransformer
        >>> MusicnnTransformer().expected_n_frames()  # 30 s, back to back
        10
        >>> MusicnnTransformer(patch_hop=1.0).expected_n_frames()
        28
        """
        if self.duration is None:
            return None
        n_frames = 1 + int(round(self.duration * _SR)) // _HOP
        return max(0, (n_frames - _PATCH) // self._patch_hop_frames() + 1)

    @property
    def frame_rate(self) -> float:
        """Rows per second of the output: one patch every ``patch_hop`` (in whole frames).

        Examples
        --------
        >>> from sk_deepsense.features import MusicnnTransformer
        >>> round(1 / MusicnnTransformer().frame_rate, 3)  # 187 frames of 16 ms
        2.992
        """
        return _SR / (_HOP * self._patch_hop_frames())

    def _extra_params(self) -> dict[str, Any]:
        return {
            "model": str(self.model),
            "output": _outputs(self.output),
            "patch_hop": self._patch_hop_frames(),
        }

    def _coefficient_names(self) -> list[str]:
        names: list[str] = []
        for name in _outputs(self.output):
            if name == "penultimate":
                names += [f"penultimate{i}" for i in range(200)]
            elif name == "pools":
                names += [f"max_pool{i}" for i in range(753)]
                names += [f"mean_pool{i}" for i in range(753)]
            else:
                names += [f"tag_{tag}" for tag in _tag_names(str(self.model))]
        return names


@functools.cache
def _tag_names(model: str) -> tuple[str, ...]:
    """Return the 50 tags of ``model`` as stored beside its weights (spaces made underscores)."""
    return tuple("_".join(tag.split()) for tag in _network(model).tags)
