"""What the policy file publishes: the public privacy statement and the art. 30 register.

    Policy ─┬─ policy_text.render_policy_text ──► HTML page | Markdown   (nl, en)
            │    + StatementContext (what the app offers, versions, the diff)
            └─ ropa_output.render_ropa ─────────► CSV | JSON | HTML table (nl, en)

The statement is layered and names only the channels the running system offers
(``statement_context``); ``readability`` is the pure B1 check its texts pass in the tests.

Both are rendered with Jinja2 (``templates/``, HTML autoescaped) and Babel (dates, lists,
country names, Accept-Language negotiation). Every word is an English msgid translated by the
one gettext catalogue (``privaat.i18n``, ``privaat/locale/*/LC_MESSAGES/privaat.po``); the
words the register shares are in ``privaat.policy.wording`` and ``dpv_words``. Nothing here
decides anything: the policy file says it, this package only puts it into words.
"""

from __future__ import annotations

from privaat.render.language import DEFAULT_LANGUAGE, LANGUAGES, negotiate_language
from privaat.render.policy_text import Format, render_policy_text
from privaat.render.ropa_output import RopaFormat, render_ropa

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Format",
    "RopaFormat",
    "negotiate_language",
    "render_policy_text",
    "render_ropa",
]
