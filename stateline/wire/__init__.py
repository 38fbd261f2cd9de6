"""The wire: Nlets-style messages as typed, frozen values and their text and JSON encodings.

``messages`` holds the one message model; ``grammar`` the format as data (keys, tags, valid
field combinations, data classes of response tags); ``errors`` the numbered ER reasons;
``text`` and ``jsonform`` turn bytes into messages and back, through the shared ``checks``;
``schema`` describes the JSON form. Parsing never raises: it returns a
message or a ``Rejection`` carrying its ER reason and the first 100 characters of the input.
This package does no I/O, reads no clock and imports nothing else from Stateline.
"""
