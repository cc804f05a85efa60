"""Drone legs (ドローン配送): drone bases at saved places and the drones stationed there;
on bookings, the drone that flies a shop order to a hall and, for an order to a drone
pad that goes by van, why. Nullable columns: existing bookings are unchanged (not
flown).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drone_bases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["place_id"], ["places.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_drone_bases_place_id", "drone_bases", ["place_id"])
    op.create_table(
        "drones",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("base_id", sa.Integer(), nullable=False),
        sa.Column("payload_kg", sa.Float(), nullable=False),
        sa.Column("range_km", sa.Float(), nullable=False),
        sa.Column("cruise_kmh", sa.Integer(), nullable=False),
        sa.Column("turnaround_min", sa.Integer(), nullable=False),
        sa.Column("flying_hours", sa.String(length=11), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_id"], ["drone_bases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_drones_base_id", "drones", ["base_id"])
    op.add_column("bookings", sa.Column("drone_id", sa.String(length=64), nullable=True))
    op.add_column("bookings", sa.Column("van_reason", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("van_reason")
        batch.drop_column("drone_id")
    op.drop_index("ix_drones_base_id", table_name="drones")
    op.drop_table("drones")
    op.drop_index("ix_drone_bases_place_id", table_name="drone_bases")
    op.drop_table("drone_bases")
