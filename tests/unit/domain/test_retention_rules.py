"""The retention rules (issue 13 item 1; P20, LEGAL L23, L34, L51-L53): derived from the
policy and the registry, every subject table has exactly one rule or is exempt with a reason,
and the cutoffs follow the calendar. Expected values are written by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, Table

from privaat.domain.retention import (
    EXEMPT,
    RetentionRuleError,
    Withdrawal,
    cutoff,
    derive_rules,
)
from privaat.policy.loader import load_policy_file
from privaat.policy.period import Period
from privaat.policy.schema import Policy
from privaat.store.registry import (
    SubjectTable,
    personal,
    registry_activities,
    subject_tables,
    technical,
)
from privaat.store.tables import metadata

ROOT = Path(__file__).resolve().parents[3]
FLEXIBELT = load_policy_file(ROOT / "policies" / "flexibelt.yaml")
WEBWINKEL = load_policy_file(ROOT / "policies" / "webwinkel-voorbeeld.yaml")


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def test_p20_cutoffs_follow_the_calendar() -> None:
    # a month before 31 March is the last day of February (not 3 March)
    assert cutoff(Period.parse("P1M"), _at(2026, 3, 31)) == _at(2026, 2, 28)
    assert cutoff(Period.parse("P1M"), _at(2028, 3, 31)) == _at(2028, 2, 29)  # leap year
    # L34: seven years from a financial year's end
    assert cutoff(Period.parse("P7Y"), _at(2033, 12, 31)) == _at(2026, 12, 31)
    # 30 days after an event (a call): day 31 is past it, day 30 not yet
    assert cutoff(Period.parse("P30D"), _at(2026, 12, 2)) == _at(2026, 11, 2)
    assert cutoff(Period.parse("P6M"), _at(2026, 8, 31)) == _at(2026, 2, 28)


@pytest.mark.parametrize("policy", [FLEXIBELT, WEBWINKEL], ids=["flexibelt", "webwinkel"])
def test_p20_every_subject_table_has_exactly_one_rule_or_is_exempt(policy: Policy) -> None:
    idle = registry_activities(metadata) - policy.activity_ids
    plan = derive_rules(policy, metadata, idle=idle)
    closure = plan.closure.tables if plan.closure else ()
    covered = [r.table for r in plan.deletes] + list(closure) + list(plan.idle)
    covered += [e.table for e in plan.exempt]
    names = [table.name for table, _spec in subject_tables(metadata)]
    assert sorted(covered) == sorted(names)  # each once, none missing
    for exempt in plan.exempt:
        assert exempt.reason == EXEMPT[exempt.table] and len(exempt.reason) > 40


def test_p20_flexibelt_rules_are_the_policys_periods_on_the_tables_clocks() -> None:
    plan = derive_rules(FLEXIBELT, metadata)
    rules = {r.table: (r.clock, r.activity, str(r.period)) for r in plan.deletes}
    assert rules["call_recording_segments"] == ("recorded_at", "call_recording", "P30D")  # L28
    assert rules["support_cases"] == ("closed_at", "support_desk", "P1Y")  # after closing
    assert rules["shop_invoices"] == ("year_end", "tax_records", "P7Y")  # L34
    assert rules["service_logins"] == ("at", "security_logging", "P6M")  # L35
    assert rules["voip_sync_events"] == ("received_at", "voip_sync_telemetry", "P90D")
    assert rules["access_log"] == ("at", "security_logging", "P6M")  # L53: expires like any
    # site_consent_events: a hosting customer's records, kept as the customer instructs
    assert {e.table for e in plan.exempt} == {
        "audit_log",
        "site_consent_events",
        "subjects",
        "suppressions",
    }
    # L23: the IP jobs are minimisation rules now
    steps = {(m.table, m.columns, str(m.after)) for m in plan.minimisations}
    assert steps == {
        ("login_events", ("ip_enc",), "P30D"),
        ("service_logins", ("ip_enc",), "P30D"),
        ("voip_sync_events", ("ip_enc",), "P14D"),
    }
    assert plan.closure is not None
    assert (plan.closure.activity, str(plan.closure.period)) == ("account", "P30D")
    assert "accounts" in plan.closure.tables and "credentials" in plan.closure.tables
    # kept until consent is withdrawn: the latest consent event decides
    withdrawal = {r.table: r.withdrawal for r in plan.deletes if r.withdrawal}
    assert withdrawal == {
        "campaign_sends": Withdrawal(activities=("marketing_email",)),
        "marketing_profiles": Withdrawal(activities=("marketing_email",)),
        "consent_events": Withdrawal(column="activity"),
    }


def _one_table(
    clock: str, *, activity: str = "shop_orders", with_invoice: bool = False
) -> MetaData:
    schema = MetaData()
    columns = [
        technical("id", Integer, primary_key=True),
        technical("subject_id", Integer, nullable=False),
        personal("placed_at", DateTime(timezone=True), activity=activity, category=None),
        personal("note_enc", LargeBinary, activity=activity, category="order_details"),
    ]
    if with_invoice:
        columns.append(personal("pdf_enc", LargeBinary, activity=activity, category="invoices"))
    Table("orders", schema, *columns, info={"subject": SubjectTable("subject_id", clock=clock)})
    return schema


def test_l34_a_legal_hold_on_a_held_category_lengthens_the_period() -> None:
    # shop_orders: two years after delivery, but its invoices are held seven years (L34)
    (plain,) = derive_rules(FLEXIBELT, _one_table("placed_at")).deletes
    assert (str(plain.period), plain.held_for) == ("P2Y", ())
    (held,) = derive_rules(FLEXIBELT, _one_table("placed_at", with_invoice=True)).deletes
    assert (str(held.period), held.held_for) == ("P7Y", ("invoices",))


def test_p20_an_unknown_clock_or_an_activity_without_retention_is_refused_at_start() -> None:
    with pytest.raises(RetentionRuleError, match="orders: its retention clock 'shipped_at'"):
        derive_rules(FLEXIBELT, _one_table("shipped_at"))
    with pytest.raises(RetentionRuleError, match="orders: the policy gives activity 'bogus'"):
        derive_rules(FLEXIBELT, _one_table("placed_at", activity="bogus"))
    # a disabled service's table is idle, not an error
    plan = derive_rules(FLEXIBELT, _one_table("placed_at", activity="bogus"), idle={"bogus"})
    assert plan.idle == ("orders",) and plan.deletes == ()


def test_p20_a_clock_that_names_no_activity_is_refused() -> None:
    schema = MetaData()
    Table(
        "things",
        schema,
        technical("id", Integer, primary_key=True),
        technical("subject_id", Integer),
        Column("at", DateTime(timezone=True)),
        info={"subject": SubjectTable("subject_id", clock="at")},
    )
    with pytest.raises(RetentionRuleError, match="things: its retention clock 'at' names no"):
        derive_rules(FLEXIBELT, schema)


def test_p20_the_start_refuses_a_table_without_a_rule_as_an_incomplete_policy() -> None:
    # bootstrap builds the plan through retention_plan: the CLI's "privaat: …" and exit 2
    from privaat.services.activities import PolicyIncomplete
    from privaat.services.retention import retention_plan

    with pytest.raises(PolicyIncomplete, match="^retention: orders: its retention clock"):
        retention_plan(FLEXIBELT, _one_table("shipped_at"))
