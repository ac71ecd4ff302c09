"""``dump --struct`` and ``watch`` as a user types them, each run in a real child process,
on segments that other real processes (Python, and the C writer of tests/c) write."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import struct
import subprocess
import sys
import time
import uuid

import pytest

from mmfviewer.segment import Segment
from mmfviewer.segment_os import SHM_DIR

from .c_programs import STATE_HEADER, STATE_SIZE, build_state_writer, running_writer, write_once
from .conftest import needs_dev_shm, other_process_writes, run_cli

HEADER = """\
#include <stdint.h>
enum mode { MODE_OFF = 0, MODE_ON = 1 };
struct pump { uint8_t on; float rpm; };
typedef struct {
    uint32_t seq;
    int16_t temps[3];
    struct pump pump;
    enum mode mode;
    uint8_t flags : 3;
    uint8_t level : 5;
    char name[8];
    double ratio;
} sample_t;
"""
SAMPLE_SIZE = 48  # gcc's sizeof(sample_t)


def sample_bytes(*, seq=6, temps=(215, -40, 7), on=1, rpm=1500.5, mode=1, flags=5, level=17, name=b"pump 3",
                 ratio=0.25) -> bytes:
    """A sample_t as gcc lays it out (offsets checked against gcc's offsetof)."""
    raw = bytearray(SAMPLE_SIZE)
    struct.pack_into("<I3hxxBxxxfi", raw, 0, seq, *temps, on, rpm, mode)
    raw[24] = flags | level << 3
    raw[25:25 + len(name)] = name
    struct.pack_into("<d", raw, 40, ratio)
    return bytes(raw)


@pytest.fixture
def header(tmp_path):
    path = tmp_path / "defs.h"
    path.write_text(HEADER)
    return str(path)


@pytest.fixture(scope="module")
def state_writer(tmp_path_factory):
    return build_state_writer(tmp_path_factory.mktemp("c"))


def assert_user_error(proc, *fragments: str, status: int = 1) -> str:
    """One line 'mmfviewer: ...' on stderr, the given exit status, no traceback."""
    assert proc.returncode == status, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mmfviewer: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# ---------------------------------------------------------------------- dump --struct


def test_dump_struct_prints_each_field_indented_with_its_type_offset_and_value(shm_name, header):
    Segment.create(shm_name, 4096).close()
    other_process_writes(shm_name, (0x40, sample_bytes()))
    out = run_cli("dump", shm_name, "--struct", f"{header}:sample_t", "--offset", "0x40", check=True).stdout
    lines = out.splitlines()
    assert lines[0] == f"sample_t at 0x40 (48 bytes) of '{shm_name}'"
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[1:]]
    assert rows == [
        ["seq", "uint32_t", "0x0040", "6"],
        ["temps", "int16_t[3]", "0x0044"],
        ["[0]", "int16_t", "0x0044", "215"],
        ["[1]", "int16_t", "0x0046", "-40"],
        ["[2]", "int16_t", "0x0048", "7"],
        ["pump", "struct pump", "0x004c"],
        ["on", "uint8_t", "0x004c", "1"],
        ["rpm", "float", "0x0050", "1500.5"],
        ["mode", "enum mode", "0x0054", "MODE_ON (1)"],
        ["flags", "uint8_t : 3", "0x0058:0", "5"],
        ["level", "uint8_t : 5", "0x0058:3", "17"],
        ["name", "char[8]", "0x0059", '"pump 3"'],
        ["ratio", "double", "0x0068", "0.25"],
    ]
    indents = {row[0]: len(line) - len(line.lstrip()) for row, line in zip(rows, lines[1:], strict=True)}
    assert indents["seq"] == indents["temps"] == 2 and indents["[0]"] == indents["on"] == 4


def test_dump_struct_shows_what_a_c_program_wrote(state_writer, shm_name):
    Segment.create(shm_name, 4096).close()
    write_once(state_writer, shm_name, 4242)
    out = run_cli("dump", shm_name, "--struct", f"{STATE_HEADER}:struct state", check=True).stdout
    values = {row[0]: row[-1] for row in (re.split(r"\s{2,}", line.strip()) for line in out.splitlines()[1:])}
    assert values == {"seq": "2", "pad": "0", "counter": "4242", "counter_f": "2121", "counter_neg": "-4242",
                      "text": '"count 4242"', "counter_lo": "4242"}
    as_json = json.loads(run_cli("dump", shm_name, "--struct", f"{STATE_HEADER}:state", "--json",
                                 check=True).stdout)
    assert {f["path"]: f["value"] for f in as_json["fields"]}["text"] == "count 4242"


def test_dump_struct_json_is_one_object_whose_fields_are_a_flat_list_with_absolute_offsets(shm_name, header):
    Segment.create(shm_name, 4096).close()
    other_process_writes(shm_name, (16, sample_bytes(ratio=math.nan, name=b"\x1b[2Jx")))
    proc = run_cli("dump", shm_name, "--struct", f"{header}:sample_t", "--offset", "16", "--json", check=True)
    doc = json.loads(proc.stdout)
    assert {k: doc[k] for k in ("segment", "type", "offset", "size", "count", "stride")} == {
        "segment": shm_name, "type": "sample_t", "offset": 16, "size": 48, "count": 1, "stride": 48}
    fields = {f["path"]: f for f in doc["fields"]}
    assert list(fields) == ["seq", "temps[0]", "temps[1]", "temps[2]", "pump.on", "pump.rpm", "mode", "flags",
                            "level", "name", "ratio"]
    assert fields["pump.rpm"] == {"path": "pump.rpm", "type": "float", "offset": 16 + 16, "size": 4,
                                  "value": 1500.5, "text": "1500.5"}
    assert fields["mode"]["value"] == 1 and fields["mode"]["text"] == "MODE_ON (1)"
    assert (fields["level"]["bit_offset"], fields["level"]["bit_width"], fields["level"]["value"]) == (3, 5, 17)
    assert fields["ratio"]["value"] == "NaN"  # JSON has no NaN
    assert fields["name"]["value"] == "\x1b[2Jx" and "\x1b" not in proc.stdout  # escaped as \u001b


def test_dump_struct_count_and_stride_show_an_array_of_them(shm_name, header):
    Segment.create(shm_name, 4096).close()
    other_process_writes(shm_name, *((i * 64, sample_bytes(seq=i, name=f"pump {i}".encode())) for i in range(3)))
    out = run_cli("dump", shm_name, "--struct", f"{header}:sample_t", "--count", "3", "--stride", "64",
                  check=True).stdout
    lines = out.splitlines()
    assert lines[0] == f"3 x sample_t, 64 bytes apart, at 0x0 (176 bytes) of '{shm_name}'"
    tops = [line.split() for line in lines if line.startswith("  [")]
    assert [(t[0], t[-1]) for t in tops] == [("[0]", "0x0000"), ("[1]", "0x0040"), ("[2]", "0x0080")]
    names = [line.split()[-1] for line in lines if line.strip().startswith("name ")]
    assert names == ['0"', '1"', '2"']
    doc = json.loads(run_cli("dump", shm_name, "--struct", f"{header}:sample_t", "--count", "3", "--stride",
                             "64", "--json", check=True).stdout)
    assert [(f["path"], f["offset"], f["value"]) for f in doc["fields"] if f["path"].endswith(".seq")] == [
        ("[0].seq", 0, 0), ("[1].seq", 64, 1), ("[2].seq", 128, 2)]


@pytest.mark.parametrize(("make", "args", "fragments", "status"), [
    (None, ["--struct", "{tmp}/missing.h:sample_t"], ["no header file", "missing.h"], 1),
    (None, ["--struct", "{tmp}:sample_t"], ["is a directory"], 1),
    ("header", ["--struct", "{header}:struct nope"], ["no type called 'struct nope'", "its structs and unions: "
                                                      "struct pump, sample_t"], 1),
    ("header", ["--struct", "{header}:sample_t", "--offset", "4070"],
     ["sample_t at 0xfe6 takes 48 bytes", "has 4096 bytes", "the last offset it fits at is 4048"], 1),
    ("garbage", ["--struct", "{garbage}:x"], ["garbage.h:"], 1),
    ("hostile", ["--struct", "{hostile}:x"], ["#error \\x1b[2J owned"], 1),
    ("header", ["--struct", "{header}"], ["--struct takes HEADER:TYPE"], 2),
    ("header", ["--struct", "{header}:sample_t", "--length", "4"], ["--length is for a hexdump"], 2),
    ("header", ["--count", "2"], ["--count goes with --struct"], 2),
    ("header", ["--struct", "{header}:sample_t", "--count", "2", "--stride", "8"], ["elements would overlap"], 2),
])
def test_dump_struct_mistakes_are_one_line_errors(shm_name, tmp_path, make, args, fragments, status):
    Segment.create(shm_name, 4096).close()
    files = {"tmp": str(tmp_path)}
    files["header"] = str(tmp_path / "defs.h")
    (tmp_path / "defs.h").write_text(HEADER)
    files["garbage"] = str(tmp_path / "garbage.h")
    (tmp_path / "garbage.h").write_bytes(os.urandom(3000).replace(b"\n", b" ") + b"\x00\xff\x1b[2J")
    files["hostile"] = str(tmp_path / "hostile.h")
    (tmp_path / "hostile.h").write_text("#error \x1b[2J owned\n")
    proc = run_cli("dump", shm_name, *(a.format(**files) for a in args))
    line = assert_user_error(proc, *fragments, status=status)
    assert "\x1b" not in line


def test_dump_struct_of_a_missing_segment_says_so(header, shm_name):
    assert_user_error(run_cli("dump", shm_name, "--struct", f"{header}:sample_t"), "no shared-memory segment")


def unique_raw_name(suffix: bytes) -> bytes:
    return b"mmfv-test-" + uuid.uuid4().hex[:8].encode() + suffix


@needs_dev_shm
def test_hostile_names_and_strings_are_escaped_and_names_are_taken_back_as_shown(header):
    from mmfviewer.names import printable

    raw = unique_raw_name(b"-\xff\x1b]0;owned\x07\nFORGED")
    path = os.fsencode(SHM_DIR) + b"/" + raw
    with open(path, "wb") as f:
        f.write(sample_bytes(name=b"\x1b[2J\xe2\x80\xae!") + bytes(16))
    shown = printable(os.fsdecode(raw))
    try:
        for args in (["dump", shown, "--struct", f"{header}:sample_t"],
                     ["dump", shown, "--struct", f"{header}:sample_t", "--offset", "60"],
                     ["watch", shown, "--struct", f"{header}:sample_t", "--count", "1"],
                     ["watch", shown, "--struct", f"{header}:sample_t", "--field", "x\x1b[2J"]):
            proc = run_cli(*args)
            for stream in (proc.stdout, proc.stderr):
                assert "\x1b" not in stream and "\x07" not in stream and "\u202e" not in stream, (args, stream)
            assert not any(line.startswith("FORGED") for line in (proc.stdout + proc.stderr).splitlines())
            assert "Traceback" not in proc.stderr
        ok = run_cli("dump", shown, "--struct", f"{header}:sample_t", check=True).stdout
        assert '"\\x1b[2J\\xe2\\x80\\xae!"' in ok  # the string, escaped as C would write it
        assert shown in ok.splitlines()[0]
    finally:
        os.unlink(path)


# ---------------------------------------------------------------------- watch


def watch_lines(text: str) -> list[tuple[str, str]]:
    """(field, change) of each line watch printed."""
    out = []
    for line in text.splitlines():
        clock, field, change = re.split(r"\s{2,}", line, maxsplit=2)
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{6}", clock), line
        out.append((field, change))
    return out


def test_watch_prints_each_change_of_a_c_writers_fields_and_stops_after_count(state_writer, shm_name):
    with Segment.create(shm_name, 4096), running_writer(state_writer, shm_name, "seqlock", hz=200):
        proc = run_cli("watch", shm_name, "--struct", f"{STATE_HEADER}:state", "--seq", "seq",
                       "--interval", "0.05", "--count", "6", check=True)
    lines = watch_lines(proc.stdout)
    first = dict(lines[:7])
    assert list(first) == ["seq", "pad", "counter", "counter_f", "counter_neg", "text", "counter_lo"]
    assert "->" not in "".join(first.values())  # the first look tells the values as they are
    counters = [int(change.split(" -> ")[-1]) for field, change in lines if field == "counter"]
    assert len(counters) >= 4 and counters == sorted(counters)
    for field, change in lines[7:]:
        old, new = change.split(" -> ")
        assert old != new, (field, change)
        if field == "counter":
            # every look was consistent, so the text always says the same counter
            assert f'"count {new}"' in [c.split(" -> ")[-1] for f, c in lines if f == "text"]
    assert "pad" not in {field for field, _ in lines[7:]}
    summary = proc.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"6 reads, 0 torn, \d+ retries", summary), summary


def test_watch_field_shows_only_the_fields_asked_for_and_a_record_stands_for_its_fields(shm_name, header):
    Segment.create(shm_name, 4096).close()
    other_process_writes(shm_name, (0, sample_bytes()))
    proc = run_cli("watch", shm_name, "--struct", f"{header}:sample_t", "--field", "pump", "--field", "temps[1]",
                   "level", "--count", "1", check=True)
    assert watch_lines(proc.stdout) == [("temps[1]", "-40"), ("pump.on", "1"), ("pump.rpm", "1500.5"),
                                        ("level", "17")]


def test_watch_json_prints_one_object_per_change_with_the_previous_value(state_writer, shm_name):
    with Segment.create(shm_name, 4096), running_writer(state_writer, shm_name, "seqlock", hz=200):
        proc = run_cli("watch", shm_name, "--struct", f"{STATE_HEADER}:state", "--seq", "seq", "--json",
                       "--field", "counter", "counter_f", "--interval", "0.05", "--count", "5", check=True)
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert all(set(e) == {"time", "field", "value", "previous"} for e in events)
    assert [e["previous"] for e in events[:2]] == [None, None]
    counters = [e for e in events if e["field"] == "counter"]
    assert all(a["value"] == b["previous"] for a, b in zip(counters, counters[1:], strict=False))
    halves = {e["time"]: e["value"] for e in events if e["field"] == "counter_f"}
    assert all(halves[e["time"]] * 2 == e["value"] for e in counters)  # one look, one consistent copy
    assert abs(events[0]["time"] - time.time()) < 60
    assert re.fullmatch(r"5 reads, 0 torn, \d+ retries", proc.stderr.strip().splitlines()[-1])


def test_watch_says_a_read_was_torn_instead_of_showing_values(state_writer, shm_name):
    with Segment.create(shm_name, 4096), running_writer(state_writer, shm_name, "stuck"):
        text = run_cli("watch", shm_name, "--struct", f"{STATE_HEADER}:state", "--seq", "seq",
                       "--interval", "0.01", "--count", "4", check=True)
        as_json = run_cli("watch", shm_name, "--struct", f"{STATE_HEADER}:state", "--seq", "seq", "--json",
                          "--interval", "0.01", "--count", "2", check=True)
    assert len(text.stdout.splitlines()) == 1  # one line for the run of torn reads
    assert "torn read: the writer was mid-update all through 2 ms" in text.stdout
    assert "counter" not in text.stdout
    assert re.fullmatch(r"4 reads, 4 torn, \d+ retries", text.stderr.strip().splitlines()[-1])
    event = json.loads(as_json.stdout.splitlines()[0])
    assert event["torn"] is True and event["attempts"] >= 2


def test_watch_mistakes_in_field_and_seq_are_one_line_errors_naming_what_exists(shm_name, header):
    Segment.create(shm_name, 4096).close()
    assert_user_error(run_cli("watch", shm_name, "--struct", f"{header}:sample_t", "--field", "pump.rmp"),
                      "no field 'pump.rmp' in sample_t; did you mean pump.rpm")
    assert_user_error(run_cli("watch", shm_name, "--struct", f"{header}:sample_t", "--seq", "ratio"),
                      "it is double", "integer fields that can: seq, temps[0]")
    assert_user_error(run_cli("watch", shm_name, "--struct", f"{header}:sample_t", "--seq", "flags"),
                      "it is a bitfield")
    assert_user_error(run_cli("watch", shm_name, "--struct", f"{header}:sample_t", "--offset", "4090"),
                      "has 4096 bytes")
    assert_user_error(run_cli("watch", shm_name, "--struct", f"{header}:sample_t", "--interval", "0"),
                      "interval", status=2)


def start_watch(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mmfviewer", "watch", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_watch_follows_a_segment_removed_underneath_and_ends_with_the_counts_on_sigterm(shm_name, header):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, sample_bytes(seq=1))
    watch = start_watch(shm_name, "--struct", f"{header}:sample_t", "--field", "seq", "--interval", "0.02")
    try:
        assert watch.stdout is not None and watch.stderr is not None
        assert watch.stdout.readline().endswith("  seq  1\n")
        Segment.open(shm_name).unlink()
        assert watch.stderr.readline().startswith("watching 1 field of sample_t")
        assert watch.stderr.readline() == (f"mmfviewer: '{shm_name}' was removed (or replaced); waiting for it "
                                           "to be created again\n")
        with Segment.create(shm_name, 4096) as seg:
            seg.write(0, sample_bytes(seq=2))
        assert watch.stderr.readline() == f"mmfviewer: '{shm_name}' exists again: following the new one\n"
        assert watch.stdout.readline().endswith("  seq  1 -> 2\n")
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=30)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.communicate()
    assert watch.returncode == 0, err
    assert re.fullmatch(r"\d+ reads, 0 torn, 0 retries, 0 caught fields changing", err.strip()), err


def test_watch_says_when_the_segment_is_truncated_short_of_the_structure_and_when_it_grows_back(shm_name,
                                                                                                  header):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0, sample_bytes(seq=1))
    watch = start_watch(shm_name, "--struct", f"{header}:sample_t", "--field", "seq", "ratio",
                        "--interval", "0.02")
    try:
        assert watch.stdout is not None and watch.stderr is not None
        watch.stderr.readline()  # watching ...
        assert watch.stdout.readline().endswith("  seq    1\n")
        assert watch.stdout.readline().endswith("  ratio  0.25\n")
        fd = os.open(os.path.join(SHM_DIR, shm_name), os.O_RDWR)
        try:
            os.ftruncate(fd, 20)  # seq is still there, ratio is not
            assert "is now 20 bytes, short of the 48 that sample_t at 0x0 needs" in watch.stderr.readline()
            os.pwrite(fd, b"\x03", 0)
            assert watch.stdout.readline().endswith("  seq    1 -> 3\n")
            os.ftruncate(fd, 4096)
            assert "is 4096 bytes again: every field is read" in watch.stderr.readline()
            assert watch.stdout.readline().endswith("  ratio  0.25 -> 0\n")  # regrown with zeros
        finally:
            os.close(fd)
        watch.send_signal(signal.SIGINT)
        _, err = watch.communicate(timeout=30)
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.communicate()
    assert watch.returncode == 0 and "Traceback" not in err
    assert re.match(r"\d+ reads, 0 torn, 0 retries", err.strip().splitlines()[-1])


def test_watch_piped_into_head_ends_quietly_with_its_counts(state_writer, shm_name):
    with Segment.create(shm_name, 4096), running_writer(state_writer, shm_name, "seqlock", hz=1000):
        watch = start_watch(shm_name, "--struct", f"{STATE_HEADER}:state", "--seq", "seq", "--interval", "0.01")
        try:
            assert watch.stdout is not None
            watch.stdout.readline()
            watch.stdout.close()  # what head does once it has its lines
            err = watch.stderr.read() if watch.stderr else ""
            assert watch.wait(30) == 0
        finally:
            if watch.poll() is None:
                watch.kill()
                watch.wait()
    assert "Traceback" not in err and "Broken pipe" not in err
    assert re.fullmatch(r"\d+ reads, 0 torn, \d+ retries", err.strip().splitlines()[-1]), err


def test_dump_of_a_structure_marks_fields_that_changed_while_it_was_read(state_writer, shm_name):
    # dump's double read is all that stands between a busy writer and a torn print: a
    # field seen changing says so rather than pass for a value. A writer updating as
    # fast as it can (a million times a second) changes it between almost any two reads.
    with Segment.create(shm_name, 4096), running_writer(state_writer, shm_name, "plain", gap_ns=0,
                                                        hz=1_000_000):
        marked = 0
        for _ in range(20):
            doc = json.loads(run_cli("dump", shm_name, "--struct", f"{STATE_HEADER}:state", "--json",
                                     check=True).stdout)
            marked += any(f.get("unstable") for f in doc["fields"])
            if marked:
                break
    assert doc["size"] == STATE_SIZE
    assert marked, "a writer updating without pause was never caught changing in 20 dumps"
