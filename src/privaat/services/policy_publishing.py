"""Publishing a new version of the privacy policy (issue 13 item 3; P19, LEGAL L48-L50).

    privaat policy publish FILE [--effective DATE]
      │  the file loads and validates (as ``policy check``)            ── else refused
      │  DATE (default: the file's ``effective``, else today) is not past ── else refused
      │  it follows the newest stored version (``check_versions``)     ── else refused
      │  a material change leaves at least PRIVAAT_POLICY_NOTICE_DAYS   ── else refused
      ▼
    one transaction: the version (``policy_versions``, "last updated" stamped with the day of
    publication, ``effective`` with DATE) · its publication (``policy_publications``) · for a
    material change, a change e-mail to every active account (the outbox, under
    ``important_notices``, in the account's language, listing the changes in plain words)

A refusal changes nothing: every check runs before the transaction opens, and the
transaction writes all or nothing.

Which version runs (the decision, ``in_force``): the app still starts from
``settings.policy_file``, but a published version is enforced only from its effective date:

- the file's version is published for a later day: the app runs the newest stored version
  before it that is in force (its stored text), or the file when there is none;
- a version published after the file's has come into force: the app runs that version's
  stored text, so a publication takes effect on its day without a new deploy; going back to
  an older text after that means publishing a new version (a rollback is a new text to the
  people who were told of the change);
- otherwise (nothing published with ``policy publish``): the file, as before issue 13.

The choice is made at start-up (the guard and every service are built over one policy);
``privaat serve`` asks again every minute (``cli.serve.VersionWatch``) and, once another
version is in force, lets the requests in flight finish and starts again over it, in the same
process: a publication takes effect on its day without an operator. The privacy centre's
site notice runs from the publication until 30 days after the effective date (as the "what
changed" box).

Staleness (L50, L86) needs nothing more here: the guard counts a consent only when it was
given for the exact text the running activity shows (its SHA-256), so once a version with a
changed consent text is in force, consents to the older text are stale (``CONSENT_STALE``)
until given again; a new consent-based activity has no consent events: nobody consents.
Each consent event names the policy version it was given under (``consent_events``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from privaat.domain.activities import NOTICES
from privaat.domain.clock import Clock
from privaat.domain.principal import SystemJob
from privaat.domain.subject import AccountStatus
from privaat.domain.subprocessor_changes import sub_processor_changes
from privaat.i18n import N_, translations
from privaat.mail.transport import OutgoingMail
from privaat.policy.diff import Change, PolicyDiff, check_versions, diff_policies
from privaat.policy.schema import Policy
from privaat.policy.wording import translator
from privaat.render.language import formatting_locale
from privaat.render.policy_text import _Words
from privaat.render.statement_context import StatementContext
from privaat.services.errors import ServiceError
from privaat.services.outbox import queue
from privaat.services.policy_versions import CHANGES_SHOWN_FOR, PolicyVersions, StoredVersion
from privaat.services.subject_access import Operation, SubjectAccess
from privaat.services.subprocessor_notices import SubProcessorNotices
from privaat.store.tables import accounts, policy_versions
from privaat.store.tables_policy_notices import policy_publications
from privaat.store.unit_of_work import UnitOfWork

__all__ = [
    "CHANGE_MAIL",
    "PolicyPublishing",
    "Publication",
    "PublishRefused",
    "SiteNotice",
    "change_lines",
    "in_force",
]

log = logging.getLogger("privaat.policy")
CHANGE_MAIL = "policy_changed"  # the outbox template name of the change e-mail
_JOB = SystemJob("policy_publish")


class PublishRefused(ServiceError):
    """The file cannot be published as given; nothing was stored or queued."""


@dataclass(frozen=True, slots=True)
class Publication:
    """What ``publish`` stored: the version, from when it applies, and what was announced."""

    version: int
    previous: int | None
    effective: date
    last_updated: date
    material: bool
    changes: tuple[Change, ...]  # the material changes from the previous version
    mails_queued: int
    # art. 28(2): a notice per business customer of each service whose sub-processors change
    business_notices: int = 0


@dataclass(frozen=True, slots=True)
class SiteNotice:
    """The privacy centre's notice of a published change: coming (before) or recent (after)."""

    version: int
    previous: int
    effective: date
    coming: bool  # True before the effective date

    @property
    def changes_href(self) -> str:
        return f"/privacy/changes?from={self.previous}&to={self.version}"


def change_lines(policy: Policy, diff: PolicyDiff, lang: str) -> tuple[str, ...]:
    """The material changes of ``diff`` in ``lang``, in the statement's own public words."""
    words = _Words(policy, lang, translator(lang), formatting_locale(lang), StatementContext())
    return tuple(dict.fromkeys(words.change_words(change) for change in diff.material))


def in_force(engine: Engine, clock: Clock, policy: Policy) -> Policy:
    """The policy to enforce today, starting from the file's ``policy`` (module docstring)."""
    today = clock.now().date()
    meta = policy.policy
    try:
        with engine.connect() as connection:
            published = {
                row.version: row.effective
                for row in connection.execute(
                    select(policy_publications.c.version, policy_publications.c.effective).where(
                        policy_publications.c.policy_id == meta.id
                    )
                )
            }
            if not published:
                return policy
            pending = {number for number, day in published.items() if day > today}
            if meta.version in pending:
                chosen = connection.execute(
                    select(policy_versions.c.version)
                    .where(
                        policy_versions.c.policy_id == meta.id,
                        policy_versions.c.version < meta.version,
                        policy_versions.c.version.not_in(pending),
                    )
                    .order_by(policy_versions.c.version.desc())
                    .limit(1)
                ).scalar()
            else:
                due = [number for number, day in published.items() if day <= today]
                newest = max(due, default=None)
                chosen = newest if newest is not None and newest >= meta.version else None
            if chosen is None:
                return policy
            versions = PolicyVersions(engine, clock, meta.id)
    except SQLAlchemyError as error:
        # a database not yet migrated (or not there): nothing is published in it yet
        log.debug("no published versions to choose from: %s", type(error).__name__)
        return policy
    stored = versions.get(chosen)
    loaded = None if stored is None else stored.load()
    if loaded is None:
        return policy
    if loaded.policy.version != meta.version:
        log.info("running policy version %s, in force today instead of %s", chosen, meta.version)
    return loaded


# --- the change e-mail (NL/EN: English msgids, Dutch in the catalogue) -----------------------

_SUBJECT = N_("Our privacy statement changes on {date}")
_INTRO = N_(
    "On {date} a new version of the privacy statement of {provider} takes effect (version "
    "{version}). We tell you in advance because these changes matter for your data:"
)
_CONSENT = N_(
    "Where we ask for your consent in other words, we ask for it again: your earlier consent "
    "to that text no longer counts once the new version applies."
)
_READ = N_("Read what changes: {changes}")
_FULL = N_("The new privacy statement: {statement}")
_QUESTIONS = N_("Questions? Write to {contact}.")


def _mail(
    new: Policy, diff: PolicyDiff, lang: str, *, effective: date, previous: int, base_url: str
) -> tuple[str, str]:
    _ = translations(lang).gettext
    day = _day(effective, lang)
    base = base_url.rstrip("/")
    lines = [
        _(_INTRO).format(date=day, provider=new.controller.name, version=new.policy.version),
        "",
        *(f"- {line}" for line in change_lines(new, diff, lang)),
        "",
    ]
    if any(change.requires_reconsent for change in diff.material):
        lines += [_(_CONSENT), ""]
    changes = f"{base}/privacy/changes?from={previous}&to={new.policy.version}&lang={lang}"
    lines += [
        _(_READ).format(changes=changes),
        _(_FULL).format(statement=f"{base}/privacy/v/{new.policy.version}?lang={lang}"),
        "",
        _(_QUESTIONS).format(contact=new.privacy_contact.email),
    ]
    return _(_SUBJECT).format(date=day), "\n".join(lines) + "\n"


def _day(value: date, lang: str) -> str:
    return format_date(value, format="long", locale=formatting_locale(lang))


class PolicyPublishing:
    """``policy publish``: stores a version, its effective date and the announcements."""

    def __init__(
        self,
        *,
        engine: Engine,
        access: SubjectAccess,
        versions: PolicyVersions,
        clock: Clock,
        notice_days: int,
        base_url: str,
        business: SubProcessorNotices | None = None,
    ) -> None:
        self._engine, self._access, self._versions = engine, access, versions
        self._clock, self._notice_days, self._base_url = clock, notice_days, base_url
        self._business = business

    @property
    def notice_days(self) -> int:
        return self._notice_days

    def publish(
        self, uow: UnitOfWork, policy: Policy, *, effective: date | None = None
    ) -> Publication:
        """Publish ``policy`` (already loaded and valid); PublishRefused says why not."""
        now = self._clock.now()
        today = now.date()
        day = effective or policy.policy.effective or today
        if day < today:
            raise PublishRefused(
                f"--effective: {day} lies in the past; a version takes effect today or later"
            )
        stamped = policy.model_copy(
            update={
                "policy": policy.policy.model_copy(update={"last_updated": today, "effective": day})
            }
        )
        stored = self._versions.all()
        newest = stored[0] if stored else None
        old = self._follows(stamped, newest)
        diff = None if old is None else diff_policies(old, stamped)
        material = diff is not None and diff.is_material
        # art. 28(2): a change of sub-processors gives the business customers time to object
        subs = () if old is None else sub_processor_changes(old, stamped)
        if (material or subs) and day < today + timedelta(days=self._notice_days):
            earliest = today + timedelta(days=self._notice_days)
            raise PublishRefused(
                f"--effective: a material change is announced at least {self._notice_days} "
                f"days before it takes effect (PRIVAAT_POLICY_NOTICE_DAYS; art. 13(3), L49): "
                f"{day} is too early, the earliest is {earliest}"
            )
        try:
            queued, notices = self._store(
                uow, stamped, diff if material else None, day, newest, old if subs else None
            )
        except IntegrityError:
            # another `policy publish` stored this number first: ours rolled back whole
            raise PublishRefused(
                f"policy.version: version {stamped.policy.version} was published meanwhile; "
                "nothing of this run was stored"
            ) from None
        return Publication(
            version=stamped.policy.version,
            previous=None if newest is None else newest.number,
            effective=day,
            last_updated=today,
            material=material,
            changes=() if diff is None else diff.material,
            mails_queued=queued,
            business_notices=notices,
        )

    def _store(
        self,
        uow: UnitOfWork,
        stamped: Policy,
        diff: PolicyDiff | None,
        day: date,
        newest: StoredVersion | None,
        old: Policy | None = None,
    ) -> tuple[int, int]:
        """The version, its announcements and its publication row: one transaction."""
        now = self._clock.now()
        with uow.writing() as connection:
            self._versions.record_on(connection, stamped)
            queued = 0
            if diff is not None and newest is not None:
                queued = self._announce(connection, stamped, diff, day, newest.number)
            notices = 0
            if old is not None and self._business is not None:
                notices = self._business.announce(connection, old, stamped, effective=day)
            connection.execute(
                insert(policy_publications).values(
                    policy_id=stamped.policy.id,
                    version=stamped.policy.version,
                    published_at=now,
                    effective=day,
                    previous_version=None if newest is None else newest.number,
                    material=diff is not None,
                    notice_days=self._notice_days,
                    mails_queued=queued,
                )
            )
        return queued, notices

    def _follows(self, new: Policy, newest: StoredVersion | None) -> Policy | None:
        if newest is None:
            return None
        if new.policy.version <= newest.number:
            raise PublishRefused(
                f"policy.version: version {newest.number} is published already; the next "
                f"version is {newest.number + 1}, not {new.policy.version} (L48)"
            )
        old = self._versions.policy(newest)
        if old is None:
            return None
        findings = check_versions(old, new)
        if findings:
            reasons = "; ".join(f"{'.'.join(map(str, f.location))}: {f.message}" for f in findings)
            raise PublishRefused(f"does not follow version {newest.number}: {reasons}")
        return old

    def _announce(
        self, connection: Connection, new: Policy, diff: PolicyDiff, day: date, previous: int
    ) -> int:
        queued = 0
        now = self._clock.now()
        for subject_id in _active_accounts(connection):
            opened = self._access.open_if_allowed(
                connection, _JOB, subject_id, NOTICES, operation=Operation.READ
            )
            if opened is None:  # restricted, a minor, objected: no mail
                continue
            address = opened.decrypt("accounts.email", opened.record["email_enc"])
            if address is None:
                continue
            lang = opened.record["language"] or "nl"
            subject, body = _mail(
                new, diff, lang, effective=day, previous=previous, base_url=self._base_url
            )
            queue(
                connection,
                opened,
                template=CHANGE_MAIL,
                mail=OutgoingMail(to=address, subject=subject, body=body),
                at=now,
            )
            queued += 1
        return queued

    def site_notice(self, running: Policy, today: date) -> SiteNotice | None:
        """The newest material publication, from publishing until 30 days after it applies."""
        try:
            with self._engine.connect() as connection:
                row = connection.execute(
                    select(policy_publications)
                    .where(
                        policy_publications.c.policy_id == running.policy.id,
                        policy_publications.c.material.is_(True),
                        policy_publications.c.previous_version.is_not(None),
                    )
                    .order_by(policy_publications.c.version.desc())
                    .limit(1)
                ).first()
        except SQLAlchemyError as error:
            log.warning("privacy centre without its policy notice: %s", type(error).__name__)
            return None
        if row is None or today >= row.effective + CHANGES_SHOWN_FOR:
            return None
        return SiteNotice(
            version=row.version,
            previous=row.previous_version,
            effective=row.effective,
            coming=today < row.effective,
        )

    def publications(self, policy_id: str) -> list[dict[str, Any]]:
        """Every version published with ``policy publish``, oldest first."""
        with self._engine.connect() as connection:
            return [
                dict(row._mapping)
                for row in connection.execute(
                    select(policy_publications)
                    .where(policy_publications.c.policy_id == policy_id)
                    .order_by(policy_publications.c.version)
                )
            ]


def _active_accounts(connection: Connection) -> Iterator[int]:
    rows = connection.execute(
        select(accounts.c.subject_id)
        .where(accounts.c.status == AccountStatus.ACTIVE.value)
        .order_by(accounts.c.subject_id)
    )
    for (subject_id,) in rows.all():
        yield int(subject_id)
