"""freezekit's static analysis: what makes a main module unsafe to freeze or to run under spawn.

One concept per module: ``source`` reads and parses a file as the interpreter does, ``lines``
splits it as the tokenizer does, ``files`` chooses which files `check` and `fix` read,
``rules`` is the rule table, ``libraries`` the names the checks recognise, ``syntax`` what
AST shapes mean (main guards, bindings), ``findings`` the Finding type and its collection
(``# noqa``), ``facts`` what an analysis hands to `fix`, ``guardglobals`` FK007's data flow,
and ``checker`` runs the rules over a module and the app's own modules it imports.

This package exports what the rest of freezekit uses; the submodules hold the rest.
"""

from __future__ import annotations

from freezekit.analysis.checker import analyse_module, analyse_source, check
from freezekit.analysis.facts import Analysis
from freezekit.analysis.findings import Finding
from freezekit.analysis.rules import ERROR, PROJECT_URL, RULES
from freezekit.analysis.source import SourceError, load_source, parse_source
from freezekit.analysis.syntax import main_guard_body

__all__ = [
    "ERROR",
    "PROJECT_URL",
    "RULES",
    "Analysis",
    "Finding",
    "SourceError",
    "analyse_module",
    "analyse_source",
    "check",
    "load_source",
    "main_guard_body",
    "parse_source",
]
