"""Alembic migrations of the central schema (one revision per schema change), run by ``db.central.store``."""
