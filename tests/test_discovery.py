"""Segment discovery: every segment on the machine and the processes attached to it."""

from __future__ import annotations

import json
import multiprocessing
import os
from multiprocessing import shared_memory

import pytest

from mmfviewer import Segment, list_segments, segment_info

from .conftest import needs_dev_shm, needs_unprivileged, run_cli

pytestmark = needs_dev_shm
spawn = multiprocessing.get_context("spawn")


def _child_map_and_wait(name: str, ready, done) -> None:
    with Segment.open(name):
        ready.set()
        done.wait(60)


def _attached_pids(listing: list[dict], name: str) -> set[int]:
    (entry,) = [s for s in listing if s["name"] == name and not s["deleted"]]
    return {a["pid"] for a in entry["attached"]}


def test_ls_shows_a_stdlib_shared_memory_segment_with_our_pid_attached():
    shm = shared_memory.SharedMemory(create=True, size=8192)
    try:
        proc = run_cli("ls", "--json", check=True)
        listing = json.loads(proc.stdout)
        assert os.getpid() in _attached_pids(listing, shm.name)
        (entry,) = [s for s in listing if s["name"] == shm.name]
        assert entry["size"] == 8192 and entry["mode"] == "0600"
        table = run_cli("ls", check=True).stdout
        line = next(row for row in table.splitlines() if row.startswith(shm.name))
        assert str(os.getpid()) in line and "8 KiB" in line
    finally:
        shm.close()
        shm.unlink()


def test_a_process_that_maps_a_segment_is_listed_until_it_lets_go(shm_name):
    Segment.create(shm_name, 4096).close()
    ready, done = spawn.Event(), spawn.Event()
    child = spawn.Process(target=_child_map_and_wait, args=(shm_name, ready, done))
    child.start()
    try:
        assert ready.wait(60)
        info = segment_info(shm_name)
        (att,) = [a for a in info.attached if a.pid == child.pid]
        assert att.mapped and att.open_fd and att.command
    finally:
        done.set()
        child.join(60)
    assert all(a.pid != child.pid for a in segment_info(shm_name).attached)


def test_a_removed_segment_still_mapped_is_listed_as_deleted(shm_name):
    with Segment.create(shm_name, 4096) as seg:
        seg.unlink()
        deleted = [s for s in list_segments() if s.name == shm_name]
        assert len(deleted) == 1 and deleted[0].deleted
        assert os.getpid() in {a.pid for a in deleted[0].attached}
        assert deleted[0].size == 4096
        assert "(deleted)" in run_cli("ls", check=True).stdout


def test_a_replaced_segment_shows_old_and_new_apart(shm_name):
    with Segment.create(shm_name, 4096) as old:
        old.unlink()
        with Segment.create(shm_name, 100):
            entries = [s for s in list_segments() if s.name == shm_name]
            assert sorted((s.deleted, s.size) for s in entries) == [(False, 100), (True, 4096)]


@needs_unprivileged
def test_a_segment_we_may_not_read_is_listed_as_such(shm_name):
    Segment.create(shm_name, 64, mode=0o000).close()
    proc = run_cli("ls", "--json", unprivileged=True, check=True)
    (entry,) = [s for s in json.loads(proc.stdout) if s["name"] == shm_name]
    assert entry["readable"] is False and entry["mode"] == "0000"
    table = run_cli("ls", unprivileged=True, check=True).stdout
    assert f"{shm_name} (no access)" in table


def test_info_of_a_missing_segment_is_not_found(shm_name):
    with pytest.raises(FileNotFoundError):
        segment_info(shm_name)
