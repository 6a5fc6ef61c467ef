"""The paragraphs every public statement has, as English msgids; the catalogue holds their Dutch.

Placeholders in braces are filled after translation with ``str.format``: ``{email}`` is the
privacy contact, ``{authority}``, ``{website}`` and ``{complaint_url}`` the supervisory
authority. The labels and short phrases are written where they are used, in ``policy_text``.

Each text is said once (issue 9: no boilerplate glued after an activity's own sentence):
what an objection does is said in the objection box, what withdrawing consent does in the
rights section. The Dutch is B1: u-form, "we", at most 25 words a sentence
(``privaat.render.readability`` checks it in the unit tests).
"""

from __future__ import annotations

from privaat.policy.wording import N_

__all__ = [
    "AUTOMATED_DECISION_TEXT",
    "CHANGES",
    "COMPLAINT",
    "COOKIES_INTRO",
    "OBJECTION_ABSOLUTE",
    "OBJECTION_ALWAYS",
    "OBJECTION_BALANCING",
    "OBJECTION_INTRO",
    "RECIPIENTS_INTRO",
    "RIGHTS",
    "RIGHTS_TERMS",
    "SUMMARY_RIGHTS",
    "TRANSFERS_INTRO",
    "WITHDRAW_EFFECT",
]

# the objection box (art. 21(4)): what an objection does, said once per kind
OBJECTION_INTRO = N_(
    "For some things we do, we rely on our own legitimate interest. You may object to that "
    "(GDPR art. 21)."
)
# art. 21(2)-(3): direct marketing stops, always, without a reason asked
OBJECTION_ABSOLUTE = N_("Direct marketing: we always stop, and you do not need to give a reason.")
# objection.overridable False: the controller never weighs its own grounds (LEGAL L26)
OBJECTION_ALWAYS = N_("We always stop when you object to this:")
# art. 21(1): the only place the balancing rule is said, and only for the activities it covers
OBJECTION_BALANCING = N_(
    "For this, tell us what in your situation makes you object. We then stop, unless our "
    "reasons weigh more heavily than your interests. If so, we explain why."
)

WITHDRAW_EFFECT = N_(
    "Withdrawing consent is as easy as giving it. What we did before you withdrew stays lawful."
)

AUTOMATED_DECISION_TEXT = N_(
    "A computer makes an assessment here. A person always checks it before it has serious "
    "consequences for you. You may give your view and object to the outcome (GDPR art. 22)."
)

COOKIES_INTRO = N_(
    "Without your consent we only use cookies that our website needs to work. Other cookies, "
    "such as for statistics, load only after you agree (Telecommunications Act art. 11.7a)."
)

# P12: the table is the whole list of who gets any data (the seed said "alleen intern"
# beside a list of recipients: both cannot be true)
RECIPIENTS_INTRO = N_(
    "We give your data only to the recipients in this table, and only for what the table says."
)

TRANSFERS_INTRO = N_(
    "We keep your data within the European Economic Area (EEA) where we can. Data goes "
    "outside the EEA only with the protection the GDPR demands (GDPR art. 44-49). You can "
    "ask us for a copy at {email}."
)

SUMMARY_RIGHTS = N_(
    "You may see your data, have it corrected or deleted, take it with you and object to its use."
)

# each right of GDPR art. 15-21 and 7(3): its name, its article, and what it means
RIGHTS: tuple[tuple[str, str, str], ...] = (
    (
        N_("Access"),
        N_("GDPR art. 15"),
        N_("you may see which data we have about you and why, and get a copy."),
    ),
    (
        N_("Rectification"),
        N_("GDPR art. 16"),
        N_("you may have wrong or incomplete data corrected."),
    ),
    (
        N_("Erasure"),
        N_("GDPR art. 17"),
        N_(
            "you may have your data deleted. What the law makes us keep, such as invoices, we "
            "delete when that duty ends."
        ),
    ),
    (
        N_("Restriction of processing"),
        N_("GDPR art. 18"),
        N_(
            "you may ask us to only store your data for a while, for example while we check "
            "your objection."
        ),
    ),
    (
        N_("Data portability"),
        N_("GDPR art. 20"),
        N_("you get the data you gave us in a common file format, such as JSON or CSV."),
    ),
    (
        N_("Objection"),
        N_("GDPR art. 21"),
        N_("you may object to what we do on the basis of our legitimate interest."),
    ),
    (
        N_("Withdrawing consent"),
        N_("GDPR art. 7(3)"),
        N_("you may withdraw your consent at any time."),
    ),
)

RIGHTS_TERMS = (
    N_(
        "Using your rights is free (GDPR art. 12(5)). We answer within one month. Is your "
        "request complex? Then we may take two more months, and we tell you why within the "
        "first month (GDPR art. 12(3))."
    ),
    N_(
        "We do not ask for a copy of your passport or ID card. It is enough that you are "
        "logged in, or write from the e-mail address of your account."
    ),
    N_(
        "If we refuse a request, we explain why. You may then complain to the supervisory "
        "authority or go to court (GDPR art. 12(4))."
    ),
)

COMPLAINT = (
    N_("Are you unhappy with how we handle your data? Please tell us at {email}."),
    N_(
        "You may also complain to the {authority} ({website}). You can do that at "
        "{complaint_url} (GDPR art. 77)."
    ),
)

CHANGES = (
    N_(
        "We update this privacy statement when our services, technology or the law change. "
        "At the top you can see when we last changed it."
    ),
    N_(
        "We tell you about important changes in advance, by e-mail or with a notice on our "
        "website. If the law requires it, we ask for your consent again."
    ),
)
