"""An answer's ZIP, encrypted as it is written and stored and read back in chunks (issue 11
item 4; GDPR art. 32; LEGAL L61), so no step holds the whole file in memory.

    AccessZip ──write──▶ SealedWriter ──▶ temporary file: ciphertext only, never clear
                           │  256 KiB chunks, AES-256-GCM under the subject's data key
                           │  (the cipher the seam opened), SHA-256 of the clear ZIP kept
                           ▼
    store(...) ──▶ request_answers.file_enc: INSERT the first piece, then file_enc || piece
    read_sealed(...) ◀── substr(file_enc, …) chunk by chunk, each opened and checked

The stored format (version 2; a version-1 value is one ``SubjectCipher`` ciphertext of the
whole ZIP, as answers stored before this format are, and still opens)::

    0x02 | 16 bytes file id | 4 bytes chunk size (big-endian) | chunk 0 | chunk 1 | …
    chunk i = SubjectCipher.encrypt_bytes("request_answers.file#<id>#<i>#more|last", clear)

Binding each chunk to the file id, its index and whether it is the last (the STREAM
construction of Hoang, Reyhanitabar, Rogaway and Vizár, CRYPTO 2015) means chunks cannot be
reordered, dropped, cut off at the end or spliced in from another answer without the read
failing. Erasure destroys the data key, and with it every chunk (art. 17).

A ``SealedSpool`` is the same idea for the CSV and original files that wait while the ZIP
writes another member: on disk only as ciphertext under the subject's key.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import Connection, LargeBinary, bindparam, cast, func, insert, select, update

from privaat.store.crypto import DecryptionError, SubjectCipher
from privaat.store.tables_requests import request_answers

__all__ = ["CHUNK", "SealedSpool", "SealedWriter", "read_sealed", "store_sealed"]

CHUNK = 256 * 1024  # clear bytes per chunk: memory holds a few chunks, never the file
_FIELD = "request_answers.file"
_VERSION = 2
_HEADER = 1 + 16 + 4
_OVERHEAD = 1 + 12 + 16  # SubjectCipher: version, nonce, tag


def _aad(file_id: bytes, index: int, *, last: bool) -> str:
    return f"{_FIELD}#{file_id.hex()}#{index}#{'last' if last else 'more'}"


class SealedWriter:
    """A write-only file object for ``zipfile``: encrypts in chunks into a temporary file
    and keeps the SHA-256 and size of the clear bytes (the receipt names the clear ZIP)."""

    def __init__(self, cipher: SubjectCipher, *, chunk: int = CHUNK) -> None:
        self._cipher, self._chunk = cipher, chunk
        self._id = os.urandom(16)
        # ciphertext only; in memory while small, then on disk
        self._file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=256 * 1024)  # noqa: SIM115
        self._file.write(bytes([_VERSION]) + self._id + chunk.to_bytes(4, "big"))
        self._buffer = bytearray()
        self._index = 0
        self._digest = hashlib.sha256()
        self.size = 0
        self._closed = False

    def write(self, data: Any) -> int:
        view = bytes(data)
        self._digest.update(view)
        self.size += len(view)
        self._buffer += view
        # strictly more than a chunk: what is left at close is the last chunk, never empty
        while len(self._buffer) > self._chunk:
            self._seal(bytes(self._buffer[: self._chunk]), last=False)
            del self._buffer[: self._chunk]
        return len(view)

    def flush(self) -> None:
        """Nothing to do: chunks are sealed when full (zipfile calls this)."""

    def close(self) -> None:
        """Seal the last chunk; the ciphertext is then ready for ``pieces``."""
        if not self._closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def pieces(self, size: int = CHUNK + _OVERHEAD) -> Iterator[bytes]:
        """The stored value in pieces (the header with the first), after ``close``."""
        self.close()
        self._file.seek(0)
        first = True
        while piece := self._file.read(size + (_HEADER if first else 0)):
            first = False
            yield piece

    def discard(self) -> None:
        self._file.close()

    def _seal(self, clear: bytes, *, last: bool) -> None:
        aad = _aad(self._id, self._index, last=last)
        self._file.write(self._cipher.encrypt_bytes(aad, clear))
        self._index += 1


class SealedSpool:
    """A spool (render.access_package.Spool): in memory while small, past ``SPOOL_IN_MEMORY``
    on disk, sealed under the subject's key (a temporary file never holds clear data)."""

    SPOOL_IN_MEMORY = 256 * 1024

    def __init__(self, cipher: SubjectCipher) -> None:
        self._cipher = cipher
        self._id = os.urandom(16).hex()
        self._memory: list[bytes] = []
        self._in_memory = 0
        self._file: IO[bytes] | None = None
        self._count = 0

    def write(self, data: bytes) -> None:
        if self._file is None and self._in_memory + len(data) <= self.SPOOL_IN_MEMORY:
            self._memory.append(bytes(data))
            self._in_memory += len(data)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115  (closed by close())
            for held in self._memory:
                self._seal(held)
            self._memory, self._in_memory = [], 0
        self._seal(data)

    def chunks(self) -> Iterator[bytes]:
        yield from self._memory
        if self._file is None:
            return
        self._file.seek(0)
        for index in range(self._count):
            size = int.from_bytes(self._file.read(4), "big")
            field = f"request_answers.spool#{self._id}#{index}"
            yield self._cipher.decrypt_bytes(field, self._file.read(size))

    def close(self) -> None:
        self._memory = []
        if self._file is not None:
            self._file.close()

    def _seal(self, data: bytes) -> None:
        assert self._file is not None  # noqa: S101  (write() opened it)
        sealed = self._cipher.encrypt_bytes(f"request_answers.spool#{self._id}#{self._count}", data)
        self._file.write(len(sealed).to_bytes(4, "big") + sealed)
        self._count += 1


def store_sealed(connection: Connection, sealed: SealedWriter, **values: Any) -> int:
    """Insert the answer row with its file appended piece by piece; the row's id."""
    pieces = sealed.pieces()
    answer_id: int = connection.execute(
        insert(request_answers)
        .values(file_enc=next(pieces), **values)
        .returning(request_answers.c.id)
    ).scalar_one()
    column = request_answers.c.file_enc
    # CAST: SQLite's || makes text of two blobs; bytea || bytea is bytea on PostgreSQL
    append = (
        update(request_answers)
        .where(request_answers.c.id == bindparam("answer_id"))
        .values(file_enc=cast(column.concat(bindparam("piece", type_=LargeBinary)), LargeBinary))
    )
    for piece in pieces:
        connection.execute(append, {"answer_id": answer_id, "piece": piece})
    return answer_id


def read_sealed(connection: Connection, cipher: SubjectCipher, answer_id: int) -> Iterator[bytes]:
    """The clear ZIP of an answer, chunk by chunk; DecryptionError when anything is off."""
    column = request_answers.c.file_enc
    mine = request_answers.c.id == answer_id

    def piece(start: int, length: int) -> bytes:
        # substr counts from 1 on both SQLite (blobs) and PostgreSQL (bytea)
        value = connection.execute(
            select(func.substr(column, start + 1, length, type_=LargeBinary)).where(mine)
        ).scalar_one()
        return bytes(value)

    total = int(connection.execute(select(func.length(column)).where(mine)).scalar_one())
    head = piece(0, _HEADER)
    if not head or head[0] != _VERSION:  # one ciphertext of the whole file (version 1)
        whole = connection.execute(select(column).where(mine)).scalar_one()
        yield cipher.decrypt_bytes(_FIELD, bytes(whole))
        return
    if len(head) < _HEADER:
        raise DecryptionError(f"{_FIELD}: a stored answer cut short")
    file_id, chunk = head[1:17], int.from_bytes(head[17:21], "big")
    position, index = _HEADER, 0
    if position >= total:
        raise DecryptionError(f"{_FIELD}: a stored answer without content")
    while position < total:
        length = min(chunk + _OVERHEAD, total - position)
        last = position + length == total
        yield cipher.decrypt_bytes(_aad(file_id, index, last=last), piece(position, length))
        position += length
        index += 1
