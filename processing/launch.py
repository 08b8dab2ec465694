"""Kept for freezekit's Nuitka plugin until it imports the launch table from
``processing.freezing`` (``freezekit/backends/nuitka_plugin.py``)."""

from processing._backend.launch import LAUNCH_FORMS

__all__ = ["LAUNCH_FORMS"]
