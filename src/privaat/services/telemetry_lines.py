"""NDJSON read as a stream of bounded lines, gzip undone as a stream (issue 12 item 1).

    bytes chunks ──▶ gunzip (optional; bounded output per step, so a bomb never inflates
                     at once) ──▶ ndjson_lines ──▶ (line number, bytes) or (line number, None)

A line longer than the limit is never held: once the buffer passes the limit the rest of
that line is skipped chunk by chunk up to its newline, and the line comes out as ``None``
(too long). So a 100 MB line costs one chunk of memory, not 100 MB. Blank lines are
skipped but counted, so a line number is the one an editor shows.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

__all__ = ["BrokenGzip", "gunzip", "ndjson_lines"]

_STEP = 1 << 20  # at most this much inflated output per decompress call


class BrokenGzip(ValueError):
    """The body claimed gzip and is not (or is cut short)."""


def gunzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The inflated bytes of a gzip stream (RFC 1952; several members one after another)."""
    inflater = zlib.decompressobj(wbits=31)
    started = False
    for chunk in chunks:
        data = chunk
        while data:
            started = True
            try:
                out = inflater.decompress(data, _STEP)
            except zlib.error as error:
                raise BrokenGzip(f"not valid gzip: {error}") from None
            if out:
                yield out
            if inflater.eof:  # a member ended; another may follow (RFC 1952 §2.2)
                data = inflater.unused_data
                inflater = zlib.decompressobj(wbits=31)
                started = bool(data)
            else:
                data = inflater.unconsumed_tail
    if started and not inflater.eof:
        raise BrokenGzip("the gzip stream ends early")


def ndjson_lines(
    chunks: Iterable[bytes], *, max_line: int, first: int = 1
) -> Iterator[tuple[int, bytes | None]]:
    """Each non-blank line with its number; ``None`` for a line longer than ``max_line``."""
    number = first
    buffer = b""
    skipping = False  # inside an over-long line: drop bytes up to its newline
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                rest = chunk[start:]
                if skipping:
                    break
                if len(buffer) + len(rest) > max_line:
                    skipping, buffer = True, b""
                else:
                    buffer += rest
                break
            if skipping:
                yield number, None
                skipping = False
            else:
                line = buffer + chunk[start:end] if buffer else chunk[start:end]
                buffer = b""
                if len(line) > max_line:
                    yield number, None
                elif line.strip():
                    yield number, line
            number += 1
            start = end + 1
    if skipping:
        yield number, None
    elif buffer.strip():
        yield number, buffer
