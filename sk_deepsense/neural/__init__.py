"""The hybrid 1-D CNN + LSTM: torch module and scikit-learn estimators."""

import lazy_loader as _lazy

from .._choices import ARCHITECTURES, CAUSAL_ARCHITECTURES

# Lazy: torch is imported when a name of __init__.pyi is first used (see
# sk_deepsense/__init__.py). The names are listed once, in __init__.pyi, which type checkers
# read too.
__getattr__, _dir, _lazy_names = _lazy.attach_stub(__name__, __file__)

__all__ = ["ARCHITECTURES", "CAUSAL_ARCHITECTURES", *_lazy_names]


def __dir__() -> list[str]:
    return list(__all__)
