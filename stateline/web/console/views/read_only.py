"""Accounts that only read (an auditor's) send no form but signing in and out: the console
answers any other POST from one with 403 before the route runs, whatever the form says.

The rule tables refuse them too (``node.review.READ_ONLY``); this makes the refusal one clear
status at the edge, the same for a decision, a notice and any form added later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import HTTPException, Request

from stateline.node.review.model import READ_ONLY
from stateline.storage.accounts import account_ref
from stateline.web.console.context import PREFIX, Console
from stateline.web.console.security import SESSION_COOKIE

log = logging.getLogger(__name__)

READS = frozenset({"GET", "HEAD"})
ALWAYS = frozenset({f"{PREFIX}/signin", f"{PREFIX}/signout"})
"""What a read-only account may still send: its own sign-in and sign-out."""


def refuse_acts(console: Console) -> Callable[[Request], None]:
    """A dependency for every console route: a read-only account's POST is refused."""

    def refuse(request: Request) -> None:
        if request.method in READS or request.url.path in ALWAYS:
            return
        token = request.cookies.get(SESSION_COOKIE)
        account = console.accounts.session(token) if token else None
        if account is None or account.role not in READ_ONLY:
            return  # the route itself sends the unsigned to sign in
        who = account_ref(account.username)
        log.info("console: account %s, read-only, refused: POST %s", who, request.url.path)
        raise HTTPException(403, f"An {account.role} reads the console and acts on nothing.")

    return refuse
