"""``/docs`` works offline: the page and everything it loads come from the server itself, and
in a real headless Chromium that may reach nothing else it lists the API's operations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from stateline.bootstrap import System
from stateline.web.app import create_app
from tests.browser import browser_or_skip, launch
from tests.serving import serving


def test_the_docs_page_loads_only_files_of_the_same_server(system: System) -> None:
    with TestClient(create_app(system.exchange, system.log)) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert "://" not in page.text  # no URL of another site
        loaded = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        assert len(loaded) == 3  # the script, the stylesheet and the icon
        for url in [*loaded, "/openapi.json"]:
            assert url.startswith("/") and not url.startswith("//"), url
            fetched = client.get(url)
            assert fetched.status_code == 200, url
            assert fetched.content, url
        kinds = {client.get(url).headers["content-type"].split(";")[0] for url in loaded}
        assert kinds == {"text/javascript", "text/css", "image/png"}
        assert client.get("/docs/assets/index.html").status_code == 404  # only what /docs loads
        assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN: off


def test_the_docs_page_renders_offline_in_a_browser(system: System, tmp_path: Path) -> None:
    sync_playwright = browser_or_skip()
    with serving(create_app(system.exchange, system.log)) as url, sync_playwright() as playwright:
        context = launch(playwright, tmp_path / "chromium-profile")
        elsewhere: list[str] = []

        def only_this_server(route: Any) -> None:
            if urlsplit(route.request.url).netloc == urlsplit(url).netloc:
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        try:
            page = context.new_page()
            page.route("**/*", only_this_server)
            page.goto(f"{url}/docs")
            paths = page.locator(".opblock-summary-path")
            paths.first.wait_for(timeout=30_000)
            assert "/v1/messages" in paths.all_inner_texts()
        finally:
            context.close()
    assert elsewhere == []
