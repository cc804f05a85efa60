"""Alembic migrations of the service's database (run with ``noriai service init-db``)."""
