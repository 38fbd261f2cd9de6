"""A state node: its own policy decides each request, then records are searched and answered.

``policy`` turns one request's facts into an outcome (release, release with classes withheld,
deny, hold for review) before any record is read; ``records`` owns the record model and search
and never knows who is asking; ``redact`` keeps only the released data classes; ``service`` runs
decide, search, redact and answer for one delivery. A node never imports the hub or the web.
"""
