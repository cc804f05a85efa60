"""Standing bookings (定期予約): a rider's weekly ride (days, times, return ride, first and
last date, exceptions, holidays), the problems of dates whose ride could not be booked,
and on bookings which standing booking (and which of its rides) made them. Nullable
columns: bookings from before are unchanged (booked one by one).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_BOOKINGS = "fk_bookings_standing_booking_id"


def upgrade() -> None:
    op.create_table(
        "standing_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=False),
        sa.Column("pickup_place_id", sa.Integer(), nullable=False),
        sa.Column("dropoff_place_id", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("outbound_s", sa.Integer(), nullable=False),
        sa.Column("by_arrival", sa.Boolean(), nullable=False),
        sa.Column("return_at_s", sa.Integer(), nullable=True),
        sa.Column("return_after_s", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("skip_dates", sa.JSON(), nullable=False),
        sa.Column("skip_holidays", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rider_id"], ["riders.id"]),
        sa.ForeignKeyConstraint(["pickup_place_id"], ["places.id"]),
        sa.ForeignKeyConstraint(["dropoff_place_id"], ["places.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_standing_bookings_rider_id", "standing_bookings", ["rider_id"])
    op.create_table(
        "standing_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standing_booking_id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("leg", sa.String(length=10), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("message_ja", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("booking_id", sa.String(length=32), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["standing_booking_id"], ["standing_bookings.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("standing_booking_id", "service_date", "leg"),
    )
    op.create_index("ix_standing_problems_service_date", "standing_problems", ["service_date"])
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("standing_booking_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("standing_leg", sa.String(length=10), nullable=True))
        batch.create_foreign_key(FK_BOOKINGS, "standing_bookings", ["standing_booking_id"], ["id"])
        batch.create_index("ix_bookings_standing_booking_id", ["standing_booking_id"])


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_index("ix_bookings_standing_booking_id")
        batch.drop_constraint(FK_BOOKINGS, type_="foreignkey")
        batch.drop_column("standing_leg")
        batch.drop_column("standing_booking_id")
    op.drop_index("ix_standing_problems_service_date", table_name="standing_problems")
    op.drop_table("standing_problems")
    op.drop_index("ix_standing_bookings_rider_id", table_name="standing_bookings")
    op.drop_table("standing_bookings")
