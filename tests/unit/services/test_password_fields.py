"""Passwords are taken as typed (NIST SP 800-63B §5.1.1.2): the account commands strip every
other text, never a password; found by the API fuzzing (issue 16 item 1), where a new password
of ten characters with spaces at its ends met the schema's minLength and was refused as too
short once stripped."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from privaat.services.account_commands import AccountClose, LogIn, PasswordChange

TYPED = "  twelve chars "  # 15 characters as typed, 11 without the spaces at its ends


def test_issue16_a_new_password_keeps_the_spaces_at_its_ends() -> None:
    change = PasswordChange.model_validate({"current_password": " old ", "new_password": TYPED})
    assert change.new_password.get_secret_value() == TYPED
    assert change.current_password.get_secret_value() == " old "


def test_issue16_ten_characters_as_typed_are_long_enough_even_with_spaces() -> None:
    ten = "   abcd   "  # the schema's minLength counts these ten characters
    assert len(ten) == 10
    change = PasswordChange.model_validate({"current_password": "x", "new_password": ten})
    assert change.new_password.get_secret_value() == ten


def test_issue16_log_in_and_closing_compare_the_password_as_typed() -> None:
    login = LogIn.model_validate({"email": " jan@example.nl ", "password": TYPED})
    assert login.password.get_secret_value() == TYPED
    assert login.email == "jan@example.nl"  # other text is still stripped
    assert AccountClose.model_validate({"password": TYPED}).password.get_secret_value() == TYPED


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        pytest.param(PasswordChange, {"current_password": "x", "new_password": "short"},
                     "new_password", id="new-too-short"),
        pytest.param(PasswordChange, {"current_password": "x", "new_password": "x" * 1025},
                     "new_password", id="new-too-long"),
        pytest.param(LogIn, {"email": "jan@example.nl", "password": ""}, "password",
                     id="log-in-empty"),
        pytest.param(AccountClose, {"password": 12345678901}, "password", id="not-text"),
    ],
)  # fmt: skip
def test_bad_input_a_password_out_of_bounds_is_refused_by_name(
    model: type[PasswordChange | LogIn | AccountClose], data: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)
    assert [error["loc"][0] for error in refused.value.errors()] == [field]
