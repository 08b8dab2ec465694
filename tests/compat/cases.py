"""The suite's test classes for one library and start method, as CPython instantiates them.

Which ones comes from the environment (set by the runner and inherited by every child, so a
spawned or forkserver child that imports this module builds the same classes and substitutes
the same library): ``PROCESSING_COMPAT_LIBRARY`` is ``stdlib`` or ``processing``,
``PROCESSING_COMPAT_START_METHOD`` is ``fork``, ``spawn`` or ``forkserver``. CPython's
``test_multiprocessing_<method>`` packages do the same with ``install_tests_in_module_dict``.
"""

from __future__ import annotations

import os

from tests.compat import LIBRARY_ENV, START_METHOD_ENV
from tests.compat.substitute import load_suite

try:
    LIBRARY = os.environ[LIBRARY_ENV]
    START_METHOD = os.environ[START_METHOD_ENV]
except KeyError as missing:
    raise RuntimeError(
        f"tests.compat.cases needs {missing.args[0]} in the environment: "
        "run it through `python -m tests.compat`"
    ) from None

suite = load_suite(LIBRARY)
suite.install_tests_in_module_dict(globals(), START_METHOD)
