"""The plan as it stood after each change of a service day (時刻をさかのぼる計画): one row per
stored change, the day's snapshot then without its audit trail (the trail is
append-only, so the entries of that moment are the first ``audit_len`` of today's).
A new table: nothing from before changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("live_version", sa.Integer(), nullable=False),
        sa.Column("audit_len", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_versions_service_date_at", "plan_versions", ["service_date", "at"])


def downgrade() -> None:
    op.drop_index("ix_plan_versions_service_date_at", table_name="plan_versions")
    op.drop_table("plan_versions")
