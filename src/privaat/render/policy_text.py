"""The public privacy policy (GDPR art. 12-14), rendered from the policy file as HTML or Markdown.

    Policy ──policy_document(policy, lang)──► PolicyDocument   words only, no markup
                                                   │
                 render_policy_text(..., fmt) ─────┴──► policy.html.j2 | policy.md.j2

Every section of a processing activity carries the activity's P-ids (HTML ``data-promises``,
a Markdown comment), so a test can prove each promise of the file is stated in the text. The
words are English msgids, translated by the catalogue (``privaat.i18n``): labels and short
phrases where they are used, the long paragraphs in ``fixed_text``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list

from privaat.policy.dpv_words import data_subject_words, purpose_words
from privaat.policy.ropa import in_third_country
from privaat.policy.schema import (
    Address,
    Channel,
    DataSource,
    LegalBasis,
    Policy,
    ProcessingActivity,
    Recipient,
    Safeguard,
)
from privaat.policy.wording import (
    N_,
    RetentionPhrases,
    Translator,
    legal_basis_words,
    period_in_words,
    recipient_role_words,
    retention_in_words,
    safeguard_words,
    translator,
)
from privaat.render import fixed_text
from privaat.render.document import Fact, LanguageLink, PolicyDocument, Section
from privaat.render.language import formatting_locale
from privaat.render.templating import environment

__all__ = [
    "PUBLIC_RETENTION",
    "WITHDRAWAL_CHANNEL_WORDS",
    "Format",
    "policy_document",
    "render_policy_text",
]


class Format(StrEnum):
    """The formats the public policy is published in."""

    HTML = "html"
    MARKDOWN = "md"


# the sections that state a promise kept by a policy block rather than by an activity
_SECTION_OF_BLOCK = {"policy.last_updated": "changes", "controller": "contact"}
_TEMPLATES = {Format.HTML: "policy.html.j2", Format.MARKDOWN: "policy.md.j2"}

# the public text speaks to the reader: "your account", "your consent"
PUBLIC_RETENTION = RetentionPhrases(
    collection=N_("{period} after collection"),
    account_closure=N_("as long as your account is active, and {period} after it is closed"),
    event=N_("{period} after {event}"),
    consent_withdrawal=N_("until you withdraw your consent, and {period} after that"),
    account_closure_only=N_("as long as your account is active"),
    consent_withdrawal_only=N_("until you withdraw your consent"),
)
_SOURCE_WORDS: Mapping[DataSource, str] = MappingProxyType(
    {
        DataSource.DATA_SUBJECT: N_("provided by you"),
        DataSource.OBSERVED: N_("recorded when you use our services"),
        DataSource.DERIVED: N_("derived by us"),
        DataSource.THIRD_PARTY: N_("received from third parties"),
    }
)
# how a person withdraws consent, after "You can withdraw your consent at any time ..."
WITHDRAWAL_CHANNEL_WORDS: Mapping[Channel, str] = MappingProxyType(
    {
        Channel.ACCOUNT_PREFERENCES: N_("in your account's preferences"),
        Channel.UNSUBSCRIBE_LINK: N_(
            "with the unsubscribe link at the bottom of every e-mail"
        ),
        Channel.COOKIE_SETTINGS: N_(
            "with the ‘Cookie settings’ link at the bottom of every page of our website"
        ),
        Channel.SUPPORT_ACCESS_PAGE: N_(
            "on the ‘Support access’ page of the privacy centre"
        ),
        Channel.PRIVACY_EMAIL: N_("by e-mail to {email}"),
    }
)


def render_policy_text(
    policy: Policy,
    *,
    lang: str,
    fmt: Format,
    language_links: Mapping[str, str] | None = None,
) -> str:
    """The public policy as a complete HTML page or a Markdown document."""
    document = policy_document(policy, lang, language_links=language_links)
    text = environment(lang).get_template(_TEMPLATES[Format(fmt)]).render(doc=document)
    if fmt is Format.MARKDOWN:
        # Markdown wants exactly one blank line between blocks, whatever the template did
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        text = text.strip() + "\n"
    return text


def policy_document(
    policy: Policy, lang: str, *, language_links: Mapping[str, str] | None = None
) -> PolicyDocument:
    """The words of the public policy in ``lang``; ``language_links`` maps a language to a URL."""
    t = translator(lang)
    _ = t.gettext
    words = _Words(policy, lang, t, formatting_locale(lang))
    meta = policy.policy
    effective = ""
    if meta.effective is not None and meta.effective != meta.last_updated:
        effective = _("This version applies from {date}.").format(date=words.date(meta.effective))
    return PolicyDocument(
        lang=lang,
        title=_("Privacy policy of {controller}").format(controller=policy.controller.name),
        last_updated_label=_("Last updated"),
        last_updated=words.date(meta.last_updated),
        last_updated_iso=meta.last_updated.isoformat(),
        version=_("Version {version}").format(version=meta.version),
        effective=effective,
        intro=tuple(
            _(paragraph).format(
                controller=policy.controller.name,
                address=words.address(policy.controller.address),
                contact=policy.privacy_contact.name.in_language(lang),
                email=policy.privacy_contact.email,
            )
            for paragraph in fixed_text.INTRO
        ),
        sections=words.sections(),
        contents_label=_("Contents"),
        skip_link=_("Skip to content"),
        language_switch=_("Language"),
        language_links=tuple(
            LanguageLink(
                lang=code,
                name=_capitalised(Locale.parse(code).get_display_name(code) or code),
                href=href,
                current=code == lang,
            )
            for code, href in (language_links or {}).items()
        ),
    )


class _Words:
    """Puts one policy into the words of one language."""

    def __init__(self, policy: Policy, lang: str, t: Translator, locale: Locale) -> None:
        self.policy, self.lang, self.t, self.locale = policy, lang, t, locale
        self.email = policy.privacy_contact.email

    def sections(self) -> tuple[Section, ...]:
        _ = self.t.gettext
        activities = Section(
            anchor="activities",
            heading=_("What personal data we process and why"),
            subsections=tuple(self.activity(a) for a in self.policy.activities),
        )
        return (
            activities,
            self.cookies(),
            Section(
                anchor="children",
                heading=_("Children"),
                paragraphs=tuple(_(text) for text in fixed_text.CHILDREN),
            ),
            self.transfers(),
            self.rights(),
            Section(
                anchor="complaint",
                heading=_("Complaints"),
                paragraphs=tuple(self.fill(_(text)) for text in fixed_text.COMPLAINT),
            ),
            Section(
                anchor="changes",
                heading=_("Changes to this policy"),
                paragraphs=tuple(_(text) for text in fixed_text.CHANGES),
                promises=_block_promises(self.policy, "changes"),
            ),
            self.contact(),
        )

    def activity(self, activity: ProcessingActivity) -> Section:
        _, lang = self.t.gettext, self.lang
        facts = [
            Fact(_("Purposes"), _enumerated(purpose_words(x, lang) for x in activity.purposes)),
            Fact(_("Legal basis"), legal_basis_words(activity.legal_basis, lang)),
        ]
        if activity.legitimate_interest is not None:
            facts.append(
                Fact(_("Our legitimate interest"), activity.legitimate_interest.in_language(lang))
            )
        facts += [
            Fact(_("Personal data"), _enumerated(self.category_names(activity.data_categories))),
            Fact(
                _("Data subjects"),
                _enumerated(data_subject_words(s, lang) for s in activity.data_subjects),
            ),
            Fact(_("Source"), _enumerated(_(_SOURCE_WORDS[s]) for s in activity.sources)),
            self.retention(activity),
            self.recipients(activity),
        ]
        if activity.transfers:
            facts.append(
                Fact(
                    _("Transfers"),
                    items=tuple(
                        self.transfer(link.recipient, link.country, link.safeguard)
                        for link in activity.transfers
                    ),
                )
            )
        if activity.consent is not None:
            channels = self.listed(
                (
                    _(WITHDRAWAL_CHANNEL_WORDS[c]).format(email=self.email)
                    for c in activity.consent.channels
                ),
                style="or",
            )
            text = " ".join(
                (
                    _("You can withdraw your consent at any time {channels}.").format(
                        channels=channels
                    ),
                    _(fixed_text.WITHDRAW_EFFECT),
                )
            )
            facts.append(Fact(_("Withdrawing consent"), text))
        if activity.objection.possible:
            how = activity.objection.note.in_language(lang) if activity.objection.note else ""
            if activity.objection.absolute:
                extra = _(fixed_text.OBJECTION_ABSOLUTE)
            elif activity.legal_basis is LegalBasis.LEGITIMATE_INTEREST:
                extra = _(fixed_text.OBJECTION_BALANCING)
            else:
                extra = ""
            facts.append(Fact(_("Objecting"), " ".join(x for x in (_sentence(how), extra) if x)))
        if activity.automated_decision:
            facts.append(Fact(_("Automated assessment"), _(fixed_text.AUTOMATED_DECISION_TEXT)))
        return Section(
            anchor=f"activity-{activity.id}",
            heading=activity.name.in_language(lang),
            paragraphs=(activity.description.in_language(lang),),
            facts=tuple(facts),
            promises=activity.promises,
        )

    def retention(self, activity: ProcessingActivity) -> Fact:
        _, lang, retention = self.t.gettext, self.lang, activity.retention
        items = [
            _capitalised(
                _("We keep {categories} for {period}: {ground}.").format(
                    categories=self.listed(self.category_names(hold.categories)),
                    period=period_in_words(hold.period, lang),
                    ground=_lower_first(hold.ground.in_language(lang)),
                )
            )
            for hold in retention.legal_holds
        ]
        items += [
            _("After {period}: {method} ({categories}).").format(
                period=period_in_words(step.after, lang),
                method=_lower_first(step.method.in_language(lang)),
                categories=self.listed(self.category_names(step.categories)),
            )
            for step in retention.minimise
        ]
        main = retention_in_words(retention, lang, PUBLIC_RETENTION)
        return Fact(_("Retention"), main, tuple(items))

    def recipients(self, activity: ProcessingActivity) -> Fact:
        _ = self.t.gettext
        if not activity.recipients:
            return Fact(_("Recipients"), _("none; only our own staff process this data"))
        items = tuple(self.recipient(self.policy.recipient(r)) for r in activity.recipients)
        return Fact(_("Recipients"), items=items)

    def recipient(self, recipient: Recipient) -> str:
        details = [recipient_role_words(recipient.role, self.lang)]
        if recipient.country is not None:
            details.append(self.country(recipient.country))
        if recipient.safeguard is not None:
            details.append(safeguard_words(recipient.safeguard, self.lang))
        text = (
            f"{recipient.name} — {', '.join(details)}: "
            f"{_sentence(recipient.description.in_language(self.lang))}"
        )
        if recipient.privacy_policy_url:
            text += " " + self.t.gettext("Privacy policy: {url}").format(
                url=recipient.privacy_policy_url
            )
        return text

    def transfer(self, recipient_id: str, country: str, safeguard: Safeguard) -> str:
        name = self.policy.recipient(recipient_id).name
        return f"{name} ({self.country(country)}): {safeguard_words(safeguard, self.lang)}"

    def cookies(self) -> Section:
        _ = self.t.gettext
        heading = _("Cookies and similar technologies")
        with_cookies = [a for a in self.policy.activities if a.cookies]
        if not with_cookies:
            return Section(
                anchor="cookies",
                heading=heading,
                paragraphs=(_("We use no cookies or similar technologies."),),
            )
        necessary = [a for a in with_cookies if a.legal_basis is not LegalBasis.CONSENT]
        consent = [a for a in with_cookies if a.legal_basis is LegalBasis.CONSENT]
        groups = (
            (_("Strictly necessary (always on)"), necessary),
            (_("Only with your consent"), consent),
        )
        facts = [
            Fact(label, items=tuple(self.cookie_item(a) for a in group))
            for label, group in groups
            if group
        ]
        return Section(
            anchor="cookies",
            heading=heading,
            paragraphs=(_(fixed_text.COOKIES_INTRO),),
            facts=tuple(facts),
            closing=(_(fixed_text.COOKIES_SETTINGS),),
        )

    def cookie_item(self, activity: ProcessingActivity) -> str:
        purposes = _enumerated(purpose_words(x, self.lang) for x in activity.purposes)
        return f"{activity.name.in_language(self.lang)}: {purposes}"

    def transfers(self) -> Section:
        _ = self.t.gettext
        found: dict[tuple[str, str, Safeguard], list[str]] = {}
        for activity in self.policy.activities:
            for t in activity.transfers:
                if in_third_country(t.country):
                    key = (t.recipient, t.country, t.safeguard)
                    found.setdefault(key, []).append(activity.name.in_language(self.lang))
        items = tuple(
            _("{transfer}; for: {activities}").format(
                transfer=self.transfer(*key), activities=self.listed(dict.fromkeys(names))
            )
            for key, names in found.items()
        )
        if items:
            paragraphs = (self.fill(_(fixed_text.TRANSFERS_INTRO)),)
        else:
            paragraphs = (_("We do not transfer personal data to countries outside the EEA."),)
        return Section(
            anchor="transfers",
            heading=_("Transfers outside the European Economic Area"),
            paragraphs=paragraphs,
            bullets=items,
        )

    def rights(self) -> Section:
        _ = self.t.gettext
        return Section(
            anchor="rights",
            heading=_("Your rights"),
            paragraphs=(self.fill(_(fixed_text.RIGHTS_INTRO)),),
            facts=tuple(
                Fact(f"{_(name)} ({_(article)})", _(how))
                for name, article, how in fixed_text.RIGHTS
            ),
            closing=tuple(_(text) for text in fixed_text.RIGHTS_TERMS),
        )

    def contact(self) -> Section:
        _, controller, contact = self.t.gettext, self.policy.controller, self.policy.privacy_contact
        lines = [
            _("Controller: {controller}, {address}.").format(
                controller=controller.name, address=self.address(controller.address)
            ),
            _("E-mail: {email}").format(email=controller.email),
        ]
        if controller.website:
            lines.append(_("Website: {website}").format(website=controller.website))
        if controller.chamber_of_commerce:
            lines.append(
                _("Chamber of Commerce number: {number}").format(
                    number=controller.chamber_of_commerce
                )
            )
        privacy = _("Privacy questions and requests: {contact}, {email}").format(
            contact=contact.name.in_language(self.lang), email=contact.email
        )
        if contact.address is not None:
            privacy += f", {self.address(contact.address)}"
        lines.append(privacy)
        return Section(
            anchor="contact",
            heading=_("Contact"),
            paragraphs=tuple(lines),
            promises=_block_promises(self.policy, "contact"),
        )

    def fill(self, text: str) -> str:
        authority = self.policy.supervisory_authority
        return text.format(
            email=self.email,
            authority=authority.name,
            website=authority.website,
            complaint_url=authority.complaint_url,
        )

    def category_names(self, category_ids: Iterable[str]) -> list[str]:
        names = (self.policy.category(c).name.in_language(self.lang) for c in category_ids)
        return [_lower_first(name) for name in names]

    def listed(self, items: Iterable[str], style: Literal["standard", "or"] = "standard") -> str:
        return format_list(list(items), style=style, locale=self.locale)

    def country(self, code: str) -> str:
        name = self.locale.territories.get(code)
        return str(name) if name else code

    def address(self, address: Address) -> str:
        return (
            f"{address.street}, {address.postal_code} {address.city}, "
            f"{self.country(address.country)}"
        )

    def date(self, day: date) -> str:
        return format_date(day, format="long", locale=self.locale)


def _block_promises(policy: Policy, section: str) -> tuple[str, ...]:
    return tuple(
        promise.id
        for promise in policy.promises
        if promise.met_by is not None and _SECTION_OF_BLOCK.get(promise.met_by) == section
    )


def _enumerated(items: Iterable[str]) -> str:
    """Items after a label, comma-separated: names such as "adres en woonplaats" hold an "en"."""
    return ", ".join(items)


def _sentence(text: str) -> str:
    """``text`` ending in a full stop, so that sentences can follow it."""
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(name: str) -> str:
    """ "E-mailadres" → "e-mailadres" in a running sentence; "IP-adres" keeps its capitals."""
    if len(name) > 1 and name[0].isupper() and not name[1].isupper():
        return name[0].lower() + name[1:]
    return name
