"""PyInstaller runtime hook of processing: a child of the program never runs the app.

It runs before the app's main script. In a process started as a child (any launch in the
table of ``processing._backend.launch``: processing's marker, the stdlib's ``--multiprocessing-fork``,
its resource tracker and forkserver in every CPython release's form, ``multiprocess``'s and
loky's) it runs the child and exits, so the app's ``if __name__ == '__main__':`` block and its
argument parser never see the launch, with or without ``freeze_support()``. A child of the
program whose launch is in no row stops with one clear line (``processing.freezing``).

A child must still import the parent's main script under ``__mp_main__`` to find functions
defined there, but PyInstaller keeps that script as a code object in the executable's
archive, not as an importable module. So the parent's ``__main__`` gets a module spec with a
private name, and the child gets a finder that loads that name from the archive.
"""


def _pyi_rth_processing(main_globals):
    import importlib.abc
    import importlib.machinery
    import os
    import sys

    from processing import freezing

    main_name = "_processing_frozen_main"

    class ArchivedMainScript(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
        """Makes the program's main script, kept in the PyInstaller archive, importable."""

        def __init__(self):
            self._script = None

        def find_spec(self, fullname, path=None, target=None):
            if fullname != main_name:
                return None
            return importlib.machinery.ModuleSpec(
                fullname, self, origin=os.path.join(sys._MEIPASS, self._entry()[0] + ".py"))

        def is_package(self, fullname):
            return False

        def get_source(self, fullname):
            return None

        def get_code(self, fullname):
            import marshal

            return marshal.loads(self._entry()[1])

        def _entry(self):
            if self._script is None:
                self._script = self.last_script(
                    os.environ.get("_PYI_ARCHIVE_FILE", sys.executable))
            return self._script

        @staticmethod
        def last_script(archive):
            """``(name, code bytes)`` of the last script in the archive: the bootloader runs
            the scripts in order, runtime hooks first, so that is the main script."""
            import struct
            import zlib

            cookie_format, entry_format = "!8sIIII64s", "!IIIIBc"
            cookie_size = struct.calcsize(cookie_format)
            entry_size = struct.calcsize(entry_format)
            with open(archive, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 8192))
                tail = f.read()
                at = tail.rfind(b"MEI\014\013\012\013\016")
                if at < 0:
                    raise ImportError(f"no PyInstaller archive found in {archive}")
                _, length, toc_offset, toc_length, _, _ = struct.unpack(
                    cookie_format, tail[at : at + cookie_size])
                start = size - len(tail) + at + cookie_size - length
                f.seek(start + toc_offset)
                toc = f.read(toc_length)
                pos, last = 0, None
                while pos < len(toc):
                    entry_length, offset, stored, _, compressed, kind = struct.unpack(
                        entry_format, toc[pos : pos + entry_size])
                    if kind == b"s":
                        name = toc[pos + entry_size : pos + entry_length].rstrip(b"\0")
                        last = (name.decode(), offset, stored, compressed)
                    pos += entry_length
                if last is None:
                    raise ImportError(f"no script in the PyInstaller archive {archive}")
                name, offset, stored, compressed = last
                f.seek(start + offset)
                data = f.read(stored)
            return name, zlib.decompress(data) if compressed else data

    launch = freezing.recognise_launch(sys.argv)
    if launch is None:
        # Not a launch we know: a child launch we do not know stops here (exit 2, one line),
        # anything else is the program itself, which marks the environment for its children.
        freezing.dispatch_launch(sys.argv)
        # The parent: children will import its main script by this name.
        if main_globals.get("__spec__") is None:
            main_globals["__spec__"] = importlib.machinery.ModuleSpec(main_name, None)
        return
    sys.meta_path.append(ArchivedMainScript())
    try:
        freezing.dispatch_launch(sys.argv)
    except Exception:  # noqa: BLE001
        # Reported as Python would; the bootloader's own report would blame this hook.
        import traceback

        traceback.print_exc()
        sys.exit(1)


_pyi_rth_processing(globals())
del _pyi_rth_processing
