"""Debian's chromium for the browser tests: find it (or skip, failing under CI) and launch it
headless in a fresh profile, with its background traffic off (the machine has no network)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("STATELINE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_or_skip() -> Any:
    """Playwright's sync API, or a skip (a failure under CI) when chromium is missing."""
    problem = None
    if not (shutil.which(CHROMIUM) or os.access(CHROMIUM, os.X_OK)):
        problem = f"chromium is not installed at {CHROMIUM} (scripts/browser.sh installs it)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "the playwright package is not installed (pip install -e '.[dev]')"
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return sync_playwright


def launch(playwright: Any, profile: Path, **options: Any) -> Any:
    """Debian's chromium, headless, in a fresh profile."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=ARGS,
        viewport={"width": 1280, "height": 900},
        **options,
    )


@dataclass
class Offline:
    """A page opened from a file with the network refused: what it tried to reach elsewhere,
    and the script errors it raised, to assert on."""

    page: Any
    elsewhere: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@contextmanager
def offline_page(playwright: Any, path: Path, profile: Path) -> Iterator[Offline]:
    """``path`` opened in Chromium, every request but for the file itself refused."""
    context = launch(playwright, profile)
    try:
        opened = Offline(context.new_page())

        def only_the_file(route: Any) -> None:
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                opened.elsewhere.append(route.request.url)
                route.abort()

        opened.page.on("pageerror", lambda error: opened.failures.append(str(error)))
        opened.page.route("**/*", only_the_file)
        opened.page.goto(path.as_uri())
        yield opened
    finally:
        context.close()
