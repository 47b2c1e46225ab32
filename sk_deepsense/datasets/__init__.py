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

# Lazy: pandas and scikit-learn are imported when a loader is first used.
__getattr__, _dir, _ = _lazy.attach(
    __name__,
    submod_attrs={
        "_deam": ["load_deam"],
        "_emomusic": ["load_emomusic"],
        "_four_q": ["load_4q"],
        "_labels": ["load_labels"],
        "_pmemo": ["load_pmemo"],
        "_quadrants": ["QUADRANTS", "av_from_quadrant", "quadrant_from_av"],
        "_registry": ["DATASETS", "load_dataset"],
        "_synthetic": ["make_emotion_music"],
    },
)

__all__ = [
    "DATASETS",
    "QUADRANTS",
    "av_from_quadrant",
    "load_4q",
    "load_deam",
    "load_emomusic",
    "load_dataset",
    "load_labels",
    "load_pmemo",
    "make_emotion_music",
    "quadrant_from_av",
]


def __dir__() -> list[str]:
    return list(__all__)
