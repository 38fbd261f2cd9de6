"""A state node: its own policy decides each request, then records are searched and answered.

``policy`` turns one request's facts into an outcome (release, release with classes withheld,
deny, hold for review) before any record is read; ``records`` owns the record model and search
and never knows who is asking; ``lookup`` runs the search a query asks for and addresses the
reply; ``redact`` keeps only the released data classes; ``review`` holds requests for a person
and ``notices`` owes the letters a decision's duties ask for; ``service`` runs decide, search,
redact and answer for one delivery; ``deliveries`` keeps its answers where a transport may bring
a delivery again, so it is decided once. Each types against ports of its own (``records.ports``,
``review.ports``, ``notices.ports``) that ``stateline.storage`` implements. A node never
imports the hub, the web or storage.
"""
