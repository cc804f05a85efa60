"""Residents booking themselves and messages to riders: each rider's channel (phone, SMS,
e-mail) and e-mail address, residents' PINs and one-time codes (hashes only), their
sign-in sessions (token hashes), rate-limit counters, and the notification outbox.
Existing riders get the channel "phone" (the operator calls, as before).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("riders") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=10), nullable=False, server_default="phone")
        )
        batch.add_column(
            sa.Column("email", sa.String(length=200), nullable=False, server_default="")
        )
    op.create_table(
        "resident_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("used_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["rider_id"], ["riders.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_resident_secrets_rider_id", "resident_secrets", ["rider_id"])
    op.create_table(
        "resident_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["rider_id"], ["riders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_resident_sessions_rider_id", "resident_sessions", ["rider_id"])
    op.create_table(
        "rate_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("window_start", _TS, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "subject", "window_start"),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("booking_id", sa.String(length=32), nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("body_ja", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["rider_id"], ["riders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    for column in ("service_date", "booking_id", "rider_id", "status"):
        op.create_index(f"ix_outbox_messages_{column}", "outbox_messages", [column])


def downgrade() -> None:
    for column in ("service_date", "booking_id", "rider_id", "status"):
        op.drop_index(f"ix_outbox_messages_{column}", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_table("rate_counts")
    op.drop_index("ix_resident_sessions_rider_id", table_name="resident_sessions")
    op.drop_table("resident_sessions")
    op.drop_index("ix_resident_secrets_rider_id", table_name="resident_secrets")
    op.drop_table("resident_secrets")
    with op.batch_alter_table("riders") as batch:
        batch.drop_column("email")
        batch.drop_column("channel")
