"""Policy: the facts of one request become an outcome per data class, failing closed.

``model`` holds the request facts and the decision; ``statusquo`` is today's default (any
criminal-justice agency gets everything). A policy never reads records, storage or the ledger.
"""
