"""Audio feature extraction: decoding, MFCC and log-mel sequences, per-clip statistics."""

from ._audio_io import load_audio
from ._base import BaseAudioTransformer
from ._descriptors import DescriptorTransformer, descriptor_names
from ._logmel import LogMelTransformer
from ._mfcc import MFCCTransformer
from ._padding import pad_sequences, sequence_lengths
from ._statistics import SequenceStatistics

__all__ = [
    "BaseAudioTransformer",
    "DescriptorTransformer",
    "LogMelTransformer",
    "MFCCTransformer",
    "SequenceStatistics",
    "descriptor_names",
    "load_audio",
    "pad_sequences",
    "sequence_lengths",
]
