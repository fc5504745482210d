"""Runs the revisions on the connection ``vault.migrate`` hands over (no alembic.ini).

The caller puts the connection in ``config.attributes["connection"]`` (the vault's keyed
SQLCipher connection, or PostgreSQL), the open vault's ``Session`` in ``"session"`` (None for a
database that is not a local vault) and, for autogenerate, the models' ``MetaData`` of every
layer in ``"metadata"``.

One transaction per revision, the ``alembic_version`` row updated inside it: a crash leaves the
database at the last revision that committed. SQLite's driver does not begin a transaction
before DDL by itself; ``vault.migrate`` makes it begin ``BEGIN IMMEDIATE``, so a revision's
``ALTER TABLE`` and its version row commit together there too.
"""

from __future__ import annotations

from alembic import context

from vault.migrate import include_object

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=config.attributes.get("metadata"),
    transaction_per_migration=True,
    transactional_ddl=True,
    compare_server_default=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
