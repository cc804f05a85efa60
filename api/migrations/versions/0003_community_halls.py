"""Community halls (公民館) as hand-over points: hall settings on places; how a delivery is
handed over and its fee on bookings. Nullable columns: existing rows are unchanged (a
hall without settings reads as the defaults, a delivery without ``hand_over`` went to
the door).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("places", sa.Column("hall", sa.JSON(), nullable=True))
    op.add_column("bookings", sa.Column("hand_over", sa.String(length=10), nullable=True))
    op.add_column("bookings", sa.Column("fee_yen", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("fee_yen")
        batch.drop_column("hand_over")
    with op.batch_alter_table("places") as batch:
        batch.drop_column("hall")
