"""Oversight: what legislators, auditors and residents read, computed from the ledger.

It reads a node's ledger and never appends to it; it knows people only by subject key. Today:
the yearly counts the ``annual-report`` duty asks for (``annual``), and whether the ledgers hold
every answer the hub passed on (``completeness``).
"""
