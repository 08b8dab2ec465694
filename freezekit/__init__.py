"""freezekit: check, fix and freeze Python apps that start processes."""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = ["Finding", "SourceError", "__version__", "analyse_source", "check", "fix"]

# Imported on first use, and by a name in a string: a frozen program imports (and a freezer
# bundles) freezekit.runtime, which needs none of the checker or the rewriter.
_LAZY = {
    "Finding": "freezekit.analysis",
    "SourceError": "freezekit.analysis",
    "analyse_source": "freezekit.analysis",
    "check": "freezekit.analysis",
    "fix": "freezekit.rewrite",
}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'freezekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
