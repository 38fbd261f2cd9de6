"""Export of the ledger to Parquet, for analytics (DuckDB, pandas, spreadsheets)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from stateline.ledger.ports import LedgerStore


def write_parquet(store: LedgerStore, path: Path, chunk: int = 65_536) -> int:
    """Write every entry to ``path``: index, kind, time, message id, state, subjects, the
    canonical body (JSON text) and the leaf hash. Returns how many rows were written.

    Streams a chunk at a time, so memory stays flat however long the log is.
    """
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    schema = pa.schema(
        [
            ("index", pa.int64()),
            ("kind", pa.string()),
            ("at", pa.timestamp("us", tz="UTC")),
            ("message_id", pa.string()),
            ("state", pa.string()),
            ("subjects", pa.list_(pa.string())),
            ("body", pa.string()),
            ("leaf_hash", pa.binary(32)),
        ]
    )
    written = 0
    with pq.ParquetWriter(str(path), schema) as out:
        for rows in store.stream_entries(store.end(), chunk):
            columns: dict[str, list[Any]] = {name: [] for name in schema.names}
            for idx, body, leaf in rows:
                raw: dict[str, Any] = orjson.loads(body) if body is not None else {}
                columns["index"].append(idx)
                columns["kind"].append(raw.get("kind"))
                columns["at"].append(datetime.fromisoformat(raw["at"]) if raw else None)
                columns["message_id"].append(raw.get("message_id"))
                columns["state"].append(raw.get("state"))
                columns["subjects"].append(raw.get("subjects", []) if body is not None else None)
                columns["body"].append(None if body is None else body.decode())
                columns["leaf_hash"].append(leaf)
            arrays = [pa.array(columns[f.name], f.type) for f in schema]
            out.write_table(pa.Table.from_arrays(arrays, schema=schema))
            written += len(rows)
    return written
