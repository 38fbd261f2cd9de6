"""Stateline: an interstate driver-data exchange where the state that holds a record decides.

Agencies send Nlets-style queries (DQ, RQ, KQ) to the hub, which authenticates and routes them to
state nodes; each node decides by its own policy, searches its records and answers with only the
data classes it released. The packages follow the parts of the product:

- ``wire``: messages and their text and JSON encodings (pure).
- ``directory``: agencies by ORI and the credentials bound to them.
- ``hub``: routing, NL fan-out and merging, ER and SM replies.
- ``transport``: carrying a message from the hub to a node and back.
- ``node``: a state's policy decision, records, redaction and answer.
- ``storage``: SQLAlchemy tables and repositories (SQLite by default, PostgreSQL too).
- ``web``: the FastAPI application.
- ``cli`` and ``bootstrap``: the command line and the one place that wires adapters together.
"""

__version__ = "0.1.0"
