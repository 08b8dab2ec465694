"""Modules the corpus apps import from their own folder, as an app imports its helpers."""
