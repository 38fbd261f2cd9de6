"""Transport: carrying a query from the hub to a state node and its reply back.

``base`` is the one-method interface (``deliver``) and the errors an adapter raises in place of
its own; ``local`` calls a node in the same process (the embedded default); ``jetstream``
carries deliveries and replies between processes over NATS JetStream, as ``codec`` writes them.
A transport knows nothing of routing, policy or records.
"""
