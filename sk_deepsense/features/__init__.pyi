# The names of this package, for type checkers and for lazy_loader.attach_stub, which reads
# this file at run time (__init__.py): each is loaded from its module on first use. This
# file is the one list of them: __init__.py's __all__ is read from it.

from ._audio_io import load_audio as load_audio
from ._base import BaseAudioTransformer as BaseAudioTransformer
from ._descriptors import DescriptorTransformer as DescriptorTransformer
from ._descriptors import descriptor_names as descriptor_names
from ._logmel import LogMelTransformer as LogMelTransformer
from ._mfcc import MFCCTransformer as MFCCTransformer
from ._musicnn import MUSICNN_OUTPUTS as MUSICNN_OUTPUTS
from ._musicnn import MusicnnTransformer as MusicnnTransformer
from ._named import FeatureSequences as FeatureSequences
from ._padding import pad_sequences as pad_sequences
from ._padding import sequence_lengths as sequence_lengths
from ._statistics import SequenceStatistics as SequenceStatistics

__all__: list[str]
