"""Audio feature extraction: decoding, MFCC and log-mel sequences, per-clip statistics."""

import lazy_loader as _lazy

# Lazy: librosa is imported when a name below is first used (see sk_deepsense/__init__.py).
__getattr__, _dir, _ = _lazy.attach(
    __name__,
    submod_attrs={
        "_audio_io": ["load_audio"],
        "_base": ["BaseAudioTransformer"],
        "_descriptors": ["DescriptorTransformer", "descriptor_names"],
        "_logmel": ["LogMelTransformer"],
        "_mfcc": ["MFCCTransformer"],
        "_musicnn": ["MUSICNN_OUTPUTS", "MusicnnTransformer"],
        "_named": ["FeatureSequences"],
        "_padding": ["pad_sequences", "sequence_lengths"],
        "_statistics": ["SequenceStatistics"],
    },
)

__all__ = [
    "BaseAudioTransformer",
    "DescriptorTransformer",
    "FeatureSequences",
    "LogMelTransformer",
    "MFCCTransformer",
    "MUSICNN_OUTPUTS",
    "MusicnnTransformer",
    "SequenceStatistics",
    "descriptor_names",
    "load_audio",
    "pad_sequences",
    "sequence_lengths",
]


def __dir__() -> list[str]:
    return list(__all__)
