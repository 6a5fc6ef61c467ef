"""Cookies and similar technologies, compared between two policy versions (Tw 11.7a).

Each cookie is matched by its name. A new cookie, one that lives longer, or one another
party now sets or reads is material: more is stored on the reader's device, or by someone
else. A cookie dropped, or one that lives shorter, is editorial; so is a reworded purpose.
"""

from __future__ import annotations

from privaat.policy.diff._change import Change, editorial, material, unclassified
from privaat.policy.diff._retention import length_change
from privaat.policy.schema import Cookie, ProcessingActivity

__all__ = ["cookie_changes"]


def cookie_changes(aid: str, old: ProcessingActivity, new: ProcessingActivity) -> list[Change]:
    """The changes to one activity's cookies, each matched by its name."""
    found: list[Change] = []
    before = {cookie.name: cookie for cookie in old.cookies}
    after = {cookie.name: cookie for cookie in new.cookies}
    for name, cookie in after.items():
        field = f"cookies[{name}]"
        if name not in before:
            reason = "a new cookie or similar technology on the reader's device (Tw 11.7a)"
            found.append(material(aid, field, None, name, reason))
            continue
        found += _one_cookie(aid, field, before[name], cookie)
    for name in before:
        if name not in after:
            reason = "a cookie no longer set: less is stored on the device"
            found.append(editorial(aid, f"cookies[{name}]", name, None, reason))
    return found


def _one_cookie(aid: str, field: str, old: Cookie, new: Cookie) -> list[Change]:
    found: list[Change] = []
    if old.lifetime != new.lifetime:
        if new.lifetime is None:
            # a session cookie ends when the browser closes: never longer than a period
            reason = "now a session cookie: it ends when the browser closes"
            found.append(editorial(aid, f"{field}.lifetime", old.lifetime, None, reason))
        elif old.lifetime is None:
            reason = "a session cookie now outlives the browser session (Tw 11.7a)"
            found.append(material(aid, f"{field}.lifetime", None, new.lifetime, reason))
        else:
            found += length_change(
                aid, f"{field}.lifetime", old.lifetime, new.lifetime, "the cookie"
            )
    if old.recipient != new.recipient:
        reason = "another party sets or reads the cookie (art. 13(1)(e), Tw 11.7a)"
        found.append(material(aid, f"{field}.recipient", old.recipient, new.recipient, reason))
    if old.purpose != new.purpose:
        reason = "the cookie's purpose reworded"
        found.append(editorial(aid, f"{field}.purpose", old.purpose, new.purpose, reason))
    compared = frozenset({"name", "lifetime", "recipient", "purpose"})
    return found + unclassified(aid, f"{field}.", old, new, compared)
