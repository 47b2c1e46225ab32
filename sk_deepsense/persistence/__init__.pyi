# The names of this package, for type checkers and for lazy_loader.attach_stub, which reads
# this file at run time (__init__.py): each is loaded from its module on first use. This
# file is the one list of them: __init__.py's __all__ is read from it.

from ._format import FORMAT_VERSION as FORMAT_VERSION
from ._format import ModelVersionWarning as ModelVersionWarning
from ._load import load_model as load_model
from ._pretrained import PRETRAINED as PRETRAINED
from ._pretrained import PretrainedModel as PretrainedModel
from ._pretrained import load_pretrained as load_pretrained
from ._save import save_model as save_model

__all__: list[str]
