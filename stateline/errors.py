"""Errors that every layer may catch: the failures that cross from storage to the services.

It owns :class:`StorageError`, which the storage adapters raise in place of driver errors and
the hub, the nodes, the ledger and oversight catch to fail closed. It imports nothing, so any
module may depend on it.
"""


class StorageError(Exception):
    """A database could not be opened, read or written; raised in place of driver errors."""
