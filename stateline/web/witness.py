"""The hub as a witness over HTTP: ``POST /witness/add-checkpoint`` (c2sp.org/tlog-witness).

A node running elsewhere sends its signed checkpoint and a consistency proof; the hub checks
them against the last checkpoint it cosigned for that log, remembers the new one in its
database, and answers its cosignature. Requests are answered one at a time, so the check of
the old size and the update of the memory never interleave (the race the protocol warns of).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stateline.ledger.checkpoint import Checkpoint, Verifier, parse_note
from stateline.ledger.witness.cosign import Witness, WitnessState
from stateline.ledger.witness.protocol import ProtocolError, add_checkpoint, parse_request
from stateline.ledger.witness.rounds import Observer

MAX_REQUEST = 64 * 1024
"""Bytes an add-checkpoint request may have: a checkpoint, its signatures, 63 hashes."""


def witness_router(
    observer: Observer,
    logs: Mapping[str, Sequence[Verifier]],
    clock: Callable[[], float] = time.time,
) -> APIRouter:
    """The witness endpoint for ``observer`` (the hub), trusting ``logs``' keys."""
    router = APIRouter()
    witness = Witness(observer.signer, logs)
    turn = asyncio.Lock()

    @router.post("/witness/add-checkpoint", summary="Cosign a log's checkpoint")
    async def add(request: Request) -> Response:
        """c2sp.org/tlog-witness: ``old N``, the proof lines, a blank line, the checkpoint."""
        body = await request.body()
        if len(body) > MAX_REQUEST:
            return Response("request too large\n", 413, media_type="text/plain")
        try:
            offered = parse_request(body)
        except ProtocolError as error:
            return Response(f"{error}\n", 400, media_type="text/plain")
        origin = offered.note.split("\n", 1)[0]
        async with turn:
            seen = observer.memory.witnessed(origin)
            state = WitnessState({origin: seen[1]} if seen is not None else {})
            answer = add_checkpoint(witness, state, offered, int(clock()))
            if answer.status == 200:
                kept = answer.state.last[origin]
                size = Checkpoint.parse(parse_note(kept).text).size
                observer.memory.remember_witnessed(origin, size, kept)
        return Response(answer.body, answer.status, media_type=answer.content_type)

    return router
