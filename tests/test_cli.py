"""The command line as a user types it, each command run in a real child process."""

from __future__ import annotations

import json
import os
import stat

import hexdump
import pytest

from mmfviewer import Segment
from mmfviewer.cli import build_parser
from mmfviewer.segment_os import SHM_DIR

from .conftest import needs_dev_shm, needs_unprivileged, run_cli, run_python

SEED_TEXT = "The world is going down."
COMMANDS = ["gui", "demo", "peer", "ls", "create", "info", "dump", "write", "send", "listen", "watch", "bench",
            "rm", "install-desktop"]


def assert_user_error(proc, *fragments: str, status: int = 1) -> None:
    """One line 'mmfviewer: ...' on stderr, the given exit status, no traceback."""
    assert proc.returncode == status, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("mmfviewer: ")
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_version_is_printed():
    proc = run_cli("--version", check=True)
    assert proc.stdout.startswith("mmfviewer ")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    proc = run_cli(command, "--help", check=True)
    assert "examples:" in proc.stdout
    assert f"mmfviewer {command}" in proc.stdout.split("examples:")[1]


def test_every_subcommand_is_covered_by_the_help_test():
    actions = [a for a in build_parser()._actions if a.dest == "command"]
    assert sorted(actions[0].choices) == sorted(COMMANDS)


def test_create_write_dump_rm_round_trip_the_seed_text(shm_name):
    created = run_cli("create", shm_name, "--size", "10000", check=True)
    assert "10000 bytes" in created.stdout
    run_cli("write", shm_name, "--offset", "0", "--text", SEED_TEXT, check=True)
    dump = run_cli("dump", shm_name, "--length", "32", check=True).stdout
    assert dump.splitlines()[0] == (
        "00000000: 54 68 65 20 77 6F 72 6C  64 20 69 73 20 67 6F 69  The world is goi")
    assert hexdump.restore(dump) == SEED_TEXT.encode() + bytes(8)
    run_cli("rm", shm_name, check=True)
    assert not os.path.exists(os.path.join(SHM_DIR, shm_name))


def test_dump_matches_the_bytes_and_the_hexdump_package_format(shm_name):
    payload = bytes(range(256)) * 4 + b"tail"
    with Segment.create(shm_name, len(payload)) as seg:
        seg.write(0, payload)
    dump = run_cli("dump", shm_name, check=True).stdout
    assert dump == hexdump.hexdump(payload, result="return") + "\n"
    assert hexdump.restore(dump) == payload


def test_dump_with_offset_and_length_addresses_rows_from_the_offset(shm_name):
    with Segment.create(shm_name, 4096) as seg:
        seg.write(0x100, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    out = run_cli("dump", shm_name, "--offset", "0x100", "--length", "20", check=True).stdout
    lines = out.splitlines()
    assert [line[:9] for line in lines] == ["00000100:", "00000110:"]
    assert lines[0].endswith("ABCDEFGHIJKLMNOP") and lines[1].endswith("QRST")


def test_dump_of_a_large_segment_streams_every_row(shm_name):
    size = 300 * 1024  # several of the dump's read chunks
    with Segment.create(shm_name, size) as seg:
        seg.write(size - 4, b"LAST")
    out = run_cli("dump", shm_name, check=True).stdout.splitlines()
    assert len(out) == size // 16
    assert out[-1].startswith(f"{size - 16:08X}:") and out[-1].endswith("LAST")


def test_write_accepts_hex_and_a_data_file(shm_name, tmp_path):
    run_cli("create", shm_name, "--size", "64", check=True)
    run_cli("write", shm_name, "--offset", "0", "--hex", "54 68 65", check=True)
    data = tmp_path / "data.bin"
    data.write_bytes(b"\x01\x02\x03")
    run_cli("write", shm_name, "--offset", "8", "--file", str(data), check=True)
    run_cli("write", shm_name, "--offset", "16", "--from-file", str(data), check=True)
    with Segment.open(shm_name) as seg:
        assert seg.read(0, 19) == b"The" + bytes(5) + b"\x01\x02\x03" + bytes(5) + b"\x01\x02\x03"


def test_file_backed_mappings_work_with_file_instead_of_name(tmp_path):
    path = str(tmp_path / "map.bin")
    run_cli("create", "--file", path, "--size", "64KiB", check=True)
    run_cli("write", "--file", path, "--offset", "16", "--text", "hello", check=True)
    assert "hello" in run_cli("dump", "--file", path, "--length", "32", check=True).stdout
    info = json.loads(run_cli("info", "--file", path, "--json", check=True).stdout)
    assert info["size"] == 65536 and info["path"] == path
    with open(path, "rb") as f:
        assert f.read()[16:21] == b"hello"


def test_info_shows_size_owner_mode_and_attached_processes(shm_name):
    with Segment.create(shm_name, 4096, mode=0o640):
        info = json.loads(run_cli("info", shm_name, "--json", check=True).stdout)
        assert info["size"] == 4096 and info["mode"] == "0640"
        assert os.getpid() in {a["pid"] for a in info["attached"]}
        text = run_cli("info", shm_name, check=True).stdout
        assert "4096 bytes" in text and "0640" in text and str(os.getpid()) in text


def test_create_accepts_sizes_with_units_and_a_mode(shm_name):
    run_cli("create", shm_name, "--size", "64KiB", "--mode", "644", check=True)
    info = json.loads(run_cli("info", shm_name, "--json", check=True).stdout)
    assert info["size"] == 65536 and info["mode"] == "0644"


def test_ls_json_is_a_list_of_segments(shm_name):
    Segment.create(shm_name, 16).close()
    listing = json.loads(run_cli("ls", "--json", check=True).stdout)
    assert any(s["name"] == shm_name for s in listing)


# ---------------------------------------------------------------- user mistakes

def test_missing_segment_is_one_line_exit_1(shm_name):
    for args in (["dump", shm_name], ["info", shm_name], ["rm", shm_name],
                 ["write", shm_name, "--offset", "0", "--text", "x"]):
        assert_user_error(run_cli(*args), shm_name)


@pytest.mark.parametrize("bad", ["a/b", ".", "..", "x" * 300])
def test_bad_names_are_one_line_exit_1(bad):
    assert_user_error(run_cli("create", bad, "--size", "16"), "segment name")


@pytest.mark.parametrize("size", ["1x", "-5", "0", "1.5B", "0x10KiB", "lots"])
def test_bad_sizes_are_one_line_exit_1(shm_name, size):
    assert_user_error(run_cli("create", shm_name, "--size", size), "size")
    assert not os.path.exists(os.path.join(SHM_DIR, shm_name))


def test_creating_an_existing_name_is_one_line_exit_1_and_keeps_the_data(shm_name):
    with Segment.create(shm_name, 16) as seg:
        seg.write(0, b"keep")
    assert_user_error(run_cli("create", shm_name, "--size", "32"), "already exists")
    with Segment.open(shm_name) as seg:
        assert seg.size == 16 and seg.read(0, 4) == b"keep"


def test_offsets_past_the_end_are_one_line_exit_1(shm_name):
    Segment.create(shm_name, 100).close()
    assert_user_error(run_cli("dump", shm_name, "--offset", "100"), "past the end")
    assert_user_error(run_cli("write", shm_name, "--offset", "98", "--text", "abc"), "does not fit")


def test_garbage_hex_is_one_line_exit_1(shm_name):
    Segment.create(shm_name, 100).close()
    assert_user_error(run_cli("write", shm_name, "--offset", "0", "--hex", "zz"), "not hex")
    assert_user_error(run_cli("write", shm_name, "--offset", "0", "--hex", "123"), "odd number")


def test_a_missing_data_file_is_one_line_exit_1(shm_name, tmp_path):
    Segment.create(shm_name, 100).close()
    assert_user_error(run_cli("write", shm_name, "--offset", "0", "--file", str(tmp_path / "no")),
                      "No such file")


def test_usage_mistakes_are_one_line_exit_2():
    assert_user_error(run_cli("dump"), "NAME or --file", status=2)
    assert_user_error(run_cli("create", "x"), "--size", status=2)
    assert_user_error(run_cli("frobnicate"), "invalid choice", status=2)


@needs_unprivileged
@needs_dev_shm
def test_permission_denied_is_one_line_exit_1_and_the_segment_survives(shm_name):
    with Segment.create(shm_name, 64, mode=0o000) as seg:
        seg.write(0, b"secret")
    for args in (["dump", shm_name], ["write", shm_name, "--offset", "0", "--text", "x"]):
        assert_user_error(run_cli(*args, unprivileged=True), "permission denied", shm_name)
    os.chmod(os.path.join(SHM_DIR, shm_name), 0o600)  # its owner may read it again
    with Segment.open(shm_name) as seg:
        assert seg.read(0, 6) == b"secret"


@needs_dev_shm
def test_dump_of_an_empty_segment_says_so(shm_name):
    Segment.create(shm_name, 16).close()
    os.truncate(os.path.join(SHM_DIR, shm_name), 0)
    proc = run_cli("dump", shm_name)
    assert proc.returncode == 0 and proc.stdout == "" and "empty" in proc.stderr


# ---------------------------------------------------------------- channel commands

def test_a_message_sent_by_one_process_is_printed_by_a_listener_in_another(shm_name):
    import subprocess
    import sys
    import time
    run_cli("create", shm_name, "--layout", "channel", "--lanes", "4", "--size", "1MiB", check=True)
    listener = subprocess.Popen([sys.executable, "-m", "mmfviewer", "listen", shm_name, "--json",
                                 "--count", "2", "--timeout", "30"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)  # let it attach: a listener starting "now" sees only what follows
    run_cli("send", shm_name, "--title", "Hello", "--content", SEED_TEXT, check=True)
    run_cli("send", shm_name, "--json", '{"temp": 21.5, "tags": ["a", "b"]}', check=True)
    out, err = listener.communicate(timeout=60)
    assert listener.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["value"] for line in lines] == [
        {"title": "Hello", "content": SEED_TEXT}, {"temp": 21.5, "tags": ["a", "b"]}]
    assert all({"lane", "pid", "seq", "ts"} <= line.keys() for line in lines)


def test_listen_from_start_prints_what_the_channel_holds(shm_name):
    run_cli("create", shm_name, "--layout", "channel", check=True)
    for i in range(3):
        run_cli("send", shm_name, "--text", f"message {i}", check=True)
    proc = run_cli("listen", shm_name, "--from-start", "--count", "3", check=True)
    assert [line.split(": ", 1)[1] for line in proc.stdout.splitlines()] == [
        "'message 0'", "'message 1'", "'message 2'"]
    assert "received 3 messages, lost 0" in proc.stderr


def test_info_of_a_channel_shows_its_lanes(shm_name):
    run_cli("create", shm_name, "--layout", "channel", "--lanes", "2", "--size", "64KiB", check=True)
    run_cli("send", shm_name, "--text", "hi", check=True)
    info = json.loads(run_cli("info", shm_name, "--json", check=True).stdout)
    assert info["layout"].startswith("channel") and len(info["lanes"]) == 2
    assert info["lanes"][0]["messages"] == 1 and info["lanes"][0]["owner_name"] == "mmfviewer"
    assert not info["lanes"][0]["claimed"]  # that sender has exited


def test_send_into_a_text_segment_overwrites_offset_0_like_the_seed_server(shm_name):
    run_cli("create", shm_name, "--size", "10000", check=True)
    run_cli("send", shm_name, "--text", SEED_TEXT, check=True)
    run_cli("send", shm_name, "--text", "Hi", check=True)
    with Segment.open(shm_name) as seg:
        assert seg.read(0, 30) == b"Hi" + bytes(28)  # no stale tail of the longer text
    out = run_cli("listen", shm_name, "--count", "1", "--json", check=True).stdout
    assert json.loads(out)["value"] == "Hi"


def test_send_into_a_mailbox_writes_the_seed_message_as_msgpack(shm_name):
    import msgpack
    run_cli("create", shm_name, "--size", "4096", check=True)
    run_cli("send", shm_name, "--title", "Hello", "--content", "a longer content", check=True)
    run_cli("send", shm_name, "--title", "A", "--content", "B", check=True)
    with Segment.open(shm_name) as seg:
        data = seg.read(0, 64)
    packed = msgpack.packb({"title": "A", "content": "B"})
    assert data == packed + bytes(64 - len(packed))
    out = run_cli("listen", shm_name, "--count", "1", "--json", check=True).stdout
    assert json.loads(out)["value"] == {"title": "A", "content": "B"}


def test_send_mistakes_are_one_line_errors(shm_name):
    run_cli("create", shm_name, "--layout", "channel", "--lanes", "1", "--size", "4KiB", check=True)
    assert_user_error(run_cli("send", shm_name, "--json", "{bad"), "not valid JSON")
    assert_user_error(run_cli("send", shm_name, "--text", "x" * 5000), "does not fit")
    assert_user_error(run_cli("send", shm_name + "-missing", "--text", "x"), "no shared-memory segment")
    assert_user_error(run_cli("create", shm_name + "-c", "--layout", "channel", "--lanes", "8",
                              "--size", "4KiB"), "cannot hold 8 lanes")


def test_a_channel_created_by_the_cli_is_sized_to_its_lanes(shm_name):
    out = run_cli("create", shm_name, "--layout", "channel", "--lanes", "3", check=True).stdout
    assert "3 lanes x 1 MiB" in out


def test_send_never_overwrites_bytes_of_unknown_meaning_by_guess(shm_name):
    with Segment.create(shm_name, 64) as seg:
        seg.write(0, b"\x01\x02\x03\xff\xfe")
    assert_user_error(run_cli("send", shm_name, "--title", "x", "--content", "y"), "--layout")
    with Segment.open(shm_name) as seg:
        assert seg.read(0, 5) == b"\x01\x02\x03\xff\xfe"
    run_cli("send", shm_name, "--layout", "mailbox", "--title", "x", "--content", "y", check=True)


def test_bench_channel_runs_every_variant_and_prints_the_documented_json():
    proc = run_cli("bench", "channel", "--count", "5000", "--rounds", "2", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert set(result["msgs_per_s"]) == {"mmfviewer", "mmfviewer_batch", "queue", "pipe", "zmq",
                                         "iceoryx2", "faster_fifo"}
    for key, rate in result["msgs_per_s"].items():  # a missing peer says so instead
        assert rate is not None or "not installed" in result["notes"][key]
    assert all(v > 0 for k, v in result["msgs_per_s"].items() if v is not None)
    assert result["rounds"] == 2
    for key, median in result["msgs_per_s"].items():
        if median is not None:  # a median lies within its range; ratios are per round
            low, high = result["msgs_per_s_range"][key]
            assert low <= median <= high
            assert result["mmfviewer_is"][key]["min"] <= result["mmfviewer_is"][key]["median"]
    assert result["mmfviewer_is"]["mmfviewer"]["median"] == 1.0
    assert set(result["latency_us"]) == {"p50", "p99"}
    assert set(result["large_gbps"]) == {"mmfviewer", "memcpy"}
    one_side = result["one_side_msgs_per_s"]
    assert set(one_side) == {"reader_syscall", "reader_mapped", "writer_mapped", "writer_syscall"}
    assert all(0 < v["min"] <= v["median"] <= v["max"] for v in one_side.values())


def test_listen_started_on_an_empty_segment_prints_the_text_written_later(shm_name):
    import subprocess
    import sys
    import time
    run_cli("create", shm_name, "--size", "10000", check=True)
    listener = subprocess.Popen([sys.executable, "-m", "mmfviewer", "listen", shm_name, "--count", "1",
                                 "--timeout", "30", "--json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    run_cli("send", shm_name, "--text", SEED_TEXT, check=True)
    out, err = listener.communicate(timeout=60)
    assert listener.returncode == 0, err
    assert json.loads(out)["value"] == SEED_TEXT
    assert "no channel, mailbox value or text" in err and "Traceback" not in err


def test_ls_shows_each_segments_layout(shm_name, shm_names):
    shm_names.extend([shm_name + "-chan", shm_name + "-text"])
    run_cli("create", shm_names[0], "--layout", "channel", "--lanes", "1", "--size", "8KiB", check=True)
    with Segment.create(shm_names[1], 64) as seg:
        seg.write(0, SEED_TEXT.encode())
    listing = {s["name"]: s for s in json.loads(run_cli("ls", "--json", check=True).stdout)}
    assert listing[shm_names[0]]["layout"] == "channel" and listing[shm_names[1]]["layout"] == "text"
    table = run_cli("ls", check=True).stdout
    assert "LAYOUT" in table.splitlines()[0]


def test_info_on_a_large_channel_reads_headers_not_rings(shm_name):
    run_cli("create", shm_name, "--layout", "channel", "--lanes", "4", "--size", "512MiB", check=True)
    # VmHWM, this process's own peak (ru_maxrss would include the forking parent's).
    code = ("import sys; from mmfviewer.cli import main\n"
            "rc = main(['info', sys.argv[1]])\n"
            "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print('maxrss', peak, file=sys.stderr)\n"
            "sys.exit(rc)")
    from .conftest import run_python

    proc = run_python("-c", code, shm_name)
    assert proc.returncode == 0, proc.stderr
    assert "lane 3: 0 messages" in proc.stdout
    maxrss_kib = int(proc.stderr.rsplit("maxrss", 1)[1].split()[0])
    assert maxrss_kib < 200 * 1024  # a 512 MiB channel, looked at through its headers


def test_listen_tells_corrupt_messages_apart_from_lost_ones(shm_name):
    import json as _json

    from mmfviewer import wire
    from mmfviewer.channel import Channel

    with Channel.create(shm_name, lanes=1, lane_size=4096) as ch, ch.writer() as w:
        for i in range(3):
            w.send(f"message {i}")
        ring = wire.lane_offset(0, ch.capacity) + wire.LANE_HEADER_SIZE
        ch.segment.buf[ring + wire.record_size(len(b"\xa9message 0")) + 40] ^= 0xFF  # message 1
        text = run_cli("listen", shm_name, "--from-start", "--timeout", "1")
        as_json = run_cli("listen", shm_name, "--from-start", "--timeout", "1", "--json")
    assert text.returncode == 0, text.stderr
    assert "-- corrupt 1 message: their records failed their checks" in text.stderr
    assert "received 2 messages, lost 0, corrupt 1" in text.stderr
    lines = [_json.loads(line) for line in as_json.stdout.splitlines()]
    assert {"corrupt": 1} in lines and not any("lost" in line for line in lines)
    assert [line["value"] for line in lines if "value" in line] == ["message 0", "message 2"]


def test_create_file_mode_is_exact_whatever_the_umask(tmp_path):
    path = tmp_path / "map.bin"
    proc = run_python("-c", "import os, sys; os.umask(0o077); from mmfviewer.cli import main; "
                      "sys.exit(main(['create', '--file', sys.argv[1], '--size', '4096', '--mode', '666']))",
                      str(path))
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o666


@pytest.mark.parametrize("mode", ["4755", "2600", "1666"])
def test_special_mode_bits_are_refused(shm_name, mode):
    proc = run_cli("create", shm_name, "--size", "64", "--mode", mode)
    assert proc.returncode == 1 and "setuid, setgid or sticky" in proc.stderr
    assert not os.path.exists(os.path.join(SHM_DIR, shm_name))


def test_a_channel_size_is_what_its_rings_share(shm_name):
    out = run_cli("create", shm_name, "--layout", "channel", "--lanes", "8", "--size", "8MiB", check=True).stdout
    assert "a channel of 8 lanes x 1 MiB" in out


def test_msgpack_nested_too_deep_says_so():
    from mmfviewer.codec import decode_mailbox
    from mmfviewer.errors import FormatError

    with pytest.raises(FormatError, match="nested too deeply"):
        decode_mailbox(b"\x91" * 3000 + b"\x00")


def test_gui_screenshot_leaves_no_settings_behind(shm_name, tmp_path):
    import tempfile

    Segment.create(shm_name, 4096).close()
    before = set(os.listdir(tempfile.gettempdir()))
    proc = run_python("-m", "mmfviewer", "gui", shm_name, "--screenshot", str(tmp_path / "shot.png"),
                      "--ticks", "1", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not [n for n in set(os.listdir(tempfile.gettempdir())) - before if n.startswith("mmfviewer-shot-")]


def test_info_does_not_say_no_process_maps_it_when_some_could_not_be_looked_into(shm_name):
    from dataclasses import replace

    from mmfviewer.cli_segments import _info_fields
    from mmfviewer.discovery import segment_info

    Segment.create(shm_name, 64).close()
    info = segment_info(shm_name)
    fields = dict(_info_fields(replace(info, attached=(), uninspected=3)))
    assert fields["attached"] == "no process we may look into maps it (3 could not be inspected)"
    assert dict(_info_fields(replace(info, attached=(), uninspected=0)))["attached"] == "no process maps it"


def test_a_mailbox_takes_any_msgpack_value_and_stays_a_mailbox(shm_name):
    run_cli("create", shm_name, "--size", "256", check=True)

    def shown(*layout: str) -> str:
        return run_cli("listen", shm_name, *layout, "--count", "1", check=True).stdout.split("  ", 1)[1].rstrip("\n")

    run_cli("send", shm_name, "--json", "42", check=True)
    # 42 is the byte "*": the same bytes are text too, so sending more JSON must still work.
    assert run_cli("send", shm_name, "--json", "43").returncode == 0
    assert shown("--layout", "mailbox") == "43"
    run_cli("send", shm_name, "--json", "4200", check=True)
    assert shown() == "4200"
    run_cli("send", shm_name, "--text", "hello", check=True)  # a msgpack string in a mailbox
    assert shown() == "'hello'"
    run_cli("send", shm_name, "--json", "[1, 2]", check=True)
    assert shown() == "[1, 2]"
    assert "layout:    mailbox" in run_cli("info", shm_name, check=True).stdout


def test_switching_a_segment_from_a_mailbox_to_text_leaves_no_stale_tail(shm_name):
    run_cli("create", shm_name, "--size", "256", check=True)
    run_cli("send", shm_name, "--title", "test", "--content", "a long content.json form", check=True)
    run_cli("send", shm_name, "--layout", "text", "--text", "short", check=True)
    with open(os.path.join(SHM_DIR, shm_name), "rb") as f:
        data = f.read()
    assert data[:5] == b"short" and not any(data[5:])


def test_listen_follows_a_value_segment_removed_and_created_again(shm_name):
    import subprocess
    import sys
    import time

    from mmfviewer.segment import unlink_segment

    run_cli("create", shm_name, "--size", "128", check=True)
    run_cli("send", shm_name, "--text", "first", check=True)
    listen = subprocess.Popen([sys.executable, "-m", "mmfviewer", "listen", shm_name, "--count", "2",
                               "--interval", "0.02", "--timeout", "30"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert listen.stdout.readline().endswith("  first\n")
        unlink_segment(shm_name)
        time.sleep(0.3)
        run_cli("create", shm_name, "--size", "128", check=True)
        run_cli("send", shm_name, "--text", "second", check=True)
        assert listen.stdout.readline().endswith("  second\n")
        assert listen.wait(30) == 0
        err = listen.stderr.read()
        assert "was removed (or replaced); waiting" in err and "exists again: following the new one" in err
    finally:
        listen.kill()
        listen.wait()
        listen.stdout.close()
        listen.stderr.close()


@pytest.mark.parametrize("args", [["info"], ["listen", "--count", "1"], ["listen", "--count", "1", "--json"]])
def test_a_mailbox_nested_a_thousand_levels_deep_prints_without_a_traceback(shm_name, args):
    deep = b"\x91" * 1000 + b"\x90"  # [[[…[]…]]]: valid msgpack, deeper than Python's repr goes
    with Segment.create(shm_name, len(deep) + 64) as seg:
        seg.write(0, deep)
    proc = run_cli(*args[:1], shm_name, *args[1:], "--layout", "mailbox", timeout=60) if args[0] == "listen" \
        else run_cli("info", shm_name, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and ("…" in proc.stdout or "\\u2026" in proc.stdout)


def test_json_of_a_dotnet_array_of_millions_is_written_in_parts_not_held_whole(shm_name):
    import struct
    n = 10_000_000  # a .NET bool[]: 10 MB of bytes, 60 MB of JSON text
    header = b"\x00" + struct.pack("<iiii", 1, -1, 1, 0)
    array = b"\x0f" + struct.pack("<ii", 1, n) + b"\x01" + bytes([1, 0]) * (n // 2) + b"\x0b"
    with Segment.create(shm_name, len(header) + len(array)) as seg:
        seg.write(0, header + array)
    script = ("import sys\nfrom mmfviewer.cli import main\n"
              f"status = main(['info', {shm_name!r}, '--json'])\n"
              # VmHWM: this process's own peak (ru_maxrss counts the forking parent's too)
              "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1], "
              "file=sys.stderr)\n"
              "sys.exit(status)\n")
    from .conftest import run_python
    proc = run_python("-c", script, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    items = json.loads(proc.stdout)["value"]["json"]["items"]
    assert len(items) == n and items[:3] == [True, False, True]
    assert int(proc.stderr.split()[-1]) < 150 * 1024  # KiB: it took 400 MiB held whole
