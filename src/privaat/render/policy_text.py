"""The public privacy statement (GDPR art. 12-14), rendered from the policy file: HTML, Markdown.

    Policy + StatementContext ──policy_document(policy, lang, context)──► PolicyDocument
                                                                           │ words only
                 render_policy_text(..., fmt, context) ────────────────────┴──► policy.html.j2
                                                                               | policy.md.j2

The statement is layered (issue 9; WP260 ¶35-36): "In het kort" (who, what, what may surprise
you, your rights, one contact), the art. 21(4) objection box, one section per situation with
a short paragraph per activity and its facts behind ``<details>``, the tables (overview,
recipients, cookies), and the rest art. 13/14 asks for. It promises only what runs: a channel
the system must offer is named only when ``context.offered`` holds a link for it, and then as
that link; the privacy mailbox is always named.

Every section that keeps a promise carries its P-ids (HTML ``data-promises``, a Markdown
comment); the public words carry no P- or L-id. The words are English msgids, translated by
the catalogue (``privaat.i18n``): labels and short phrases here, the paragraphs in
``fixed_text``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list

from privaat.policy.diff import Change, PolicyDiff
from privaat.policy.dpv_words import purpose_words
from privaat.policy.ropa import in_third_country
from privaat.policy.schema import (
    Address,
    Channel,
    Cookie,
    DataSource,
    LegalBasis,
    Policy,
    ProcessingActivity,
    Recipient,
    RetentionStart,
    Safeguard,
    StorageKind,
    Text,
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
from privaat.render.document import (
    Fact,
    Inline,
    LanguageLink,
    Link,
    PolicyDocument,
    Rich,
    Section,
    Table,
)
from privaat.render.language import formatting_locale
from privaat.render.readability import count_words, reading_minutes
from privaat.render.statement_context import Right as RightName
from privaat.render.statement_context import StatementContext
from privaat.render.templating import environment

__all__ = [
    "CHANNEL_WORDS",
    "PUBLIC_RETENTION",
    "Format",
    "just_in_time",
    "policy_document",
    "public_text",
    "render_policy_text",
]


class Format(StrEnum):
    """The formats the public statement is published in."""

    HTML = "html"
    MARKDOWN = "md"


# the sections that state a promise kept by a policy block rather than by an activity
_SECTION_OF_BLOCK = {"policy.last_updated": "changes", "controller": "contact"}
_TEMPLATES = {Format.HTML: "policy.html.j2", Format.MARKDOWN: "policy.md.j2"}
# the activities without a situation go in a last section of their own
_OTHER_SITUATION = "other"

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
        DataSource.OBSERVED: N_("recorded when you use our services"),  # shown with others
        DataSource.DERIVED: N_("derived by us"),
        DataSource.THIRD_PARTY: N_("received from others"),
    }
)
# where a person withdraws consent or objects, after "You can do that …"; a channel the
# system must offer is shown only when it does, as a link to it
CHANNEL_WORDS: Mapping[Channel, str] = MappingProxyType(
    {
        Channel.ACCOUNT_PREFERENCES: N_("in your privacy preferences"),
        Channel.UNSUBSCRIBE_LINK: N_("with the unsubscribe link in every e-mail"),
        Channel.COOKIE_SETTINGS: N_("in the cookie settings"),
        Channel.SUPPORT_ACCESS_PAGE: N_("on the support access page of the privacy centre"),
        Channel.PRIVACY_EMAIL: N_("by e-mail to {email}"),
        Channel.TELL_AGENT: N_("by telling our staff member"),
        Channel.BROWSER_SETTINGS: N_("in your browser's settings"),
    }
)
# the rights of the rights section, in its order, each with the page that serves it
_RIGHT_PAGES: tuple[RightName | None, ...] = (
    RightName.ACCESS,
    RightName.RECTIFICATION,
    RightName.ERASURE,
    RightName.RESTRICTION,
    RightName.PORTABILITY,
    RightName.OBJECTION,
    None,  # withdrawing consent: each activity names its own channels
)
# "Wat is er veranderd": a material change of an activity in public words, by its field
_CHANGE_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "activity": N_("{name}: new."),
        "legal_basis": N_("{name}: another legal basis."),
        "purposes": N_("{name}: a new purpose."),
        "data_categories": N_("{name}: we use more kinds of data."),
        "data_subjects": N_("{name}: now also about other people."),
        "sources": N_("{name}: data also comes from another source."),
        "recipients": N_("{name}: another recipient gets data."),
        "retention": N_("{name}: we keep data longer or in another way."),
        "transfers": N_("{name}: data goes to another country, or on another basis."),
        "consent": N_("{name}: we ask for your consent in other words."),
        "requires_consent_of": N_("{name}: it depends on another consent."),
        "objection": N_("{name}: your right to object changed."),
        "during_restriction": N_("{name}: it goes on while you have it restricted."),
        "after_account_closure": N_("{name}: it goes on after your account is closed."),
        "automated_decision": N_("{name}: a computer now makes an assessment."),
        "cookies": N_("{name}: it now uses cookies."),
    }
)
_POLICY_CHANGE_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "controller": N_("Our company details changed."),
        "privacy_contact": N_("Where you send privacy questions changed."),
        "supervisory_authority": N_("The details of the supervisory authority changed."),
        "recipients": N_("A recipient changed: {name}."),
        "data_categories": N_("A kind of data changed: {name}."),
    }
)
_OTHER_CHANGE = N_("{name}: another change.")
_OTHER_POLICY_CHANGE = N_("Another change to this privacy statement.")
# an internal reference in a public text: "(L33)", "(P12; L36)"; kept in comments only
_INTERNAL_IDS = re.compile(r"\s*\((?:[LP]\d+[a-z]?(?:\s*[,;/]\s*|\s+))*[LP]\d+[a-z]?\)")


def render_policy_text(
    policy: Policy,
    *,
    lang: str,
    fmt: Format,
    context: StatementContext | None = None,
) -> str:
    """The public statement as a complete HTML page or a Markdown document.

    ``context`` says what the running system offers (channels, rights pages, versions); the
    default offers nothing, so the text names only the channels that are always there.
    """
    document = policy_document(policy, lang, context=context)
    text = environment(lang).get_template(_TEMPLATES[Format(fmt)]).render(doc=document)
    if fmt is Format.MARKDOWN:
        # Markdown wants exactly one blank line between blocks, whatever the template did
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        text = text.strip() + "\n"
    return text


def just_in_time(policy: Policy, activity_id: str, lang: str) -> str | None:
    """The short notice shown where ``activity_id`` collects data (art. 13(1): at the time).

    For the sign-up page, the checkout, the call announcement and the support-access dialog;
    None when the activity has no notice. KeyError for an activity the policy lacks.
    """
    notice = policy.activity(activity_id).notice
    return public_text(notice, lang) if notice is not None else None


def public_text(text: Text, lang: str) -> str:
    """A text of the policy file as the public reads it: without internal P- or L-ids."""
    return _INTERNAL_IDS.sub("", text.in_language(lang)).strip()


def policy_document(
    policy: Policy, lang: str, *, context: StatementContext | None = None
) -> PolicyDocument:
    """The words of the public statement in ``lang``, given what the system offers."""
    context = context or StatementContext()
    t = translator(lang)
    _ = t.gettext
    words = _Words(policy, lang, t, formatting_locale(lang), context)
    meta = policy.policy
    effective = ""
    if meta.effective is not None and meta.effective != meta.last_updated:
        effective = _("This version applies from {date}.").format(date=words.date(meta.effective))
    summary = words.summary()
    minutes = reading_minutes(_section_words(summary))
    reading_time = t.ngettext(
        "Reading time of this summary: {count} minute",
        "Reading time of this summary: {count} minutes",
        minutes,
    ).format(count=minutes)
    summary = dataclasses.replace(summary, meta=reading_time)
    earlier = None
    if context.current_href:
        earlier = Rich(
            (
                _("This is an earlier version of this privacy statement."),
                " ",
                Link(_("Read the current version."), context.current_href),
            )
        )
    return PolicyDocument(
        lang=lang,
        title=_("Privacy statement of {controller}").format(controller=policy.controller.name),
        last_updated_label=_("Last updated"),
        last_updated=words.date(meta.last_updated),
        last_updated_iso=meta.last_updated.isoformat(),
        version=_("Version {version}").format(version=meta.version),
        effective=effective,
        intro=(),
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
            for code, href in context.language_links.items()
        ),
        summary=summary,
        objection=words.objection_box(),
        changes=words.changes(context.changes),
        reading_time=reading_time,
        earlier_version=earlier,
        versions_link=(
            Link(_("All versions of this privacy statement"), context.versions_href)
            if context.versions_href
            else None
        ),
        json_href=context.json_href,
        json_label=_("Machine-readable (JSON-LD)"),
    )


def _section_words(section: Section) -> int:
    """The words a reader reads in ``section``: its heading, text, facts and lists."""
    texts: list[str] = [section.heading, *section.paragraphs]
    texts += [_plain(x) for x in (*section.lines, *section.bullets, *section.closing)]
    for fact in section.facts:
        texts += [fact.label, _plain(fact.text), *(_plain(x) for x in fact.items)]
    return sum(count_words(text) for text in texts)


def _plain(text: Inline) -> str:
    return text if isinstance(text, str) else text.plain


class _Words:
    """Puts one policy into the words of one language, naming only what the system offers."""

    def __init__(
        self,
        policy: Policy,
        lang: str,
        t: Translator,
        locale: Locale,
        context: StatementContext,
    ) -> None:
        self.policy, self.lang, self.t, self.locale = policy, lang, t, locale
        self.context, self.offered = context, context.offered
        self.email = policy.privacy_contact.email

    # --- the first layer and the objection box ---------------------------------------------

    def summary(self) -> Section:
        """In het kort: who, what, what may surprise you, your rights, one contact (≤ 250 words)."""
        _, controller = self.t.gettext, self.policy.controller
        lines: list[Inline] = [
            _("{controller} ({address}) is responsible for your personal data.").format(
                controller=controller.name, address=self.address(controller.address)
            ),
            _("Below you read per situation which data we use, why, and how long we keep it."),
        ]
        surprises = tuple(
            Rich((Link(self.name(a), f"#activity-{a.id}"), ": ", public_text(surprise, self.lang)))
            for a in self.policy.activities
            if (surprise := a.surprise) is not None
        )
        facts = [Fact(_("What may surprise you"), items=surprises)] if surprises else []
        closing: list[Inline] = [
            Rich(
                (
                    _(fixed_text.SUMMARY_RIGHTS),
                    " ",
                    Link(_("Read how to use your rights."), "#rights"),
                )
            ),
            _("Questions? E-mail us at {email}.").format(email=self.email),
        ]
        return Section(
            anchor="in-short",
            heading=_("In short"),
            lines=tuple(lines),
            bullets=tuple(
                Rich((Link(title, f"#{anchor}"),)) for anchor, title, _items in self.situations()
            ),
            facts=tuple(facts),
            closing=tuple(closing),
        )

    def objection_box(self) -> Section | None:
        """Uw recht van bezwaar (art. 21(4)): apart from the rest, direct marketing first."""
        _ = self.t.gettext
        objectable = [a for a in self.policy.activities if a.objection.possible]
        if not objectable:
            return None
        absolute = [a for a in objectable if a.objection.absolute]
        # LEGAL L26: an objection the controller never overrides gets no balancing sentence
        always = [a for a in objectable if not a.objection.absolute and not a.objection.overridable]
        weighed = [a for a in objectable if not a.objection.absolute and a.objection.overridable]
        facts = [
            Fact(label, items=tuple(self.objection_item(a) for a in group))
            for label, group in (
                (_(fixed_text.OBJECTION_ABSOLUTE), absolute),
                (_(fixed_text.OBJECTION_ALWAYS), always),
                (_(fixed_text.OBJECTION_BALANCING), weighed),
            )
            if group
        ]
        return Section(
            anchor="objection",
            heading=_("Your right to object"),
            lines=(_(fixed_text.OBJECTION_INTRO),),
            facts=tuple(facts),
            closing=(_("You can always object by e-mail to {email}.").format(email=self.email),),
            boxed=True,
        )

    def objection_item(self, activity: ProcessingActivity) -> Rich:
        """The activity, linked to its section, and the live channels beyond the mailbox."""
        extra = [c for c in activity.objection.channels if c is not Channel.PRIVACY_EMAIL]
        parts: list[str | Link] = [Link(self.name(activity), f"#activity-{activity.id}")]
        channels = self.channel_parts(activity, extra, mailbox=False)
        if channels:
            parts += [": ", *channels]
        return Rich(tuple(parts))

    # --- the sections after the layers -----------------------------------------------------

    def sections(self) -> tuple[Section, ...]:
        _ = self.t.gettext
        situations = tuple(
            Section(
                anchor=anchor,
                heading=title,
                subsections=tuple(self.activity(a) for a in activities),
            )
            for anchor, title, activities in self.situations()
        )
        extra = [self.dpo(), self.processor_role()]
        return (
            *situations,
            self.overview(),
            self.recipients_table(),
            self.cookies(),
            self.transfers(),
            self.rights(),
            Section(
                anchor="complaint",
                heading=_("Complaints"),
                paragraphs=tuple(self.fill(_(text)) for text in fixed_text.COMPLAINT),
            ),
            *(s for s in extra if s is not None),
            self.changes_section(),
            self.contact(),
        )

    def situations(self) -> list[tuple[str, str, list[ProcessingActivity]]]:
        """(anchor, title, activities) per situation, in the catalogue's order; then the rest."""
        found: list[tuple[str, str, list[ProcessingActivity]]] = [
            (
                f"situation-{s.id}",
                s.title.in_language(self.lang),
                [a for a in self.policy.activities if a.situation == s.id],
            )
            for s in self.policy.situations
        ]
        known = {s.id for s in self.policy.situations}
        rest = [a for a in self.policy.activities if a.situation not in known]
        if rest:
            heading = (
                self.t.gettext("Other processing")
                if found
                else self.t.gettext("What personal data we process and why")
            )
            found.append((f"situation-{_OTHER_SITUATION}", heading, rest))
        return [entry for entry in found if entry[2]]

    def activity(self, activity: ProcessingActivity) -> Section:
        """One short paragraph (the description), its facts folded behind ``<details>``."""
        _, lang = self.t.gettext, self.lang
        facts = [
            # the statement says the purpose in words (the name and the description); the
            # DPV purposes are for the centre pages and the machine-readable twin
            Fact(
                _("Purposes"),
                _enumerated(purpose_words(x, lang) for x in activity.purposes),
                printed=False,
            ),
            # the overview table gives the basis with its article; said once
            Fact(_("Legal basis"), legal_basis_words(activity.legal_basis, lang), in_table=True),
        ]
        if activity.legitimate_interest is not None:
            facts.append(
                Fact(_("Our legitimate interest"), public_text(activity.legitimate_interest, lang))
            )
        # the personal data (art. 14(1)(d)) and the recipients are in the overview table and
        # the recipients table, once; the details add what the table cannot hold
        # art. 14(2)(f): the source is news only where the data was not given or observed
        if not set(activity.sources) <= {DataSource.DATA_SUBJECT, DataSource.OBSERVED}:
            facts.append(
                Fact(_("Source"), _enumerated(_(_SOURCE_WORDS[s]) for s in activity.sources))
            )
        facts.append(self.retention(activity))
        if activity.requirement is not None:
            facts.append(
                Fact(_("Must you provide this data?"), public_text(activity.requirement, lang))
            )
        if activity.profiling is not None:
            facts.append(Fact(_("Profiling"), public_text(activity.profiling, lang)))
        if activity.automated_decision:
            facts.append(Fact(_("Automated assessment"), _(fixed_text.AUTOMATED_DECISION_TEXT)))
        if activity.consent is not None:
            if activity.consent.confirm_by_email is not None:
                # issue 14 item 5: the double opt-in, said where the consent is explained
                confirm = _(
                    "It counts once you open the link we e-mail you, within {period}."
                ).format(period=period_in_words(activity.consent.confirm_by_email, lang))
                facts.append(Fact(_("Giving consent"), confirm))
            channels = self.channel_parts(activity, activity.consent.channels)
            facts.append(Fact(_("Withdrawing consent"), Rich((*channels, "."))))
        if activity.objection.possible:
            # where to object and what an objection does are said once, in the objection
            # box; the details add only what this activity's note says beyond that
            if activity.objection.note is not None:
                note = _sentence(public_text(activity.objection.note, lang))
                parts = (note, " ", Link(_("How to object"), "#objection"))
                facts.append(Fact(_("Objecting"), Rich(parts)))
        return Section(
            anchor=f"activity-{activity.id}",
            heading=self.name(activity),
            paragraphs=(public_text(activity.description, lang),),
            facts=tuple(facts),
            details_label=_("All details"),
            promises=activity.promises,
        )

    def channel_parts(
        self, activity: ProcessingActivity, channels: Sequence[Channel], *, mailbox: bool = True
    ) -> list[str | Link]:
        """The live ``channels`` as words joined by "or"; a link where the system offers one.

        The privacy mailbox is always there, so it closes the list when ``mailbox`` is set
        even if the file names only channels the system does not offer yet.
        """
        _ = self.t.gettext
        live: list[str | Link] = []
        for channel in dict.fromkeys(channels):
            if channel is Channel.PRIVACY_EMAIL and not mailbox:
                continue
            if not self.offered.names(channel, activity.id):
                continue  # promised in the file, not offered by the system: not named
            words = _(CHANNEL_WORDS[channel]).format(email=self.email)
            href = self.offered.href(channel, activity.id) if channel.offered_by_system else None
            live.append(Link(words, href) if href else words)
        if mailbox and Channel.PRIVACY_EMAIL not in channels:
            live.append(_(CHANNEL_WORDS[Channel.PRIVACY_EMAIL]).format(email=self.email))
        return self.joined(live, style="or")

    def retention(self, activity: ProcessingActivity) -> Fact:
        _, lang, retention = self.t.gettext, self.lang, activity.retention
        main = self.retention_rule(activity)  # the overview states it; details add items
        items = [
            _capitalised(
                _("We keep {categories} for {period}: {ground}.").format(
                    categories=self.listed(self.category_names(hold.categories)),
                    period=period_in_words(hold.period, lang),
                    ground=_lower_first(public_text(hold.ground, lang)),
                )
            )
            for hold in retention.legal_holds
        ]
        items += [
            _("After {period}: {method} ({categories}).").format(
                period=period_in_words(step.after, lang),
                method=_lower_first(public_text(step.method, lang)),
                categories=self.listed(self.category_names(step.categories)),
            )
            for step in retention.minimise
        ]
        items += self.account_activity(activity)
        return Fact(_("Retention"), main, tuple(items), in_table=True)

    def account_activity(self, activity: ProcessingActivity) -> list[str]:
        """What "while your account is active" means (P20, L52): said once, at the first
        activity whose retention runs until the account's closure."""
        rule = self.policy.account_activity
        first = next(
            (
                a
                for a in self.policy.activities
                if a.retention.starts is RetentionStart.ACCOUNT_CLOSURE
            ),
            None,
        )
        if rule is None or first is None or first.id != activity.id:
            return []
        _ = self.t.gettext
        return [
            _("Your account counts as active while you log in or use one of our services.")
            + " "
            + _(
                "After {inactive} without either we send you an e-mail; if you do not log in "
                "within {notice}, we close the account."
            ).format(
                inactive=period_in_words(rule.inactive_after, self.lang),
                notice=period_in_words(rule.notice, self.lang),
            )
        ]

    # --- the tables ------------------------------------------------------------------------

    def retention_rule(self, activity: ProcessingActivity) -> str:
        """How long, in one phrase; a period that keeps only some categories says so (P12:
        the disclosure log is kept five years, not the data it names)."""
        retention = activity.retention
        rule = retention_in_words(retention, self.lang, PUBLIC_RETENTION)
        if not retention.applies_to:
            return rule
        return self.t.gettext(
            "{categories}: {period}; the other data only as long as its own purpose needs"
        ).format(
            categories=_capitalised(self.listed(self.category_names(retention.applies_to))),
            period=rule,
        )

    def overview(self) -> Section:
        """A row per activity: waarvoor | welke gegevens | grondslag | hoe lang | wie krijgt ze."""
        _ = self.t.gettext
        rows = tuple(
            (
                Rich((Link(self.name(a), f"#activity-{a.id}"),)),
                _enumerated(self.category_names(a.data_categories)),
                legal_basis_words(a.legal_basis, self.lang),
                self.retention_rule(a),
                self.recipient_names(a),
            )
            for a in self.policy.activities
        )
        return Section(
            anchor="overview",
            heading=_("Overview"),
            tables=(
                Table(
                    caption=_("What we use your data for, at a glance"),
                    headers=(
                        _("What for"),
                        _("Which data"),
                        _("Legal basis"),
                        _("How long"),
                        _("Who gets it"),
                    ),
                    rows=rows,
                ),
            ),
        )

    def recipient_names(self, activity: ProcessingActivity) -> str:
        # P12: "alleen intern": without recipients the data stays with our own staff
        if not activity.recipients:
            return self.t.gettext("only inside our company")
        return "; ".join(self.policy.recipient(r).name for r in activity.recipients)

    def recipients_table(self) -> Section:
        """Every recipient by name: role, country, what they get, the safeguard."""
        _ = self.t.gettext
        used = {r for a in self.policy.activities for r in a.recipients}
        rows = tuple(self.recipient_row(r) for r in self.policy.recipients if r.id in used)
        return Section(
            anchor="recipients",
            heading=_("Who gets your data"),
            lines=(_(fixed_text.RECIPIENTS_INTRO),),
            tables=(
                Table(
                    caption=_("The recipients of your data"),
                    headers=(
                        _("Name"),
                        _("Role"),
                        _("Country"),
                        _("What they get"),
                        _("Safeguard"),
                    ),
                    rows=rows,
                ),
            )
            if rows
            else (),
        )

    def recipient_row(self, recipient: Recipient) -> tuple[Inline, ...]:
        _ = self.t.gettext
        name: Inline = recipient.name
        if recipient.privacy_policy_url:
            name = Rich((Link(recipient.name, recipient.privacy_policy_url),))
        what = public_text(recipient.description, self.lang)
        if recipient.arrangement is not None:
            # art. 26(2): the essence of the joint arrangement is made available
            what = " ".join(
                (
                    _sentence(what),
                    _("What we agreed: {arrangement}").format(
                        arrangement=public_text(recipient.arrangement, self.lang)
                    ),
                )
            )
        return (
            name,
            recipient_role_words(recipient.role, self.lang),
            self.country(recipient.country) if recipient.country else "—",
            what,
            safeguard_words(recipient.safeguard, self.lang) if recipient.safeguard else "—",
        )

    def cookies(self) -> Section:
        """The cookie tables: necessary ones, then those that need consent (Tw 11.7a)."""
        _ = self.t.gettext
        heading = _("Cookies and similar technologies")
        with_cookies = [a for a in self.policy.activities if a.cookies]
        if not with_cookies:
            return Section(
                anchor="cookies",
                heading=heading,
                lines=(_("We use no cookies or similar technologies."),),
            )
        necessary = [a for a in with_cookies if a.legal_basis is not LegalBasis.CONSENT]
        consent = [a for a in with_cookies if a.legal_basis is LegalBasis.CONSENT]
        headers = (_("Name"), _("From"), _("What for"), _("How long"), _("Whose"))
        tables = tuple(
            Table(
                caption=caption,
                headers=headers,
                rows=tuple(self.cookie_row(a, c) for a in group for c in a.cookies),
            )
            for caption, group in (
                (_("Strictly necessary (always on)"), necessary),
                (_("Only with your consent"), consent),
            )
            if group
        )
        # where a choice is changed: said once when every consent cookie shares its channels
        by_channels: dict[tuple[str | Link, ...], list[ProcessingActivity]] = {}
        for activity in consent:
            if activity.consent is not None:
                channels = tuple(self.channel_parts(activity, activity.consent.channels))
                by_channels.setdefault(channels, []).append(activity)
        closing: list[Inline] = []
        for channels, activities in by_channels.items():
            if len(by_channels) == 1:
                lead = _("You change your choice ")
            else:
                names = self.listed(self.name(a) for a in activities)
                lead = _("{activity}: you change your choice ").format(activity=names)
            closing.append(Rich((lead, *channels, ".")))
        closing.append(_("You can also delete cookies in your browser's settings."))
        return Section(
            anchor="cookies",
            heading=heading,
            lines=(_(fixed_text.COOKIES_INTRO),),
            tables=tables,
            closing=tuple(closing),
        )

    def cookie_row(self, activity: ProcessingActivity, cookie: Cookie) -> tuple[Inline, ...]:
        _ = self.t.gettext
        name = cookie.name
        if cookie.kind is StorageKind.LOCAL_STORAGE:
            name = _("{name} (local storage)").format(name=name)
        elif cookie.kind is StorageKind.PIXEL:
            name = _("{name} (pixel)").format(name=name)
        provider = (
            self.policy.controller.name
            if cookie.recipient is None
            else self.policy.recipient(cookie.recipient).name
        )
        if cookie.lifetime is not None:
            lifetime = period_in_words(cookie.lifetime, self.lang)
        elif cookie.kind is StorageKind.PIXEL:
            lifetime = "—"  # a pixel or tracked link stores nothing on the device
        else:
            lifetime = _("until you close your browser")
        return (
            name,
            provider,
            public_text(cookie.purpose, self.lang),
            lifetime,
            _("our own") if cookie.first_party else _("third party"),
        )

    # --- the rest art. 13/14 asks for ------------------------------------------------------

    def transfers(self) -> Section:
        """Transfers outside the EEA (art. 13(1)(f)), and the agreements inside it (P13)."""
        _ = self.t.gettext
        outside: dict[tuple[str, str, Safeguard, str | None, Safeguard | None], list[str]] = {}
        inside: dict[tuple[str, str, Safeguard, str | None, Safeguard | None], list[str]] = {}
        for activity in self.policy.activities:
            for link in activity.transfers:
                key = (link.recipient, link.country, link.safeguard, link.importer, link.fallback)
                if in_third_country(link.country):
                    outside.setdefault(key, []).append(self.name(activity))
                elif link.safeguard is not Safeguard.EEA:
                    inside.setdefault(key, []).append(self.name(activity))
        bullets = [
            _("{transfer} For: {activities}.").format(
                transfer=self.transfer(*key), activities=self.listed(dict.fromkeys(names))
            )
            for key, names in outside.items()
        ]
        lines: list[Inline] = []
        if outside:
            lines.append(self.fill(_(fixed_text.TRANSFERS_INTRO)))
        else:
            lines.append(_("We do not transfer personal data to countries outside the EEA."))
        closing: list[Inline] = []
        if inside:
            # P13: inside the EEA chapter V does not apply; the agreements still hold
            closing.append(
                _("Inside the EEA the transfer rules of the GDPR do not apply. Still we agree:")
            )
            closing += [
                _("{transfer} For: {activities}.").format(
                    transfer=self.transfer(*key), activities=self.listed(dict.fromkeys(names))
                )
                for key, names in inside.items()
            ]
        return Section(
            anchor="transfers",
            heading=_("Transfers outside the European Economic Area"),
            lines=tuple(lines),
            bullets=tuple(bullets),
            closing=tuple(closing),
        )

    def transfer(
        self,
        recipient_id: str,
        country: str,
        safeguard: Safeguard,
        importer: str | None,
        fallback: Safeguard | None,
    ) -> str:
        _ = self.t.gettext
        name = self.policy.recipient(recipient_id).name
        text = _("{recipient} ({country}): {safeguard}.").format(
            recipient=name if importer is None else f"{name} → {importer}",
            country=self.country(country),
            safeguard=safeguard_words(safeguard, self.lang),
        )
        if fallback is not None:
            text += " " + _("If that basis lapses, we use {fallback}.").format(
                fallback=safeguard_words(fallback, self.lang)
            )
        return text

    def rights(self) -> Section:
        """Each right of art. 15-21: what it means, and its page where the system has one."""
        _ = self.t.gettext
        facts = []
        for (name, article, meaning), page in zip(fixed_text.RIGHTS, _RIGHT_PAGES, strict=True):
            parts: list[str | Link] = [_capitalised(_(meaning))]
            href = self.offered.rights.get(page) if page is not None else None
            if href:
                parts += [" ", Link(_("Do it yourself."), href)]
            if page is RightName.OBJECTION:
                parts += [" ", Link(_("Your right to object"), "#objection")]
            if page is None:
                parts += [" ", _(fixed_text.WITHDRAW_EFFECT)]
            facts.append(Fact(f"{_(name)} ({_(article)})", Rich(tuple(parts))))
        lines: list[Inline] = [
            _("You can always use your rights by e-mail to {email}. No form is needed.").format(
                email=self.email
            )
        ]
        if self.offered.centre:
            lines.append(
                Rich(
                    (
                        _("Many of them you can also use yourself in the "),
                        Link(_("privacy centre"), self.offered.centre),
                        ".",
                    )
                )
            )
        return Section(
            anchor="rights",
            heading=_("Your rights"),
            lines=tuple(lines),
            facts=tuple(facts),
            closing=tuple(_(text) for text in fixed_text.RIGHTS_TERMS),
        )

    def dpo(self) -> Section | None:
        officer = self.policy.data_protection_officer
        if officer is None:
            return None
        _ = self.t.gettext
        lines: list[str] = []
        if officer.appointed and officer.name and officer.email:
            lines.append(
                _("Our data protection officer is {name}. You can reach them at {email}.").format(
                    name=officer.name, email=officer.email
                )
            )
        lines.append(public_text(officer.assessment, self.lang))
        return Section(anchor="dpo", heading=_("Data protection officer"), paragraphs=tuple(lines))

    def processor_role(self) -> Section | None:
        if self.policy.processor_role is None:
            return None
        return Section(
            anchor="processor",
            heading=self.t.gettext("When we process data for our customers"),
            paragraphs=(public_text(self.policy.processor_role, self.lang),),
        )

    def changes_section(self) -> Section:
        _ = self.t.gettext
        lines: list[Inline] = []
        if self.context.versions_href:
            lines.append(Rich((Link(_("Read the earlier versions."), self.context.versions_href),)))
        return Section(
            anchor="changes",
            heading=_("Changes to this privacy statement"),
            paragraphs=tuple(_(text) for text in fixed_text.CHANGES),
            lines=tuple(lines),
            promises=_block_promises(self.policy, "changes"),
        )

    def changes(self, diff: PolicyDiff | None) -> Section | None:
        """Wat is er veranderd: one line per material change, in public words."""
        if diff is None or not diff.is_material:
            return None
        lines = tuple(dict.fromkeys(self.change_words(c) for c in diff.material))
        return Section(
            anchor="what-changed",
            heading=self.t.gettext("What has changed"),
            lines=(self.t.gettext("Compared with the previous version:"),),
            bullets=lines,
            boxed=True,
        )

    def change_words(self, change: Change) -> str:
        """A change in the reader's words, from its field and kind; never its English reason."""
        _ = self.t.gettext
        head, _dot, rest = change.field.partition(".")
        if change.activity_id is not None:
            try:
                name = self.name(self.policy.activity(change.activity_id))
            except KeyError:
                name = change.activity_id
            return _(_CHANGE_WORDS.get(head, _OTHER_CHANGE)).format(name=name)
        if head not in _POLICY_CHANGE_WORDS:
            return _(_OTHER_POLICY_CHANGE)
        entry = rest.partition(".")[0]
        line = _(_POLICY_CHANGE_WORDS[head]).format(name=self.catalogue_name(head, entry))
        return line[:-1] if line.endswith("..") else line  # "Stats Inc." ends the line

    def catalogue_name(self, catalogue: str, entry: str) -> str:
        try:
            if catalogue == "recipients":
                return self.policy.recipient(entry).name
            if catalogue == "data_categories":
                return self.policy.category(entry).name.in_language(self.lang)
        except KeyError:
            pass
        return entry

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

    # --- small helpers ---------------------------------------------------------------------

    def name(self, activity: ProcessingActivity) -> str:
        return public_text(activity.name, self.lang)

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

    def joined(
        self, items: Sequence[str | Link], style: Literal["standard", "or"] = "standard"
    ) -> list[str | Link]:
        """``items`` with the language's list words between them ("a, b of c"), links kept."""
        if not items:
            return []
        marks = [f"\x00{i}\x00" for i in range(len(items))]
        pattern = format_list(marks, style=style, locale=self.locale)
        parts: list[str | Link] = []
        for i, piece in enumerate(re.split(r"\x00(\d+)\x00", pattern)):
            if i % 2:
                parts.append(items[int(piece)])
            elif piece:
                parts.append(piece)
        return parts

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
