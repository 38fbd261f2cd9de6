"""Oversight: what legislators, auditors and residents read, computed from the ledger.

It reads a node's ledger and never appends to it (but for the resident view, which records each
access in it); it knows people only by subject key. It holds the analytical copy of the ledgers
(``copy`` refreshes and opens it, ``tables``, ``parts``, ``extract``, ``rollups``: Parquet that
DuckDB queries), the transparency report over it (``transparency``, ``charts``, ``html``), the
public statistics (``public``, ``public_page``, ``privacy``), the requesters' categories
(``categories``), the abuse alerts (``alerts``, ``watch``, ``alert_settings``), the resident's
"who looked me up" rules (``resident``), the yearly counts the ``annual-report`` duty asks for
(``annual``), and whether the ledgers hold every answer the hub passed on (``completeness``).
What it reads comes through its own port (``ports.Sources``), which ``stateline.bootstrap``
opens.
"""
