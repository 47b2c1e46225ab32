"""Sphinx configuration: numpydoc API pages; builds offline (``make -C docs html``)."""

import sk_deepsense

project = "sk_deepsense"
author = "sk_deepsense developers"
release = sk_deepsense.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Cross-references into other projects' docs would need the network: keep them as text.
intersphinx_mapping: dict = {}
nitpicky = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples"]
html_theme = "alabaster"
