"""The API's documentation page, ``/docs``: Swagger UI from the copy a package ships, so that
the page works where no CDN can be reached."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
"""The files of Swagger UI the page loads, by name, with their media types."""

PREFIX = "/docs/assets/"


def docs_router(openapi_url: str, title: str) -> APIRouter:
    """``/docs`` for the OpenAPI document at ``openapi_url``, and the files it loads."""
    router = APIRouter(include_in_schema=False)
    folder = Path(swagger_ui_path)

    @router.get("/docs")
    async def page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{title} - Swagger UI",
            swagger_js_url=f"{root}{PREFIX}swagger-ui-bundle.js",
            swagger_css_url=f"{root}{PREFIX}swagger-ui.css",
            swagger_favicon_url=f"{root}{PREFIX}favicon-32x32.png",
            oauth2_redirect_url=None,  # agencies present bearer credentials, not OAuth2
            # Swagger UI would otherwise send the document to its public validator.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @router.get(PREFIX + "{name}")
    async def asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:  # only the files named: the folder also holds a demo page
            raise HTTPException(404, "no such file")
        return FileResponse(folder / name, media_type=media_type)

    return router
