"""The directory: who may send, and who they are.

It owns the agencies by ORI (their Nlets type code, home state, missions and status, and which
ORIs are a state node's bureaus), the credential bound to each ORI (tokens, their hashes and
request signatures), the directory file format, a synthetic demo directory, and the pure checks
the hub runs on every sender (``checks.check_sender``, which names the ER reason to answer with).
It hands plain ``Agency`` values to the hub, which checks senders, and to node policies, which
decide by type and mission; ``storage.directory`` keeps them in the hub's database. It never
routes a message, decides a state's policy, or touches a driver or vehicle record.

- ``model``: ``Agency``, ``AgencyType``, ``Mission``, ``AgencyStatus``.
- ``checks``: ORI and entry checks, sender refusals, the node ORIs of a state.
- ``credentials``: issuing, hashing and verifying tokens; signing requests.
- ``file``: the JSON directory file, read with a ``DirectoryError`` per bad entry.
- ``demo``: the deterministic demo directory.
"""
