"""Alembic environment of the central schema: always the connection ``db.central.store`` hands over."""

from alembic import context

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table="central_alembic_version")
with context.begin_transaction():
    context.run_migrations()
