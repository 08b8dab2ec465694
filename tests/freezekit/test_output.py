"""freezekit.output: what counts as freezekit's own output, and the staging swap."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from freezekit import output


def test_a_single_file_output_is_replaceable_only_while_unchanged(tmp_path: Path) -> None:
    exe = tmp_path / "app"
    exe.write_bytes(b"\x7fELF one-file program")
    with pytest.raises(output.OutputNotOurs, match="was not made by freezekit"):
        output.check_replaceable(exe)
    output.write_manifest(exe)
    output.check_replaceable(exe)
    exe.write_bytes(b"\x7fELF the user's own program")
    with pytest.raises(output.OutputNotOurs, match=f"{exe} changed since freezekit built it"):
        output.check_replaceable(exe)


def test_a_folder_output_lists_every_file_and_folder(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    (folder / "_internal" / "lib").mkdir(parents=True)
    (folder / "app").write_text("exe")
    (folder / "_internal" / "lib" / "x.so").write_text("lib")
    output.write_manifest(folder)
    output.check_replaceable(folder)
    (folder / "_internal" / "notes").mkdir()
    with pytest.raises(output.OutputNotOurs, match="_internal/notes was not put there"):
        output.check_replaceable(folder)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_symlink_where_the_output_was_is_not_ours(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    output.write_manifest(folder)
    folder.rmdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", folder)
    with pytest.raises(output.OutputNotOurs, match="changed since freezekit built it"):
        output.check_replaceable(folder)


def test_a_missing_output_may_always_be_written(tmp_path: Path) -> None:
    output.check_replaceable(tmp_path / "never-built")


def test_work_folders_empty_or_marked_are_ours(tmp_path: Path) -> None:
    work = tmp_path / "work"
    output.check_work_folder(work)  # missing
    work.mkdir()
    output.check_work_folder(work)  # empty
    (work / "stuff.txt").write_text("someone's")
    with pytest.raises(output.OutputNotOurs, match="was not made by freezekit"):
        output.check_work_folder(work)
    output.mark_work_folder(work)
    output.check_work_folder(work)
    (tmp_path / "file").write_text("")
    with pytest.raises(output.OutputNotOurs, match="is not a folder freezekit made"):
        output.check_work_folder(tmp_path / "file")


@pytest.mark.parametrize("earlier", [None, "file", "folder"])
def test_staging_swaps_the_new_output_in_and_leaves_nothing_else(
        tmp_path: Path, earlier: str | None) -> None:
    target = tmp_path / "app"
    if earlier == "file":
        target.write_text("old")
    elif earlier == "folder":
        target.mkdir()
        (target / "old.txt").write_text("old")
    with output.staging(tmp_path, "app") as staging:
        (staging.path / "app").mkdir()
        (staging.path / "app" / "app").write_text("new")
        assert staging.install(staging.path / "app") == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app"]
    assert sorted(p.name for p in target.iterdir()) == ["app"]


def test_staging_is_removed_when_the_build_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), output.staging(tmp_path, "app") as staging:
        (staging.path / "app").write_text("half-written")
        raise RuntimeError("the freezer failed")
    assert list(tmp_path.iterdir()) == []
