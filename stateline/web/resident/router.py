"""The resident view's routes: the page at ``/resident`` and ``POST /v1/resident/lookups``.

Every response carries the console's security headers (``no-store`` among them: the answers
are about a person); the page runs only its own script, which checks each entry's proof.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from stateline.clock import utc_now
from stateline.node.notices.letters import state_name
from stateline.web.console.security import SecureRoute, same_origin
from stateline.web.resident.access import Codes, Desk, Refused, ResidentAccessService, Shown
from stateline.web.resident.render import Agencies, page_context, shown_json

if TYPE_CHECKING:
    from stateline.node.service import StateNode

PAGE = "/resident"
API = "/v1/resident/lookups"
MAX_BODY = 4096
"""Bytes a lookup's JSON body may have: a state, a licence number and a code."""

ASSETS = {"proofs.js": "text/javascript", "resident.css": "text/css"}
"""The page's files: its stylesheet, and the proof check the console's dashboard shares."""

LOOKUP_BODY: dict[str, Any] = {
    "security": [],  # the code is the credential: no agency token
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["state", "oln", "code"],
                    "properties": {
                        "state": {"type": "string", "example": "NY"},
                        "oln": {"type": "string", "description": "The licence number."},
                        "code": {"type": "string", "description": "The DMV's access code."},
                    },
                }
            }
        },
    },
    "responses": {
        "403": {"description": "Wrong or expired code, or no code for this licence number."},
        "404": {"description": "No node of that state here."},
        "422": {"description": "A field missing, or a licence number that cannot be one."},
        "429": {"description": "Five wrong codes within the hour: see Retry-After."},
    },
}


def templates() -> Environment:
    env = Environment(
        loader=PackageLoader("stateline.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["page"] = PAGE
    return env


def _json(body: Any, status: int, headers: dict[str, str] | None = None) -> Response:
    content = orjson.dumps(body)
    return Response(content, status, headers, media_type="application/json")


def _retry(refused: Refused) -> dict[str, str]:
    return {"Retry-After": str(refused.retry_after)} if refused.retry_after else {}


def resident_router(
    nodes: Mapping[str, StateNode],
    codes: Mapping[str, Codes],
    agencies: Agencies,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> APIRouter:
    """The resident view of every node in ``nodes``, to mount with
    ``create_app(..., resident=resident_router(...))``; ``agencies`` names requesters from the
    hub's directory, ``codes`` are each node's residents' access codes, ``clock`` is the
    view's time (tests move it)."""
    desks = {}
    for state, node in nodes.items():
        desks[state] = Desk(state, node.ledger, node.subject_secret, node.records, codes[state])
    service = ResidentAccessService(desks, clock)
    env = templates()
    states = [(code, state_name(code)) for code in service.states]
    shared = files("stateline.web") / "static"
    places = {"proofs.js": shared, "resident.css": files("stateline.web.resident")}
    assets = {name: (places[name] / name).read_bytes() for name in ASSETS}
    router = APIRouter(route_class=SecureRoute)

    def page(status: int = 200, headers: dict[str, str] | None = None, **context: Any) -> Response:
        context.setdefault("error", None)
        context.setdefault("result", None)
        context.setdefault("chosen", "")
        context.setdefault("oln", "")
        html = env.get_template("resident/page.html").render(states=states, **context)
        return HTMLResponse(html, status, headers)

    @router.get(PAGE, include_in_schema=False)
    def form() -> Response:
        return page()

    @router.post(PAGE, include_in_schema=False)
    def look(
        request: Request, state: str = Form(""), oln: str = Form(""), code: str = Form("")
    ) -> Response:
        same_origin(request)
        result = service.look(state, oln, code)
        if isinstance(result, Refused):
            return page(result.status, _retry(result), error=result.message, chosen=state, oln=oln)
        return page(result=page_context(result, agencies), chosen=result.state)

    @router.post(API, openapi_extra=LOOKUP_BODY, summary="Who looked me up")
    async def lookups(request: Request) -> Response:
        """Every request about a licence holder in their state's ledger, each entry with its
        inclusion proof, for the licence number and the access code the DMV issued."""
        body = await request.body()
        if len(body) > MAX_BODY:
            return _json({"detail": "the body is too large"}, 413)
        try:
            fields = orjson.loads(body)
        except orjson.JSONDecodeError:
            fields = None
        if not isinstance(fields, dict):
            return _json({"detail": 'send JSON: {"state", "oln", "code"}'}, 400)
        values = [fields.get(name) for name in ("state", "oln", "code")]
        if not all(isinstance(v, str) and v.strip() for v in values):
            return _json({"detail": "state, oln and code are each a non-empty string"}, 422)
        state, oln, code = (str(v) for v in values)
        result: Shown | Refused = await run_in_threadpool(service.look, state, oln, code)
        if isinstance(result, Refused):
            return _json({"detail": result.message}, result.status, _retry(result))
        return _json(shown_json(result, agencies), 200)

    @router.get(f"{PAGE}/static/{{name}}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in assets:
            raise HTTPException(404, "no such file")
        headers = {"Cache-Control": "public, max-age=3600"}
        return Response(assets[name], media_type=ASSETS[name], headers=headers)

    return router
