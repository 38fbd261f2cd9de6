"""Storage: SQLAlchemy tables and repositories, SQLite by default and PostgreSQL with the same code.

``engine`` opens databases; ``schema`` holds the two table sets (the hub's, the nodes'); each
repository module (``directory``, ``records``, ``messages``) owns its tables and turns database
errors into Stateline's own (``failures.translated``); ``ledger`` implements the ledger's ports
(``stateline.ledger.ports``) on its tables. Nothing here decides anything: services call
repositories.
"""
