"""Alembic's entry point, run by GameStore on the connection (and inside the transaction) it
passes in `config.attributes["connection"]`: the upgrade and the caller's own bookkeeping commit
together or not at all."""

from __future__ import annotations

from alembic import context

VERSION_TABLE = "game_alembic_version"  # the solo attempts share the SQLite file: a name of our own

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
