"""sk_deepsense: deep music emotion recognition as scikit-learn estimators.

The public names:

- :class:`MFCCTransformer`, :class:`LogMelTransformer`: audio paths or waveforms to
  NaN-padded MFCC or log-mel sequences.
- :class:`HybridCNNLSTMClassifier`, :class:`HybridCNNLSTMRegressor`: the hybrid 1-D CNN
  (filters one frame tall) stacked under a unidirectional LSTM, as skorch-backed estimators.
- :class:`SequenceStatistics`, :func:`make_baseline`: per-clip MFCC statistics and the
  classical baselines built on them.
- :func:`make_fusion`: the hybrid and the strongest classical model, soft-voting.
- :func:`save_model`, :func:`load_model`: a sharing format that runs no code on load.
- :func:`sequence_lengths`, :func:`load_audio`: helpers.
"""

from ._version import __version__
from .baselines import make_baseline
from .exceptions import AudioLoadError, AudioLoadErrors, SkDeepsenseError
from .features import (
    LogMelTransformer,
    MFCCTransformer,
    SequenceStatistics,
    load_audio,
    pad_sequences,
    sequence_lengths,
)
from .fusion import make_fusion
from .neural import HybridCNNLSTMClassifier, HybridCNNLSTMRegressor
from .persistence import ModelVersionWarning, load_model, save_model

__all__ = [
    "AudioLoadError",
    "AudioLoadErrors",
    "HybridCNNLSTMClassifier",
    "HybridCNNLSTMRegressor",
    "LogMelTransformer",
    "MFCCTransformer",
    "ModelVersionWarning",
    "SequenceStatistics",
    "SkDeepsenseError",
    "__version__",
    "load_audio",
    "load_model",
    "make_baseline",
    "make_fusion",
    "pad_sequences",
    "save_model",
    "sequence_lengths",
]
