"""Alembic migrations of the kiosk database (one revision per schema change)."""
