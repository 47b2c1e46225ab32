# The names of this package, for type checkers and for lazy_loader.attach_stub, which reads
# this file at run time (__init__.py): each imported name is loaded from its module on first
# use. This file is the one list of them: __init__.py's __all__ is read from it, plus the
# two names below, which __init__.py imports at once from sk_deepsense._choices (a stub read
# by attach_stub may import from this package only).

from ._base import BaseHybridCNNLSTM as BaseHybridCNNLSTM
from ._dynamic import HybridCNNLSTMDynamicRegressor as HybridCNNLSTMDynamicRegressor
from ._estimators import HybridCNNLSTMClassifier as HybridCNNLSTMClassifier
from ._estimators import HybridCNNLSTMRegressor as HybridCNNLSTMRegressor
from ._module import HybridCNNLSTMModule as HybridCNNLSTMModule

ARCHITECTURES: tuple[str, ...]
CAUSAL_ARCHITECTURES: tuple[str, ...]

__all__: list[str]
