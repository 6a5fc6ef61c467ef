"""Which channels the running app offers, read from its own routes: the statement's one source.

The public statement names a channel the system provides (a centre page, a toggle, the
unsubscribe link, the cookie settings) only when it runs (issue 9; GDPR art. 12(1), 7(3):
a promised way to withdraw or object that does not exist is no way at all). So the mapping
below is a table of what each channel needs, and ``offered`` keeps the rows whose page the
app actually serves:

    (channel, activity) ─► route path      kept when the app has a GET route at that path
    right               ─► route path      (art. 15-21: the page where it is exercised)

A channel whose page is not built yet (issue 10: preferences, unsubscribe, cookie settings;
issue 12: the support-access page) is absent by itself, and present as soon as its route is
added, without a sentence of the statement edited. The web pages and ``privaat policy render``
both call this over the same routes, so the CLI renders exactly what the app serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from privaat.domain.activities import NOTICES
from privaat.policy.schema import Channel
from privaat.render.statement_context import Offered, Right

__all__ = [
    "CENTRE",
    "CHANNEL_ROUTES",
    "PREFERENCES",
    "RIGHT_ROUTES",
    "channel_page",
    "offered",
    "served_paths",
]

# the privacy centre's home page: "my data", what is held (art. 15)
CENTRE = "/account"
# the centre's privacy choices: consents to give or withdraw, objections (issue 10)
PREFERENCES = "/account/preferences"

# (channel, activity id or None for every activity) → the page that provides it. An
# activity's own row wins over the general one (Offered.href looks it up first).
CHANNEL_ROUTES: Mapping[tuple[Channel, str | None], str] = MappingProxyType(
    {
        # the name shown with comments (P19) is part of the profile, changed on the edit page
        (Channel.ACCOUNT_PREFERENCES, NOTICES): "/account/edit",
        # issue 10: consent and objection toggles in the centre (web.pages.preferences)
        (Channel.ACCOUNT_PREFERENCES, None): PREFERENCES,
        # issue 10: the one-click unsubscribe target (RFC 8058) the link in every e-mail opens
        (Channel.UNSUBSCRIBE_LINK, None): "/unsubscribe",
        # issue 10: the cookie settings linked from every page (Tw 11.7a)
        (Channel.COOKIE_SETTINGS, None): "/cookies",
        # issue 12: granting and withdrawing support's access to the account (LEGAL L29)
        (Channel.SUPPORT_ACCESS_PAGE, None): "/account/support-access",
    }
)

# a right → the centre page where a logged-in person exercises it; the privacy mailbox
# serves every right whether or not a page exists (art. 12(2): facilitate, never require)
RIGHT_ROUTES: Mapping[Right, str] = MappingProxyType(
    {
        Right.ACCESS: CENTRE,  # the page shows what is held, per activity (art. 15)
        Right.RECTIFICATION: "/account/edit",  # art. 16
        Right.ERASURE: "/account/close",  # art. 17
        Right.RESTRICTION: "/requests/new",  # art. 18: a request (issue 11)
        Right.PORTABILITY: "/requests/new",  # art. 20: a request, answered with a ZIP
        Right.OBJECTION: PREFERENCES,  # art. 21: the toggles of issue 10
    }
)


def channel_page(channel: Channel, activity_id: str) -> str | None:
    """The page that provides ``channel`` for ``activity_id`` once it runs, as ``Offered.href``
    looks it up: the activity's own row first, then the general one.

    A page that offers a channel asks this, so it serves exactly the activities the statement
    sends to it (``web.pages.preferences``: every activity whose consent or objection channels
    name the account preferences, except ``important_notices``, changed on the edit page)."""
    return CHANNEL_ROUTES.get((channel, activity_id)) or CHANNEL_ROUTES.get((channel, None))


def served_paths(app_or_routes: Starlette | Iterable[BaseRoute]) -> frozenset[str]:
    """The paths of the tables above that the app answers with a page (a GET route matches)."""
    routes = list(app_or_routes.routes if isinstance(app_or_routes, Starlette) else app_or_routes)
    # the routes' own matching, as the app routes a request: included routers stay opaque
    return frozenset(
        path
        for path in {*CHANNEL_ROUTES.values(), *RIGHT_ROUTES.values(), CENTRE}
        if any(route.matches(_get(path))[0] is Match.FULL for route in routes)
    )


def offered(app_or_routes: Starlette | Iterable[BaseRoute] | frozenset[str]) -> Offered:
    """What the app offers: every row of the tables whose page is among its routes."""
    paths = app_or_routes if isinstance(app_or_routes, frozenset) else served_paths(app_or_routes)
    channels = {key: path for key, path in CHANNEL_ROUTES.items() if path in paths}
    rights = {right: path for right, path in RIGHT_ROUTES.items() if path in paths}
    return Offered(
        channels=MappingProxyType(channels),
        rights=MappingProxyType(rights),
        centre=CENTRE if CENTRE in paths else None,
    )


def _get(path: str) -> Scope:
    return {"type": "http", "method": "GET", "path": path, "root_path": "", "query_string": b""}
