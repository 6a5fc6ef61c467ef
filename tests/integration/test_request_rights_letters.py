"""Every letter a request's handling sends its requester names the Autoriteit Persoonsgegevens
and how to complain, in the requester's language (issue 11 item 9; GDPR art. 12(4), 77).

The letters are made the way they are in use: each step run through the services on a real
database, then every message of the outbox opened through the seam and read."""

from __future__ import annotations

import pytest
from tests.factories import Customer, customer
from tests.integration.test_request_rights_rectification import OFFICER

from privaat.bootstrap import Context
from privaat.domain.subject_requests import Action, RequestKind
from privaat.services.subject_requests import RequestChannel

AUTHORITY = "Autoriteit Persoonsgegevens"
COMPLAINT_URL = "https://autoriteitpersoonsgegevens.nl/een-tip-of-klacht-indienen-bij-de-ap"
# the sentence of the complaint in each language (mail.request_letters.complaint)
COMPLAIN = {"nl": "een klacht indienen bij de", "en": "you may complain to the"}
ANSWERS = {
    "request_rectified",
    "request_extended",
    "request_refused",
    "request_restricted",
    "request_restriction_lifting",
    "request_objection_upheld",
    "objection_overridden",
    "request_erased",
}


def _filed(context: Context, lang: str, kind: RequestKind) -> tuple[Customer, str]:
    person = customer(context, language=lang)
    with context.unit_of_work() as uow:
        row, _ = context.requests.file_for(uow, person.principal, kind, channel=RequestChannel.WEB)
        context.requests.act(uow, OFFICER, row.reference, Action.START)
    return person, row.reference


def _every_answer(context: Context, lang: str) -> None:
    with context.unit_of_work() as uow:
        _p, ref = _filed(context, lang, RequestKind.RECTIFICATION)
        context.rights.rectify(uow, OFFICER, ref, {"city": "Zoetermeer"})
        _p, ref = _filed(context, lang, RequestKind.ACCESS)
        context.requests.act(uow, OFFICER, ref, Action.EXTEND, reason="Many files.", months=1)
        context.requests.act(uow, OFFICER, ref, Action.REFUSE, reason="Manifestly excessive.")
        _p, ref = _filed(context, lang, RequestKind.RESTRICTION)
        context.rights.restrict(uow, OFFICER, ref)
        context.rights.lift(uow, OFFICER, ref)
        _p, ref = _filed(context, lang, RequestKind.OBJECTION)
        context.rights.object(uow, OFFICER, ref, activity="support_linking")
        context.rights.uphold(uow, OFFICER, ref)
        _p, ref = _filed(context, lang, RequestKind.OBJECTION)
        context.rights.object(uow, OFFICER, ref, activity="support_linking")
        context.rights.grounds(
            uow, OFFICER, ref, activity="support_linking", reason="An open fraud case."
        )
        _p, ref = _filed(context, lang, RequestKind.ERASURE)
        context.rights.erase(uow, OFFICER, ref)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_item_9_every_answer_names_the_authority_and_how_to_complain(
    context: Context, lang: str
) -> None:
    _every_answer(context, lang)
    seen = set()
    for _id, template, mail in context.outbox.pending():
        if template not in ANSWERS:
            continue
        seen.add(template)
        assert AUTHORITY in mail.body, template
        assert COMPLAINT_URL in mail.body, template
        assert COMPLAIN[lang] in mail.body or template == "objection_overridden", template
    assert seen == ANSWERS  # every kind of answer was made, and read


@pytest.mark.parametrize(
    ("lang", "words"),
    [("nl", "Graag inzage in mijn gegevens."), ("en", "Please send me a copy of my data.")],
)
def test_item_9_the_acknowledgement_names_the_authority(
    context: Context, lang: str, words: str
) -> None:
    # a mail to the privacy mailbox is acknowledged in the language it was written in
    raw = f"From: iemand@example.nl\r\nSubject: AVG\r\nContent-Type: text/plain\r\n\r\n{words}\r\n"
    with context.unit_of_work() as uow:
        context.requests.receive_mail(uow, raw.encode())
    [ack] = [m for _i, t, m in context.outbox.pending() if t == "request_received"]
    assert AUTHORITY in ack.body and COMPLAINT_URL in ack.body
    assert COMPLAIN[lang] in ack.body
    # RFC 3834 §5: marked automatic, so that no out-of-office reply answers it
    assert ("Auto-Submitted", "auto-replied") in ack.headers


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_item_9_the_answer_link_names_the_authority(context: Context, lang: str) -> None:
    _p, ref = _filed(context, lang, RequestKind.ACCESS)
    with context.unit_of_work() as uow:
        context.answers.answer(uow, OFFICER, ref)
    [answer] = [m for _i, t, m in context.outbox.pending() if t == "request_answered"]
    assert AUTHORITY in answer.body and COMPLAINT_URL in answer.body
