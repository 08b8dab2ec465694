"""Sphinx configuration: the processing + freezekit documentation site.

Build it with ``python3 -m sphinx -W -b html docs docs/_build/html`` (the ``docs`` extra
installs Sphinx, MyST and the theme); CI builds it with warnings as errors.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir)))

project = "processing + freezekit"
author = "the processing-freezekit maintainers"
copyright = "2026, the processing-freezekit maintainers"  # noqa: A001 (Sphinx's name)
extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "rules/README.md"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
html_theme = "furo" if __import__("importlib").util.find_spec("furo") else "alabaster"
html_title = "processing + freezekit"
