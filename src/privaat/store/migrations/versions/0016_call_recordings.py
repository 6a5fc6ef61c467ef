"""support calls: the announcement, the caller's choice, recorded segments (issue 12 item 2)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _subject(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["subject_id"],
        ["subjects.id"],
        name=op.f(f"fk_{table}_subject_id_subjects"),
        ondelete="CASCADE",
    )


def _call(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["call_id"],
        ["support_calls.id"],
        name=op.f(f"fk_{table}_call_id_support_calls"),
        ondelete="CASCADE",
    )


def _interval(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        "start_ms >= 0 AND end_ms > start_ms", name=op.f(f"ck_{table}_interval")
    )


def upgrade() -> None:
    op.create_table(
        "support_calls",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice_language", sa.String(length=2), nullable=False),
        sa.Column("notice_sha256", sa.String(length=64), nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=False),
        sa.Column("choice_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "choice IN ('record', 'do_not_record')", name=op.f("ck_support_calls_choice")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["support_cases.id"],
            name=op.f("fk_support_calls_case_id_support_cases"),
            ondelete="SET NULL",
        ),
        _subject("support_calls"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_calls")),
    )
    op.create_index("ix_support_calls_subject_id", "support_calls", ["subject_id"])
    op.create_index("ix_support_calls_started_at", "support_calls", ["started_at"])
    op.create_table(
        "support_call_holds",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("call_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_ms", sa.Integer(), nullable=False),
        sa.Column("end_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('hold', 'transfer')", name=op.f("ck_support_call_holds_kind")),
        _interval("support_call_holds"),
        _call("support_call_holds"),
        _subject("support_call_holds"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_call_holds")),
    )
    op.create_index("ix_support_call_holds_subject_id", "support_call_holds", ["subject_id"])
    op.create_index("ix_support_call_holds_call_id", "support_call_holds", ["call_id"])
    op.create_table(
        "call_recording_segments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("call_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("start_ms", sa.Integer(), nullable=False),
        sa.Column("end_ms", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("audio_enc", sa.LargeBinary(), nullable=False),
        _interval("call_recording_segments"),
        _call("call_recording_segments"),
        _subject("call_recording_segments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_recording_segments")),
    )
    for column in ("subject_id", "call_id", "recorded_at"):
        op.create_index(f"ix_call_recording_segments_{column}", "call_recording_segments", [column])
    op.create_table(
        "call_recording_playbacks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("call_id", _ID, nullable=False),
        sa.Column("segment_id", _ID, nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("played_at", sa.DateTime(timezone=True), nullable=False),
        _call("call_recording_playbacks"),
        _subject("call_recording_playbacks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_recording_playbacks")),
    )
    for column in ("subject_id", "call_id"):
        op.create_index(
            f"ix_call_recording_playbacks_{column}", "call_recording_playbacks", [column]
        )


def downgrade() -> None:
    for table in (
        "call_recording_playbacks",
        "call_recording_segments",
        "support_call_holds",
        "support_calls",
    ):
        op.drop_table(table)
