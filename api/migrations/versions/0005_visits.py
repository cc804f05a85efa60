"""Home visits (訪問診療) as bookings of kind "visit": the consultation's length, the
vehicle feature it needs and, when asked for by time, the wanted start. Nullable
columns: rides and deliveries, and every row from before, are unchanged.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("visit_min", sa.Integer(), nullable=True))
    op.add_column("bookings", sa.Column("visit_feature", sa.String(length=40), nullable=True))
    op.add_column(
        "bookings", sa.Column("visit_wanted_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("visit_wanted_at")
        batch.drop_column("visit_feature")
        batch.drop_column("visit_min")
