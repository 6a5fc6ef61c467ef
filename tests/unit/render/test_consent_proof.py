"""The consent proof bundle, offline (issue 14 item 8; GDPR art. 7(1), L7): each tampering
with a single record fails and names it; the same inputs give the same bytes."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from privaat.render.consent_proof import (
    FORMAT,
    NotABundle,
    Notice,
    ProofCheckpoint,
    fingerprint,
    verify,
    write,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
NL = "Mag Flexibelt u nieuws mailen?"
EN = "May Flexibelt e-mail you news?"
NL_SHA = hashlib.sha256(NL.encode()).hexdigest()
EN_SHA = hashlib.sha256(EN.encode()).hexdigest()


def _record(ledger_id: int, *, given: bool = True, lang: str | None = "nl") -> dict[str, object]:
    sha = EN_SHA if lang == "en" else NL_SHA
    return {
        "schema_version": "ISO/IEC TS 27560:2023",
        "ledger_id": ledger_id,
        "pii_principal_id": f"p{ledger_id:031d}",
        "notice": {
            "policy_version": 3,
            "consent_version": 1,
            "language": lang,
            "text_hash": {"algorithm": "SHA-256", "value": sha},
        },
        "purposes": [{"purpose_id": "newsletter"}],
        "event": [
            {
                "event_time": f"2026-11-0{ledger_id % 9 + 1}T10:00:00+00:00",
                "event_type": "consent_given" if given else "consent_withdrawn",
            }
        ],
    }


NOTICES = (
    Notice("newsletter", "nl", 1, NL, ((3, "ab" * 32),)),
    Notice("newsletter", "en", 1, EN, ((3, "ab" * 32),)),
)
CHECKPOINTS = (
    ProofCheckpoint(
        41,
        "cd" * 32,
        "2026-11-30T23:00:00.000000+00:00",
        "2026-12-01T02:00:00.000000+00:00",
        "ef" * 32,
    ),
)


def bundle(n: int = 5) -> bytes:
    out = io.BytesIO()
    records = [
        _record(10 + i, given=i % 3 != 2, lang=None if i % 3 == 2 else "nl") for i in range(n)
    ]
    records[1] = _record(11, lang="en")
    write(
        out,
        header={"controller": "Flexibelt B.V.", "from": "2026-11-01", "to": "2026-11-30"},
        notices=NOTICES,
        checkpoints=CHECKPOINTS,
        records=records,
        key=KEY,
        manifest_extra={"as_of": "2026-12-01T00:00:00+00:00"},
    )
    return out.getvalue()


def lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def joined(parts: list[bytes]) -> bytes:
    return b"".join(p + b"\n" for p in parts)


def check(data: bytes) -> list[str]:
    return verify(io.BytesIO(data)).problems


def record_line(parts: list[bytes], index: int) -> int:
    """The position in ``parts`` of record ``index`` (1-based)."""
    for i, part in enumerate(parts):
        obj = json.loads(part)
        if obj["kind"] == "record" and obj["index"] == index:
            return i
    raise AssertionError(index)


def test_an_untouched_bundle_verifies_and_names_its_key_L7() -> None:
    verdict = verify(io.BytesIO(bundle()))
    assert verdict.ok, verdict.problems
    assert (verdict.records, verdict.notices, verdict.checkpoints) == (5, 2, 1)
    public = KEY.public_key().public_bytes_raw()
    assert verdict.key_fingerprint == fingerprint(public)
    assert verdict.key_fingerprint == " ".join(
        hashlib.sha256(public).hexdigest()[i : i + 4] for i in range(0, 64, 4)
    )


def test_the_same_inputs_give_the_same_bytes() -> None:
    assert bundle() == bundle()
    assert hashlib.sha256(bundle()).hexdigest() == hashlib.sha256(bundle()).hexdigest()


def test_the_layout_is_header_notices_checkpoints_records_hashes_manifest_signature() -> None:
    kinds = [json.loads(part)["kind"] for part in lines(bundle(2))]
    assert kinds == [
        "header",
        "notice",
        "notice",
        "checkpoint",
        "record",
        "record",
        "hash",
        "hash",
        "manifest",
        "signature",
    ]
    assert json.loads(lines(bundle(2))[0])["format"] == FORMAT


def _edit_record(parts: list[bytes], index: int, change: object) -> None:
    i = record_line(parts, index)
    obj = json.loads(parts[i])
    obj["record"]["event"][0]["event_type"] = change
    parts[i] = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def test_a_changed_record_fails_and_is_named_by_index_and_ledger_id() -> None:
    parts = lines(bundle())
    _edit_record(parts, 3, "consent_given")
    assert check(joined(parts)) == [
        f"line {record_line(parts, 3) + 1}: record 3 (ledger id 12) was changed: its line no "
        "longer has the signed SHA-256"
    ]


def test_a_changed_record_whose_hash_line_was_rewritten_too_is_still_named() -> None:
    parts = lines(bundle())
    _edit_record(parts, 2, "consent_withdrawn")
    i = record_line(parts, 2)
    hash_at = next(
        k
        for k, p in enumerate(parts)
        if json.loads(p)["kind"] == "hash" and json.loads(p)["index"] == 2
    )
    entry = json.loads(parts[hash_at])
    entry["sha256"] = hashlib.sha256(parts[i]).hexdigest()
    parts[hash_at] = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    # the rewritten hash line matches the record; the digests inside the signed manifest do not
    assert check(joined(parts)) == [
        "the hash lines were changed: the records are compared with the manifest's signed "
        "digests instead",
        f"line {i + 1}: record 2 (ledger id 11) was changed: its line no longer has the signed "
        "SHA-256",
    ]


def test_a_deleted_record_fails_and_is_named() -> None:
    parts = lines(bundle())
    del parts[record_line(parts, 4)]
    problems = check(joined(parts))
    assert "record 4 (ledger id 13) is missing: it was deleted" in problems
    assert "the manifest counts 5 record lines, found 4" in problems


def test_reordered_records_fail_and_are_named() -> None:
    parts = lines(bundle())
    a, b = record_line(parts, 2), record_line(parts, 3)
    parts[a], parts[b] = parts[b], parts[a]
    assert check(joined(parts)) == [
        f"line {b + 1}: record 2 (ledger id 11) stands after record 3 (ledger id 12): "
        "records were reordered"
    ]


def test_an_appended_record_fails_and_is_named() -> None:
    parts = lines(bundle())
    last = record_line(parts, 5)
    extra = json.dumps(
        {"kind": "record", "index": 6, "record": _record(99)}, sort_keys=True, separators=(",", ":")
    ).encode()
    parts.insert(last + 1, extra)
    problems = check(joined(parts))
    assert (
        f"line {last + 2}: a record (index 6) that the signed list does not hold was added"
        in problems
    )
    assert "the manifest counts 5 record lines, found 6" in problems


@pytest.mark.parametrize("cut", [1, 200, 2000], ids=["last-byte", "mid-signature", "mid-records"])
def test_a_truncated_bundle_fails_with_a_clear_message(cut: int) -> None:
    data = bundle()
    problems = check(data[:-cut])
    assert problems[0].startswith("the bundle is truncated: it ends at line ")


def test_a_bundle_cut_at_a_line_boundary_is_truncated_too() -> None:
    parts = lines(bundle())
    problems = check(joined(parts[:-1]))
    assert problems[0] == (
        f"the bundle is truncated: it ends at line {len(parts) - 1} without its signature line"
    )


def test_every_single_byte_flipped_fails() -> None:
    data = bundle(3)
    for at in range(len(data)):
        flipped = bytearray(data)
        flipped[at] ^= 0x01
        try:
            verdict = verify(io.BytesIO(bytes(flipped)))
        except NotABundle:
            assert at <= data.index(b"\n"), at  # only a header byte makes it no bundle
            continue
        assert not verdict.ok, at


def test_a_byte_flipped_in_a_record_names_the_record() -> None:
    parts = lines(bundle())
    i = record_line(parts, 5)
    parts[i] = parts[i].replace(b"2026-11-0", b"2026-11-1", 1)
    named = f"line {i + 1}: record 5 (ledger id 14) was changed: its line no longer has the "
    assert named + "signed SHA-256" in check(joined(parts))


def test_a_changed_notice_text_fails_naming_the_notice() -> None:
    parts = lines(bundle())
    parts[1] = parts[1].replace(b"news", b"nieuws", 1)
    problems = check(joined(parts))
    assert "the notice lines were changed, added or removed" in problems


def test_a_changed_manifest_fails_the_signature() -> None:
    parts = lines(bundle())
    parts[-2] = parts[-2].replace(b'"record":5', b'"record":4')
    assert check(joined(parts)) == [
        "the manifest's Ed25519 signature does not verify: the manifest or the signature was "
        "changed"
    ]


def test_a_bundle_signed_by_another_key_than_expected_fails() -> None:
    verdict = verify(io.BytesIO(bundle()), expect_fingerprint="0000 1111")
    assert verdict.problems[0].startswith("the bundle is signed by key ")


@pytest.mark.parametrize(
    "data",
    [b"", b"PK\x03\x04not json\n", b'{"kind":"record"}\n'],
    ids=["empty", "zip", "no-header"],
)
def test_a_file_that_is_no_bundle_is_refused(data: bytes) -> None:
    with pytest.raises(NotABundle):
        verify(io.BytesIO(data))


def _bundle_of(records: list[dict[str, object]], **extra: object) -> bytes:
    out = io.BytesIO()
    write(
        out,
        header={"controller": "Flexibelt B.V.", "from": "2026-11-01", "to": "2026-11-30"},
        notices=NOTICES[:1],  # the Dutch text only
        checkpoints=(),
        records=records,
        key=KEY,
        manifest_extra=extra,
    )
    return out.getvalue()


def test_an_empty_range_gives_a_bundle_that_verifies() -> None:
    verdict = verify(io.BytesIO(_bundle_of([])))
    assert verdict.ok, verdict.problems
    assert verdict.records == 0 and verdict.manifest["first_ledger_id"] is None


def test_a_record_whose_notice_is_not_held_fails_unless_the_manifest_states_it_L86() -> None:
    english = [_record(1), _record(2, lang="en")]  # the English text is not in the bundle
    parts = lines(_bundle_of(english, untied=0))
    assert check(joined(parts)) == [
        f"line {record_line(parts, 2) + 1}: record 2 names a notice text ({EN_SHA[:12]}…) of "
        "'newsletter' that the bundle does not hold"
    ]
    stated = verify(io.BytesIO(_bundle_of(english, untied=1)))
    assert stated.ok and stated.untied == 1
