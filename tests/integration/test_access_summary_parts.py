"""The summary's table of parts and its date are each answer's own (L59), though the text
about the activities is rendered once per language, kind and set of activities."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from tests.integration.test_subject_export import _seeded

from privaat.bootstrap import Context
from privaat.domain.principal import DataSubject
from privaat.render.access_package import access_zip
from privaat.services.subject_export import SubjectExport


def test_L59_each_summary_lists_its_own_parts_counts_and_date(context: Context) -> None:
    person = _seeded(context)
    with context.unit_of_work() as uow:
        data = SubjectExport(access=context.access).collect(
            uow, DataSubject(person.subject_id), person.subject_id
        )
    first_day, second_day = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    one = access_zip(data, context.policy, lang="en", generated_at=first_day, kind="access")
    fewer = type(data)(data.pseudonym, tuple(p for p in data.parts if p.table != "login_events"))
    two = access_zip(fewer, context.policy, lang="en", generated_at=second_day, kind="access")
    first = zipfile.ZipFile(io.BytesIO(one)).read("summary.html").decode()
    second = zipfile.ZipFile(io.BytesIO(two)).read("summary.html").decode()
    assert "2026-11-02" in first and "2026-12-01" in second and "2026-11-02" not in second
    logins = len(data.part("login_events").rows)  # type: ignore[union-attr]
    assert f"<code>data/login_events.json</code></td><td>{logins}</td>" in first
    assert "data/login_events.json" not in second
    assert "\x00" not in first + second  # no placeholder left behind
