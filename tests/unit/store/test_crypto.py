"""The encryption module alone: master key wrapping, per-subject field ciphers, blind indexes."""

from __future__ import annotations

import base64

import pytest

from privaat.store import crypto
from privaat.store.crypto import (
    BlindIndex,
    DecryptionError,
    InvalidKeyMaterial,
    KeyUnwrapError,
    MasterKey,
    SubjectCipher,
    new_data_key,
)

EMAIL_FIELD = "accounts.email"


def test_public_api_names_exist() -> None:
    assert all(hasattr(crypto, name) for name in crypto.__all__)


# --- master key ----------------------------------------------------------------------------


def test_master_key_survives_its_base64_text_form() -> None:
    key = MasterKey.generate()
    again = MasterKey.from_base64(key.to_base64())
    assert again.id == key.id
    assert len(base64.b64decode(key.to_base64())) == 32


def test_master_key_text_form_ignores_surrounding_whitespace_and_newline() -> None:
    key = MasterKey.generate()
    assert MasterKey.from_base64(f"  {key.to_base64()}\n").id == key.id


def test_master_key_id_is_16_hex_chars_and_differs_per_key() -> None:
    first, second = MasterKey.generate(), MasterKey.generate()
    assert len(first.id) == 16 and int(first.id, 16) >= 0
    assert first.id != second.id
    assert MasterKey(b"\x01" * 32).id == MasterKey(b"\x01" * 32).id


def test_master_key_id_is_not_a_plain_hash_prefix_of_the_key() -> None:
    import hashlib

    raw = b"\x02" * 32
    assert MasterKey(raw).id != hashlib.sha256(raw).hexdigest()[:16]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   \n", "empty", id="whitespace-only"),
        pytest.param("this is not base64!", "not valid base64", id="not-base64"),
        pytest.param(base64.b64encode(b"k" * 16).decode(), "32 bytes, got 16", id="16-bytes"),
        pytest.param(base64.b64encode(b"k" * 33).decode(), "32 bytes, got 33", id="33-bytes"),
    ],
)
def test_l76_bad_master_key_text_gives_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(InvalidKeyMaterial, match=message):
        MasterKey.from_base64(text)


def test_bad_master_key_error_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        MasterKey(b"short")


def test_master_key_repr_does_not_show_the_key() -> None:
    key = MasterKey.generate()
    assert key.to_base64() not in repr(key)
    assert key.id in repr(key)


def test_l76_wrapped_data_key_unwraps_for_its_own_context() -> None:
    master, data_key = MasterKey.generate(), new_data_key()
    wrapped = master.wrap(data_key, context=b"subject:alice")
    assert data_key not in wrapped
    assert master.unwrap(wrapped, context=b"subject:alice") == data_key


def test_l76_wrapped_key_moved_to_another_subject_does_not_unwrap() -> None:
    master = MasterKey.generate()
    wrapped = master.wrap(new_data_key(), context=b"subject:alice")
    with pytest.raises(KeyUnwrapError, match=master.id):
        master.unwrap(wrapped, context=b"subject:bob")


def test_wrapped_key_does_not_unwrap_under_another_master_key() -> None:
    wrapped = MasterKey.generate().wrap(new_data_key(), context=b"subject:alice")
    with pytest.raises(KeyUnwrapError):
        MasterKey.generate().unwrap(wrapped, context=b"subject:alice")


@pytest.mark.parametrize("position", [0, 1, 12, 13, 44, 60], ids=lambda p: f"byte-{p}")
def test_tampered_wrapped_key_does_not_unwrap(position: int) -> None:
    master = MasterKey.generate()
    wrapped = bytearray(master.wrap(new_data_key(), context=b"c"))
    wrapped[position] ^= 0x01
    with pytest.raises(KeyUnwrapError):
        master.unwrap(bytes(wrapped), context=b"c")


def test_truncated_wrapped_key_gives_a_typed_error() -> None:
    master = MasterKey.generate()
    wrapped = master.wrap(new_data_key(), context=b"c")
    with pytest.raises(KeyUnwrapError, match="60 bytes"):
        master.unwrap(wrapped[:-1], context=b"c")


def test_wrapping_the_same_key_twice_gives_different_bytes() -> None:
    master, data_key = MasterKey.generate(), new_data_key()
    assert master.wrap(data_key, context=b"c") != master.wrap(data_key, context=b"c")


def test_wrap_refuses_a_data_key_of_the_wrong_length() -> None:
    with pytest.raises(InvalidKeyMaterial, match="data key must be 32 bytes"):
        MasterKey.generate().wrap(b"x" * 16, context=b"c")


# --- subject cipher ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("jan.jansen@example.nl", id="ascii"),
        pytest.param("Zoë Ĳsselmeer-Çelik 🚲", id="unicode"),
        pytest.param("", id="empty"),
        pytest.param("x" * 10_000, id="long"),
    ],
)
def test_l76_field_round_trips(value: str) -> None:
    cipher = SubjectCipher(new_data_key())
    blob = cipher.encrypt(EMAIL_FIELD, value)
    assert cipher.decrypt(EMAIL_FIELD, blob) == value


def test_l76_ciphertext_holds_no_clear_text_and_has_the_documented_format() -> None:
    cipher = SubjectCipher(new_data_key())
    value = "jan.jansen@example.nl"
    blob = cipher.encrypt(EMAIL_FIELD, value)
    assert value.encode() not in blob
    assert blob[0] == 1
    assert len(blob) == 1 + 12 + len(value) + 16


def test_each_encryption_uses_a_fresh_nonce() -> None:
    cipher = SubjectCipher(new_data_key())
    first, second = (cipher.encrypt(EMAIL_FIELD, "same") for _ in range(2))
    assert first[1:13] != second[1:13]
    assert first != second


def test_l76_ciphertext_copied_into_another_column_does_not_decrypt() -> None:
    cipher = SubjectCipher(new_data_key())
    blob = cipher.encrypt("accounts.email", "jan.jansen@example.nl")
    with pytest.raises(DecryptionError, match="accounts.name"):
        cipher.decrypt("accounts.name", blob)


def test_l64_ciphertext_does_not_decrypt_under_another_subjects_key() -> None:
    blob = SubjectCipher(new_data_key()).encrypt(EMAIL_FIELD, "jan.jansen@example.nl")
    with pytest.raises(DecryptionError):
        SubjectCipher(new_data_key()).decrypt(EMAIL_FIELD, blob)


@pytest.mark.parametrize(
    "position",
    [
        pytest.param(0, id="version"),
        pytest.param(5, id="nonce"),
        pytest.param(14, id="ciphertext"),
        pytest.param(-1, id="tag"),
    ],
)
def test_tampered_field_ciphertext_is_detected(position: int) -> None:
    cipher = SubjectCipher(new_data_key())
    blob = bytearray(cipher.encrypt(EMAIL_FIELD, "jan.jansen@example.nl"))
    blob[position] ^= 0x80
    with pytest.raises(DecryptionError):
        cipher.decrypt(EMAIL_FIELD, bytes(blob))


@pytest.mark.parametrize(
    "blob",
    [pytest.param(b"", id="empty"), pytest.param(b"\x01" + b"\x00" * 27, id="shorter-than-tag")],
)
def test_malformed_field_ciphertext_gives_a_typed_error(blob: bytes) -> None:
    with pytest.raises(DecryptionError, match="not a ciphertext"):
        SubjectCipher(new_data_key()).decrypt(EMAIL_FIELD, blob)


def test_bytes_round_trip_and_stay_bound_to_their_field() -> None:
    cipher = SubjectCipher(new_data_key())
    blob = cipher.encrypt_bytes("outbox.message", b"\x00\xffbinary")
    assert cipher.decrypt_bytes("outbox.message", blob) == b"\x00\xffbinary"
    with pytest.raises(DecryptionError):
        cipher.decrypt_bytes("preferences.document", blob)


def test_text_and_bytes_variants_read_each_others_ciphertexts() -> None:
    cipher = SubjectCipher(new_data_key())
    assert cipher.decrypt_bytes("f", cipher.encrypt("f", "Zoë")) == "Zoë".encode()
    assert cipher.decrypt("f", cipher.encrypt_bytes("f", "Zoë".encode())) == "Zoë"


def test_optional_variants_pass_none_through_and_encrypt_values() -> None:
    cipher = SubjectCipher(new_data_key())
    assert cipher.encrypt_optional("accounts.phone", None) is None
    assert cipher.decrypt_optional("accounts.phone", None) is None
    blob = cipher.encrypt_optional("accounts.phone", "+31612345678")
    assert blob is not None
    assert cipher.decrypt_optional("accounts.phone", blob) == "+31612345678"


def test_subject_cipher_refuses_a_key_of_the_wrong_length() -> None:
    with pytest.raises(InvalidKeyMaterial, match="got 31"):
        SubjectCipher(b"k" * 31)


# --- blind index ---------------------------------------------------------------------------


def test_p2_email_blind_index_is_stable_for_one_index_key() -> None:
    key = new_data_key()
    assert BlindIndex(key).email("jan@example.nl") == BlindIndex(key).email("jan@example.nl")
    assert len(BlindIndex(key).email("jan@example.nl")) == 32


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param("Jan@Example.NL", id="mixed-case"),
        pytest.param("JAN@EXAMPLE.NL", id="upper-case"),
        pytest.param("  jan@example.nl\n", id="surrounding-whitespace"),
    ],
)
def test_p2_email_blind_index_is_the_same_for_any_case_and_whitespace(spelling: str) -> None:
    index = BlindIndex(new_data_key())
    assert index.email(spelling) == index.email("jan@example.nl")


def test_p2_different_addresses_have_different_blind_indexes() -> None:
    index = BlindIndex(new_data_key())
    assert index.email("jan@example.nl") != index.email("jan2@example.nl")


def test_blind_index_differs_under_another_index_key() -> None:
    address = "jan@example.nl"
    assert BlindIndex(new_data_key()).email(address) != BlindIndex(new_data_key()).email(address)


def test_blind_index_is_not_an_unkeyed_hash_of_the_address() -> None:
    import hashlib

    index = BlindIndex(new_data_key())
    assert index.email("jan@example.nl") != hashlib.sha256(b"jan@example.nl").digest()


def test_l23_keyed_hashes_are_separated_per_kind() -> None:
    index = BlindIndex(new_data_key())
    text = "145.97.0.1"
    hashes = {index.value("ip", text), index.value("device", text), index.email(text)}
    assert len(hashes) == 3


def test_keyed_hash_of_a_kind_is_stable_and_keyed() -> None:
    key = new_data_key()
    assert BlindIndex(key).value("ip", "145.97.0.1") == BlindIndex(key).value("ip", "145.97.0.1")
    assert BlindIndex(key).value("ip", "145.97.0.1") != BlindIndex(key).value("ip", "145.97.0.2")


@pytest.mark.parametrize(
    "kind",
    [pytest.param("", id="empty"), pytest.param("IP", id="upper"), pytest.param("a b", id="space")],
)
def test_blind_index_kind_must_be_a_plain_lower_case_name(kind: str) -> None:
    with pytest.raises(ValueError, match="blind-index kind"):
        BlindIndex(new_data_key()).value(kind, "x")


def test_keys_never_appear_in_reprs() -> None:
    key = new_data_key()
    for thing in (SubjectCipher(key), BlindIndex(key)):
        assert key.hex() not in repr(thing) and str(key) not in repr(thing)
