"""PyInstaller hook directory, announced through the ``pyinstaller40`` entry point.

It holds ``hook-processing.py`` (processing's lazily imported modules) and, through
``rthooks.dat``, the runtime hook ``pyi_rth_processing.py`` that dispatches child launches
before the app runs. So ``pyinstaller app.py`` on an app that imports processing gives
children that re-enter correctly, without ``freezekit build``.
"""

from __future__ import annotations

import os

__all__ = ["HOOK_DIR", "get_hook_dirs"]

HOOK_DIR = os.path.dirname(os.path.abspath(__file__))


def get_hook_dirs() -> list[str]:
    """The directories PyInstaller searches for our hooks (the ``pyinstaller40`` contract)."""
    return [HOOK_DIR]
