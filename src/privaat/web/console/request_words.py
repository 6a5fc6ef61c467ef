"""The console's words for data-subject requests: kinds, statuses, channels, steps, notices
(msgids; the pages translate them in the page's language, issue 11 item 11)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from privaat.domain.subject_requests import Action, RequestKind, RequestStatus
from privaat.i18n import N_

__all__ = [
    "ACTION_BUTTONS",
    "ACTION_NOTICES",
    "CHANNEL_NAMES",
    "HISTORY_NAMES",
    "KIND_NAMES",
    "STATUS_NAMES",
]

# the right and its article of the GDPR: the officer answers under that article
KIND_NAMES: Mapping[str, str] = MappingProxyType(
    {
        RequestKind.ACCESS.value: N_("Access (art. 15)"),
        RequestKind.RECTIFICATION.value: N_("Rectification (art. 16)"),
        RequestKind.ERASURE.value: N_("Erasure (art. 17)"),
        RequestKind.RESTRICTION.value: N_("Restriction (art. 18)"),
        RequestKind.PORTABILITY.value: N_("Portability (art. 20)"),
        RequestKind.OBJECTION.value: N_("Objection (art. 21)"),
        RequestKind.UNCLEAR.value: N_("Unclear: to classify"),
    }
)
STATUS_NAMES: Mapping[str, str] = MappingProxyType(
    {
        RequestStatus.RECEIVED.value: N_("received, not confirmed"),
        RequestStatus.VERIFIED.value: N_("confirmed"),
        RequestStatus.IN_PROGRESS.value: N_("in progress"),
        RequestStatus.EXTENDED.value: N_("extended"),
        RequestStatus.COMPLETED.value: N_("completed"),
        RequestStatus.REFUSED.value: N_("refused"),
        RequestStatus.CLOSED.value: N_("closed"),
    }
)
CHANNEL_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "web": N_("web form"),
        "api": N_("API"),
        "email": N_("e-mail"),
        "staff": N_("filed by staff"),
        "opendsr": N_("OpenDSR"),
    }
)
ACTION_BUTTONS: Mapping[Action, str] = MappingProxyType(
    {
        Action.START: N_("Start handling"),
        Action.EXTEND: N_("Extend the deadline"),
        Action.COMPLETE: N_("Mark as completed"),
        Action.REFUSE: N_("Refuse the request"),
        Action.CLOSE: N_("Close"),
        Action.CANCEL: N_("Cancel: the requester withdrew it"),
    }
)
# ?notice= after a step (POST-redirect-GET): only the key travels in the address
ACTION_NOTICES: Mapping[str, str] = MappingProxyType(
    {
        "start": N_("Handling has started."),
        "extend": N_("The deadline is extended; the requester is told why and the new date."),
        "complete": N_("The request is marked as completed."),
        "refuse": N_("The request is refused; the requester is told the reasons."),
        "close": N_("The request is closed."),
        "cancel": N_("The request is cancelled."),
        "classify": N_("The request is classified."),
        "answer": N_("The answer is ready; the requester is mailed a download link."),
        "filed": N_("The request is filed and the person is sent an acknowledgement."),
    }
)
HISTORY_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "request.received": N_("received"),
        "request.linked": N_("another mail joined it"),
        "request.verify": N_("identity confirmed"),
        "request.start": N_("handling started"),
        "request.extend": N_("deadline extended"),
        "request.complete": N_("completed"),
        "request.refuse": N_("refused"),
        "request.close": N_("closed"),
        "request.expire": N_("expired unconfirmed"),
        "request.cancel": N_("cancelled"),
        "request.classified": N_("classified"),
        "request.answered": N_("answer file made"),
    }
)
