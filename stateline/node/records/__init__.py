"""A state node's records: the record model, the synthetic population, search and wire rendering.

``model`` holds the frozen record types (``Person`` with addresses, vehicles and history,
``Vehicle``, ``NameMatch``); ``generate`` builds a deterministic synthetic population from the
tables in ``names``, ``places``, ``catalogue``, ``patterns`` (per-state licence and plate
formats), ``vin`` and ``photo``; ``phonetic`` and ``search`` normalise names and rank candidates
0-100 as DMV systems do (Soundex, Metaphone, NYSIIS, Jaro-Winkler, ``nicknames``); ``render``
turns records into DR, RR and KR fields carrying every data class. Storage lives in
``stateline.storage.records``, which hands plain records back. This package never knows who is
asking: it imports no policy, and what leaves a node is decided and redacted elsewhere.
"""
