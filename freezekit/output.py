"""What ``freezekit build`` may replace, and how it puts a new executable in place.

freezekit never deletes or overwrites what it did not create. An earlier output is replaced
only when a manifest next to it (``DIST/.NAME.freezekit``, kept out of the shipped folder)
lists every file in it, unchanged since freezekit wrote it; a folder where the user put or
changed a file is left alone and the build refused. The freezer writes into a staging folder
inside DIST, so the old output stays whole until the new one is complete, and the swap is two
renames. A lock per output (``DIST/.NAME.freezekit-lock``) makes a second build into the
same place wait for the first, for a bounded time, instead of replacing the folder under the
first build's self-test.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from freezekit import __version__

__all__ = [
    "WORK_MARKER",
    "OutputBusy",
    "OutputNotOurs",
    "Staging",
    "check_replaceable",
    "check_work_folder",
    "lock",
    "lock_path",
    "manifest_path",
    "mark_work_folder",
    "remove",
    "staging",
    "write_manifest",
]

#: The file that marks a work folder (``WORKPATH/NAME``) as freezekit's own.
WORK_MARKER = ".freezekit-work"

_POLL = 0.1


class OutputNotOurs(Exception):
    """An existing output freezekit may not replace; the message says which file and why."""


class OutputBusy(Exception):
    """Another build holds the output's lock for longer than we were willing to wait."""


def manifest_path(output: Path) -> Path:
    """Where the manifest of ``output`` (``DIST/NAME``) lives: beside it, not inside it."""
    return output.parent / f".{output.name}.freezekit"


def _listing(output: Path) -> dict[str, list[int] | str]:
    """Every entry of ``output`` (a file or a folder, symlinks not followed) with its kind,
    size and modification time; the key of the output itself is ``"."``."""
    def describe(path: Path) -> list[int] | str:
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode):
            return "dir"
        if stat.S_ISLNK(info.st_mode):
            return "link:" + os.readlink(path)
        return [info.st_size, info.st_mtime_ns]

    entries = {".": describe(output)}
    if entries["."] == "dir":
        for root, dirs, files in os.walk(output):
            for name in dirs + files:
                path = Path(root) / name
                entries[path.relative_to(output).as_posix()] = describe(path)
    return entries


def check_replaceable(output: Path) -> None:
    """Return if ``output`` does not exist or is exactly what freezekit wrote there last
    time; otherwise raise OutputNotOurs naming the first file that is not ours."""
    if not os.path.lexists(output):
        return
    try:
        recorded = json.loads(manifest_path(output).read_text("utf-8"))["entries"]
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputNotOurs(f"{output} exists and was not made by freezekit") from None
    current = _listing(output)
    for relative, entry in current.items():
        path = output if relative == "." else output / relative
        if relative not in recorded:
            raise OutputNotOurs(f"{path} was not put there by freezekit")
        if recorded[relative] != entry:
            raise OutputNotOurs(f"{path} changed since freezekit built it")


def write_manifest(output: Path) -> None:
    """Record ``output`` as freezekit's own, as it is now (atomically)."""
    target = manifest_path(output)
    data = json.dumps({"freezekit": __version__, "output": output.name,
                       "entries": _listing(output)}, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove(path: Path) -> None:
    """Delete a file or folder of ours (symlinks are removed, not followed)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


class Staging:
    """A folder of our own in DIST that the freezer writes into; ``install`` swaps its
    output into place."""

    def __init__(self, distpath: Path, name: str, path: Path) -> None:
        self.distpath = distpath
        self.name = name
        self.path = path

    def install(self, built: Path) -> Path:
        """Move ``built`` (inside the staging folder) to ``DIST/NAME``, replacing the earlier
        output, which the caller checked with check_replaceable() under the lock."""
        output = self.distpath / self.name
        if os.path.lexists(output):
            # Into our own staging folder, so nothing of it is left in DIST if we stop here.
            retired = self.path / ".retired"
            os.rename(output, retired)
            os.rename(built, output)
            remove(retired)
        else:
            os.rename(built, output)
        return output


def check_work_folder(work: Path) -> None:
    """Return if ``work`` is missing, empty or marked as freezekit's; else OutputNotOurs."""
    if not os.path.lexists(work):
        return
    if not work.is_dir() or work.is_symlink():
        raise OutputNotOurs(f"{work} exists and is not a folder freezekit made")
    if (work / WORK_MARKER).is_file() or not any(work.iterdir()):
        return
    raise OutputNotOurs(f"{work} exists and was not made by freezekit")


def mark_work_folder(work: Path) -> None:
    """Create ``work`` if needed and mark it as freezekit's own."""
    work.mkdir(parents=True, exist_ok=True)
    (work / WORK_MARKER).write_text(
        "A work folder of freezekit build; delete it whenever no build runs.\n", "utf-8")


def lock_path(output: Path) -> Path:
    """The lock file of an output (``DIST/NAME``) or work folder (``WORKPATH/NAME``)."""
    return output.parent / f".{output.name}.freezekit-lock"


@contextlib.contextmanager
def staging(distpath: Path, name: str) -> Iterator[Staging]:
    """A staging folder for ``DIST/NAME``, removed with whatever is left in it at the end."""
    path = Path(tempfile.mkdtemp(dir=distpath, prefix=f".{name}.freezekit-new-"))
    try:
        yield Staging(distpath, name, path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def lock(output: Path, timeout: float, waiting: Callable[[str], None] | None = None,
         ) -> Iterator[None]:
    """Hold ``output``'s lock for the ``with`` block; wait at most ``timeout`` seconds for
    another build to release it, telling ``waiting`` once, then raise OutputBusy."""
    path = lock_path(output)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        told = False
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise OutputBusy(
                    f"{output}: another freezekit build has been writing it for over "
                    f"{timeout:g} s (it holds {path}); wait for it to finish, or build into "
                    "another --distpath")
            if not told and waiting is not None:
                waiting(f"waiting for another build of {output} to finish")
                told = True
            time.sleep(_POLL)
        yield
    finally:
        os.close(fd)  # releases the lock


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
