"""Mail to the privacy mailbox read as a request (issue 11 item 1; LEGAL L54).

Each message below is written out as the bytes a mail client sends: transfer encodings,
encoded headers and quoted replies are the mail's, not a helper's.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from privaat.domain.subject_requests import RequestKind
from privaat.mail.intake import own_words, read_request_mail


def _mail(headers: str, body: bytes) -> bytes:
    return headers.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


def test_L54_a_plain_dutch_mail_asking_for_inzage_is_an_access_request() -> None:
    raw = _mail(
        """
From: Jan de Vries <Jan.de.Vries@example.nl>
To: euprivacy@flexibelt.nl
Subject: Verzoek
Date: Tue, 01 Dec 2026 10:15:00 +0100
Message-ID: <abc@example.nl>
Content-Type: text/plain; charset=utf-8
""",
        b"Beste Flexibelt,\n\nIk wil graag inzage in alle gegevens die u van mij heeft.\n\n"
        b"Met vriendelijke groet,\nJan\n",
    )
    mail = read_request_mail(raw)
    assert mail.sender == "jan.de.vries@example.nl"
    assert mail.sender_name == "Jan de Vries"
    assert mail.message_id == "<abc@example.nl>"
    assert mail.sent_at == datetime(2026, 12, 1, 9, 15, tzinfo=UTC)
    assert mail.classification.kind is RequestKind.ACCESS
    assert "inzage" in mail.classification.evidence


def test_L54_quoted_printable_and_an_rfc2047_subject_are_decoded() -> None:
    raw = _mail(
        """
From: =?utf-8?q?Ren=C3=A9e_Bakker?= <renee@example.nl>
Subject: =?utf-8?q?Verwijder_mijn_gegevens_=E2=80=93_AVG?=
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable
""",
        b"Hierbij verzoek ik u om al mijn gegevens te verwijderen (recht op vergetelheid=\r\n"
        b"). Mijn account is ren=C3=A9e@example.nl.\r\n",
    )
    mail = read_request_mail(raw)
    assert mail.sender_name == "Renée Bakker"
    assert mail.subject == "Verwijder mijn gegevens – AVG"
    assert "recht op vergetelheid). Mijn account is renée@example.nl." in mail.text
    assert mail.classification.kind is RequestKind.ERASURE


def test_L54_an_html_only_base64_mail_is_read_without_its_quoted_reply() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>Hello,</p><p>Please send me a copy of my personal data (article 15 GDPR).</p>"
        '<div class="gmail_quote">On Mon, 30 Nov 2026 Flexibelt wrote:<br>'
        "<blockquote>We will delete inactive accounts.</blockquote></div></body></html>"
    )
    raw = _mail(
        """
From: alice@example.com
Subject: Request
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64
""",
        base64.encodebytes(html.encode()),
    )
    mail = read_request_mail(raw)
    assert mail.text == "Hello,\nPlease send me a copy of my personal data (article 15 GDPR)."
    assert "delete" not in mail.text and "color" not in mail.text
    assert mail.classification.kind is RequestKind.ACCESS


def test_L54_multipart_alternative_prefers_the_plain_text_part() -> None:
    raw = _mail(
        """
From: bob@example.com
Subject: data
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"
""",
        b"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        b"Please export my data in a machine-readable format.\r\n"
        b"--b1\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n"
        b"<p>Please export my data in a <b>machine-readable</b> format.</p>\r\n--b1--\r\n",
    )
    mail = read_request_mail(raw)
    assert mail.text == "Please export my data in a machine-readable format."
    assert mail.classification.kind is RequestKind.PORTABILITY


def test_L54_an_unknown_charset_is_read_not_refused() -> None:
    raw = _mail(
        """
From: carla@example.nl
Subject: bezwaar
Content-Type: text/plain; charset=x-no-such-charset
Content-Transfer-Encoding: 8bit
""",
        "Ik maak bezwaar tegen het gebruik van mijn gegevens voor reclame. Groet, Carla".encode(
            "cp1252"
        ),
    )
    mail = read_request_mail(raw)
    assert mail.text.startswith("Ik maak bezwaar tegen")
    assert mail.classification.kind is RequestKind.OBJECTION


def test_a_windows_1252_mail_that_claims_utf8_keeps_its_accents() -> None:
    raw = _mail(
        "From: d@example.nl\nSubject: x\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit",
        "Mijn naam is verkeerd gespeld: het is Zoë, niet Zoe.".encode("cp1252"),
    )
    assert "Zoë" in read_request_mail(raw).text


def test_a_mail_without_from_has_no_sender_and_does_not_fail() -> None:
    mail = read_request_mail(_mail("Subject: inzage\nContent-Type: text/plain", b"inzage graag"))
    assert mail.sender is None
    assert mail.classification.kind is RequestKind.ACCESS


@pytest.mark.parametrize(
    "from_header",
    [
        pytest.param("undisclosed-recipients:;", id="group"),
        pytest.param("Just A Name", id="bare-name"),
        pytest.param("<<<@@@>>>", id="garbage"),
    ],
)
def test_a_from_header_without_an_address_gives_no_sender(from_header: str) -> None:
    raw = _mail(f"From: {from_header}\nSubject: hi\nContent-Type: text/plain", b"delete my data")
    assert read_request_mail(raw).sender is None


def test_an_empty_mail_is_unclear() -> None:
    mail = read_request_mail(b"From: e@example.com\r\n\r\n")
    assert mail.text == ""
    assert mail.classification.kind is RequestKind.UNCLEAR


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Graag mijn account verwijderen.\n\nOp 30 nov. 2026 om 10:00 schreef Flexibelt "
            "<info@flexibelt.nl>:\n> Wilt u inzage in uw gegevens?\n",
            "Graag mijn account verwijderen.",
            id="dutch-gmail-reply",
        ),
        pytest.param(
            "Delete my data please.\n\nOn Mon, Nov 30, 2026 at 10:00 AM Flexibelt <i@f.nl>\n"
            "wrote:\n> old text\n",
            "Delete my data please.",
            id="english-reply-header-wrapped",
        ),
        pytest.param(
            "Ja, ik wil inzage.\n\nOp di 1 dec. 2026 om 10:00 schreef Flexibelt <\n"
            "euprivacy@flexibelt.nl>:\n\n> Wij hebben uw verzoek tot wissing ontvangen\n",
            "Ja, ik wil inzage.",
            id="dutch-reply-header-wrapped-inside-the-address",
        ),
        pytest.param(
            "Stop met mailen.\n\nVan: Flexibelt <info@flexibelt.nl>\nVerzonden: maandag 30 "
            "november 2026 10:00\nAan: Jan\nOnderwerp: Aanbieding\n\nKies uw inzage...",
            "Stop met mailen.",
            id="outlook-dutch",
        ),
        pytest.param(
            "Correct my address please.\n-----Original Message-----\nFrom: x\n",
            "Correct my address please.",
            id="original-message",
        ),
        pytest.param(
            "Please restrict the processing.\n-- \nBob\nDPO of nothing, delete-me Ltd",
            "Please restrict the processing.",
            id="signature",
        ),
        pytest.param(
            "Inzage graag\n\nVerstuurd vanaf mijn iPhone", "Inzage graag", id="mobile-footer"
        ),
        pytest.param("> quoted only\nmy own line", "my own line", id="inline-quote"),
    ],
)
def test_L54_only_the_persons_own_words_count(text: str, expected: str) -> None:
    assert own_words(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Graag wil ik inzage in mijn gegevens. Met vriendelijke groet", "nl", id="nl"),
        pytest.param("Please send me a copy of my data. Kind regards", "en", id="en"),
        pytest.param("", "nl", id="empty-is-dutch"),
        pytest.param("GDPR art. 15", "nl", id="no-words-is-dutch"),
    ],
)
def test_the_answer_goes_in_the_language_the_mail_was_written_in(text: str, expected: str) -> None:
    from privaat.mail.intake import guess_language

    assert guess_language(text) == expected
