"""The consent proof bundle is self-verifying (issue 14 item 8): a regulator without privaat
checks it with standard tools — OpenSSL for the Ed25519 signature, sha256sum and grep for the
section digests — exactly as docs/consent-proof.md ("By hand") writes the commands."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from privaat.render.consent_proof import Notice, write

TOOLS = ("bash", "openssl", "jq", "sha256sum", "grep", "base64")
# skipped on a developer's machine without them; under CI (CI set) it runs and fails instead,
# as the browser tests do (tests/e2e/conftest.py)
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in TOOLS) and not os.environ.get("CI"),
    reason="needs " + ", ".join(TOOLS),
)
TEXT = "Mag Flexibelt u nieuws mailen?"

# the commands of docs/consent-proof.md, "By hand", for the file in $F
SIGNATURE = r"""
tail -n 2 "$F" | head -n 1 | head -c -1 > manifest.bin
tail -n 1 "$F" | jq -r .value | base64 -d > signature.bin
(printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'
 jq -r .public_key manifest.bin | base64 -d) > key.der
openssl pkeyutl -verify -pubin -inkey key.der -keyform DER -rawin \
  -in manifest.bin -sigfile signature.bin
"""
RECORDS = r"""
grep -E '^\{"index":[0-9]+,"kind":"record",' "$F" | sha256sum | cut -d' ' -f1
jq -r .sections.record manifest.bin
"""


def _bundle(path: Path) -> None:
    records = [
        {
            "ledger_id": i,
            "pii_principal_id": f"{i:032x}",
            "notice": {"language": "nl", "text_hash": {"algorithm": "SHA-256",
                       "value": Notice("newsletter", "nl", 1, TEXT, ()).sha256}},
            "purposes": [{"purpose_id": "newsletter"}],
        }
        for i in (3, 5, 8)
    ]  # fmt: skip
    out = io.BytesIO()
    write(
        out,
        header={"controller": "Flexibelt B.V.", "from": "2026-11-01", "to": "2026-11-30"},
        notices=[Notice("newsletter", "nl", 1, TEXT, ((3, "ab" * 32),))],
        checkpoints=(),
        records=records,
        key=Ed25519PrivateKey.generate(),
    )
    path.write_bytes(out.getvalue())


def _shell(script: str, bundle: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=bundle.parent,
        env={"F": str(bundle), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_l7_openssl_verifies_the_manifest_signature_without_privaat(tmp_path: Path) -> None:
    bundle = tmp_path / "proof.jsonl"
    _bundle(bundle)
    done = _shell(SIGNATURE, bundle)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Signature Verified Successfully"


def test_l7_openssl_refuses_a_manifest_edited_by_one_byte(tmp_path: Path) -> None:
    bundle = tmp_path / "proof.jsonl"
    _bundle(bundle)
    lines = bundle.read_bytes().splitlines()
    lines[-2] = lines[-2].replace(b'"record":3', b'"record":2')
    bundle.write_bytes(b"".join(line + b"\n" for line in lines))
    done = _shell(SIGNATURE, bundle)
    assert done.returncode != 0
    assert "Signature Verification Failure" in done.stdout + done.stderr


def test_l7_sha256sum_gives_the_record_sections_signed_digest(tmp_path: Path) -> None:
    bundle = tmp_path / "proof.jsonl"
    _bundle(bundle)
    assert _shell(SIGNATURE, bundle).returncode == 0
    done = _shell(RECORDS, bundle)
    assert done.returncode == 0, done.stderr
    ours, signed = done.stdout.split()
    assert ours == signed
    manifest = json.loads(bundle.read_bytes().splitlines()[-2])
    assert manifest["counts"]["record"] == 3
