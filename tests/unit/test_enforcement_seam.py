"""Issue 4 item 1: a subject's key is opened only by the enforcement seam.

Every read of personal data passes ``SubjectAccess`` (guard + access log). The key store's
methods that hand out a ``SubjectCipher`` are called nowhere else in the source, and no
module builds a cipher or unwraps a key by hand: an unguarded decrypt is caught here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src" / "privaat"
SEAM = "services/subject_access.py"
KEY_STORE = "store/key_store.py"

# attribute calls that hand out a subject's cipher, and where they may appear
RESTRICTED_CALLS = {
    "open_subject_key": {SEAM, KEY_STORE},
    "open_wrapped_subject_key": {SEAM, KEY_STORE},
    "open_hold_key": {SEAM, KEY_STORE},
    "create_subject_key": {SEAM, KEY_STORE},
    "new_subject_key": {KEY_STORE},
    # audit_checkpoints unwraps one system key, bound to the context "system:audit-checkpoint"
    # (a subject's wrapped key never opens under it), to sign the audit chain (L53)
    "unwrap": {KEY_STORE, "store/key_rotation.py", "store/crypto.py", "store/audit_checkpoints.py"},
    "SubjectCipher": {KEY_STORE, "store/crypto.py"},
}


def findings(source: str, module: str) -> list[str]:
    """Every restricted call in ``source`` that ``module`` may not make."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name in RESTRICTED_CALLS and module not in RESTRICTED_CALLS[name]:
            found.append(f"{module}:{node.lineno}: {name}()")
    return found


def modules() -> list[Path]:
    return sorted(SOURCE.rglob("*.py"))


def test_the_source_tree_is_found() -> None:
    assert (SOURCE / SEAM).is_file() and len(modules()) > 30


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SOURCE)))
def test_only_the_seam_opens_a_subjects_key(path: Path) -> None:
    module = path.relative_to(SOURCE).as_posix()
    assert findings(path.read_text(encoding="utf-8"), module) == []


@pytest.mark.parametrize(
    "snippet",
    [
        pytest.param("keys.open_wrapped_subject_key(1, 'p', row.wrapped_key)", id="wrapped"),
        pytest.param("ctx.keys.open_subject_key(connection, 1, 'p')", id="by-id"),
        pytest.param("SubjectCipher(data_key).decrypt('accounts.email', blob)", id="by-hand"),
        pytest.param("master.unwrap(blob, context=b'subject:p')", id="unwrap"),
    ],
)
def test_an_unguarded_decrypt_anywhere_else_is_reported(snippet: str) -> None:
    assert findings(snippet, "services/accounts.py"), snippet
