"""The public privacy policy (GDPR art. 12-14), rendered from the policy file as HTML or Markdown.

    Policy ──policy_document(policy, lang)──► PolicyDocument   words only, no markup
                                                   │
                 render_policy_text(..., fmt) ─────┴──► policy.html.j2 | policy.md.j2

Every section of a processing activity carries the activity's P-ids (HTML ``data-promises``,
a Markdown comment), so a test can prove each promise of the file is stated in the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list

from privaat.policy.dpv_words import data_subject_words, purpose_words
from privaat.policy.ropa import in_third_country
from privaat.policy.schema import (
    Address,
    LegalBasis,
    Policy,
    ProcessingActivity,
    Recipient,
    Safeguard,
)
from privaat.policy.wording import (
    LEGAL_BASIS_WORDS,
    RECIPIENT_ROLE_WORDS,
    SAFEGUARD_WORDS,
    for_language,
    period_in_words,
    retention_in_words,
)
from privaat.render.catalogue import PHRASES, Phrases
from privaat.render.document import Fact, LanguageLink, PolicyDocument, Section
from privaat.render.language import formatting_locale
from privaat.render.templating import environment

__all__ = ["Format", "policy_document", "render_policy_text"]


class Format(StrEnum):
    """The formats the public policy is published in."""

    HTML = "html"
    MARKDOWN = "md"


# the sections that state a promise kept by a policy block rather than by an activity
_SECTION_OF_BLOCK = {"policy.last_updated": "changes", "controller": "contact"}
_TEMPLATES = {Format.HTML: "policy.html.j2", Format.MARKDOWN: "policy.md.j2"}


def render_policy_text(
    policy: Policy,
    *,
    lang: str,
    fmt: Format,
    language_links: Mapping[str, str] | None = None,
) -> str:
    """The public policy as a complete HTML page or a Markdown document."""
    document = policy_document(policy, lang, language_links=language_links)
    text = environment().get_template(_TEMPLATES[Format(fmt)]).render(doc=document)
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
    phrases = for_language(PHRASES, lang)
    words = _Words(policy, lang, phrases, formatting_locale(lang))
    meta = policy.policy
    effective = ""
    if meta.effective is not None and meta.effective != meta.last_updated:
        effective = phrases.effective.format(date=words.date(meta.effective))
    return PolicyDocument(
        lang=lang,
        title=phrases.title.format(controller=policy.controller.name),
        last_updated_label=phrases.last_updated,
        last_updated=words.date(meta.last_updated),
        last_updated_iso=meta.last_updated.isoformat(),
        version=phrases.version.format(version=meta.version),
        effective=effective,
        intro=tuple(
            paragraph.format(
                controller=policy.controller.name,
                address=words.address(policy.controller.address),
                contact=policy.privacy_contact.name.in_language(lang),
                email=policy.privacy_contact.email,
            )
            for paragraph in phrases.intro
        ),
        sections=words.sections(),
        contents_label=phrases.contents,
        skip_link=phrases.skip_link,
        language_switch=phrases.language_switch,
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

    def __init__(self, policy: Policy, lang: str, phrases: Phrases, locale: Locale) -> None:
        self.policy, self.lang, self.phrases, self.locale = policy, lang, phrases, locale
        self.email = policy.privacy_contact.email

    def sections(self) -> tuple[Section, ...]:
        p = self.phrases
        activities = Section(
            anchor="activities",
            heading=p.activities_heading,
            subsections=tuple(self.activity(a) for a in self.policy.activities),
        )
        return (
            activities,
            self.cookies(),
            Section(anchor="children", heading=p.children_heading, paragraphs=p.children),
            self.transfers(),
            self.rights(),
            Section(
                anchor="complaint",
                heading=p.complaint_heading,
                paragraphs=tuple(self.fill(text) for text in p.complaint),
            ),
            Section(
                anchor="changes",
                heading=p.changes_heading,
                paragraphs=p.changes,
                promises=_block_promises(self.policy, "changes"),
            ),
            self.contact(),
        )

    def activity(self, activity: ProcessingActivity) -> Section:
        p, lang = self.phrases, self.lang
        facts = [
            Fact(p.purposes, _enumerated(purpose_words(x, lang) for x in activity.purposes)),
            Fact(p.legal_basis, LEGAL_BASIS_WORDS[activity.legal_basis].in_language(lang)),
        ]
        if activity.legitimate_interest is not None:
            facts.append(
                Fact(p.legitimate_interest, activity.legitimate_interest.in_language(lang))
            )
        facts += [
            Fact(p.data_categories, _enumerated(self.category_names(activity.data_categories))),
            Fact(
                p.data_subjects,
                _enumerated(data_subject_words(s, lang) for s in activity.data_subjects),
            ),
            Fact(p.sources, _enumerated(p.source_words[s] for s in activity.sources)),
            self.retention(activity),
            self.recipients(activity),
        ]
        if activity.transfers:
            facts.append(
                Fact(
                    p.transfers,
                    items=tuple(
                        self.transfer(t.recipient, t.country, t.safeguard)
                        for t in activity.transfers
                    ),
                )
            )
        if activity.consent is not None:
            channels = self.listed(
                (p.channel_words[c].format(email=self.email) for c in activity.consent.channels),
                style="or",
            )
            text = " ".join(
                (
                    _sentence(activity.consent.withdraw.in_language(lang)),
                    p.withdraw_channels.format(channels=channels),
                    p.withdraw_effect,
                )
            )
            facts.append(Fact(p.withdraw, text))
        if activity.objection.possible:
            how = activity.objection.how.in_language(lang) if activity.objection.how else ""
            if activity.objection.absolute:
                extra = p.objection_absolute
            elif activity.legal_basis is LegalBasis.LEGITIMATE_INTEREST:
                extra = p.objection_balancing
            else:
                extra = ""
            facts.append(Fact(p.objection, " ".join(x for x in (_sentence(how), extra) if x)))
        if activity.automated_decision:
            facts.append(Fact(p.automated_decision, p.automated_decision_text))
        return Section(
            anchor=f"activity-{activity.id}",
            heading=activity.name.in_language(lang),
            paragraphs=(activity.description.in_language(lang),),
            facts=tuple(facts),
            promises=activity.promises,
        )

    def retention(self, activity: ProcessingActivity) -> Fact:
        p, lang, retention = self.phrases, self.lang, activity.retention
        items = [
            _capitalised(
                p.legal_hold.format(
                    categories=self.listed(self.category_names(hold.categories)),
                    period=period_in_words(hold.period, lang),
                    ground=_lower_first(hold.ground.in_language(lang)),
                )
            )
            for hold in retention.legal_holds
        ]
        items += [
            p.minimise.format(
                period=period_in_words(step.after, lang),
                method=_lower_first(step.method.in_language(lang)),
                categories=self.listed(self.category_names(step.categories)),
            )
            for step in retention.minimise
        ]
        main = retention_in_words(retention, lang, p.retention_phrases)
        return Fact(p.retention, main, tuple(items))

    def recipients(self, activity: ProcessingActivity) -> Fact:
        if not activity.recipients:
            return Fact(self.phrases.recipients, self.phrases.no_recipients)
        items = tuple(self.recipient(self.policy.recipient(r)) for r in activity.recipients)
        return Fact(self.phrases.recipients, items=items)

    def recipient(self, recipient: Recipient) -> str:
        details = [RECIPIENT_ROLE_WORDS[recipient.role].in_language(self.lang)]
        if recipient.country is not None:
            details.append(self.country(recipient.country))
        if recipient.safeguard is not None:
            details.append(SAFEGUARD_WORDS[recipient.safeguard].in_language(self.lang))
        text = (
            f"{recipient.name} — {', '.join(details)}: "
            f"{_sentence(recipient.description.in_language(self.lang))}"
        )
        if recipient.privacy_policy_url:
            text += " " + self.phrases.recipient_policy.format(url=recipient.privacy_policy_url)
        return text

    def transfer(self, recipient_id: str, country: str, safeguard: Safeguard) -> str:
        name = self.policy.recipient(recipient_id).name
        words = SAFEGUARD_WORDS[safeguard].in_language(self.lang)
        return f"{name} ({self.country(country)}): {words}"

    def cookies(self) -> Section:
        p = self.phrases
        with_cookies = [a for a in self.policy.activities if a.cookies]
        if not with_cookies:
            return Section(
                anchor="cookies", heading=p.cookies_heading, paragraphs=(p.cookies_none,)
            )
        necessary = [a for a in with_cookies if a.legal_basis is not LegalBasis.CONSENT]
        consent = [a for a in with_cookies if a.legal_basis is LegalBasis.CONSENT]
        facts = [
            Fact(label, items=tuple(self.cookie_item(a) for a in group))
            for label, group in ((p.cookies_necessary, necessary), (p.cookies_consent, consent))
            if group
        ]
        return Section(
            anchor="cookies",
            heading=p.cookies_heading,
            paragraphs=(p.cookies_intro,),
            facts=tuple(facts),
            closing=(p.cookies_settings,),
        )

    def cookie_item(self, activity: ProcessingActivity) -> str:
        purposes = _enumerated(purpose_words(x, self.lang) for x in activity.purposes)
        return f"{activity.name.in_language(self.lang)}: {purposes}"

    def transfers(self) -> Section:
        p = self.phrases
        found: dict[tuple[str, str, Safeguard], list[str]] = {}
        for activity in self.policy.activities:
            for t in activity.transfers:
                if in_third_country(t.country):
                    key = (t.recipient, t.country, t.safeguard)
                    found.setdefault(key, []).append(activity.name.in_language(self.lang))
        items = tuple(
            p.transfers_item.format(
                transfer=self.transfer(*key), activities=self.listed(dict.fromkeys(names))
            )
            for key, names in found.items()
        )
        return Section(
            anchor="transfers",
            heading=p.transfers_heading,
            paragraphs=(self.fill(p.transfers_intro),) if items else (p.transfers_none,),
            bullets=items,
        )

    def rights(self) -> Section:
        p = self.phrases
        return Section(
            anchor="rights",
            heading=p.rights_heading,
            paragraphs=(self.fill(p.rights_intro),),
            facts=tuple(Fact(f"{r.name} ({r.article})", r.how) for r in p.rights),
            closing=p.rights_terms,
        )

    def contact(self) -> Section:
        p, controller, contact = self.phrases, self.policy.controller, self.policy.privacy_contact
        lines = [
            p.contact_controller.format(
                controller=controller.name, address=self.address(controller.address)
            ),
            p.contact_email.format(email=controller.email),
        ]
        if controller.website:
            lines.append(p.contact_website.format(website=controller.website))
        if controller.chamber_of_commerce:
            lines.append(
                p.contact_chamber_of_commerce.format(number=controller.chamber_of_commerce)
            )
        privacy = p.contact_privacy.format(
            contact=contact.name.in_language(self.lang), email=contact.email
        )
        if contact.address is not None:
            privacy += f", {self.address(contact.address)}"
        lines.append(privacy)
        return Section(
            anchor="contact",
            heading=p.contact_heading,
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
