"""What the console needs of the node's stores: the staff accounts and the abuse alerts.

``stateline.storage.accounts.AccountStore`` and ``stateline.storage.alerts.AlertStore``
implement them; whoever serves the console (the CLI, through ``stateline.bootstrap``) opens them.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from stateline.storage.accounts import Account, Session
from stateline.storage.alerts import Alert


class Accounts(Protocol):
    """The node's staff accounts and their sessions."""

    def get(self, username: str) -> Account | None: ...

    def authenticate(
        self,
        username: str,
        password: str,
        totp_code: str | None = None,
        *,
        address: str | None = None,
        now: datetime | None = None,
    ) -> Session:
        """A session for the right name, password and code; raises ``SignInLocked`` or
        ``AuthenticationFailed`` otherwise."""
        ...

    def session(self, token: str, *, now: datetime | None = None) -> Account | None:
        """The account signed in with ``token`` (None: unknown, expired or disabled)."""
        ...

    def end_session(self, token: str) -> None: ...


class Alerts(Protocol):
    """The node's abuse alerts, read."""

    def list(self, since: datetime | None = None, limit: int | None = None) -> builtins.list[Alert]:
        """Alerts whose evidence reaches ``since`` or later, most recent first."""
        ...
