"""The hybrid 1-D CNN + LSTM: torch module and scikit-learn estimators."""

import lazy_loader as _lazy

from .._choices import ARCHITECTURES, CAUSAL_ARCHITECTURES

# Lazy: torch is imported when a name below is first used (see sk_deepsense/__init__.py).
__getattr__, _dir, _ = _lazy.attach(
    __name__,
    submod_attrs={
        "_base": ["BaseHybridCNNLSTM"],
        "_dynamic": ["HybridCNNLSTMDynamicRegressor"],
        "_estimators": ["HybridCNNLSTMClassifier", "HybridCNNLSTMRegressor"],
        "_module": ["HybridCNNLSTMModule"],
    },
)

__all__ = [
    "ARCHITECTURES",
    "CAUSAL_ARCHITECTURES",
    "BaseHybridCNNLSTM",
    "HybridCNNLSTMClassifier",
    "HybridCNNLSTMDynamicRegressor",
    "HybridCNNLSTMModule",
    "HybridCNNLSTMRegressor",
]


def __dir__() -> list[str]:
    return list(__all__)
