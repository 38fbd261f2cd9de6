"""Policy: the facts of one request become an outcome per data class, with duties, failing closed.

It owns the request facts and the decision (``model``), the Cedar entity model and its schema
(``entities``), policy bundles read, parsed and validated from ``bundles/`` (``bundle``), the
Cedar decision point ``CedarPolicy`` (``decide``), the policy scenario format (``scenarios``),
the request space two bundles are compared over (``space``), and today's Python status quo
(``statusquo``). It hands a ``Decision`` (outcome, classes released and held, deciding policy
ids, duties) to the node, which reads, redacts, holds for review and logs. A policy never reads
records, storage or the ledger: it decides before any record is read (docs/policy.md).
"""
