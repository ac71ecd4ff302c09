"""What the compose panel's forms mean, checked without a widget: reading what was
typed, what may be sent where, the Members form's fields, and history lines."""

from __future__ import annotations

import time

import pytest

from mmfviewer.codec import Layout
from mmfviewer.compose import (
    MAX_FIELD_CHARS,
    MAX_MEMBER_FIELDS,
    Sent,
    changed_members,
    check_json,
    check_raw,
    describe_json,
    describe_target,
    describe_text,
    editable_value,
    form_problem,
    one_line,
    parse_hexdump,
    parse_offset,
    summarize,
)
from mmfviewer.errors import FormatError
from mmfviewer.hextext import hexdump_text
from mmfviewer.nrbf_encode import ClassShape, encode_object
from mmfviewer.segment import Segment


def dotnet_segment(name: str, members: dict[str, str], types: dict[str, str] | None = None) -> Segment:
    """A segment holding one .NET ``Message`` object with string members (or the types given)."""
    types = types or {}
    shape = ClassShape("Message", "MessageLib", tuple((m, types.get(m, "System.String")) for m in members))
    data = encode_object(shape, members)
    seg = Segment.create(name, len(data) + 64)
    seg.write(0, data)
    return seg


# ---------------------------------------------------------------- reading what was typed

def test_describe_json_names_every_kind_of_value():
    assert [describe_json(v) for v in ({"a": 1}, [], [1], 3, 2.5, "s", True, None)] == [
        "object with 1 key", "array of 0 items", "array of 1 item", "number", "number",
        "string", "boolean", "null"]


def test_valid_json_is_checked_into_its_value_and_msgpack_size():
    checked = check_json('{"a": [1, 2]}')
    assert (checked.value, checked.error, checked.ok) == ({"a": [1, 2]}, None, True)
    assert checked.status == "valid JSON: object with 1 key (6 bytes as msgpack)"


def test_invalid_json_says_why_and_where():
    checked = check_json('{"a" 1}')
    assert checked.error == checked.status == "invalid JSON: Expecting ':' delimiter (line 1, column 6)"
    assert (checked.ok, checked.position, checked.value) == (False, 5, None)


def test_json_msgpack_cannot_carry_is_valid_but_cannot_be_sent():
    checked = check_json(str(2**70))
    assert checked.error is not None and checked.error.startswith("valid JSON, but it cannot be sent")
    assert checked.position == -1


def test_an_empty_editor_is_empty_not_an_error():
    for checked in (check_json("  \n"), check_raw("", "0")):
        assert (checked.error, checked.ok) == ("empty", None)


def test_raw_bytes_are_checked_with_the_range_they_land_on():
    assert check_raw("de ad be ef", "0x10").status == "4 bytes at 0x10–0x13"
    assert check_raw("de ad be ef", "0x10").value == b"\xde\xad\xbe\xef"
    assert check_raw("54", None).status == "1 byte"  # on a channel: no offset


def test_a_pasted_hexdump_says_where_it_started():
    checked = check_raw(hexdump_text(b"The", 0x20), None)
    assert (checked.value, checked.status) == (b"The", "3 bytes (read from a hexdump starting at 0x20)")


def test_a_hexdump_with_a_line_missing_is_refused():
    lines = hexdump_text(bytes(range(48))).splitlines()
    with pytest.raises(FormatError, match="lines are missing"):
        parse_hexdump("\n".join([lines[0], lines[2]]))


def test_a_bad_offset_or_no_bytes_is_a_raw_error():
    assert str(check_raw("01 02", "zz").error).startswith("offset 'zz' is not a byte count")
    assert check_raw(",", "0").error == "no bytes"
    assert parse_offset(" ") == 0 and parse_offset("0x10") == 16


def test_text_is_counted_in_characters_and_utf8_bytes_even_with_a_lone_surrogate():
    assert describe_text("héllo") == "5 characters, 6 bytes as UTF-8"
    assert describe_text("a\ud800") == "2 characters, 2 bytes as UTF-8"


# ---------------------------------------------------------------- what can be sent where

def test_a_text_segment_takes_text_or_a_json_string_only():
    assert form_problem("text", Layout.TEXT) is None
    assert form_problem("json", Layout.TEXT, check_json('"hi"')) is None
    for form, typed in (("message", None), ("members", None), ("json", check_json("[1]"))):
        assert form_problem(form, Layout.TEXT, typed) == "this segment holds text: use the Text or Raw bytes form"


def test_a_dotnet_segment_takes_members_or_a_json_object_not_text():
    assert form_problem("text", Layout.DOTNET) == ("this segment holds a .NET object: "
                                                   "use the Members, Message or JSON form")
    assert form_problem("json", Layout.DOTNET, check_json("[1]")) == (
        "a .NET object is sent as a JSON object of its members' values")
    assert form_problem("json", Layout.DOTNET, check_json('{"title": "x"}')) is None
    assert form_problem("message", Layout.DOTNET) is None


def test_an_editor_error_comes_first_and_members_problems_only_on_the_members_form():
    assert form_problem("json", Layout.CHANNEL, check_json("")) == "empty"
    assert form_problem("raw", Layout.RAW, check_raw("zz", "0")) == check_raw("zz", "0").error
    assert form_problem("members", Layout.DOTNET, None, "change a value to write it") == "change a value to write it"
    assert form_problem("message", Layout.DOTNET, None, "change a value to write it") is None


def test_the_target_line_says_where_each_form_goes():
    assert describe_target(Layout.CHANNEL, "raw", None) == (
        "channel: sends a message on the channel (a lane is claimed on the first send)")
    assert describe_target(Layout.CHANNEL, "message", 1) == (
        "channel: sends a message on the channel (lane 1, held by this panel)")
    assert describe_target(Layout.MAILBOX, "raw", None) == "mailbox: writes bytes at the offset below"
    assert describe_target(Layout.MAILBOX, "text", None) == (
        "mailbox: overwrites the mailbox value at offset 0 (as a msgpack string)")
    assert describe_target(Layout.RAW, "text", None) == (
        "raw: writes the text at offset 0 (the segment becomes a text segment)")
    assert describe_target(Layout.RAW, "json", None) == (
        "raw: writes a msgpack value at offset 0 (the segment becomes a mailbox)")


# ---------------------------------------------------------------- the Members form

def test_a_dotnet_object_gives_a_field_per_member_filled_with_its_value(shm_name):
    with dotnet_segment(shm_name, {"title": "Hi", "content": "There"}) as seg:
        value = editable_value(seg, Layout.DOTNET)
    assert value.shape == (Layout.DOTNET, (("title", "System.String"), ("content", "System.String")))
    assert [(f.name, f.text, f.writable, f.placeholder) for f in value.fields] == [
        ("title", "Hi", True, "null"), ("content", "There", True, "null")]
    assert value.note == "Message from MessageLib: each field takes its member's .NET type"
    assert value.problem == ""


def test_a_member_too_long_to_edit_is_shown_cut_and_keeps_the_value_from_being_sent(shm_name):
    with dotnet_segment(shm_name, {"title": "t", "content": "c" * (MAX_FIELD_CHARS + 1)}) as seg:
        value = editable_value(seg, Layout.DOTNET)
    content = value.fields[1]
    assert not content.writable and content.text == "c" * MAX_FIELD_CHARS + "…"
    assert content.kept_because == f"{MAX_FIELD_CHARS + 1:,} characters: too long to edit here (use JSON)"
    assert value.problem == "Message has members that cannot be written (content)"
    assert value.note.endswith("; content cannot be written")


def test_a_value_with_too_many_members_gets_no_fields_but_a_reason(shm_name):
    with dotnet_segment(shm_name, {f"m{i}": "x" for i in range(MAX_MEMBER_FIELDS + 1)}) as seg:
        value = editable_value(seg, Layout.DOTNET)
    assert value.shape is None and value.fields == ()
    assert f"{MAX_MEMBER_FIELDS + 1:,} members or items" in value.problem


def test_nothing_to_edit_without_a_dotnet_object_or_shareable_list(shm_name):
    assert editable_value(None, None).problem == "this segment holds no .NET object or ShareableList to edit"
    with Segment.create(shm_name, 64) as seg:
        assert editable_value(seg, Layout.MAILBOX).shape is None
    assert editable_value(seg, Layout.DOTNET).shape is None  # closed meanwhile


def test_only_changed_fields_are_sent_and_list_items_by_index():
    typed, filled = {"title": "new", "content": "same"}, {"title": "old", "content": "same"}
    assert changed_members(typed, filled, Layout.DOTNET) == {"title": "new"}
    assert changed_members({"[0]": "8", "[1]": "x"}, {"[0]": "7", "[1]": "x"}, Layout.SHAREABLE_LIST) == {0: "8"}


# ---------------------------------------------------------------- history

def test_a_history_line_is_time_form_and_payload_on_one_short_line():
    when = time.mktime((2024, 1, 2, 3, 4, 5, 0, 0, -1))
    assert Sent("json", [1, 2], None, when, "sent").text == "03:04:05 JSON [1, 2]"
    long = Sent("message", {"title": "multi", "content": "line\n" * 50}, None, when, "sent").text
    assert "\n" not in long and long.endswith("…") and len(long) == 90


def test_raw_and_members_payloads_read_as_people_write_them():
    assert summarize("raw", b"\xde\xad", 0x28) == "2 bytes at 0x28: de ad"
    assert summarize("raw", bytes(40), None).endswith(" …")
    assert summarize("members", {"title": "x", 2: "y"}) == "title='x', [2]='y'"
    assert one_line("a\n  b", 10) == "a b" and one_line("abcdef", 4) == "abc…"
