"""The names the checks recognise: the parallel libraries' calls that start processes,
freeze_support() and set_start_method() in every spelling, and what else a main module can
do at import time that every child would repeat (threads, servers, GUIs, exits)."""

from __future__ import annotations

__all__ = ["CONTEXT", "EXECUTORS", "EXITS", "FREEZE", "GUI", "LIBS", "MANAGERS", "PARALLEL",
           "POOL_METHODS", "QT", "SERVER_LIBS", "SPAWNERS", "START_METHOD", "STAR_NAMES",
           "THREADS", "THREAD_BACKENDS"]

LIBS = frozenset({"multiprocessing", "processing", "multiprocess"})
SPAWNERS = frozenset({"Process", "Pool", "Manager", "ProcessPoolExecutor"})
EXECUTORS = frozenset({"concurrent.futures.ProcessPoolExecutor",
                       "concurrent.futures.process.ProcessPoolExecutor",
                       "loky.ProcessPoolExecutor", "loky.get_reusable_executor",
                       "loky.process_executor.ProcessPoolExecutor",
                       "loky.reusable_executor.get_reusable_executor",
                       "joblib.externals.loky.get_reusable_executor",
                       "joblib.externals.loky.ProcessPoolExecutor"})
#: Creating one starts nothing; its start() (or entering it in a `with`) starts a server process.
MANAGERS = frozenset({"BaseManager", "SyncManager", "SharedMemoryManager"})
PARALLEL = frozenset({"joblib.Parallel", "joblib.parallel.Parallel"})
THREAD_BACKENDS = frozenset({"threading", "sequential", "threads"})
FREEZE = frozenset({"freeze_support", "freezeSupport"})
START_METHOD = frozenset({"set_start_method", "setStartMethod"})
CONTEXT = frozenset({"get_context", "getContext"})
STAR_NAMES = SPAWNERS | FREEZE | START_METHOD | CONTEXT | {"ProcessPoolExecutor"}
POOL_METHODS = frozenset({"map", "map_async", "imap", "imap_unordered", "starmap",
                          "starmap_async", "apply", "apply_async", "submit",
                          "mapAsync", "applyAsync", "imapUnordered"})
THREADS = frozenset({"threading.Thread", "threading.Timer"})
GUI = frozenset({"tkinter.Tk", "Tkinter.Tk", "wx.App", "pygame.display.set_mode"})
QT = frozenset({"PyQt5", "PyQt6", "PySide2", "PySide6"})
SERVER_LIBS = frozenset({"socketserver", "http", "xmlrpc"})
EXITS = frozenset({"sys.exit", "os._exit"})
