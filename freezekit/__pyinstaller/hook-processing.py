# ruff: noqa: N999 (PyInstaller finds hooks by this file name)
"""PyInstaller hook for processing: bundle every submodule.

processing imports its launchers and helpers by start method at run time, which the module
graph cannot see; a frozen child must find all of them.
"""

import pkgutil

import processing

# A listing of the package directory is enough (processing is pure Python) and, unlike
# collect_submodules(), starts no subprocess, which keeps builds fast.
hiddenimports = [
    info.name for info in pkgutil.walk_packages(processing.__path__, prefix="processing.")
]
