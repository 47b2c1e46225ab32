"""The hybrid 1-D CNN + LSTM as a torch module.

Shapes: ``x`` is ``(batch, frames, coefficients)``; ``lengths`` holds the real frame count of
each sequence (frames past it are padding and are never looked at).

1. Per-coefficient standardization (statistics learned by the estimator's ``fit``).
2. Convolutions with ``1 x filter_size`` filters: each frame, on its own, is a 1-channel signal
   along the coefficient axis; filters slide along it (weights shared across frames and
   positions), optionally followed by max-pooling along the coefficients. Only real frames
   are convolved.
3. A unidirectional LSTM over the per-frame feature vectors: the only place where frames
   interact, in order, so the state at frame t depends on frames <= t only.
4. A linear head: on the pooled LSTM states (mean over real frames, or the last real frame)
   for one prediction per clip, or on the running pool at every frame for causal per-frame
   predictions of a clip-level model. With ``frame_outputs=True`` (the dynamic regressor,
   trained on per-frame targets) the head reads each frame's own LSTM state (and the running
   pool beside it), and ``forward`` returns one output per frame.

The same module also builds the ablations that the hybrid is measured against
(``architecture``): a standard 1-D CNN whose filters span ``filter_size`` frames and all
coefficients, a 2-D CNN with ``filter_size x filter_size`` filters over time and coefficients
(after Malik et al., 2017), an LSTM on the standardized MFCCs alone, and the hybrid
convolutions without the LSTM (a per-frame dense layer, then the same pooling). Every variant
keeps padding out of the real frames' outputs; only ``"conv1d"`` and ``"conv2d"`` let a frame's
output depend on later frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .._choices import ARCHITECTURES, CAUSAL_ARCHITECTURES, POOLINGS
from ..exceptions import ParameterError
from ._params import MODULE_PARAMS

__all__ = [
    "ARCHITECTURES",
    "CAUSAL_ARCHITECTURES",
    "POOLINGS",
    "HybridCNNLSTMModule",
    "StreamCarry",
]

_EPS = 1e-6  # keeps the gradient of the standard deviation finite at zero variance


class HybridCNNLSTMModule(nn.Module):
    __doc__ = (
        """Hybrid 1-D CNN (filters one frame tall) stacked under a unidirectional LSTM.

    Every argument is required: the settings are the estimators' (declared once, with their
    defaults, in :mod:`~sk_deepsense.neural._params`;
    :func:`~sk_deepsense.neural._params.module_defaults` gives them at those defaults), and
    the estimator passes the sizes and statistics it learns from the data.

    Parameters
    ----------
    n_coefficients : int
        Coefficients per frame (e.g. MFCCs).
    n_outputs : int
        Size of the output (number of classes, or of regression targets).
    feature_mean, feature_scale : array-like of shape (n_coefficients,) or None
        Standardization statistics; ``None`` means 0 and 1.
    frame_outputs : bool
        ``True``: the head reads each frame's own state (joined with the running pool) and
        :meth:`forward` returns one output per frame (the dynamic regressor); ``False``: one
        output per sequence.
"""
        + "".join(
            f"    {p.name} : {p.type_doc}\n"
            + "".join(f"        {line}\n" if line else "\n" for line in p.doc.split("\n"))
            for p in MODULE_PARAMS
        )
        + """
    Notes
    -----
    ``freq_mask`` and ``time_mask`` act in training mode only (``module.train()``): each
    sequence gets one band of consecutive coefficients and one span of consecutive real
    frames set to the feature mean (0 after standardization), widths and positions drawn
    from torch's random state.
    """
    )

    # buffers (register_buffer), declared for type checkers: nn.Module types them loosely
    feature_mean: torch.Tensor
    feature_scale: torch.Tensor

    def __init__(
        self,
        *,
        n_coefficients: int,
        n_outputs: int,
        feature_mean: Any,
        feature_scale: Any,
        frame_outputs: bool,
        architecture: str,
        n_filters: int,
        filter_size: int,
        n_conv_layers: int,
        pool_size: int,
        lstm_hidden_size: int,
        lstm_layers: int,
        pooling: str,
        dropout: float,
        freq_mask: float,
        time_mask: float,
    ) -> None:
        super().__init__()
        self.frame_outputs = bool(frame_outputs)
        self.freq_mask = float(freq_mask)
        self.time_mask = float(time_mask)
        if pooling not in POOLINGS:
            raise ParameterError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        if architecture not in ARCHITECTURES:
            raise ParameterError(
                f"architecture must be one of {ARCHITECTURES}, got {architecture!r}."
            )
        self.architecture = architecture
        self.pooling = pooling
        mean = (
            torch.zeros(n_coefficients) if feature_mean is None else torch.as_tensor(feature_mean)
        )
        scale = (
            torch.ones(n_coefficients) if feature_scale is None else torch.as_tensor(feature_scale)
        )
        self.register_buffer("feature_mean", mean.float().reshape(n_coefficients))
        self.register_buffer("feature_scale", scale.float().reshape(n_coefficients))

        layers: list[nn.Module] = []
        if architecture in ("hybrid", "hybrid_nolstm"):
            in_channels = 1
            for _ in range(n_conv_layers):
                layers += [
                    nn.Conv1d(in_channels, n_filters, filter_size, padding="same"),
                    nn.ReLU(),
                ]
                if pool_size > 1:
                    layers.append(nn.MaxPool1d(pool_size, ceil_mode=True))
                in_channels = n_filters
            with torch.no_grad():
                n_frame_features = nn.Sequential(*layers)(torch.zeros(1, 1, n_coefficients)).numel()
        elif architecture == "conv1d":  # channels = coefficients, sliding over time
            in_channels = n_coefficients
            for _ in range(n_conv_layers):
                layers.append(nn.Conv1d(in_channels, n_filters, filter_size, padding="same"))
                in_channels = n_filters
            n_frame_features = n_filters
        elif architecture == "conv2d":  # (time, coefficient) images; pool the coefficients only
            in_channels, width = 1, n_coefficients
            for _ in range(n_conv_layers):
                layers.append(nn.Conv2d(in_channels, n_filters, filter_size, padding="same"))
                if pool_size > 1:
                    layers.append(nn.MaxPool2d((1, pool_size), ceil_mode=True))
                    width = -(-width // pool_size)
                in_channels = n_filters
            n_frame_features = n_filters * width
        else:  # "lstm"
            n_frame_features = n_coefficients
        self.conv = (
            nn.ModuleList(layers)
            if architecture in ("conv1d", "conv2d")
            else (nn.Sequential(*layers))
        )
        self.frame_dropout = nn.Dropout(dropout)
        if architecture == "hybrid_nolstm":
            self.lstm = None
            self.dense = nn.Sequential(nn.Linear(n_frame_features, lstm_hidden_size), nn.ReLU())
        else:
            self.lstm = nn.LSTM(
                n_frame_features,
                lstm_hidden_size,
                num_layers=lstm_layers,
                batch_first=True,
                dropout=dropout if lstm_layers > 1 else 0.0,
            )
        pooled_size = 2 * lstm_hidden_size if pooling == "meanstd" else lstm_hidden_size
        if self.frame_outputs and pooling != "last":  # each frame's state + the running pool
            pooled_size += lstm_hidden_size
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(pooled_size, n_outputs))

    @property
    def causal(self) -> bool:
        """Whether the output at frame t depends on frames ``0..t`` only."""
        return self.architecture in CAUSAL_ARCHITECTURES

    def frame_features(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Per-frame features fed to the LSTM: ``(B, T, F)``, zeros for padding frames."""
        batch, n_frames, _ = x.shape
        mask = torch.arange(n_frames, device=x.device)[None, :] < lengths.to(x.device)[:, None]
        if self.causal:  # frames are independent (see frames_independent): real ones only
            frames = (x[mask] - self.feature_mean) / self.feature_scale  # (n_real, C)
            if self.architecture != "lstm":
                frames = self.conv(frames.unsqueeze(1)).flatten(1)  # (n_real, F)
            out = frames.new_zeros(batch, n_frames, frames.shape[1])
            out[mask] = frames
            return out
        # Convolutions over time: zero the padding before and after every layer, so that a
        # real frame sees exactly what "same" zero padding at the sequence's end would give.
        z = ((x - self.feature_mean) / self.feature_scale) * mask[:, :, None]
        if self.architecture == "conv1d":
            z = z.transpose(1, 2)  # (B, C, T)
            for conv in self.conv:
                z = torch.relu(conv(z)) * mask[:, None, :]
            return z.transpose(1, 2)
        z = z.unsqueeze(1)  # (B, 1, T, C)
        for layer in self.conv:
            z = layer(z)
            if isinstance(layer, nn.Conv2d):
                z = torch.relu(z) * mask[:, None, :, None]
        return z.permute(0, 2, 1, 3).flatten(2)  # (B, T, filters * pooled C)

    def augment(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Apply the training masks (``freq_mask``, ``time_mask``) to a batch; a new tensor.

        Masked values become the feature mean (0 once standardized). Each sequence gets its
        own band and span; spans lie inside the real frames, so padding stays padding.
        """
        batch, n_frames, n_coef = x.shape
        x = x.clone()
        mean = self.feature_mean.to(x.dtype)
        coef = torch.arange(n_coef, device=x.device)[None, :]
        frame = torch.arange(n_frames, device=x.device)[None, :]
        masked = torch.zeros(batch, n_frames, n_coef, dtype=torch.bool, device=x.device)
        if self.freq_mask > 0:
            most = int(self.freq_mask * n_coef)
            width = torch.randint(0, most + 1, (batch, 1))
            start = (torch.rand(batch, 1) * (n_coef - width + 1)).long()
            band = (coef >= start.to(x.device)) & (coef < (start + width).to(x.device))
            masked |= band[:, None, :]
        if self.time_mask > 0:
            n_real = lengths.to(torch.long).cpu()[:, None]
            longest = (self.time_mask * n_real).long()
            width = (torch.rand(batch, 1) * (longest + 1)).long()  # uniform in 0..longest
            start = (torch.rand(batch, 1) * (n_real - width + 1)).long()
            span = (frame >= start.to(x.device)) & (frame < (start + width).to(x.device))
            masked |= span[:, :, None]
        return torch.where(masked, mean, x)

    def frame_states(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """LSTM state at every frame, ``(B, T, H)``; zeros past each sequence's end.

        The LSTM runs over the padded batch without packing: it is unidirectional, so the
        state at a real frame never depends on the padding that follows it, and the fused
        (oneDNN) kernel it can then use is far faster on CPU than packed sequences of unequal
        lengths (measured 20x on 30 s clips). States at padding frames are zeroed. For
        ``"hybrid_nolstm"`` the states are the per-frame dense layer's outputs.
        """
        lengths = lengths.to(x.device)
        if self.training and (self.freq_mask > 0 or self.time_mask > 0):
            x = self.augment(x, lengths)
        longest = int(lengths.max())
        feats = self.frame_features(x[:, :longest], lengths)
        return self.states_from_features(feats, lengths, n_frames=x.shape[1])

    def states_from_features(
        self, feats: torch.Tensor, lengths: torch.Tensor, n_frames: int | None = None
    ) -> torch.Tensor:
        """Run the sequence model over per-frame features (:meth:`frame_features`): ``(B, T, H)``.

        ``feats`` holds ``frame_features``' output (zeros at padding frames); the states are
        zero past each sequence's end and padded with zeros up to ``n_frames`` frames.
        """
        lengths = lengths.to(feats.device)
        longest = feats.shape[1]
        states, _ = self.recur(feats)
        mask = torch.arange(longest, device=feats.device)[None, :] < lengths[:, None]
        states = states * mask[:, :, None]
        if n_frames is not None and longest < n_frames:
            states = nn.functional.pad(states, (0, 0, 0, n_frames - longest))
        return states

    @property
    def frames_independent(self) -> bool:
        """Whether :meth:`frame_features` transforms every frame on its own.

        True for the hybrid (its filters are one frame tall), ``"hybrid_nolstm"`` and
        ``"lstm"``: a frame's features are then the same in any window that contains it,
        which lets windowed prediction compute them once per clip.
        """
        # The causal architectures are exactly those: the LSTM, where frames meet, runs forward.
        return self.architecture in CAUSAL_ARCHITECTURES

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One output vector per sequence, ``(B, n_outputs)``; per frame with ``frame_outputs``."""
        if self.frame_outputs:
            return self.forward_frames(x, lengths)
        return self.pool_and_head(self.frame_states(x, lengths), lengths)

    # The per-step computation, written once: frame features (frame_features) -> state
    # (recur) -> running pool (pool) -> head (readout). forward, forward_frames and
    # stream_step all go through these methods.
    def recur(self, feats: torch.Tensor, hx: Any = None) -> tuple[torch.Tensor, Any]:
        """Dropout on the frame features, then the sequence model: ``(states, hx)``.

        ``feats`` is ``(B, T, F)``; ``hx`` the LSTM's ``(h, c)`` to continue from (``None``:
        the start of the sequences), returned updated (``None`` for ``"hybrid_nolstm"``,
        whose per-frame dense layer carries nothing).
        """
        feats = self.frame_dropout(feats)
        if self.lstm is None:
            return self.dense(feats), None
        return self.lstm(feats, hx)

    def pool(
        self, sums: torch.Tensor, squares: torch.Tensor | None, counts: torch.Tensor
    ) -> torch.Tensor:
        """Return the pool (``"mean"``/``"meanstd"``) of states from their sums over ``counts``.

        ``sums`` (and, for ``"meanstd"``, the sums of the squared states ``squares``) are
        ``(..., H)``, ``counts`` broadcasts against them. Returns the mean, or the mean and
        the standard deviation ``(..., 2H)``. The pool of a whole sequence, the running pool
        of every prefix and the pool of a stream are all this one formula.
        """
        mean = sums / counts
        if self.pooling != "meanstd":
            return mean
        assert squares is not None  # "meanstd" pools need the sums of squares
        var = (squares / counts - mean.square()).clamp_min(0.0)
        return torch.cat([mean, torch.sqrt(var + _EPS)], dim=-1)

    def readout(self, states: torch.Tensor, pooled: torch.Tensor | None) -> torch.Tensor:
        """Apply the head at every frame: output t from state t and the pool of frames ``0..t``.

        ``pooling="last"`` reads the frame's state (the last state of the prefix);
        otherwise the pool (``pooled``, ignored for ``"last"``), joined after the frame's own
        state with ``frame_outputs``.
        """
        if self.pooling == "last":
            return self.head(states)
        assert pooled is not None  # "mean" and "meanstd" read the pool
        if self.frame_outputs:
            pooled = torch.cat([states, pooled], dim=-1)
        return self.head(pooled)

    def pool_and_head(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Pool frame states (``pooling``) over each sequence's real frames; the output layer."""
        lengths = lengths.to(states.device)
        if self.pooling == "last":
            pooled = states[torch.arange(states.shape[0], device=states.device), lengths - 1]
        else:  # padding states are zero, so the sums cover the real frames only
            sums = states.sum(dim=1)
            squares = states.square().sum(dim=1) if self.pooling == "meanstd" else None
            pooled = self.pool(sums, squares, lengths[:, None].to(states.dtype))
        return self.head(pooled)

    def forward_frames(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Output at every frame, ``(B, T, n_outputs)``.

        Output t pools the states of frames ``0..t`` the way :meth:`forward` pools a whole
        sequence. For the causal architectures (:attr:`causal`) it is exactly what
        :meth:`forward` returns for the sequence cut after frame t, so it depends on frames
        ``0..t`` only; for ``"conv1d"`` and ``"conv2d"`` the convolutions also look a few
        frames ahead. Values past a sequence's end are meaningless. With ``frame_outputs``,
        output t is the head applied to frame t's own state, joined (unless ``pooling`` is
        ``"last"``) with the running pool of the states of frames ``0..t``.
        """
        states = self.frame_states(x, lengths)
        pooled = None if self.pooling == "last" else self.running_pool(states)
        return self.readout(states, pooled)

    def running_pool(self, states: torch.Tensor) -> torch.Tensor:
        """Pool of the states of frames ``0..t`` at every frame t (``pooling`` "mean"/"meanstd").

        ``(B, T, H)`` states give ``(B, T, H)`` running means, or ``(B, T, 2H)`` means and
        standard deviations: at frame t, what :meth:`pool_and_head` pools for a sequence cut
        after t.
        """
        steps = torch.arange(1, states.shape[1] + 1, device=states.device, dtype=states.dtype)
        sums = states.cumsum(dim=1)  # before the squares: the order autograd sums gradients in
        squares = states.square().cumsum(dim=1) if self.pooling == "meanstd" else None
        return self.pool(sums, squares, steps[None, :, None])

    def stream_step(
        self, x: torch.Tensor, carry: StreamCarry | None = None
    ) -> tuple[torch.Tensor, StreamCarry]:
        """Return the outputs of the next frames of a sequence, continuing ``carry``, and a carry.

        ``x`` is ``(1, n, C)``: frames ``k..k+n-1`` of a sequence whose first ``k`` frames
        went through earlier calls (``carry``; ``None`` at the start). Returns ``(n,
        n_outputs)``: the rows of :meth:`forward_frames` of the whole sequence for these
        frames (causal architectures), and the carry for the next call. Call it in eval mode
        and without gradients.

        The running sums are carried in float64: torch's CPU ``cumsum`` of float32
        accumulates in float64 and rounds each partial sum to float32, so continuing a
        float64 ``cumsum`` over ``[carry, new states]`` makes the same additions in the same
        order as :meth:`running_pool` over the whole sequence, however long the stream.
        """
        carry = StreamCarry() if carry is None else carry
        n = x.shape[1]
        lengths = torch.tensor([n], device=x.device)
        states, hx = self.recur(self.frame_features(x, lengths), carry.hx)
        states = states[0]
        if self.pooling == "last":
            return self.readout(states, None), StreamCarry(hx, None, None, carry.n_frames + n)
        counts = torch.arange(carry.n_frames + 1, carry.n_frames + n + 1, dtype=torch.float32)
        counts = counts.to(states.device, states.dtype)[:, None]
        sums, new_sums = _running_sum(states, carry.sums)
        squares, new_squares = None, None
        if self.pooling == "meanstd":
            squares, new_squares = _running_sum(states.square(), carry.squares)
        outputs = self.readout(states, self.pool(sums, squares, counts))
        return outputs, StreamCarry(hx, new_sums, new_squares, carry.n_frames + n)


@dataclass(frozen=True)
class StreamCarry:
    """What :meth:`HybridCNNLSTMModule.stream_step` carries from one chunk to the next.

    Attributes
    ----------
    hx : tuple of torch.Tensor or None
        The LSTM's ``(h, c)`` of every layer.
    sums, squares : torch.Tensor or None
        Float64 running sums of the states (and of their squares, for ``"meanstd"``).
    n_frames : int
        Frames seen so far.
    """

    hx: Any = None
    sums: torch.Tensor | None = None
    squares: torch.Tensor | None = None
    n_frames: int = 0


def _running_sum(
    values: torch.Tensor, carry: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cumulative sums of ``values`` ``(n, H)`` continuing ``carry``: (sums, new carry).

    Rounded to ``values``' dtype as ``values.cumsum(0)`` of the whole stream would be; the
    carry stays in float64, the precision torch accumulates float32 sums in.
    """
    wide = values.double()
    if carry is not None:
        wide = torch.cat([carry[None], wide])
    sums = wide.cumsum(0)
    if carry is not None:
        sums = sums[1:]
    return sums.to(values.dtype), sums[-1]
