"""The entry log and roster: SQLAlchemy models, the store and Alembic migrations."""
