# The names of the package root, for type checkers and for lazy_loader.attach_stub, which
# reads this file at run time: every name the root offers is imported here, once, and is
# loaded on first use (sk_deepsense/__init__.py). A new public name goes here and in
# __init__.py's __all__ (tests/test_stubs.py checks that they agree).

from . import baselines as baselines
from . import batch as batch
from . import benchmark as benchmark
from . import datasets as datasets
from . import dynamic as dynamic
from . import exceptions as exceptions
from . import features as features
from . import fusion as fusion
from . import library as library
from . import metrics as metrics
from . import model_selection as model_selection
from . import neural as neural
from . import persistence as persistence
from . import plotting as plotting
from . import recommended as recommended
from . import streaming as streaming
from . import timeline as timeline
from ._version import __version__ as __version__
from .baselines import make_baseline as make_baseline
from .batch import predict_files as predict_files
from .exceptions import AudioLoadError as AudioLoadError
from .exceptions import AudioLoadErrors as AudioLoadErrors
from .exceptions import IsAFolderError as IsAFolderError
from .exceptions import MissingDependencyError as MissingDependencyError
from .exceptions import MissingFileError as MissingFileError
from .exceptions import ModelFileError as ModelFileError
from .exceptions import NotAFolderError as NotAFolderError
from .exceptions import NotStreamableError as NotStreamableError
from .exceptions import OutputExistsError as OutputExistsError
from .exceptions import ParameterError as ParameterError
from .exceptions import ParameterTypeError as ParameterTypeError
from .exceptions import RecordsFileError as RecordsFileError
from .exceptions import SkDeepsenseError as SkDeepsenseError
from .exceptions import StateError as StateError
from .features import LogMelTransformer as LogMelTransformer
from .features import MFCCTransformer as MFCCTransformer
from .features import MusicnnTransformer as MusicnnTransformer
from .features import SequenceStatistics as SequenceStatistics
from .features import load_audio as load_audio
from .features import pad_sequences as pad_sequences
from .features import sequence_lengths as sequence_lengths
from .fusion import make_fusion as make_fusion
from .neural import HybridCNNLSTMClassifier as HybridCNNLSTMClassifier
from .neural import HybridCNNLSTMDynamicRegressor as HybridCNNLSTMDynamicRegressor
from .neural import HybridCNNLSTMRegressor as HybridCNNLSTMRegressor
from .persistence import ModelVersionWarning as ModelVersionWarning
from .persistence import load_model as load_model
from .persistence import load_pretrained as load_pretrained
from .persistence import save_model as save_model
from .recommended import make_recommended as make_recommended
from .streaming import EmotionStream as EmotionStream
from .streaming import stream_file as stream_file

__all__: list[str]
