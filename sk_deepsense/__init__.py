"""sk_deepsense: deep music emotion recognition as scikit-learn estimators.

The public names:

- :class:`MFCCTransformer`, :class:`LogMelTransformer`: audio paths or waveforms to
  NaN-padded MFCC or log-mel sequences.
- :class:`MusicnnTransformer`: audio to embeddings of the pre-trained musicnn tagger, one
  row per 3-s patch (the transfer-learning front end; weights ship with the package).
- :class:`HybridCNNLSTMClassifier`, :class:`HybridCNNLSTMRegressor`: the hybrid 1-D CNN
  (filters one frame tall) stacked under a unidirectional LSTM, as skorch-backed estimators.
- :class:`SequenceStatistics`, :func:`make_baseline`: per-clip MFCC statistics and the
  classical baselines built on them.
- :func:`make_recommended`: the model recommended for real music (the pre-trained
  musicnn front end and a linear head).
- :func:`make_fusion`: the hybrid and the strongest classical model, soft-voting.
- :func:`save_model`, :func:`load_model`: a sharing format that runs no code on load;
  :func:`load_pretrained`: the trained emotion model shipped with the package.
- :class:`EmotionStream`, :func:`stream_file`: a fitted causal model fed audio chunk by
  chunk, per-frame emotion out (equal to the offline per-frame predictions).
- :func:`predict_files`: a whole music library predicted batch by batch in bounded memory,
  one record per file as it comes (unreadable files become error records).
- :mod:`sk_deepsense.library`: what to do with a predicted library: an interactive map of
  it (:func:`~sk_deepsense.library.write_map`) and mood playlists
  (:func:`~sk_deepsense.library.select_tracks`, :func:`~sk_deepsense.library.write_playlist`).
- :func:`sequence_lengths`, :func:`load_audio`: helpers.
"""

import lazy_loader as _lazy

from ._version import __version__

# Lazy submodules (SPEC 1, as librosa and scikit-image do): ``import sk_deepsense`` loads
# none of torch, skorch, librosa or matplotlib; each name imports its module on first use,
# so that ``sk-deepsense --help`` answers at once. The names (submodules and their public
# names) are listed in __init__.pyi, which type checkers read too; __all__ below names the
# public ones (tests/test_stubs.py checks that the two agree).
__getattr__, _dir, _ = _lazy.attach_stub(__name__, __file__)

__all__ = [
    "AudioLoadError",
    "AudioLoadErrors",
    "EmotionStream",
    "HybridCNNLSTMClassifier",
    "HybridCNNLSTMDynamicRegressor",
    "HybridCNNLSTMRegressor",
    "IsAFolderError",
    "LogMelTransformer",
    "MFCCTransformer",
    "MissingDependencyError",
    "MissingFileError",
    "ModelFileError",
    "ModelVersionWarning",
    "MusicnnTransformer",
    "NotAFolderError",
    "NotStreamableError",
    "OutputExistsError",
    "ParameterError",
    "ParameterTypeError",
    "RecordsFileError",
    "SequenceStatistics",
    "SkDeepsenseError",
    "StateError",
    "__version__",
    "load_audio",
    "load_model",
    "load_pretrained",
    "make_baseline",
    "make_fusion",
    "make_recommended",
    "pad_sequences",
    "predict_files",
    "save_model",
    "sequence_lengths",
    "stream_file",
]


def __dir__() -> list[str]:
    return sorted({*_dir(), "__version__"})
