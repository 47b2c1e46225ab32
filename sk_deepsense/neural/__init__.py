"""The hybrid 1-D CNN + LSTM: torch module and scikit-learn estimators."""

from ._base import BaseHybridCNNLSTM
from ._estimators import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor
from ._module import ARCHITECTURES, CAUSAL_ARCHITECTURES, HybridCNNLSTMModule

__all__ = [
    "ARCHITECTURES",
    "CAUSAL_ARCHITECTURES",
    "BaseHybridCNNLSTM",
    "HybridCNNLSTMClassifier",
    "HybridCNNLSTMModule",
    "HybridCNNLSTMRegressor",
]
