"""Audio feature extraction: decoding and MFCC sequences."""

from ._audio_io import load_audio
from ._mfcc import MFCCTransformer
from ._padding import pad_sequences, sequence_lengths
from ._statistics import SequenceStatistics

__all__ = [
    "MFCCTransformer",
    "SequenceStatistics",
    "load_audio",
    "pad_sequences",
    "sequence_lengths",
]
