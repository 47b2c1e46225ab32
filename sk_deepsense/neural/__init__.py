"""The hybrid 1-D CNN + LSTM: torch module and scikit-learn estimators."""

from ._base import BaseHybridCNNLSTM
from ._estimators import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor
from ._module import HybridCNNLSTMModule

__all__ = [
    "BaseHybridCNNLSTM",
    "HybridCNNLSTMClassifier",
    "HybridCNNLSTMModule",
    "HybridCNNLSTMRegressor",
]
