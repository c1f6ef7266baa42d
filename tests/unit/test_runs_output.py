"""Cutting an agent's output into lines: `LineSplitter` on chunks cut anywhere, and
`read_chunks` on a real pipe (the 1 MB cap with its flag, the last line without newline, CRLF,
many lines in one chunk, a line split across chunks)."""

from __future__ import annotations

import os
import threading

from kiro_tui.core.runs.output import CHUNK, MAX_LINE, LineSplitter, RawLine, read_chunks


def split(chunks: list[bytes], max_line: int = MAX_LINE) -> list[RawLine]:
    s = LineSplitter(max_line)
    out: list[RawLine] = []
    for c in chunks:
        out += s.feed(c)
    return out + s.end()


def test_many_lines_in_one_chunk_and_the_last_without_newline() -> None:
    assert split([b"a\nbb\n\nccc"]) == [
        (b"a", False, 2),
        (b"bb", False, 3),
        (b"", False, 1),
        (b"ccc", False, 3),
    ]


def test_a_line_split_across_chunks_comes_out_once_whole() -> None:
    s = LineSplitter()
    assert s.feed(b'{"type": "ass') == []
    assert s.feed(b"istant") == []
    assert s.feed(b'"}\nnext') == [(b'{"type": "assistant"}', False, 22)]
    assert s.end() == [(b"next", False, 4)]
    assert s.end() == []


def test_crlf_loses_its_cr_only_before_a_newline() -> None:
    assert split([b"one\r\ntwo\r", b"\nthree\r"]) == [
        (b"one", False, 5),
        (b"two", False, 5),
        (b"three\r", False, 6),  # no newline came: kept as it is
    ]


def test_every_way_of_cutting_the_stream_gives_the_same_lines() -> None:
    data = b"x\r\n" + b"y" * 25 + b"\nzz\n" + b"w" * 9 + b"\n\nend"
    want = split([data], max_line=10)
    for size in range(1, len(data) + 1):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert split(chunks, max_line=10) == want, size
    assert want == [
        (b"x", False, 3),
        (b"y" * 10, True, 26),
        (b"zz", False, 3),
        (b"w" * 9, False, 10),
        (b"", False, 1),
        (b"end", False, 3),
    ]


def test_the_cap_is_exact() -> None:
    at_cap, over = b"a" * 10, b"b" * 11
    assert split([at_cap + b"\n" + over + b"\n"], max_line=10) == [
        (at_cap, False, 11),
        (b"b" * 10, True, 12),
    ]
    assert split([over], max_line=10) == [(b"b" * 10, True, 11)]  # at EOF, no newline
    assert split([at_cap], max_line=10) == [(at_cap, False, 10)]


def test_a_line_over_max_line_split_across_chunks_keeps_only_its_start() -> None:
    s = LineSplitter(10)
    assert s.feed(b"start" + b"1" * 7) == []
    assert s._head == b"start11111" and not s._buf  # the rest is counted, not kept
    assert s.feed(b"2" * 100) == []
    assert s.feed(b"3\nafter\n") == [(b"start11111", True, 5 + 7 + 100 + 2), (b"after", False, 6)]


def read_pipe(writes: list[bytes]) -> tuple[list[list[RawLine]], int]:
    """`read_chunks` on a real pipe that a thread fills with `writes`, then closes."""
    r, w = os.pipe()
    calls: list[list[RawLine]] = []

    def writer() -> None:
        with os.fdopen(w, "wb", buffering=0) as fh:
            for data in writes:
                fh.write(data)

    t = threading.Thread(target=writer)
    t.start()
    with os.fdopen(r, "rb", buffering=0) as fh:
        read_chunks(fh, calls.append)
    t.join()
    return calls, sum(len(c) for c in calls)


def test_read_chunks_on_a_pipe_with_a_two_megabyte_line() -> None:
    big = b"y" * (2 * MAX_LINE)
    calls, n = read_pipe([b'{"a": 1}\n', big + b"\n", b"tail without newline"])
    lines = [x for c in calls for x in c]
    assert n == 3
    assert lines[0] == (b'{"a": 1}', False, 9)
    assert lines[1] == (big[:MAX_LINE], True, 2 * MAX_LINE + 1)
    assert lines[2] == (b"tail without newline", False, 20)


def test_read_chunks_hands_many_lines_over_at_once() -> None:
    data = b"".join(b"line %d\n" % i for i in range(20000))  # more than one CHUNK
    assert len(data) > CHUNK
    calls, n = read_pipe([data])
    assert n == 20000
    assert [x[0] for c in calls for x in c] == [b"line %d" % i for i in range(20000)]
    assert len(calls) < 100  # chunks of the pipe, not a call per line
