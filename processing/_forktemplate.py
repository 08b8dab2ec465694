"""Kept for ``processing/pool.py`` until it imports ``processing._backend.forktemplate``."""

from processing._backend.forktemplate import ForkTemplate, TemplateWorker, available

__all__ = ["ForkTemplate", "TemplateWorker", "available"]
