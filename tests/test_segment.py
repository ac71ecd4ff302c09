"""Named segments: the three ways to get one, safe reads, and what must never happen."""

from __future__ import annotations

import multiprocessing
import os
import stat

import pytest

from mmfviewer import (
    InvalidNameError,
    InvalidSizeError,
    ReadOnlyError,
    Segment,
    SegmentBoundsError,
    SegmentClosedError,
    SegmentExistsError,
    SegmentNotFoundError,
    SegmentSpaceError,
    segment_exists,
    validate_name,
)
from mmfviewer.segment import NAME_MAX
from mmfviewer.segment_os import SHM_DIR

from .conftest import needs_dev_shm, needs_unprivileged, run_python

SEED_TEXT = "The world is going down."
spawn = multiprocessing.get_context("spawn")


# ---------------------------------------------------------------- child processes
# Top-level so the "spawn" context can import them in a fresh interpreter.

def _child_write_text(name: str, text: str) -> None:
    with Segment.open(name, readonly=False) as seg:
        seg.write(0, text.encode("utf-8"))


def _child_read_text(name: str, out: multiprocessing.Queue) -> None:
    with Segment.open(name) as seg:
        out.put(seg.read(0, 100).rstrip(b"\0").decode("utf-8"))


def _child_open_and_exit(name: str) -> None:
    seg = Segment.open(name)
    seg.read(0, 16)
    # exit without close(): whatever cleanup Python runs at exit must not unlink it


def _child_resize(path: str, size: int) -> None:
    os.truncate(path, size)


def _run(target, *args) -> None:
    proc = spawn.Process(target=target, args=args)
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0, f"child {target.__name__} failed with {proc.exitcode}"


# ---------------------------------------------------------------- create / open

def test_create_makes_a_zeroed_segment_of_the_requested_size(shm_name):
    with Segment.create(shm_name, 10000) as seg:
        assert seg.size == 10000
        assert seg.created and not seg.readonly
        assert seg.read(0, 10000) == bytes(10000)
    assert segment_exists(shm_name)


def test_create_fails_clearly_when_the_name_exists(shm_name):
    with Segment.create(shm_name, 100):
        with pytest.raises(SegmentExistsError, match=shm_name):
            Segment.create(shm_name, 100)


def test_open_of_a_missing_name_names_it_and_where_it_looked(shm_name):
    with pytest.raises(SegmentNotFoundError) as info:
        Segment.open(shm_name)
    assert shm_name in str(info.value)
    if os.path.isdir(SHM_DIR):
        assert os.path.join(SHM_DIR, shm_name) in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_open_is_read_only_by_default_and_refuses_writes(shm_name):
    with Segment.create(shm_name, 64):
        with Segment.open(shm_name) as seg:
            assert seg.readonly and not seg.created
            with pytest.raises(ReadOnlyError):
                seg.write(0, b"x")


def test_create_or_open_creates_then_opens_without_resizing(shm_name):
    with Segment.create_or_open(shm_name, 4096) as first:
        assert first.created
        first.write(0, b"kept")
        with Segment.create_or_open(shm_name, 1 << 20) as second:
            assert not second.created
            assert second.size == 4096
            assert second.read(0, 4) == b"kept"


def test_a_leading_slash_is_the_posix_spelling_of_the_same_name(shm_name):
    with Segment.create("/" + shm_name, 32) as seg:
        assert seg.name == shm_name
        with Segment.open(shm_name) as again:
            assert again.size == 32


@needs_dev_shm
def test_new_segments_are_private_to_the_user_unless_mode_says_otherwise(shm_names):
    shm_names.extend(["mmfv-test-private-" + str(os.getpid()), "mmfv-test-shared-" + str(os.getpid())])
    old_umask = os.umask(0o077)  # the mode must not depend on the umask
    try:
        Segment.create(shm_names[0], 16).close()
        Segment.create(shm_names[1], 16, mode=0o644).close()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(os.path.join(SHM_DIR, shm_names[0])).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(SHM_DIR, shm_names[1])).st_mode) == 0o644


def test_create_rejects_a_zero_or_negative_size(shm_name):
    for size in (0, -1):
        with pytest.raises(InvalidSizeError, match="at least 1 byte"):
            Segment.create(shm_name, size)
    assert not segment_exists(shm_name)


@needs_dev_shm
def test_full_shared_memory_is_a_clear_error_and_leaves_nothing_behind(shm_name):
    st = os.statvfs(SHM_DIR)
    too_big = 2 * st.f_blocks * st.f_frsize  # more than the whole tmpfs: refused at once
    with pytest.raises(SegmentSpaceError, match="not enough space"):
        Segment.create(shm_name, too_big)
    assert not segment_exists(shm_name)


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("bad, rule", [
    ("", "empty"),
    ("/", "empty"),
    ("a/b", "'/'"),
    ("//x", "'/'"),
    ("a\0b", "NUL"),
    (".", "'.' or '..'"),
    ("..", "'.' or '..'"),
    ("x" * (NAME_MAX + 1), f"at most {NAME_MAX} bytes"),
])
def test_bad_names_are_refused_naming_the_rule(bad, rule):
    with pytest.raises(InvalidNameError) as info:
        validate_name(bad)
    assert rule in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidNameError):
        Segment.create(bad, 16)


def test_a_bad_name_never_creates_anything_outside_the_shm_namespace(tmp_path):
    target = tmp_path / "escaped"
    with pytest.raises(InvalidNameError):
        Segment.create(str(target), 16)
    with pytest.raises(InvalidNameError):
        Segment.create("../" + target.name, 16)
    assert not target.exists()


# ---------------------------------------------------------------- reads and writes

def test_write_then_read_round_trips_at_any_offset(shm_name):
    with Segment.create(shm_name, 256) as seg:
        assert seg.write(100, b"hello") == 5
        assert seg.read(98, 9) == b"\0\0hello\0\0"
        assert bytes(seg.buf[100:105]) == b"hello"


def test_writes_past_the_end_are_refused_and_change_nothing(shm_name):
    with Segment.create(shm_name, 16) as seg:
        with pytest.raises(SegmentBoundsError, match="does not fit"):
            seg.write(10, b"0123456789")
        with pytest.raises(SegmentBoundsError):
            seg.write(-1, b"x")
        assert seg.read(0, 16) == bytes(16)
        assert seg.current_size() == 16


def test_reads_past_the_end_are_short_not_errors(shm_name):
    with Segment.create(shm_name, 16) as seg:
        assert seg.read(10, 100) == bytes(6)
        assert seg.read(16, 10) == b""
        assert seg.read(1000, 10) == b""


def test_seed_text_written_by_one_process_is_read_by_another(shm_name):
    with Segment.create(shm_name, 10000):
        _run(_child_write_text, shm_name, SEED_TEXT)
        out = spawn.Queue()
        _run(_child_read_text, shm_name, out)
        assert out.get(timeout=10) == SEED_TEXT


def test_a_process_that_only_opened_a_segment_does_not_remove_it_when_it_exits(shm_name):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, b"still here")
    _run(_child_open_and_exit, shm_name)
    assert segment_exists(shm_name)
    with Segment.open(shm_name) as seg:
        assert seg.read(0, 10) == b"still here"


@needs_dev_shm
def test_truncation_by_another_process_gives_short_reads_not_a_crash(shm_name):
    with Segment.create(shm_name, 1 << 16) as writer, Segment.open(shm_name) as viewer:
        writer.write(0, b"x" * 100)
        _run(_child_resize, os.path.join(SHM_DIR, shm_name), 10)
        assert viewer.read(0, 1 << 16) == b"x" * 10
        assert viewer.read(5000, 100) == b""
        state = viewer.state()
        assert state.truncated and state.size == 10 and not state.removed
        with pytest.raises(SegmentBoundsError):
            writer.write(5000, b"y")
        _run(_child_resize, os.path.join(SHM_DIR, shm_name), 0)
        assert viewer.read(0, 100) == b""
        _run(_child_resize, os.path.join(SHM_DIR, shm_name), 1 << 17)
        state = viewer.state()
        assert state.grown and len(viewer.read(0, 1 << 17)) == 1 << 17


def test_removal_while_open_is_reported_and_the_view_keeps_working(shm_name):
    with Segment.create(shm_name, 64) as seg:
        seg.write(0, b"before")
        seg.unlink()
        assert not segment_exists(shm_name)
        assert seg.state().removed
        assert seg.read(0, 6) == b"before"


def test_a_replaced_segment_counts_as_removed(shm_name):
    with Segment.create(shm_name, 64) as old:
        old.unlink()
        with Segment.create(shm_name, 64):
            assert old.state().removed


# ---------------------------------------------------------------- lifetime

def test_close_is_idempotent_and_later_use_is_a_clear_error(shm_name):
    seg = Segment.create(shm_name, 64)
    seg.close()
    seg.close()
    assert seg.closed and "closed" in repr(seg)
    with pytest.raises(SegmentClosedError):
        seg.read(0, 1)
    assert segment_exists(shm_name)


def test_close_survives_a_caller_still_holding_a_slice_of_the_mapping(shm_name):
    seg = Segment.create(shm_name, 64)
    seg.write(0, b"abc")
    held = seg.buf[0:3]
    seg.close()
    assert bytes(held) == b"abc"  # still mapped until the slice goes
    held.release()


def test_repr_tells_name_size_and_mode(shm_name):
    with Segment.create(shm_name, 123) as seg:
        assert repr(seg) == f"<Segment {shm_name!r} size=123 rw created>"


def test_unlink_of_an_already_removed_segment_is_a_clear_error(shm_name):
    with Segment.create(shm_name, 16) as seg:
        seg.unlink()
        with pytest.raises(SegmentNotFoundError):
            seg.unlink()


@needs_dev_shm
def test_an_existing_zero_byte_segment_opens_and_reads_empty(shm_name):
    with Segment.create(shm_name, 16):
        os.truncate(os.path.join(SHM_DIR, shm_name), 0)
        with Segment.open(shm_name) as seg:
            assert seg.size == 0
            assert seg.read(0, 10) == b""
            assert len(seg.buf) == 0


# ---------------------------------------------------------------- file-backed

def test_from_file_creates_extends_and_maps_a_file(tmp_path):
    path = tmp_path / "map.bin"
    with Segment.from_file(path, 100, readonly=False) as seg:
        assert seg.created and seg.name is None and seg.path == str(path)
        seg.write(0, b"file")
    assert path.read_bytes()[:4] == b"file" and path.stat().st_size == 100
    with Segment.from_file(path, 200, readonly=False) as seg:
        assert seg.size == 200 and not seg.created
        assert seg.read(0, 4) == b"file"
    with Segment.from_file(path) as seg:
        assert seg.readonly and seg.size == 200


def test_from_file_of_a_missing_file_read_only_is_not_found(tmp_path):
    with pytest.raises(SegmentNotFoundError, match="no file"):
        Segment.from_file(tmp_path / "missing.bin")


def test_from_file_refuses_a_directory(tmp_path):
    with pytest.raises(Exception, match="not a regular file"):
        Segment.from_file(tmp_path)


@needs_unprivileged
def test_a_file_we_may_not_open_is_a_permission_error(tmp_path):
    path = tmp_path / "locked.bin"
    path.write_bytes(b"x")
    path.chmod(0)
    proc = run_python("-c", CHILD_OPENS_FILE, str(path), unprivileged=True)
    assert proc.stdout.startswith("SegmentPermissionError: permission denied"), proc.stderr
    path.chmod(0o600)  # its owner may read it again: nothing was lost
    assert path.read_bytes() == b"x"


# In a child whose file permissions apply even when the tests run as root.
CHILD_OPENS_FILE = """
import sys
from mmfviewer import Segment, MmfError
try:
    Segment.from_file(sys.argv[1]).close()
except MmfError as err:
    print(f"{type(err).__name__}: {err}")
"""
