"""Inside a built program: import the app the way each of its children will, and report.

``freezekit build`` runs the program as ``<exe> --freezekit-app-check`` with
``FREEZEKIT_SELF_TEST=1``. The entry script hands that run to :func:`run_if_requested`
before anything else of the app runs; it imports the app's module under the name
``__mp_main__``, exactly as a spawned child imports its parent's main module, so the app's
whole import graph is loaded from the bundle while its main block does not run. A module the
freezer left out, a data file read at import, a failing import-time statement: each fails
here, with its traceback, instead of in front of the program's users. As in a child, starting
a process while the module is being imported is refused.
"""

from __future__ import annotations

import os
import sys

__all__ = ["FLAG", "OK", "main", "run_if_requested"]

FLAG = "--freezekit-app-check"
OK = "freezekit-app-check: ok"
FAILED = "freezekit-app-check: failed:"
# The self-test's variables (freezekit.runtime.selftest), spelled out so that every start of a
# program does not import the self-test and multiprocessing with it.
_ENV = "FREEZEKIT_SELF_TEST"
_REPORT_ENV = "FREEZEKIT_SELF_TEST_REPORT"


def run_if_requested(module: str) -> None:
    """Called first by the entry script: run the check and exit if this run asks for it."""
    if sys.argv[1:] == [FLAG] and os.environ.get(_ENV) == "1":
        sys.exit(main(module))


def main(module: str) -> int:
    """Import ``module`` as ``__mp_main__``; 0 and the OK line, or 1 and the failure."""
    import json
    import runpy
    import traceback

    from processing import _stdlib

    before = len(sys.modules)
    sys.argv[:] = sys.argv[:1]  # as the program started without arguments
    # As processing's and the stdlib's bootstraps do while a child imports the main module:
    # starting a process now raises instead of starting one.
    _stdlib.set_inheriting(True)
    _stdlib.set_importing_main(module)
    try:
        from processing._backend import mainmodule

        if mainmodule.is_compiled_main("name", module):
            # Compiled by Nuitka: no code for runpy; its loader runs it, as in a child.
            mainmodule.run_compiled(module, "__mp_main__")
        else:
            runpy.run_module(module, run_name="__mp_main__", alter_sys=True)
    except BaseException as exc:  # noqa: BLE001  (SystemExit too: the app stopped on import)
        traceback.print_exc()
        what = (f"SystemExit({exc.code!r}): the app exits while it is imported"
                if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {exc}")
        _report(f"{FAILED} importing {module} as a child does: {what}")
        return 1
    finally:
        _stdlib.set_importing_main(None)
        _stdlib.set_inheriting(False)
    _report(f"{OK} {json.dumps({'module': module, 'modules': len(sys.modules) - before})}")
    return 0


def _report(line: str) -> None:
    """To stdout and, for a windowed program that has none, to the report file."""
    if os.environ.get(_REPORT_ENV):
        with open(os.environ[_REPORT_ENV], "w", encoding="utf-8") as report:
            report.write(line + "\n")
    if sys.stdout is not None:
        print(line, flush=True)
