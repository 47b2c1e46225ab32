"""Audio feature extraction: decoding, MFCC and log-mel sequences, per-clip statistics."""

import lazy_loader as _lazy

# Lazy: librosa is imported when a name of __init__.pyi is first used (see
# sk_deepsense/__init__.py).
# The names are listed once, in __init__.pyi, which type checkers read too.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
