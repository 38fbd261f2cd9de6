"""A state node's records: the record model, search and wire rendering.

``model`` holds the frozen record types (``Person`` with addresses, vehicles and history,
``Vehicle``, ``NameMatch``); ``ports`` says what a search needs of a store (``RecordStore``);
``phonetic`` and ``search`` normalise names and rank candidates 0-100 as DMV systems do
(Soundex, Metaphone, NYSIIS, Jaro-Winkler, ``nicknames``); ``vin`` checks a VIN; ``render``
turns records into DR, RR and KR fields carrying every data class. Storage lives in
``stateline.storage.records``, which hands plain records back; the synthetic population a demo
loads is made by ``stateline.synthetic``. This package never knows who is asking: it imports no
policy, and what leaves a node is decided and redacted elsewhere.
"""
