"""The paragraphs every public policy has, as English msgids; the catalogue holds their Dutch.

Placeholders in braces are filled after translation with ``str.format``: ``{email}`` is the
privacy contact, ``{authority}``, ``{website}`` and ``{complaint_url}`` the supervisory
authority. The labels and short phrases are written where they are used, in ``policy_text``.
"""

from __future__ import annotations

from privaat.policy.wording import N_

__all__ = [
    "AUTOMATED_DECISION_TEXT",
    "CHANGES",
    "CHILDREN",
    "COMPLAINT",
    "COOKIES_INTRO",
    "COOKIES_SETTINGS",
    "INTRO",
    "OBJECTION_ABSOLUTE",
    "OBJECTION_BALANCING",
    "RIGHTS",
    "RIGHTS_INTRO",
    "RIGHTS_TERMS",
    "TRANSFERS_INTRO",
    "WITHDRAW_EFFECT",
]

INTRO = (
    N_(
        "{controller} ({address}) is responsible for the processing of your personal data as "
        "described in this privacy policy: in the words of the General Data Protection "
        "Regulation (GDPR), we are the controller."
    ),
    N_(
        "Below you can read, for each processing activity, what personal data we process, "
        "what for, on what legal basis, how long we keep it and with whom we share it. "
        "Personal data is any information about an identified or identifiable natural person "
        "(GDPR art. 4)."
    ),
    N_("Do you have a question about privacy? Contact {contact} at {email}."),
)

WITHDRAW_EFFECT = N_(
    "Withdrawing is as easy as giving consent. It does not affect the processing before the "
    "withdrawal (GDPR art. 7(3))."
)

OBJECTION_ABSOLUTE = N_("If you object to direct marketing, we always stop (GDPR art. 21(3)).")

OBJECTION_BALANCING = N_(
    "We then stop, unless we have compelling legitimate grounds that override your interests "
    "(GDPR art. 21(1))."
)

AUTOMATED_DECISION_TEXT = N_(
    "We use an automated assessment here, but we never take a decision with legal or "
    "similarly significant effects for you without human review. You can give your point of "
    "view and contest the decision (GDPR art. 22(3))."
)

COOKIES_INTRO = N_(
    "Without your consent we only set cookies that are strictly necessary for our websites "
    "and services to work. All other cookies and similar technologies, such as analytics "
    "cookies, pixels and social network buttons, load only after you have consented (Dutch "
    "Telecommunications Act art. 11.7a). Refusing has no effect on your use of our services."
)

COOKIES_SETTINGS = N_(
    "You change or withdraw your choice with the ‘Cookie settings’ link at the bottom of "
    "every page of our website; when you withdraw consent, we delete the cookies concerned. "
    "Strictly necessary cookies cannot be switched off."
)

TRANSFERS_INTRO = N_(
    "We process your personal data within the European Economic Area (EEA). Data goes to a "
    "recipient outside the EEA only in a country for which the European Commission has "
    "adopted an adequacy decision, such as Switzerland, or with appropriate safeguards (GDPR "
    "art. 44-49). You can ask for a copy of those safeguards at {email}."
)

RIGHTS_INTRO = N_(
    "You have the following rights. You exercise them in the privacy centre of your account "
    "or by e-mail to {email}; no particular form is needed."
)

CHILDREN = (
    N_(
        "Our websites, apps and services are not meant for persons under 16. If you are under "
        "16, please do not give us any personal data (GDPR art. 8; Dutch GDPR Implementation "
        "Act art. 5)."
    ),
    N_(
        "If we find that we hold personal data of someone under 16, we delete it as soon as "
        "possible. We do not ask for a copy of an identity document to do so."
    ),
)

# each right of GDPR art. 15-21: its name, its article, and how to use it
RIGHTS: tuple[tuple[str, str, str], ...] = (
    (
        N_("Access"),
        N_("GDPR art. 15"),
        N_(
            "you can ask which personal data we process about you and what for, and receive a "
            "copy. In the privacy centre you can view and download it straight away."
        ),
    ),
    (
        N_("Rectification"),
        N_("GDPR art. 16"),
        N_(
            "you can have incorrect or incomplete data corrected or completed; most of it you can "
            "change yourself in your account."
        ),
    ),
    (
        N_("Erasure"),
        N_("GDPR art. 17"),
        N_(
            "you can ask us to erase your data, or delete your account in the privacy centre. "
            "What the law requires us to keep, such as invoices, we erase as soon as that "
            "obligation ends."
        ),
    ),
    (
        N_("Data portability"),
        N_("GDPR art. 20"),
        N_(
            "you receive the data you gave us, or that we recorded when you used our services, in "
            "a common machine-readable format (JSON or CSV)."
        ),
    ),
    (
        N_("Restriction of processing"),
        N_("GDPR art. 18"),
        N_(
            "you can ask us to only store your data for a while, for example while we look into "
            "an objection or the accuracy of your data. We tell you before the restriction ends."
        ),
    ),
    (
        N_("Objection"),
        N_("GDPR art. 21"),
        N_(
            "you can object to processing based on our legitimate interests, and always to direct "
            "marketing. Each processing activity above says how."
        ),
    ),
    (
        N_("Withdrawing consent"),
        N_("GDPR art. 7(3)"),
        N_(
            "you can withdraw consent you have given at any time, as easily as you gave it. Each "
            "processing activity above says how."
        ),
    ),
)

RIGHTS_TERMS = (
    N_(
        "Exercising your rights is free of charge (GDPR art. 12(5)). We answer within one "
        "month of receiving your request. If a request is complex or we receive many, we can "
        "extend this by two further months; we then tell you so within the first month, with "
        "the reason (GDPR art. 12(3))."
    ),
    N_(
        "We do not ask for a copy of your identity document. If you are logged in, or confirm "
        "your request from your account's e-mail address, that is enough."
    ),
    N_(
        "If we refuse a request, we explain why, and you can lodge a complaint with the "
        "supervisory authority or go to court (GDPR art. 12(4))."
    ),
)

COMPLAINT = (
    N_("Are you unhappy with how we handle your personal data? Please tell us at {email}."),
    N_(
        "You also have the right to lodge a complaint with the supervisory authority, the "
        "{authority} ({website}). You can do so at {complaint_url} (GDPR art. 77)."
    ),
)

CHANGES = (
    N_(
        "We update this privacy policy when we add new products or apps, change our services, "
        "or when technology or the law changes. The top of this policy shows when it was last "
        "updated."
    ),
    N_(
        "We announce material changes in advance, by e-mail or with a notice on our website, "
        "before they take effect. Where the law requires it, we ask for your consent again; "
        "consent given earlier never covers a new purpose."
    ),
)
