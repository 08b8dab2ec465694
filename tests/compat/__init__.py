"""CPython's own multiprocessing test suite, run against processing and the stdlib side by side.

``python -m tests.compat`` runs ``test._test_multiprocessing`` (installed with the interpreter)
once per start method with the stdlib as the module under test and once with processing, and
prints where they differ. ``substitute`` makes processing the suite's ``multiprocessing``,
``cases`` instantiates the suite for one library and start method, ``worker`` runs it in a
guarded process of its own and records every outcome.
"""

#: The environment that tells ``cases`` (in the worker and in each of its children) what to run.
LIBRARY_ENV = "PROCESSING_COMPAT_LIBRARY"
START_METHOD_ENV = "PROCESSING_COMPAT_START_METHOD"
#: The worker's exit status when a test outlived its time (the runner then resumes after it).
EXIT_TEST_TIMEOUT = 3
