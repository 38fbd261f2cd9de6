"""The analytical copy's tables: each one's columns and types, and the ``requests_full`` view
that joins a request with its review, late answers and notices (``oversight.extract`` makes the
rows, ``oversight.copy`` writes and opens them)."""

from __future__ import annotations

import pyarrow as pa  # type: ignore[import-untyped]

TABLES = ("requests", "reviews", "late_disclosures", "notices")


_LIST = pa.list_(pa.string())


_TIME = pa.timestamp("us", tz="UTC")


SCHEMAS: dict[str, pa.Schema] = {
    "requests": pa.schema(
        [
            ("state", pa.string()),
            ("message_id", pa.string()),
            ("at", _TIME),
            ("request_index", pa.int64()),
            ("requester", pa.string()),
            ("requester_name", pa.string()),
            ("requester_type", pa.string()),
            ("requester_home", pa.string()),
            ("requester_category", pa.string()),
            ("key", pa.string()),
            ("destinations", pa.string()),
            ("purpose", pa.string()),
            ("legacy_codes", _LIST),
            ("search", pa.string()),
            ("acting_for", _LIST),
            ("asker", pa.string()),
            ("legal_process", pa.string()),
            ("legal_process_document", pa.bool_()),
            ("subjects", pa.int32()),
            ("outcome", pa.string()),
            ("classes_released", _LIST),
            ("classes_withheld", _LIST),
            ("classes_review", _LIST),
            ("duties", _LIST),
            ("policy_ids", _LIST),
            ("decision_index", pa.int64()),
            ("disclosed_classes", _LIST),
            ("disclosure_index", pa.int64()),
            ("found", pa.int32()),
        ]
    ),
    "reviews": pa.schema(
        [
            ("state", pa.string()),
            ("message_id", pa.string()),
            ("index", pa.int64()),
            ("at", _TIME),
            ("action", pa.string()),
            ("outcome", pa.string()),
            ("reviewer", pa.string()),
            ("role", pa.string()),
        ]
    ),
    "late_disclosures": pa.schema(
        [
            ("state", pa.string()),
            ("message_id", pa.string()),
            ("index", pa.int64()),
            ("at", _TIME),
            ("classes", _LIST),
            ("recipient", pa.string()),
        ]
    ),
    "notices": pa.schema(
        [
            ("state", pa.string()),
            ("message_id", pa.string()),
            ("index", pa.int64()),
            ("at", _TIME),
            ("notice", pa.string()),
            ("event", pa.string()),
            ("notice_id", pa.string()),
            ("due", pa.date32()),
            ("requester", pa.string()),
            ("statute", pa.string()),
            ("delay_requested", pa.bool_()),
        ]
    ),
}
"""Each table's columns and types."""


REQUESTS_FULL = """
CREATE VIEW requests_full AS
WITH decided AS (
    SELECT state, message_id,
           min("at") FILTER (WHERE action <> 'escalate') AS decided_at,
           arg_max(outcome, "at") FILTER (WHERE action <> 'escalate') AS review_outcome,
           arg_max(role, "at") FILTER (WHERE action <> 'escalate') AS decided_by_role,
           count(*) FILTER (WHERE action = 'escalate') AS escalations
    FROM reviews GROUP BY state, message_id
),
late AS (
    SELECT state, message_id, count(*) AS late_answers,
           list_distinct(flatten(list(classes))) AS late_classes
    FROM late_disclosures GROUP BY state, message_id
),
owed AS (
    SELECT state, message_id,
           count(DISTINCT notice_id) FILTER (WHERE event = 'created') AS notices_owed,
           count(DISTINCT notice_id) FILTER (WHERE event = 'sent') AS notices_sent,
           count(DISTINCT notice_id) FILTER (WHERE event = 'cancelled') AS notices_cancelled,
           min(due) AS notice_due,
           bool_or(delay_requested) AS notice_delay_requested
    FROM notices GROUP BY state, message_id
)
SELECT r.*,
       d.decided_at, d.review_outcome, d.decided_by_role, coalesce(d.escalations, 0) AS escalations,
       coalesce(l.late_answers, 0) AS late_answers, l.late_classes,
       coalesce(o.notices_owed, 0) AS notices_owed, coalesce(o.notices_sent, 0) AS notices_sent,
       coalesce(o.notices_cancelled, 0) AS notices_cancelled, o.notice_due,
       coalesce(o.notice_delay_requested, false) AS notice_delay_requested,
       coalesce(o.notices_owed, 0) - coalesce(o.notices_sent, 0)
           - coalesce(o.notices_cancelled, 0) AS notices_open
FROM requests r
LEFT JOIN decided d USING (state, message_id)
LEFT JOIN late l USING (state, message_id)
LEFT JOIN owed o USING (state, message_id)
"""
"""One row per request: the request's own columns, then its review (when it was decided, how,
by whose role), its late answers, and its notices (owed, sent, cancelled, still open)."""
