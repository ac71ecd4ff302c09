"""The real .NET seed programs work on their own under Mono, through a /dev/shm file.

No mmfviewer code here: these tests only prove that what the programs write and
print is what the seeds do, so other tests can trust them as the reference.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from .dotnet_programs import DotnetPrograms, Lines, parse_values, proc2_messages, stop

pytestmark = pytest.mark.skipif(not os.path.isdir("/dev/shm"), reason="needs /dev/shm (Linux)")

# BinaryFormatter's SerializedStreamHeader: record type 0, root id 1, header id -1,
# format version 1.0.
BINARY_FORMATTER_HEADER = bytes([0]) + struct.pack("<iiii", 1, -1, 1, 0)
# The BinaryLibrary record that follows names the assembly holding Message and Sample.
MESSAGE_LIB = b"MessageLib, Version=0.0.0.0, Culture=neutral, PublicKeyToken=null"
SEED_TEXT = "The world is going down."


@pytest.fixture
def shm_path() -> Iterator[Path]:
    """A fresh ``/dev/shm`` file path nobody uses; removed afterwards."""
    path = Path("/dev/shm") / f"mmfv-test-{uuid.uuid4().hex[:12]}"
    try:
        yield path
    finally:
        if os.path.lexists(path):
            path.unlink()


def test_proc2_prints_the_message_proc1_wrote_like_the_seed(
        dotnet: DotnetPrograms, shm_path: Path) -> None:
    assert dotnet.check_output("Proc1", shm_path, "--count", "1", "--interval", "0") == "wrote 1\n"
    # the seed's Console.WriteLine(title + "\n" + content + "\n"): title, content, empty line
    assert dotnet.check_output("Proc2", shm_path, "--count", "1") == "test\nhello world 1\n\n"


def test_proc1_overwrites_at_offset_0_and_keeps_non_ascii_text(
        dotnet: DotnetPrograms, shm_path: Path) -> None:
    out = dotnet.check_output("Proc1", shm_path, "--count", "3", "--interval", "0",
                              "--title", "Grüße ☃", "--content", "世界 🚀")
    assert out == "wrote 1\nwrote 2\nwrote 3\n"
    assert dotnet.check_output("Proc2", shm_path, "--count", "1") == "Grüße ☃\n世界 🚀 3\n\n"


def test_proc1_writes_binaryformatter_bytes_naming_messagelib(
        dotnet: DotnetPrograms, shm_path: Path) -> None:
    dotnet.check_output("Proc1", shm_path, "--count", "1", "--interval", "0")
    data = shm_path.read_bytes()
    assert len(data) == 1024
    assert data.startswith(BINARY_FORMATTER_HEADER)
    # BinaryLibrary record (type 12, id 2, length-prefixed assembly name) right after
    assert data[17:22] == bytes([12]) + struct.pack("<i", 2)
    assert data[22] == len(MESSAGE_LIB) and data[23:23 + len(MESSAGE_LIB)] == MESSAGE_LIB
    for text in (b"\x07Message", b"\x05title", b"\x07content", b"\x04test", b"\x0dhello world 1"):
        assert text in data
    end = data.index(b"\x0dhello world 1") + 14
    assert data[end] == 11  # MessageEnd
    assert data[end + 1:] == bytes(len(data) - end - 1)


def test_proc2_follows_a_running_proc1_and_prints_only_changes(
        dotnet: DotnetPrograms, shm_path: Path) -> None:
    writer = dotnet.run("Proc1", shm_path, "--interval", "100")
    reader = None
    try:
        Lines(writer).until("wrote 1")
        reader = dotnet.run("Proc2", shm_path, "--interval", "30", "--changes")
        seen = proc2_messages(Lines(reader), 3)
    finally:
        for proc in (reader, writer):
            if proc is not None:
                stop(proc)
    assert [title for title, _ in seen] == ["test"] * 3
    numbers = [int(re.fullmatch(r"hello world (\d+)", content)[1]) for _, content in seen]
    assert numbers == sorted(set(numbers)), numbers  # new values only, in order


def test_proc2_reports_an_empty_map_as_one_error_line(
        dotnet: DotnetPrograms, shm_path: Path) -> None:
    out = dotnet.check_output("Proc2", shm_path, "--count", "2", "--interval", "0")
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    assert lines[0].startswith("error: System.Runtime.Serialization.SerializationException: ")
    # opening creates the file: 1024 zero bytes
    assert shm_path.read_bytes() == bytes(1024)


def test_size_0_maps_a_larger_existing_file_which_the_seed_size_refuses(
        dotnet: DotnetPrograms, shm_path: Path) -> None:
    shm_path.write_bytes(bytes(4096))
    assert dotnet.check_output("Proc1", shm_path, "--size", "0", "--count", "1") == "wrote 1\n"
    assert shm_path.stat().st_size == 4096
    assert dotnet.check_output("Proc2", shm_path, "--size", "0", "--count", "1") == \
        "test\nhello world 1\n\n"
    # capacity 1024 < file size: CreateFromFile throws before the first read
    refused = subprocess.run(dotnet.command("Proc2", shm_path, "--count", "1"),
                             check=False, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and refused.stdout == ""
    assert "System.ArgumentOutOfRangeException" in refused.stderr


@pytest.mark.parametrize("text", [SEED_TEXT, "Grüße, 世界 ☃"])
def test_server_writes_utf8_text_at_offset_0_and_stays(
        dotnet: DotnetPrograms, shm_path: Path, text: str) -> None:
    args = () if text == SEED_TEXT else ("--text", text)
    server = dotnet.run("Server", shm_path, *args, "--seconds", "30")
    try:
        assert Lines(server).next(timeout=30) == "ready"
        data = shm_path.read_bytes()
        assert server.poll() is None  # still serving
    finally:
        stop(server)
    encoded = text.encode("utf-8")
    assert len(data) == 10000
    assert data[:len(encoded)] == encoded
    assert data[len(encoded):] == bytes(10000 - len(encoded))
    # the seed client: 100 bytes, decoded, NULs trimmed
    assert data[:100].decode("utf-8").strip("\0") == text


def _ticks(moment: datetime, extra: int = 0) -> int:
    """.NET DateTime.Ticks of a naive ``moment`` plus ``extra`` ticks."""
    return (moment - datetime(1, 1, 1)) // timedelta(microseconds=1) * 10 + extra


def test_values_prints_every_field_and_writes_binaryformatter_bytes(
        dotnet: DotnetPrograms, shm_path: Path) -> None:
    values = parse_values(dotnet.check_output("Values", shm_path))
    exact = {
        "count": "-42",
        "big": "-9007199254740993",
        "flag": "true",
        "letter": str(ord("é")),
        "small": "255",
        "shorty": "-32768",
        "money": "-12345.6789",
        "whenUtc": f"{_ticks(datetime(2024, 2, 29, 13, 45, 30, 123000), 4567)},Utc",
        "whenLocal": f"{_ticks(datetime(2001, 9, 9, 1, 46, 40, 5000), 1)},Local",
        "whenUnspecified": f"{_ticks(datetime(1999, 12, 31, 23, 59, 59, 999000), 9999)},Unspecified",
        "span": str(-(_ticks(datetime(1, 1, 2, 2, 3, 4, 567000), 8901))),
        "nothing": "null",
        "numbers": "[1,-2,2147483647]",
        "words": '["alpha",null,"gamma"]',
        "empty": "[]",
        "messages.length": "2",
        "messages[1]": "null",
    }
    decoded = {
        "name": "Grüße, 世界 ☃ 🚀 \"q\" \\ \t\n\x01end",
        "nested.title": "nested title",
        "nested.content": "ünïcödé content",
        "messages[0].title": "alpha",
        "messages[0].content": "first message",
    }
    assert set(values) == set(exact) | set(decoded) | {"ratio", "single"}
    assert {name: values[name] for name in exact} == exact
    assert {name: json.loads(values[name]) for name in decoded} == decoded
    assert all(values[name].isascii() for name in values)
    assert float(values["ratio"]) == -1.0 / 3.0
    assert struct.pack("<f", float(values["single"])) == struct.pack("<f", 1.1)
    assert Decimal(values["money"]) == Decimal("-12345.6789")

    data = shm_path.read_bytes()
    assert len(data) == 4096
    assert data.startswith(BINARY_FORMATTER_HEADER)
    assert data[23:23 + len(MESSAGE_LIB)] == MESSAGE_LIB
    assert b"\x06Sample" in data and "Grüße".encode() in data
