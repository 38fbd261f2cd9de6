"""The hub, the switch every message passes through: authenticate, check, route, fan out, merge.

``routing`` turns a query's destinations into the nodes to ask (or a numbered refusal);
``merge`` combines the answers of a multi-state query under its deadline and summarises who
answered; ``switch`` is the shell that authenticates senders, parses, delivers through a
transport, stamps output headers and sends ER and SM replies. ``exchange`` logs every input
and its nodes' answers durably before the reply goes out and keeps replies by the
``mailbox``'s rules; ``retries`` answers a repeated input with its first answer;
``attachments`` keeps the legal-process documents queries name. The hub never reads records
and never decides policy: it reaches nodes only through ``transport``.
"""
