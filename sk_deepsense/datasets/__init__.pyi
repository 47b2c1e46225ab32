# The names of this package, for type checkers and for lazy_loader.attach_stub, which reads
# this file at run time (__init__.py): each is loaded from its module on first use. This
# file is the one list of them: __init__.py's __all__ is read from it.

from ._deam import load_deam as load_deam
from ._emomusic import load_emomusic as load_emomusic
from ._four_q import load_4q as load_4q
from ._labels import load_labels as load_labels
from ._pmemo import load_pmemo as load_pmemo
from ._quadrants import QUADRANTS as QUADRANTS
from ._quadrants import av_from_quadrant as av_from_quadrant
from ._quadrants import quadrant_from_av as quadrant_from_av
from ._registry import DATASETS as DATASETS
from ._registry import load_dataset as load_dataset
from ._synthetic import make_emotion_music as make_emotion_music

__all__: list[str]
