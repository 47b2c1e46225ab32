"""Music emotion data sets: a synthetic generator and loaders of local dataset folders.

- :func:`make_emotion_music`: synthetic clips whose musical cues follow (arousal, valence);
  needs no download.
- :func:`load_4q`, :func:`load_emomusic`, :func:`load_pmemo`, :func:`load_deam`: read the
  standard music emotion recognition datasets from a folder the user already has (nothing is
  ever downloaded).
- :func:`load_dataset`: any of the above by name (the registry :data:`DATASETS`), as the
  command line and the benchmark read them.
- :func:`load_labels`: your own ``path,label`` or ``path,arousal,valence`` CSV (the format
  of the ``sk-deepsense`` command line).
- :func:`quadrant_from_av`, :func:`av_from_quadrant`: convert between continuous
  (arousal, valence) and Russell quadrants.

Everything returns :class:`sklearn.utils.Bunch` objects (``filenames``, ``target``,
``target_names``, ``groups``, ``frame``, ``DESCR``) or ``(X, y)`` with ``return_X_y=True``.
The regression datasets share one scale: (arousal, valence) in [-1, 1].
"""

import lazy_loader as _lazy

# Lazy: pandas and scikit-learn are imported when a name of __init__.pyi is first used.
# The names are listed once, in __init__.pyi, which type checkers read too.
__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
