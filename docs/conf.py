"""Sphinx configuration; builds offline with warnings as errors (``make -C docs html``).

- numpydoc + autosummary: the API reference;
- sphinx-gallery: ``examples/plot_*.py`` become the gallery, executed at build time
  (``make -C docs html-noplot`` skips running them);
- matplotlib's plot directive: figures drawn by scripts in ``_figures/``;
- ``_ext/cli_help.py``: the CLI reference, rendered from the real argument parser.
"""

import os
import sys

import sk_deepsense

sys.path.insert(0, os.path.abspath("_ext"))

project = "sk_deepsense"
author = "sk_deepsense developers"
release = sk_deepsense.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "cli_help",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Cross-references into other projects' docs would need the network: keep them as text.
intersphinx_mapping: dict = {}
nitpicky = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "generated/*.examples", "auto_examples/*.ipynb"]
html_theme = "alabaster"
html_static_path = ["_static"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # run every plot_*.py
    "ignore_pattern": r"__init__\.py",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "min_reported_time": 5,
}

plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
