"""A recipient's ``notify`` block (issue 14 item 2, LEGAL L11): how a processor is told of
consent changes, validated when the policy is read."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from privaat.policy.loader import load_policy_file
from privaat.policy.schema import RecipientNotify, RecipientRole
from privaat.policy.validate import check_policy
from privaat.settings import default_policy_file

SETTING = "PRIVAAT_EMAIL_SERVICE_WEBHOOK_SECRET"


def test_l11_flexibelt_tells_its_mail_service_by_webhook_with_the_address() -> None:
    policy = load_policy_file(default_policy_file())
    notify = policy.recipient("email_service").notify
    assert notify is not None and notify.webhook is not None
    assert notify.webhook.url == "https://hooks.e-maildienst.example/privaat/v1/events"
    assert notify.webhook.secret_setting == SETTING  # the name of the secret, never the secret
    assert notify.include_address is True  # it must stop mailing the address (L11)
    assert notify.email is None
    # Google Analytics (website visitors, no account) has no block: not told by the engine
    assert policy.recipient("google_analytics").notify is None


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(
            {"webhook": {"url": "https://x.example/h", "secret_setting": SETTING}}, id="https"
        ),
        pytest.param(
            {"webhook": {"url": "http://127.0.0.1:8025/h", "secret_setting": SETTING}},
            id="loopback",
        ),
        pytest.param(
            {"webhook": {"url": "http://[::1]:8025/h", "secret_setting": SETTING}},
            id="ipv6-loopback",
        ),
        pytest.param({"email": "changes@processor.example", "language": "en"}, id="email"),
    ],
)
def test_l11_a_valid_block_is_accepted(block: dict[str, Any]) -> None:
    RecipientNotify.model_validate(block)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        pytest.param({}, "exactly one of webhook and email", id="neither"),
        pytest.param(
            {
                "webhook": {"url": "https://x.example/h", "secret_setting": SETTING},
                "email": "a@b.example",
            },
            "exactly one of webhook and email",
            id="both",
        ),
        pytest.param(
            {"webhook": {"url": "http://processor.example/h", "secret_setting": SETTING}},
            "must be https",
            id="plain-http-elsewhere",
        ),
        pytest.param(
            {"webhook": {"url": "ftp://processor.example/h", "secret_setting": SETTING}},
            "must be https",
            id="other-scheme",
        ),
        pytest.param(
            {"webhook": {"url": "https://u:p@x.example/h", "secret_setting": SETTING}},
            "no user name",
            id="credentials-in-url",
        ),
        pytest.param(
            {"webhook": {"url": "https://x.example/h", "secret_setting": "the secret itself"}},
            "secret_setting",
            id="secret-not-a-variable-name",
        ),
        pytest.param({"email": "no-at-sign"}, "must be an e-mail address", id="bad-address"),
        pytest.param({"email": "a@b.example", "language": "de"}, "language", id="bad-language"),
        pytest.param({"email": "a@b.example", "include_addres": True}, "include_addres", id="typo"),
    ],
)
def test_l11_a_bad_block_is_refused_naming_the_problem(block: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RecipientNotify.model_validate(block)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        pytest.param(RecipientRole.PROCESSOR, [], id="processor"),
        pytest.param(
            RecipientRole.CONTROLLER,
            ["notify on a controller: only processors are told of consent changes (L11)"],
            id="independent-controller",
        ),
    ],
)
def test_l11_the_policy_check_allows_notify_on_processors_only(
    role: RecipientRole, expected: list[str]
) -> None:
    from tests.unit.policy.test_policy_validate import at, with_recipient

    notify = RecipientNotify(email="changes@processor.example")
    findings = check_policy(
        with_recipient(role=role, notify=notify, country="NL", safeguard="eea", agreement="x")
    )
    assert at(findings, "recipients", 0, "notify") == expected
