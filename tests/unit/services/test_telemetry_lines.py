"""The NDJSON stream of telemetry (issue 12 item 1): bounded lines, a 100 MB line never held,
gzip undone as a stream and a broken stream named."""

from __future__ import annotations

import gzip
import tracemalloc
from collections.abc import Iterator

import pytest

from privaat.services.telemetry_lines import BrokenGzip, gunzip, ndjson_lines


def test_lines_are_numbered_as_an_editor_shows_them_across_chunk_borders() -> None:
    chunks = [b'{"a":1}\n\n{"b"', b":2}\n  \n", b'{"c":3}']
    assert list(ndjson_lines(chunks, max_line=100)) == [
        (1, b'{"a":1}'),
        (3, b'{"b":2}'),
        (5, b'{"c":3}'),
    ]


def test_a_100_mb_line_comes_out_as_too_long_without_being_held() -> None:
    def stream() -> Iterator[bytes]:
        yield b'{"ok":1}\n'
        for _ in range(100):  # 100 MB in 1 MB chunks, no newline
            yield b"x" * 1_000_000
        yield b'\n{"ok":2}\n'

    tracemalloc.start()
    try:
        out = list(ndjson_lines(stream(), max_line=65_536))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out == [(1, b'{"ok":1}'), (2, None), (3, b'{"ok":2}')]
    assert peak < 5_000_000  # a few chunks, never the line


def test_gzip_is_undone_member_by_member_and_a_cut_stream_is_broken() -> None:
    body = gzip.compress(b"one\n") + gzip.compress(b"two\n")
    assert b"".join(gunzip([body[:7], body[7:]])) == b"one\ntwo\n"
    with pytest.raises(BrokenGzip):
        list(gunzip([body[:-6]]))
    with pytest.raises(BrokenGzip):
        list(gunzip([b"this is not gzip"]))
