"""The analytical copy's rows, made by DuckDB from a batch of one state's ledger entries: the
entries' JSON is parsed and joined in DuckDB, a whole batch at a time, never entry by entry in
Python.

From a table ``batch(idx BIGINT, j VARCHAR)`` of entries in index order, and the tables
``agencies`` (each requester's name, type, home state and category for this state), ``roles``
(each console account's role) and ``routes`` (each message's destinations, from the hub):

- ``requests``: one row per request whose decision (the next entry) and disclosure (the one
  after) are in the batch: a node appends the three together;
- ``reviews``, ``late_disclosures`` (disclosures that follow no request of theirs) and
  ``notices``: one row per entry;
- what the next batch must read again: a request at the end of the batch whose decision or
  disclosure is not in it yet.

Bodies removed by retention come as ``NULL`` and count nowhere.
"""

from __future__ import annotations

KINDS = """
CREATE OR REPLACE TEMP VIEW entries AS
SELECT idx, j, j->>'$.kind' AS kind, j->>'$.message_id' AS message_id
FROM batch WHERE j IS NOT NULL
"""

_REQUEST = (
    '{"at":"VARCHAR","requester":"VARCHAR","key":"VARCHAR","purpose":"VARCHAR",'
    '"reasons":["VARCHAR"],"legal_process":{"kind":"VARCHAR","document_sha256":"VARCHAR"},'
    '"subjects":["VARCHAR"]}'
)
_DECISION = (
    '{"outcome":"VARCHAR","data_classes":"MAP(VARCHAR, VARCHAR)","duties":["VARCHAR"],'
    '"policy_ids":["VARCHAR"]}'
)
_DISCLOSURE = (
    '{"at":"VARCHAR","data_classes":["VARCHAR"],"subjects":["VARCHAR"],"recipient":"VARCHAR"}'
)

PARTS = f"""
CREATE OR REPLACE TEMP TABLE parts AS
WITH r AS (
    SELECT idx, message_id, json_transform(j, '{_REQUEST}') AS x
    FROM entries WHERE kind = 'request'
), d AS (
    SELECT idx, message_id, json_transform(j, '{_DECISION}') AS x
    FROM entries WHERE kind = 'decision'
), s AS (
    SELECT idx, message_id, json_transform(j, '{_DISCLOSURE}') AS x
    FROM entries WHERE kind = 'disclosure'
)
SELECT r.idx AS request_index, r.message_id, r.x AS request,
       d.idx AS decision_index, d.x AS decision,
       s.idx AS disclosure_index, s.x AS disclosure
FROM r
LEFT JOIN d ON d.idx = r.idx + 1 AND d.message_id = r.message_id
LEFT JOIN s ON s.idx = r.idx + 2 AND s.message_id = r.message_id
"""
"""Every request of the batch with its decision and disclosure, where the batch holds them."""

REQUESTS = """
SELECT ? AS state,
       p.message_id,
       CAST(p.request.at AS TIMESTAMPTZ) AS "at",
       p.request_index,
       p.request.requester AS requester,
       a.name AS requester_name,
       a.type AS requester_type,
       a.home AS requester_home,
       coalesce(a.category, ?) AS requester_category,
       p.request.key AS key,
       routes.destinations,
       p.request.purpose AS purpose,
       -- The reasons hold the guide's codes as given, then Stateline's coded items.
       list_filter(coalesce(p.request.reasons, []),
                   lambda r: starts_with(r, 'RSN/') OR starts_with(r, 'PUR/')) AS legacy_codes,
       CASE WHEN list_contains(coalesce(p.request.reasons, []), 'SRCH/NAME') THEN 'name + DOB'
            WHEN p.request.key = 'RQ' THEN 'plate or VIN'
            ELSE 'licence' END AS search,
       flatten(list_transform(
           list_filter(coalesce(p.request.reasons, []), lambda r: starts_with(r, 'AFM/')),
           lambda r: string_split(lower(r[5:]), ','))) AS acting_for,
       list_extract(list_transform(
           list_filter(coalesce(p.request.reasons, []), lambda r: starts_with(r, 'ATN#')),
           lambda r: r[5:]), 1) AS asker,
       p.request.legal_process.kind AS legal_process,
       p.request.legal_process.document_sha256 IS NOT NULL AS legal_process_document,
       CAST(len(coalesce(p.request.subjects, [])) AS INTEGER) AS subjects,
       -- The report's words: the policy calls a release with classes withheld
       -- "release-redacted".
       CASE p.decision.outcome WHEN 'release-redacted' THEN 'withhold'
            ELSE p.decision.outcome END AS outcome,
       coalesce(list_transform(list_filter(map_entries(p.decision.data_classes),
                                           lambda e: e.value = 'release'),
                               lambda e: e.key), []) AS classes_released,
       coalesce(list_transform(list_filter(map_entries(p.decision.data_classes),
                                           lambda e: e.value = 'withhold'),
                               lambda e: e.key), []) AS classes_withheld,
       coalesce(list_transform(list_filter(map_entries(p.decision.data_classes),
                                           lambda e: e.value = 'review'),
                               lambda e: e.key), []) AS classes_review,
       coalesce(p.decision.duties, []) AS duties,
       coalesce(p.decision.policy_ids, []) AS policy_ids,
       p.decision_index,
       coalesce(p.disclosure.data_classes, []) AS disclosed_classes,
       p.disclosure_index,
       -- The people the answer carried: none without a record; else those it names beyond
       -- the query's own keys, or the one the query named (a licence lookup that found them).
       CAST(CASE WHEN len(coalesce(p.disclosure.data_classes, [])) = 0 THEN 0
                 ELSE greatest(1, len(list_filter(coalesce(p.disclosure.subjects, []),
                      lambda s: NOT list_contains(coalesce(p.request.subjects, []), s))))
            END AS INTEGER) AS found
FROM parts p
LEFT JOIN agencies a ON a.ori = p.request.requester
LEFT JOIN routes ON routes.message_id = p.message_id
WHERE p.decision IS NOT NULL AND p.disclosure IS NOT NULL
ORDER BY p.request_index
"""

REVIEWS = """
SELECT ? AS state, e.message_id, e.idx AS "index", CAST(e.j->>'$.at' AS TIMESTAMPTZ) AS "at",
       e.j->>'$.action' AS action, e.j->>'$.outcome' AS outcome,
       e.j->>'$.reviewer' AS reviewer,
       coalesce(roles.role, CASE WHEN e.j->>'$.reviewer' = 'system' THEN 'system' END) AS role
FROM entries e LEFT JOIN roles ON roles.username = e.j->>'$.reviewer'
WHERE e.kind = 'review'
ORDER BY e.idx
"""

LATE_DISCLOSURES = f"""
SELECT ? AS state, e.message_id, e.idx AS "index",
       CAST(e.x.at AS TIMESTAMPTZ) AS "at", coalesce(e.x.data_classes, []) AS classes,
       e.x.recipient AS recipient
FROM (SELECT idx, message_id, json_transform(j, '{_DISCLOSURE}') AS x FROM entries
      WHERE kind = 'disclosure') e
WHERE e.idx NOT IN (SELECT disclosure_index FROM parts WHERE disclosure_index IS NOT NULL)
ORDER BY e.idx
"""

NOTICES = """
SELECT ? AS state, message_id, idx AS "index", CAST(j->>'$.at' AS TIMESTAMPTZ) AS "at",
       j->>'$.notice' AS notice, j->>'$.detail.event' AS event,
       j->>'$.detail.notice_id' AS notice_id, CAST(j->>'$.detail.due' AS DATE) AS due,
       j->>'$.detail.requester' AS requester, j->>'$.detail.statute' AS statute,
       coalesce(CAST(j->'$.detail.delay_requested' AS BOOLEAN), false) AS delay_requested
FROM entries WHERE kind = 'notice'
ORDER BY idx
"""

OPEN = """
SELECT min(request_index) FROM parts
WHERE (decision IS NULL OR disclosure IS NULL) AND request_index >= ? - 1
"""
"""The first request at the batch's end (its last two entries) still waiting for its decision or
disclosure: where the next batch starts. A request elsewhere that lacks them was cut short and
is not waited for."""
