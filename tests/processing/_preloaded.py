"""Imported by the fork server when a test names it in ``set_forkserver_preload``."""

import os

#: The process that imported this module: the fork server, when it was preloaded.
IMPORTED_IN = os.getpid()
