"""Booking ids come from the live day's own allocator: drop service_days.next_booking_no.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_days") as batch:
        batch.drop_column("next_booking_no")


def downgrade() -> None:
    with op.batch_alter_table("service_days") as batch:
        batch.add_column(
            sa.Column("next_booking_no", sa.Integer(), nullable=False, server_default="1")
        )
