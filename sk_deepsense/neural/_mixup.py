"""The skorch net of the hybrid networks: a ``NeuralNet`` with mixup and bfloat16 autocast.

Its own module, below ``_params`` (whose ``net_params`` constraint builds one to check the
options) and ``_net`` (which builds the net a fit trains).
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from skorch import NeuralNet
from skorch.dataset import unpack_data

__all__: list[str] = []


class _MixupNet(NeuralNet):
    """A skorch ``NeuralNet`` whose training steps can use mixup (Zhang et al., 2018).

    With ``mixup=alpha > 0``, each training batch is mixed with a shuffled copy of itself:
    inputs ``lam * x + (1 - lam) * x[perm]`` (``lam ~ Beta(alpha, alpha)``, drawn from torch's
    random state), lengths the longer of the two, and the loss the same mix of the losses
    against both targets (equivalent to mixed soft labels for cross-entropy). Validation and
    prediction are untouched.
    """

    def __init__(
        self, *args: Any, mixup: float = 0.0, mixed_precision: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mixup = mixup
        self.mixed_precision = mixed_precision

    def autocast(self) -> contextlib.AbstractContextManager:
        """Return the forward passes' precision context: bfloat16 autocast, or nothing.

        bfloat16 keeps float32's exponent range, so gradients need no loss scaling (float16
        would); the loss and the optimizer step stay in float32 (outputs are cast back).
        """
        if not self.mixed_precision:
            return contextlib.nullcontext()
        return torch.autocast(device_type=torch.device(self.device).type, dtype=torch.bfloat16)

    def infer(self, x: Any, **fit_params: Any) -> torch.Tensor:
        """Run the module's forward pass (under :meth:`autocast`), returning float32."""
        with self.autocast():
            out = super().infer(x, **fit_params)
        return out.float()

    def train_step_single(self, batch: Any, **fit_params: Any) -> dict[str, Any]:
        """Perform one training step, mixing the batch when ``mixup > 0``."""
        if self.mixup <= 0:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        lam = float(torch.distributions.Beta(self.mixup, self.mixup).sample())
        perm = torch.randperm(len(yi))
        x = torch.as_tensor(Xi["x"])
        lengths = torch.as_tensor(Xi["lengths"])
        mixed = {
            "x": lam * x + (1.0 - lam) * x[perm],
            "lengths": torch.maximum(lengths, lengths[perm]),
        }
        y_pred = self.infer(mixed, **fit_params)
        yi = torch.as_tensor(yi)
        loss = lam * self.get_loss(y_pred, yi, X=mixed, training=True) + (
            1.0 - lam
        ) * self.get_loss(y_pred, yi[perm], X=mixed, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}
