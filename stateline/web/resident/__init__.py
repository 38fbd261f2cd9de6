"""The resident view, "who looked me up": a person with their licence number and the access code
the DMV issued sees every request about them in their state's ledger, each entry with its
inclusion proof, at ``/resident`` (a page) and ``POST /v1/resident/lookups`` (JSON).

It reads each node's ledger and appends one entry per access through the node's own writer; it
never changes a request's entries. docs/resident.md gives the rules.
"""

from stateline.web.resident.router import resident_router

__all__ = ["resident_router"]
