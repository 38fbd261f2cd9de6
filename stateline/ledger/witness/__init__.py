"""Witnesses of the ledgers: others cosign a log's checkpoint only if it extends the last one they
cosigned, so that a log shown two ways, or rolled back, is caught.

- ``cosign``: one witness's check and cosignature (c2sp.org/tlog-cosignature);
- ``protocol``: the witness protocol over HTTP (c2sp.org/tlog-witness) as data;
- ``rounds``: a witnessing round, the nodes in a ring and the hub witnessing every log.

What a witness remembers is kept by ``storage.witness_memory``; the hub's HTTP endpoint is
``web.witness``.
"""
