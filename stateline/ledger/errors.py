"""The ledger's own failure: :class:`LedgerUnavailable`, raised by its stores and its writer."""

from stateline.errors import StorageError


class LedgerUnavailable(StorageError):
    """The ledger cannot be written or read: nothing may be disclosed until it can."""
