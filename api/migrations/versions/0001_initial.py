"""Initial schema: staff and tokens, riders and places, vehicles and shifts, service days,
bookings, idempotency keys, audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("booking_id", sa.String(length=32), nullable=True),
        sa.Column("vehicle_id", sa.String(length=64), nullable=True),
        sa.Column("message_ja", sa.Text(), nullable=False),
        sa.Column("message_en", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_entries_booking_id", "audit_entries", ["booking_id"])
    op.create_index("ix_audit_entries_service_date", "audit_entries", ["service_date"])

    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("road_lon", sa.Float(), nullable=False),
        sa.Column("road_lat", sa.Float(), nullable=False),
        sa.Column("snap_m", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_places_kind", "places", ["kind"])

    op.create_table(
        "service_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=True),
        sa.Column("locations", sa.JSON(), nullable=True),
        sa.Column("arrivals", sa.JSON(), nullable=True),
        sa.Column("next_booking_no", sa.Integer(), nullable=False),
        sa.Column("last_audit_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_date"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("vehicle_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key"),
    )
    op.create_table(
        "riders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_no", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kana", sa.String(length=100), nullable=False),
        sa.Column("kana_key", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("phone_key", sa.String(length=40), nullable=False),
        sa.Column("home_place_id", sa.Integer(), nullable=True),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("fare_category", sa.String(length=20), nullable=False),
        sa.Column("wheelchair", sa.Boolean(), nullable=False),
        sa.Column("companions", sa.Integer(), nullable=False),
        sa.Column("assistance", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["home_place_id"],
            ["places.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registration_no"),
    )
    op.create_index("ix_riders_kana_key", "riders", ["kana_key"])
    op.create_index("ix_riders_phone_key", "riders", ["phone_key"])

    op.create_table(
        "vehicles",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("wheelchair_places", sa.Integer(), nullable=False),
        sa.Column("cargo_units", sa.Integer(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("depot_place_id", sa.Integer(), nullable=False),
        sa.Column("cost_per_hour", sa.Integer(), nullable=False),
        sa.Column("cost_per_km", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["depot_place_id"],
            ["places.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rider_id", sa.Integer(), nullable=True),
        sa.Column("pickup_place_id", sa.Integer(), nullable=True),
        sa.Column("dropoff_place_id", sa.Integer(), nullable=True),
        sa.Column("pickup_name", sa.String(length=200), nullable=False),
        sa.Column("dropoff_name", sa.String(length=200), nullable=False),
        sa.Column("pickup_lon", sa.Float(), nullable=False),
        sa.Column("pickup_lat", sa.Float(), nullable=False),
        sa.Column("dropoff_lon", sa.Float(), nullable=False),
        sa.Column("dropoff_lat", sa.Float(), nullable=False),
        sa.Column("by_arrival", sa.Boolean(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("wheelchairs", sa.Integer(), nullable=False),
        sa.Column("cargo_units", sa.Integer(), nullable=False),
        sa.Column("promise_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promise_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_pickup_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_dropoff_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vehicle_id", sa.String(length=64), nullable=True),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["dropoff_place_id"],
            ["places.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pickup_place_id"],
            ["places.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rider_id"],
            ["riders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bookings_rider_id", "bookings", ["rider_id"])
    op.create_index("ix_bookings_service_date", "bookings", ["service_date"])
    op.create_index("ix_bookings_status", "bookings", ["status"])

    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.String(length=64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("start_s", sa.Integer(), nullable=False),
        sa.Column("end_s", sa.Integer(), nullable=False),
        sa.Column("breaks", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicles.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("vehicle_id", "service_date"),
    )
    op.create_index("ix_shifts_service_date", "shifts", ["service_date"])
    op.create_index("ix_shifts_vehicle_id", "shifts", ["vehicle_id"])


def downgrade() -> None:
    op.drop_index("ix_shifts_vehicle_id", table_name="shifts")
    op.drop_index("ix_shifts_service_date", table_name="shifts")

    op.drop_table("shifts")
    op.drop_index("ix_bookings_status", table_name="bookings")
    op.drop_index("ix_bookings_service_date", table_name="bookings")
    op.drop_index("ix_bookings_rider_id", table_name="bookings")

    op.drop_table("bookings")
    op.drop_table("vehicles")
    op.drop_index("ix_riders_phone_key", table_name="riders")
    op.drop_index("ix_riders_kana_key", table_name="riders")

    op.drop_table("riders")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_api_tokens_user_id", table_name="api_tokens")

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("service_days")
    op.drop_index("ix_places_kind", table_name="places")

    op.drop_table("places")
    op.drop_index("ix_audit_entries_service_date", table_name="audit_entries")
    op.drop_index("ix_audit_entries_booking_id", table_name="audit_entries")

    op.drop_table("audit_entries")
