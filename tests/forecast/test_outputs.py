"""Output folders and files appear whole or not at all, and never replace a user's files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from forecast.outputs import (
    MANIFEST,
    OutputFolderError,
    output_file,
    output_folder,
    process_alive,
    process_started,
    write_manifest,
)
from forecast.provenance import file_fingerprint


def _write_run(folder, text: str) -> None:
    (folder / "summary.json").write_text(text)
    (folder / "plot.png").write_text(text)
    write_manifest(folder, run_id=text)


def test_a_new_folder_replaces_the_previous_one_as_a_whole(tmp_path) -> None:
    out = tmp_path / "run"
    with output_folder(out) as staging:
        _write_run(staging, "first")
        (staging / "only_in_first.txt").write_text("first")
        assert not out.exists()  # nothing is visible before the block ends
    with output_folder(out) as staging:
        _write_run(staging, "second")
        assert (out / "only_in_first.txt").exists()  # the previous folder, untouched
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "plot.png", "summary.json"]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["run_id"] == "second"
    assert manifest["files"] == {
        name: file_fingerprint(out / name) for name in ("plot.png", "summary.json")
    }
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no hidden folder left


def test_a_failure_while_writing_leaves_the_previous_folder_as_it_was(tmp_path) -> None:
    out = tmp_path / "run"
    with output_folder(out) as staging:
        _write_run(staging, "first")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for error in (ValueError("plot failed"), KeyboardInterrupt()):
        with pytest.raises(type(error)), output_folder(out) as staging:
            (staging / "summary.json").write_text("half")
            raise error
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize("legacy", [(), ("summary.json",)])
def test_a_folder_of_someone_elses_files_is_refused(tmp_path, legacy) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    with pytest.raises(OutputFolderError, match="holds files zengshou did not write"):
        with output_folder(out, legacy=legacy):
            pass
    assert (out / "thesis.docx").read_text() == "years of work"


def test_a_folder_written_before_manifests_may_be_replaced(tmp_path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text("old")
    with output_folder(out, legacy=("summary.json",)) as staging:
        _write_run(staging, "new")
    assert json.loads((out / MANIFEST).read_text())["run_id"] == "new"


def test_what_a_killed_writer_left_is_removed_by_the_next_one(tmp_path) -> None:
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(ended.stdout)
    assert not process_alive(dead)
    left = tmp_path / f".run.tmp-{dead}-0000"
    left.mkdir()
    (left / "summary.json").write_text("half")
    aside = tmp_path / f".run.old-{dead}-0000"
    aside.mkdir()
    mine = tmp_path / f".run.tmp-{os.getpid()}-0000"  # a live writer's: kept
    mine.mkdir()
    with output_folder(tmp_path / "run") as staging:
        _write_run(staging, "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run", mine.name])


def test_a_file_is_renamed_into_place_only_when_written(tmp_path) -> None:
    path = tmp_path / "panel.csv"
    path.write_text("old")
    with pytest.raises(RuntimeError), output_file(path) as staging:
        staging.write_text("half")
        raise RuntimeError
    assert path.read_text() == "old"
    with output_file(path) as staging:
        assert staging.suffix == ".csv" and staging.parent == tmp_path
        staging.write_text("new")
    assert path.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["panel.csv"]


def test_process_alive_tells_a_reused_pid_by_its_start_time() -> None:
    assert process_alive(os.getpid(), process_started())
    assert not process_alive(os.getpid(), process_started() - 1000)
