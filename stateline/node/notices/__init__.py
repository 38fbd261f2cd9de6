"""Notices to the people whose records were asked for, as a state's law owes them.

- ``model``: who is owed a notice, by when, saying what (pure);
- ``owed``: how a node meets its decisions' notice duties;
- ``service``: the outbox (sent, cancelled, delayed), its ledger entries first;
- ``delays``: counsel's delay of a notice (pure);
- ``letters``: the letter's text and its PDF.
"""
