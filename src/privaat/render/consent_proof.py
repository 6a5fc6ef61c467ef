"""A consent proof bundle a regulator verifies offline (issue 14 item 8; GDPR art. 7(1), L7).

One JSON Lines file (UTF-8, one canonical JSON object a line, ``\\n`` after each), its
sections in a fixed order; design and reasons: ``docs/consent-proof.md``::

    header        1      the format, controller, range, and how to verify
    notice        n      each consent text shown, in its language, with its SHA-256
    checkpoint    c      the signed audit-chain checkpoints that cover the range (HMAC)
    record        N      each ledger record as an ISO/IEC TS 27560 record, ledger order
    hash          N      per record: index, ledger id, SHA-256 of the record's line
    manifest      1      counts, the SHA-256 of every section, the public key
    signature     1      Ed25519 (RFC 8032) over the manifest line's bytes

The signed manifest fixes every section's digest, so the hash list is authentic once the
signature verifies; each record line is then compared with its own entry, which names the
record changed, deleted, moved or added even when whoever edited it recomputed every
unsigned hash. Pure: a stream in, a verdict out; nothing is read from the database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "FORMAT",
    "MAX_PROBLEMS",
    "Notice",
    "NotABundle",
    "ProofCheckpoint",
    "ProofSummary",
    "ProofVerdict",
    "fingerprint",
    "verify",
    "write",
]

FORMAT = "privaat-consent-proof/1"
MAX_PROBLEMS = 20  # problems named at most; the count of the rest is given
_ORDER = ("header", "notice", "checkpoint", "record", "hash", "manifest", "signature")
_REPEATED = frozenset({"notice", "checkpoint", "record", "hash"})
_HOW_TO_VERIFY = (
    "Every line is one JSON object; the last line signs the one before it.",
    "1. Ed25519-verify the base64 'value' of the signature line over the exact bytes of the "
    "manifest line (without its newline), with the manifest's 'public_key' (raw, base64); "
    "compare SHA-256(public key) with the fingerprint the controller publishes.",
    "2. For each section, SHA-256 over its lines' bytes (each with its newline) must equal "
    "manifest.sections[kind].",
    "3. For record i, SHA-256 of its line (without the newline) must equal the 'sha256' of "
    "hash line i, whose 'ledger_id' names the record, and the i-th 32 bytes of the base64 "
    "manifest.record_sha256.",
    "4. Each record's notice.text_hash is the SHA-256 of a notice line's UTF-8 'text', "
    "for the same activity (purpose_id).",
    "5. Checkpoint signatures are HMAC-SHA256 under the controller's key: checkable only "
    "by the controller (privaat audit verify); their hashes can be compared with audit "
    "heads recorded elsewhere.",
)


def _line(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(public_key: bytes) -> str:
    """The key's SHA-256 in groups of four hex digits, as the controller publishes it."""
    digest = _sha(public_key)
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


@dataclass(frozen=True, slots=True)
class Notice:
    """A consent request text as shown, in one language, and the versions it was part of."""

    activity: str
    language: str
    consent_version: int
    text: str
    policy_versions: tuple[tuple[int, str], ...]  # (version, SHA-256 of its archived text)

    @property
    def sha256(self) -> str:
        return _sha(self.text.encode("utf-8"))  # as policy.schema.consent_text_sha256


@dataclass(frozen=True, slots=True)
class ProofCheckpoint:
    """A signed audit-chain checkpoint as stored (``store.audit_checkpoints``)."""

    seq: int
    entry_hash: str
    entry_at: str  # ISO 8601, UTC, microseconds
    made_at: str
    hmac_sha256: str


@dataclass(frozen=True, slots=True)
class ProofSummary:
    records: int
    notices: int
    checkpoints: int
    manifest_sha256: str
    key_fingerprint: str


class _Sections:
    """The running SHA-256 of each section, fed line by line as the bundle is written."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self.digests = {kind: hashlib.sha256() for kind in _ORDER[:5]}

    def put(self, kind: str, obj: Mapping[str, Any]) -> bytes:
        line = _line({"kind": kind, **obj})
        self.digests[kind].update(line + b"\n")
        self._out.write(line + b"\n")
        return line


def write(
    out: IO[bytes],
    *,
    header: Mapping[str, Any],
    notices: Sequence[Notice],
    checkpoints: Sequence[ProofCheckpoint],
    records: Iterable[Mapping[str, Any]],
    key: Ed25519PrivateKey,
    manifest_extra: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ProofSummary:
    """Write the bundle to ``out``: the same arguments give the same bytes (no clock read).

    ``records`` are ISO/IEC TS 27560 records in ledger order, each with its ``ledger_id``;
    ``progress`` is called with the number of records written so far, every 1,000.
    """
    sections = _Sections(out)
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    sections.put("header", {**header, "format": FORMAT, "how_to_verify": list(_HOW_TO_VERIFY)})
    ordered = sorted(notices, key=lambda n: (n.activity, n.sha256, n.language))
    for notice in ordered:
        sections.put(
            "notice",
            {
                "activity": notice.activity,
                "language": notice.language,
                "consent_version": notice.consent_version,
                "text": notice.text,
                "sha256": notice.sha256,
                "policy_versions": [
                    {"version": v, "sha256": digest} for v, digest in notice.policy_versions
                ],
            },
        )
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        sections.put(
            "checkpoint",
            {
                "seq": checkpoint.seq,
                "entry_hash": checkpoint.entry_hash,
                "entry_at": checkpoint.entry_at,
                "made_at": checkpoint.made_at,
                "hmac_sha256": checkpoint.hmac_sha256,
            },
        )
    hashes: list[tuple[int, bytes]] = []  # (ledger id, SHA-256 of the line)
    for index, record in enumerate(records, start=1):
        line = sections.put("record", {"index": index, "record": record})
        hashes.append((int(record["ledger_id"]), hashlib.sha256(line).digest()))
        if progress is not None and index % 1000 == 0:
            progress(index)
    for index, (ledger_id, digest) in enumerate(hashes, start=1):
        sections.put("hash", {"index": index, "ledger_id": ledger_id, "sha256": digest.hex()})
    manifest = {
        "kind": "manifest",
        "format": FORMAT,
        "counts": {
            "notice": len(ordered),
            "checkpoint": len(checkpoints),
            "record": len(hashes),
        },
        "first_ledger_id": hashes[0][0] if hashes else None,
        "last_ledger_id": hashes[-1][0] if hashes else None,
        "sections": {kind: d.hexdigest() for kind, d in sections.digests.items()},
        # the same digests once more, inside the signed line: a record is named even when
        # its hash line was rewritten to match it (32 bytes a record, base64)
        "record_sha256": base64.b64encode(b"".join(d for _, d in hashes)).decode(),
        "public_key": base64.b64encode(public).decode(),
        "key_fingerprint": fingerprint(public),
        **(manifest_extra or {}),
    }
    manifest_line = _line(manifest)
    out.write(manifest_line + b"\n")
    signature = key.sign(manifest_line)  # RFC 8032: deterministic, so are the bundle's bytes
    out.write(
        _line(
            {
                "kind": "signature",
                "algorithm": "Ed25519",
                "public_key": manifest["public_key"],
                "value": base64.b64encode(signature).decode(),
            }
        )
        + b"\n"
    )
    if progress is not None:
        progress(len(hashes))
    return ProofSummary(
        records=len(hashes),
        notices=len(ordered),
        checkpoints=len(checkpoints),
        manifest_sha256=_sha(manifest_line),
        key_fingerprint=fingerprint(public),
    )


# --- verification --------------------------------------------------------------------------


@dataclass
class ProofVerdict:
    """What ``verify`` found: intact, or the problems, each naming a line or a record."""

    problems: list[str] = field(default_factory=list)
    records: int = 0
    notices: int = 0
    checkpoints: int = 0
    key_fingerprint: str | None = None
    header: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)
    hidden: int = 0  # problems beyond MAX_PROBLEMS, counted only
    untied: int = 0  # records without their notice text, as the signed manifest states

    @property
    def ok(self) -> bool:
        return not self.problems and not self.hidden

    def fail(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.hidden += 1


class NotABundle(ValueError):
    """The file is no consent proof bundle at all (or empty): nothing to verify."""


# per record line: (line number, SHA-256 of the line, its index, activity, text hash, language)
_Record = tuple[int, bytes, int | None, str | None, str | None, str | None]
# per hash line: (index, ledger id, SHA-256)
_Hash = tuple[Any, Any, bytes]


def _parse(raw: bytes) -> dict[str, Any] | None:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(obj, dict) or obj.get("kind") not in _ORDER:
        return None
    return obj


def _record_view(number: int, digest: bytes, obj: dict[str, Any]) -> _Record:
    record = obj.get("record")
    index = obj.get("index") if isinstance(obj.get("index"), int) else None
    try:
        activity = record["purposes"][0]["purpose_id"]  # type: ignore[index]
        notice = record["notice"]  # type: ignore[index]
        text_hash, lang = notice["text_hash"]["value"], notice.get("language")
    except (KeyError, IndexError, TypeError):
        return number, digest, index, None, None, None
    # a million records name a handful of activities and texts: keep one copy of each
    return (
        number,
        digest,
        index,
        sys.intern(str(activity)),
        sys.intern(str(text_hash)),
        None if lang is None else sys.intern(str(lang)),
    )


def _hash_of(value: Any) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        return b""


def verify(stream: Iterable[bytes], *, expect_fingerprint: str | None = None) -> ProofVerdict:
    """Check a bundle (a binary file, or its lines with their newlines) without the database;
    NotABundle when its first line is no header."""
    verdict = ProofVerdict()
    digests = {kind: hashlib.sha256() for kind in _ORDER[:5]}
    records: list[_Record] = []
    hashes: list[_Hash] = []
    notices: list[dict[str, Any]] = []
    tail: list[tuple[int, bytes, dict[str, Any] | None]] = []  # the last two lines
    position = {kind: i for i, kind in enumerate(_ORDER)}
    furthest, number, ended_clean = 0, 0, True
    for raw in stream:
        number += 1
        ended_clean = raw.endswith(b"\n")
        body = raw[:-1] if ended_clean else raw
        obj = _parse(body)
        if number == 1:
            if obj is None or obj["kind"] != "header" or obj.get("format") != FORMAT:
                raise NotABundle(f"its first line is not the header of a {FORMAT} bundle")
            verdict.header = obj
        tail = [*tail[-1:], (number, body, obj)]
        if obj is None:
            verdict.fail(f"line {number} is not a line of the bundle (edited or damaged)")
            continue
        kind = obj["kind"]
        if position[kind] < furthest:
            verdict.fail(f"line {number} ({kind}) stands out of its section's order")
        furthest = max(furthest, position[kind])
        if kind in digests:
            digests[kind].update(raw if ended_clean else raw + b"\n")
        if kind == "record":
            records.append(_record_view(number, hashlib.sha256(body).digest(), obj))
        elif kind == "hash":
            hashes.append((obj.get("index"), obj.get("ledger_id"), _hash_of(obj.get("sha256"))))
        elif kind == "notice":
            notices.append(obj)
        elif kind == "checkpoint":
            verdict.checkpoints += 1
    if number == 0:
        raise NotABundle("the file is empty")
    verdict.records, verdict.notices = len(records), len(notices)
    last = tail[-1]
    if not ended_clean or last[2] is None or last[2]["kind"] != "signature" or len(tail) < 2:
        where = "in the middle of a line" if not ended_clean else "without its signature line"
        verdict.problems.insert(0, f"the bundle is truncated: it ends at line {number} {where}")
        return verdict
    manifest_number, manifest_raw, manifest = tail[0]
    if manifest is None or manifest["kind"] != "manifest":
        verdict.fail(f"line {manifest_number} should be the manifest and is not")
        return verdict
    verdict.manifest = manifest
    if not _signature_holds(manifest_raw, manifest, last[1], last[2], verdict):
        return verdict
    if expect_fingerprint is not None and _norm(expect_fingerprint) != _norm(
        verdict.key_fingerprint or ""
    ):
        verdict.fail(
            f"the bundle is signed by key {verdict.key_fingerprint}, not by the expected "
            f"{expect_fingerprint}"
        )
    expected = manifest.get("sections", {})
    counts = manifest.get("counts", {})
    found = {"notice": len(notices), "checkpoint": verdict.checkpoints, "record": len(records)}
    for kind, count in found.items():
        if counts.get(kind) != count:
            verdict.fail(f"the manifest counts {counts.get(kind)} {kind} lines, found {count}")
    for kind in ("header", "notice", "checkpoint"):
        if digests[kind].hexdigest() != expected.get(kind):
            verdict.fail(f"the {kind} lines were changed, added or removed")
    signed = _signed_digests(manifest)
    if digests["hash"].hexdigest() != expected.get("hash"):
        verdict.fail(
            "the hash lines were changed: the records are compared with the manifest's signed "
            "digests instead"
        )
    if signed is not None:
        # the signed digests decide; the hash lines lend each position its ledger id
        ids = {index: ledger_id for index, ledger_id, _ in hashes}
        hashes = [(i, ids.get(i, "?"), digest) for i, digest in enumerate(signed, start=1)]
    else:
        verdict.fail("the manifest's record digests are malformed")
    _compare_records(records, hashes, verdict)
    if digests["record"].hexdigest() != expected.get("record") and verdict.ok:
        verdict.fail("the record lines were changed")  # caught above as a rule, named there
    _check_ties(records, notices, verdict)
    return verdict


def _signed_digests(manifest: dict[str, Any]) -> list[bytes] | None:
    """The 32-byte record digests the manifest signs, or None when they are malformed."""
    try:
        packed = base64.b64decode(manifest["record_sha256"], validate=True)
    except (KeyError, TypeError, ValueError):
        return None
    if len(packed) % 32:
        return None
    return [packed[i : i + 32] for i in range(0, len(packed), 32)]


def _norm(fp: str) -> str:
    return fp.replace(" ", "").replace(":", "").lower()


def _signature_holds(
    manifest_raw: bytes,
    manifest: dict[str, Any],
    signature_raw: bytes,
    signature: dict[str, Any],
    verdict: ProofVerdict,
) -> bool:
    try:
        public = base64.b64decode(manifest["public_key"], validate=True)
        value = base64.b64decode(signature["value"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(public)
    except (KeyError, TypeError, ValueError):
        verdict.fail("the manifest or the signature line is malformed (public key or value)")
        return False
    verdict.key_fingerprint = fingerprint(public)
    # the one line no hash covers: it must be exactly the line ``write`` makes
    if signature_raw != _line(signature) or signature.get("algorithm") != "Ed25519":
        verdict.fail("the signature line was changed (it is not the Ed25519 line written)")
        return False
    if signature.get("public_key") != manifest["public_key"]:
        verdict.fail("the signature line names another public key than the manifest")
        return False
    try:
        key.verify(value, manifest_raw)
    except InvalidSignature:
        verdict.fail(
            "the manifest's Ed25519 signature does not verify: the manifest or the signature "
            "was changed"
        )
        return False
    return True


def _compare_records(records: list[_Record], hashes: list[_Hash], verdict: ProofVerdict) -> None:
    """Name each record changed, deleted, added or moved, against the signed hash list."""
    signed_at = {digest: i for i, (_, _, digest) in enumerate(hashes)}
    present = {record[1] for record in records}
    missing = [i for i, (_, _, digest) in enumerate(hashes) if digest not in present]
    added = [p for p, record in enumerate(records) if record[1] not in signed_at]
    changed = sorted(set(missing) & set(added))  # one out, one in, at the same place
    for i in changed:
        verdict.fail(
            f"line {records[i][0]}: record {i + 1} (ledger id {hashes[i][1]}) was changed: "
            "its line no longer has the signed SHA-256"
        )
    for i in missing:
        if i not in changed:
            verdict.fail(f"record {i + 1} (ledger id {hashes[i][1]}) is missing: it was deleted")
    for p in added:
        if p not in changed:
            verdict.fail(
                f"line {records[p][0]}: a record (index {records[p][2]}) that the signed list "
                "does not hold was added"
            )
    previous: int | None = None
    for record in records:
        j = signed_at.get(record[1])
        if j is None:
            continue
        if previous is not None and j < previous:
            verdict.fail(
                f"line {record[0]}: record {j + 1} (ledger id {hashes[j][1]}) stands after "
                f"record {previous + 1} (ledger id {hashes[previous][1]}): records were "
                "reordered"
            )
        previous = j


def _check_ties(
    records: list[_Record], notices: list[dict[str, Any]], verdict: ProofVerdict
) -> None:
    """Each record's notice hash must be the SHA-256 of a notice text the bundle holds."""
    known: dict[tuple[str, str], str] = {}
    for notice in notices:
        text = notice.get("text")
        if not isinstance(text, str) or _sha(text.encode("utf-8")) != notice.get("sha256"):
            verdict.fail(
                f"the notice of '{notice.get('activity')}' in '{notice.get('language')}' does "
                "not hash to its SHA-256: its text was changed"
            )
            continue
        known[(str(notice.get("activity")), str(notice["sha256"]))] = str(notice.get("language"))
    untied: list[str] = []
    for number, _digest, index, activity, text_hash, lang in records:
        if activity is None or text_hash is None:
            continue  # a changed record is named by its hash already
        shown = known.get((activity, text_hash))
        if shown is None:
            untied.append(
                f"line {number}: record {index} names a notice text ({text_hash[:12]}…) of "
                f"'{activity}' that the bundle does not hold"
            )
        elif lang is not None and lang != shown:
            verdict.fail(
                f"line {number}: record {index} was shown in '{lang}' but its notice text is "
                f"the '{shown}' one"
            )
    # the controller states, signed, how many records name a text its archive lacks (a
    # version from before the archive): those are noted, any other is a failure
    if len(untied) == verdict.manifest.get("untied", 0):
        verdict.untied = len(untied)
    else:
        for problem in untied:
            verdict.fail(problem)
