"""The terminal's durable ledger on peewee/SQLite (docs/ledger.md).

``db.open_ledger`` opens the file and returns a ``ledger.SqliteLedger`` (``ports.Ledger``);
``catalog.SqliteCatalog``, ``outbox.Outbox`` and ``verify.verify_file`` work on the same file;
``projections`` holds the registry that turns journal entries into report tables.
"""
