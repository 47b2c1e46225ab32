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

from ._deam import load_deam
from ._emomusic import load_emomusic
from ._four_q import load_4q
from ._labels import load_labels
from ._pmemo import load_pmemo
from ._quadrants import QUADRANTS, av_from_quadrant, quadrant_from_av
from ._registry import DATASETS, load_dataset
from ._synthetic import make_emotion_music

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
