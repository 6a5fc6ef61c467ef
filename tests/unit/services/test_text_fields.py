"""The one text rule (issue 7 item 7): NFC, no controls or bidi overrides, something visible,
and never a payment card number (P8, LEGAL L31)."""

from __future__ import annotations

import types
import unicodedata
from typing import Annotated, Union, get_args, get_origin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from privaat.services import account_commands, contact_fields, text_fields
from privaat.services.text_fields import (
    MESSAGES,
    MultiLine,
    Refusal,
    SingleLine,
    TextRefused,
    check_text,
)

VISA = "4111 1111 1111 1111"  # the test card numbers the card schemes publish
REFUSED_ANYWHERE = [
    pytest.param("Jan\x00Jansen", Refusal.NUL, id="nul"),
    pytest.param("Jan \x1b[2J", Refusal.ESCAPE, id="ansi-escape"),
    pytest.param("Jan \x9b2J", Refusal.ESCAPE, id="c1-csi"),
    pytest.param("Jan\x07", Refusal.CONTROL, id="bell"),
    pytest.param("Jan\x7f", Refusal.CONTROL, id="delete"),
    pytest.param("Jan\x90Jansen", Refusal.CONTROL, id="c1-device-control-string"),
    *(
        pytest.param(f"invoice{chr(code)}gpj.exe", Refusal.BIDI, id=f"bidi-u+{code:04x}")
        for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
    ),
    pytest.param("Jan\ud800", Refusal.SURROGATE, id="lone-surrogate"),
    pytest.param("\u200b\u200b\u200b", Refusal.INVISIBLE, id="three-zero-width-spaces"),
    pytest.param("\u3164", Refusal.INVISIBLE, id="hangul-filler"),
    pytest.param("\u2800\u2800", Refusal.INVISIBLE, id="braille-blank"),
    pytest.param("\u00ad\ufeff\u2060", Refusal.INVISIBLE, id="soft-hyphen-bom-word-joiner"),
    pytest.param("\u0301\u0308", Refusal.INVISIBLE, id="marks-on-nothing"),
    pytest.param("   ", Refusal.INVISIBLE, id="only-spaces"),
    pytest.param("", Refusal.INVISIBLE, id="empty"),
]
CARD_NUMBERS = [
    pytest.param("4111111111111111", id="visa-compact"),
    pytest.param(VISA, id="visa-spaces"),
    pytest.param("4111-1111-1111-1111", id="visa-dashes"),
    pytest.param("4111 1111-1111 1111", id="mixed-separators"),
    pytest.param("4111\u00a01111\u00a01111\u00a01111", id="no-break-spaces"),
    pytest.param("4111\u20131111\u20131111\u20131111", id="en-dashes"),
    pytest.param("3782 822463 10005", id="amex-15-digits"),
    pytest.param("4222222222222", id="visa-13-digits"),
    pytest.param("6011 0009 9013 9424", id="discover"),
    pytest.param("5555 5555 5555 4444 ", id="mastercard"),
    pytest.param("6250 9410 0652 8599 008", id="unionpay-19-digits"),
    pytest.param("\uff14" + "\uff11" * 15, id="fullwidth-digits"),
    pytest.param(f"Please charge {VISA}, exp 12/27.", id="inside-a-sentence"),
    pytest.param(f"card:{VISA}", id="after-punctuation"),
]
STILL_ACCEPTED = [
    pytest.param("NL91 ABNA 0417 1643 00", id="iban-nl"),
    # a valid IBAN whose 14 digits pass the Luhn check: glued to its country code, no card
    pytest.param("BE89 0539 0075 5185", id="iban-be-luhn-valid-digits"),
    pytest.param("BE89053900755185", id="iban-be-compact"),
    pytest.param("DE89 3704 0044 0532 0130 00", id="iban-de"),
    pytest.param("NL004495445B01", id="vat-number"),
    pytest.param("+31612345678", id="phone-e164"),
    pytest.param("0612345678", id="phone-national"),
    pytest.param("+31 6 1234 5678", id="phone-spaced"),
    pytest.param("Bestelling 2024-000123", id="order-number"),
    pytest.param("Order 100200300", id="order-number-9-digits"),
    pytest.param("4111 1111 1111 1112", id="luhn-invalid-16-digits"),
    pytest.param("411111111117", id="luhn-valid-12-digits"),
    pytest.param("4111  1111  1111  1111", id="groups-apart-by-two-spaces"),
    pytest.param("41111111111111111115", id="luhn-valid-20-digits"),
    pytest.param("Dorpsstraat 1-3", id="house-number-range"),
]


def test_item7_the_api_of_the_rule_is_explicit() -> None:
    assert sorted(text_fields.__all__) == sorted(
        [
            "MESSAGES",
            "MultiLine",
            "Refusal",
            "SingleLine",
            "TextRefused",
            "check_text",
            "has_card_number",
        ]
    )
    assert set(MESSAGES) == set(Refusal)


@pytest.mark.parametrize("multiline", [False, True], ids=["single-line", "multi-line"])
@pytest.mark.parametrize(("text", "reason"), REFUSED_ANYWHERE)
def test_item7_refused_in_every_text_field(text: str, reason: Refusal, multiline: bool) -> None:
    with pytest.raises(TextRefused) as refused:
        check_text(text, multiline=multiline)

    assert refused.value.reason is reason
    assert str(refused.value) == MESSAGES[reason]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a\r\nBcc: x@evil.example", id="crlf-header-injection"),
        pytest.param("Jan\nJansen", id="lf"),
        pytest.param("Jan\rJansen", id="cr"),
        pytest.param("Jan\u2028Jansen", id="line-separator"),
        pytest.param("Jan\u2029Jansen", id="paragraph-separator"),
        pytest.param("Jan\x0bJansen", id="vertical-tab"),
        pytest.param("Jan\x0cJansen", id="form-feed"),
        pytest.param("Jan\x85Jansen", id="c1-next-line"),
    ],
)
def test_item7_a_line_break_is_refused_in_a_single_line_field(text: str) -> None:
    with pytest.raises(TextRefused) as refused:
        check_text(text, multiline=False)

    assert refused.value.reason is Refusal.LINE_BREAK


def test_item7_a_tab_is_a_control_character_in_a_single_line_but_text_in_many() -> None:
    with pytest.raises(TextRefused) as refused:
        check_text("Jan\tJansen", multiline=False)

    assert refused.value.reason is Refusal.CONTROL
    assert check_text("item\t2\nitem\t3", multiline=True) == "item\t2\nitem\t3"


def test_item7_multi_line_text_keeps_its_lines_with_one_kind_of_line_end() -> None:
    typed = " Dear team,\r\nline two\rline three\u2028line four\n\n"

    assert check_text(typed, multiline=True) == "Dear team,\nline two\nline three\nline four"


def test_item7_text_is_nfc_normalised_and_trimmed() -> None:
    decomposed = unicodedata.normalize("NFD", "  Zoë Müller-Šimić ")

    assert check_text(decomposed, multiline=False) == "Zoë Müller-Šimić"
    assert unicodedata.is_normalized("NFC", check_text(decomposed, multiline=False))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Jan Jansen", id="latin"),
        pytest.param("محمد", id="arabic"),
        pytest.param("\u200fמשה\u200f", id="hebrew-with-rtl-marks"),
        pytest.param("میرزا\u200cعلی", id="persian-zero-width-non-joiner"),
        pytest.param("👩\u200d💻", id="emoji-zero-width-joiner-sequence"),
        pytest.param("O'Brien-Smith, jr.", id="punctuation"),
        pytest.param("☃", id="a-symbol-alone"),
    ],
)
def test_item7_real_names_in_any_script_pass_unchanged(text: str) -> None:
    assert check_text(text, multiline=False) == text


@pytest.mark.parametrize("multiline", [False, True], ids=["single-line", "multi-line"])
@pytest.mark.parametrize("text", CARD_NUMBERS)
def test_l31_a_card_number_is_refused_without_repeating_it(text: str, multiline: bool) -> None:
    with pytest.raises(TextRefused) as refused:
        check_text(text, multiline=multiline)

    assert refused.value.reason is Refusal.CARD_NUMBER
    assert not any(char.isdigit() for char in str(refused.value))


def test_l31_a_card_number_on_a_line_of_its_own_is_refused_in_multi_line_text() -> None:
    with pytest.raises(TextRefused) as refused:
        check_text(f"Hello,\n{VISA}\nthanks", multiline=True)

    assert refused.value.reason is Refusal.CARD_NUMBER


@pytest.mark.parametrize("text", STILL_ACCEPTED)
def test_l31_ibans_vat_phone_and_order_numbers_still_pass(text: str) -> None:
    assert check_text(text, multiline=False) == text.strip()


@settings(max_examples=500, derandomize=True, database=None)
@given(text=st.text(), multiline=st.booleans())
def test_item7_what_the_rule_accepts_it_accepts_again_unchanged(text: str, multiline: bool) -> None:
    try:
        accepted = check_text(text, multiline=multiline)
    except TextRefused:
        return

    assert check_text(accepted, multiline=multiline) == accepted
    assert unicodedata.is_normalized("NFC", accepted) and accepted == accepted.strip()
    assert accepted.encode("utf-8")  # storable: no lone surrogate
    assert multiline or "\n" not in accepted


class _Form(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    line: Annotated[str, Field(max_length=40), SingleLine] | None = None
    text: Annotated[str, Field(max_length=40), MultiLine] | None = None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a\r\nb", id="line-break"),
        pytest.param("\u200b", id="invisible"),
        pytest.param(VISA, id="card-number"),
        pytest.param("Jan\u202e", id="bidi"),
    ],
)
def test_item7_the_pydantic_validator_gives_the_functions_sentence_and_not_the_value(
    text: str,
) -> None:
    with pytest.raises(TextRefused) as expected:
        check_text(text, multiline=False)
    with pytest.raises(ValidationError) as error:
        _Form(line=text)

    (detail,) = error.value.errors(include_input=False, include_url=False)
    assert detail["msg"] == str(expected.value)
    assert detail["type"] == f"text_{expected.value.reason}"
    assert text not in error.value.json(include_input=False)


def test_item7_the_validators_return_what_the_function_returns() -> None:
    form = _Form(line=unicodedata.normalize("NFD", "Zoë"), text="one\r\ntwo")

    assert form.line == check_text(unicodedata.normalize("NFD", "Zoë"), multiline=False)
    assert form.text == "one\ntwo"


def test_item7_the_length_is_checked_before_the_rule_with_pydantics_own_message() -> None:
    with pytest.raises(ValidationError) as error:
        _Form(line="\u200b" * 41)

    (detail,) = error.value.errors()
    assert detail["type"] == "string_too_long"


# the account fields that are not free text: each has its own well-kept validator
_STRUCTURED = {
    contact_fields.normalise_email,
    contact_fields.normalise_phone,
    contact_fields.normalise_postal_code,
    contact_fields.normalise_vat_number,
}


def _text_validators(annotation: object, metadata: list[object]) -> list[object] | None:
    """The metadata of the ``str`` inside an annotation, or None when it holds no ``str``.

    pydantic moves the metadata of a required field to ``FieldInfo.metadata``; an optional
    one keeps it inside its ``Annotated`` member of the union.
    """
    if annotation is str:
        return metadata
    if get_origin(annotation) in (Union, types.UnionType):
        found = [_text_validators(arg, []) for arg in get_args(annotation)]
        return next((meta for meta in found if meta is not None), None)
    if get_origin(annotation) is Annotated:
        base, *inner = get_args(annotation)
        return inner if base is str else None
    return None


@pytest.mark.parametrize(
    "model",
    [account_commands.AccountCreate, account_commands.AccountUpdate],
    ids=lambda m: m.__name__,
)
def test_item7_every_free_text_field_of_the_account_commands_has_the_rule(
    model: type[BaseModel],
) -> None:
    unguarded = []
    for name, field in model.model_fields.items():
        metadata = _text_validators(field.annotation, field.metadata)
        if metadata is None:
            continue
        structured = any(
            isinstance(meta, AfterValidator) and meta.func in _STRUCTURED for meta in metadata
        )
        if not structured and SingleLine not in metadata and MultiLine not in metadata:
            unguarded.append(name)

    assert unguarded == []
    name = model.model_fields["name"]
    assert SingleLine in (_text_validators(name.annotation, name.metadata) or [])
