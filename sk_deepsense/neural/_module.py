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

import torch
from torch import nn

from .._choices import ARCHITECTURES, CAUSAL_ARCHITECTURES, POOLINGS

__all__ = ["ARCHITECTURES", "CAUSAL_ARCHITECTURES", "POOLINGS", "HybridCNNLSTMModule"]

_EPS = 1e-6  # keeps the gradient of the standard deviation finite at zero variance


class HybridCNNLSTMModule(nn.Module):
    """Hybrid 1-D CNN (filters one frame tall) stacked under a unidirectional LSTM.

    Parameters
    ----------
    n_coefficients : int
        Coefficients per frame (e.g. MFCCs).
    n_outputs : int
        Size of the output (number of classes, or of regression targets).
    architecture : {"hybrid", "conv1d", "conv2d", "lstm", "hybrid_nolstm"}, default="hybrid"
        ``"hybrid"``: ``1 x filter_size`` filters along the coefficients of each frame, then
        the LSTM. ``"conv1d"``: filters spanning ``filter_size`` frames and all coefficients,
        sliding over time (centred, so not causal), then the LSTM. ``"conv2d"``:
        ``filter_size x filter_size`` filters over time and coefficients with max-pooling
        along the coefficients (not causal), then the LSTM. ``"lstm"``: the LSTM on the
        standardized coefficients, no convolution. ``"hybrid_nolstm"``: the hybrid
        convolutions and a per-frame dense layer of ``lstm_hidden_size`` units, no LSTM
        (frames never interact before the pooling).
    n_filters : int, default=32
        Filters (channels) per convolution layer.
    filter_size : int, default=5
        Filter length: along the coefficient axis for ``"hybrid"`` (its height in time is
        always 1), along time for ``"conv1d"``, along both for ``"conv2d"``.
    n_conv_layers : int, default=2
        Stacked convolution layers.
    pool_size : int, default=2
        Max-pooling width along the coefficient axis after each convolution (1: none). Used by
        ``"hybrid"``, ``"hybrid_nolstm"`` and ``"conv2d"``; ``"conv1d"`` has no coefficient
        axis left to pool.
    lstm_hidden_size : int, default=64
        LSTM state size (the dense layer's width for ``"hybrid_nolstm"``).
    lstm_layers : int, default=1
        Stacked LSTM layers.
    dropout : float, default=0.2
        Dropout on the per-frame features, between LSTM layers and before the head.
    pooling : {"mean", "meanstd", "last"}, default="mean"
        How frame states become one clip state: mean over real frames, mean and standard
        deviation over real frames (statistics pooling: the head sees ``2 * lstm_hidden_size``
        values), or the last real frame's state.
    feature_mean, feature_scale : array-like of shape (n_coefficients,) or None
        Standardization statistics; ``None`` means 0 and 1.
    freq_mask, time_mask : float, default=0.0
        SpecAugment-style masking while training (``module.train()``; never in ``eval``
        mode): each sequence gets one band of consecutive coefficients, up to ``freq_mask``
        of them (a fraction), and one span of consecutive real frames, up to ``time_mask``
        of its real frames (a fraction), set to the feature mean, i.e. to 0 after
        standardization. Widths and positions are drawn uniformly from torch's random
        state. 0 disables a mask.
    """

    # buffers (register_buffer), declared for type checkers: nn.Module types them loosely
    feature_mean: torch.Tensor
    feature_scale: torch.Tensor

    def __init__(
        self,
        *,
        n_coefficients: int,
        n_outputs: int,
        architecture: str = "hybrid",
        n_filters: int = 32,
        filter_size: int = 5,
        n_conv_layers: int = 2,
        pool_size: int = 2,
        lstm_hidden_size: int = 64,
        lstm_layers: int = 1,
        dropout: float = 0.2,
        pooling: str = "mean",
        feature_mean=None,
        feature_scale=None,
        freq_mask: float = 0.0,
        time_mask: float = 0.0,
        frame_outputs: bool = False,
    ) -> None:
        super().__init__()
        self.frame_outputs = bool(frame_outputs)
        self.freq_mask = float(freq_mask)
        self.time_mask = float(time_mask)
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}.")
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
        if self.architecture in ("hybrid", "hybrid_nolstm", "lstm"):
            # Frames are independent: transform the real ones only.
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
        feats = self.frame_dropout(feats)
        if self.lstm is None:
            states = self.dense(feats)
        else:
            states, _ = self.lstm(feats)
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
        return self.architecture in ("hybrid", "hybrid_nolstm", "lstm")

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """One output vector per sequence, ``(B, n_outputs)``; per frame with ``frame_outputs``."""
        if getattr(self, "frame_outputs", False):  # modules pickled before the option
            return self.forward_frames(x, lengths)
        return self.pool_and_head(self.frame_states(x, lengths), lengths)

    def pool_and_head(self, states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Pool frame states (``pooling``) over each sequence's real frames; the output layer."""
        lengths = lengths.to(states.device)
        if self.pooling == "last":
            pooled = states[torch.arange(states.shape[0], device=states.device), lengths - 1]
        else:  # padding states are zero, so the sums cover the real frames only
            n = lengths[:, None].to(states.dtype)
            pooled = states.sum(dim=1) / n
            if self.pooling == "meanstd":
                var = (states.square().sum(dim=1) / n - pooled.square()).clamp_min(0.0)
                pooled = torch.cat([pooled, torch.sqrt(var + _EPS)], dim=1)
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
        if self.pooling == "last":
            return self.head(states)
        pooled = self.running_pool(states)
        if getattr(self, "frame_outputs", False):
            return self.head(torch.cat([states, pooled], dim=2))
        return self.head(pooled)

    def running_pool(self, states: torch.Tensor) -> torch.Tensor:
        """Pool of the states of frames ``0..t`` at every frame t (``pooling`` "mean"/"meanstd").

        ``(B, T, H)`` states give ``(B, T, H)`` running means, or ``(B, T, 2H)`` means and
        standard deviations: at frame t, what :meth:`pool_and_head` pools for a sequence cut
        after t.
        """
        steps = torch.arange(1, states.shape[1] + 1, device=states.device, dtype=states.dtype)
        mean = states.cumsum(dim=1) / steps[None, :, None]
        if self.pooling == "meanstd":
            var = states.square().cumsum(dim=1) / steps[None, :, None] - mean.square()
            mean = torch.cat([mean, torch.sqrt(var.clamp_min(0.0) + _EPS)], dim=2)
        return mean
