"""Cancellation reasons (キャンセル理由): why a booking was cancelled, as a code from a fixed
list (`api.vocab.CancelReason`) and the operator's words. Nullable: bookings cancelled
before, and those still standing, have none.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("cancel_reason", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("cancel_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("cancel_note")
        batch.drop_column("cancel_reason")
