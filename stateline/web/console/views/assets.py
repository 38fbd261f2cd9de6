"""The console's own static files (htmx, the stylesheet), from the package: never a CDN."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

ASSETS = {"htmx.min.js": "text/javascript", "console.css": "text/css"}
"""Every file the console serves, with its type; anything else is a 404."""


def routes(router: APIRouter) -> None:
    static = files("stateline.web") / "static"
    cache = {name: (static / name).read_bytes() for name in ASSETS}

    @router.get("/static/{name}")
    def asset(name: str) -> Response:
        if name not in cache:
            raise HTTPException(404, "no such file")
        headers = {"Cache-Control": "public, max-age=3600"}
        return Response(cache[name], media_type=ASSETS[name], headers=headers)
