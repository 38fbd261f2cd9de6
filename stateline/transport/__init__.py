"""Transport: carrying a query from the hub to a state node and its reply back.

``base`` is the one-method interface (``deliver``) and the errors an adapter raises in place of
its own; ``local`` calls a node in the same process (the embedded default). A transport knows
nothing of routing, policy or records.
"""
