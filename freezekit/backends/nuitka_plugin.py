"""freezekit's Nuitka plugin (``--user-plugin``), loaded by Nuitka only while it compiles.

What Nuitka's own multiprocessing plugin (disabled by our backend) did, the way our entry
script needs it:

- the app's module gets the statement of ``nuitka.with_run_name``, so the entry script can
  run it as ``__main__`` and children can import it as ``__mp_main__``; so do the modules
  that the launch table's ``-m`` rows run as ``__main__`` (loky's and joblib's workers);
- before ``multiprocessing`` loads, ``sys.executable`` is the program (Nuitka leaves it
  naming a ``python`` next to it that does not exist) and ``sys.frozen`` is set, which
  Nuitka does not set but the stdlib, loky and multiprocess read to launch children as
  ``<exe> --multiprocessing-fork``, a form the entry script's dispatch recognises; and
  dill and cloudpickle find the app's compiled functions (``main_tables_code``);
- ``_fixup_main_from_name`` of the stdlib's, multiprocess's and loky's (and joblib's copy
  of loky's) ``spawn``, with which their children import the parent's main module through
  ``runpy`` (which needs the source or the byte code that a compiled module does not have),
  imports a compiled one through its loader instead.
"""

from __future__ import annotations

import os

from nuitka.plugins.PluginBase import NuitkaPluginBase

from freezekit.backends.nuitka import APP_MODULE_ENV, RUN_NAME, with_run_name
from processing.freezing import LAUNCH_FORMS

# The modules that children run as ``python -m MODULE`` (loky's workers): the entry script's
# dispatch runs them as __main__, which their compiled code must be able to see.
_RUN_AS_MAIN = frozenset(form.module for form in LAUNCH_FORMS if form.shape == "module")

# Packages to bundle as byte code instead of compiling them to C: a build of an app that
# uses big libraries (joblib, loky, dill...) takes minutes less. Comma-separated names.
BYTECODE_ENV = "FREEZEKIT_NUITKA_BYTECODE"
_BYTECODE = tuple(p.strip() for p in os.environ.get(BYTECODE_ENV, "").split(",") if p.strip())


def _in_bytecode(name: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in _BYTECODE)

def _fixup_main(spawn_module: str) -> str:
    """Post-load code for ``spawn_module`` (the stdlib's, multiprocess's, loky's or joblib's
    copy of loky's ``spawn``): its ``_fixup_main_from_name``, with which a spawn child imports
    its parent's main module through ``runpy``, imports a compiled one through its loader."""
    return f"""\
import importlib.util as _fk_util
import sys as _fk_sys

import {spawn_module} as _fk_spawn

_fk_original = _fk_spawn._fixup_main_from_name


def _fixup_main_from_name(mod_name):
    # freezekit's Nuitka plugin: a compiled main module has no code for runpy.
    spec = _fk_util.find_spec(mod_name)
    if spec is None or hasattr(spec.loader, "get_code"):
        return _fk_original(mod_name)
    current_main = _fk_sys.modules["__main__"]
    if mod_name == "__main__" or mod_name.endswith(".__main__"):
        return
    if getattr(current_main.__spec__, "name", None) == mod_name:
        return
    _fk_spawn.old_main_modules.append(current_main)
    main_module = _fk_util.module_from_spec(spec)
    _fk_sys.modules["__main__"] = _fk_sys.modules["__mp_main__"] = main_module
    setattr(_fk_sys, {RUN_NAME!r}, "__mp_main__")
    try:
        spec.loader.exec_module(main_module)
    finally:
        _fk_sys.__dict__.pop({RUN_NAME!r}, None)


_fk_spawn._fixup_main_from_name = _fixup_main_from_name
"""


#: The spawn modules whose children import the parent's main module by name.
_SPAWN_MODULES = ("multiprocessing.spawn", "multiprocess.spawn", "loky.backend.spawn",
                  "joblib.externals.loky.backend.spawn")

#: How Nuitka names the modules it makes of plugins' load code.
_LOAD_CODE_SUFFIXES = ("-preLoad", "-postLoad")

_PROGRAM = """\
import sys

_fk_info = globals().get("__uncompiled__", globals().get("__compiled__"))
sys.executable = sys._base_executable = _fk_info.process_exe
if not getattr(sys, "frozen", False):
    sys.frozen = True
"""


#: Where Nuitka's dill-compat plugin keeps each compiled module's two function tables
#: (reduce, create), by the module's compiled name: a dict in ``builtins``, made when the
#: program's first module registers its own.
FUNCTION_TABLES = "compiled_function_tables"


def main_tables_code(app_module: str) -> str:
    """Code that lets dill and cloudpickle pickle the app's compiled functions.

    With Nuitka's dill-compat plugin (multiprocess's dill; joblib's and loky's cloudpickle)
    they pickle a function of the main module by value through the tables registered under
    its ``__module__``, ``__main__`` for the app's. Nuitka registers the program's entry
    script there, and the app under its own name: ``__main__`` becomes a stand-in that
    hands each call to the app's tables, imported by name the first time in a child that
    never ran the app as its main module (a loky worker does not: its main block stays
    unrun there, as in any import).
    """
    if not app_module:
        return ""
    return f"""
def _fk_app_tables():
    # freezekit's Nuitka plugin: the app's tables, for functions whose __module__ is __main__.
    import builtins
    import importlib

    tables = getattr(builtins, {FUNCTION_TABLES!r})
    if {app_module!r} not in tables:
        importlib.import_module({app_module!r})
    return tables[{app_module!r}]


def _fk_stand_in_for_main():
    import builtins

    tables = getattr(builtins, {FUNCTION_TABLES!r}, None)
    if tables is not None:
        tables["__main__"] = (lambda function: _fk_app_tables()[0](function),
                              lambda *values: _fk_app_tables()[1](*values))


_fk_stand_in_for_main()
"""


class FreezekitNuitkaPlugin(NuitkaPluginBase):
    """Compile the app so that freezekit's entry script can run it and children import it."""

    plugin_name = "freezekit"
    plugin_desc = "Run the app through freezekit's entry script (freezekit build)."

    def onModuleSourceCode(self, module_name, source_filename, source_code):
        if str(module_name) == os.environ.get(APP_MODULE_ENV) or str(module_name) in _RUN_AS_MAIN:
            return with_run_name(source_code)
        return source_code

    def decideCompilation(self, module_name):
        """freezekit's own modules (the self-test and the app check, which only verify the
        program) and packages named in FREEZEKIT_NUITKA_BYTECODE are bundled as byte code:
        compiling freezekit to C would lengthen every build for code no user runs."""
        name = str(module_name)
        if name.endswith(_LOAD_CODE_SUFFIXES):
            # The module Nuitka makes of a plugin's load code (``loky.backend.spawn-postLoad``)
            # must be compiled: Nuitka 4.3 fails the build on one in byte code. The module it
            # is attached to may be byte code, as the stdlib's are.
            return None
        return "bytecode" if name.partition(".")[0] == "freezekit" or _in_bytecode(name) \
            else None

    @staticmethod
    def createPreModuleLoadCode(module):
        if str(module.getFullName()) == "multiprocessing":
            return (_PROGRAM + main_tables_code(os.environ.get(APP_MODULE_ENV, "")),
                    "sys.executable and sys.frozen for child launches; the app's functions "
                    + "for dill and cloudpickle.")
        return None

    @staticmethod
    def createPostModuleLoadCode(module):
        name = str(module.getFullName())
        if name in _SPAWN_MODULES:
            return (_fixup_main(name),
                    "Import a compiled main module in spawn children.")
        return None
