"""The two sets of tables: the hub's database (directory, messages) and each node's (records)."""

from sqlalchemy import MetaData

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

hub_metadata = MetaData(naming_convention=NAMING)
"""Tables of the hub's database: agencies, credentials, messages and replies."""

node_metadata = MetaData(naming_convention=NAMING)
"""Tables of one state node's database: people, licences, addresses, vehicles, history."""
