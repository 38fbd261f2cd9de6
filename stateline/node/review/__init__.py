"""The review queue: requests a state's law holds for a person.

- ``model``: the queue as a pure state machine (states, roles, deadlines, action records);
- ``service``: holds requests, takes reviewers' decisions, audits them, sends late replies;
- ``hooks``: the node's side of it (re-reading released records, the ledger entries);
- ``timer``: escalates held requests past their deadline while the server runs.
"""
