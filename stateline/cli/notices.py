"""``stateline notices``: counsel delays a notice until a date, or lifts its delay.

The same step as the console's outbox, under the same rules (``node.delays``), as a counsel
account that signs in with its password (and TOTP code). A state's ledger has one writer: when
a server writes it, the command sends the step through that server's console, signed in as
the account, as ``stateline query`` sends a message through it; otherwise it takes the
ledger's writer lock itself for the step. A process that writes the ledger and serves nothing
(another command) is waited for a while, then named.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stateline.cli.common import DataDir, errors
from stateline.config import Config
from stateline.wire.grammar import US_STATES

if TYPE_CHECKING:
    import httpx

    from stateline.node.notices.service import Outbox
    from stateline.node.review.model import Reviewer

app = typer.Typer(help="The notices outbox: delay a notice, or lift its delay.")

WAIT_FOR_WRITER = 30.0
"""Seconds to wait for another command (not a server) to let go of the state's ledger."""


def _state(value: str) -> str:
    """The state's code in capitals; any other value stops the command before it opens anything."""
    code = value.strip().upper()
    if code not in US_STATES:
        raise typer.BadParameter(
            f"{value!r} is not a state with a node: one of {', '.join(US_STATES)}"
        )
    return code


def _day(value: str) -> str:
    try:
        date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: YYYY-MM-DD") from None
    return value.strip()


State = Annotated[
    str, typer.Option("--state", callback=_state, help="The state whose outbox holds the notice.")
]
NoticeId = Annotated[
    str,
    typer.Option(
        "--notice", callback=lambda typed: typed.strip().upper(), help="The notice's id: N-..."
    ),
]
AsAccount = Annotated[str, typer.Option("--as", help="The counsel account that takes the step.")]
Password = Annotated[
    str,
    typer.Option(
        prompt=True, hide_input=True, envvar="STATELINE_PASSWORD", help="The account's password."
    ),
]
Code = Annotated[
    str | None, typer.Option("--code", help="The account's TOTP code, when it has TOTP.")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(code)


@app.command("delay")
def delay(
    state: State,
    notice: NoticeId,
    until: Annotated[
        str, typer.Option("--until", callback=_day, help="The delay's last day, YYYY-MM-DD.")
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (recorded in the ledger: name no one).")
    ],
    account: AsAccount,
    password: Password,
    court_order: Annotated[
        str | None,
        typer.Option("--court-order", help="The court order's number and court, when one."),
    ] = None,
    code: Code = None,
    data: DataDir = None,
) -> None:
    """Delay a notice through a date: its letter waits, its request hidden from the person.
    Without --court-order, only when the requester asked for a delay (NDR/Y), for at most 90
    days; on a court's order, for at most 365. The password is asked for (or
    $STATELINE_PASSWORD); beside a running server the step goes through its console."""
    form = {"until": until, "reason": reason, "court_order": court_order or ""}
    answer = _step(data, state, notice, "delay", form, account, password, code)
    reference = answer["delay"].get("reference")
    ground = f"on court order {reference}" if reference else "on the requester's request"
    typer.echo(
        f"{answer['notice_id']} delayed through {answer['delayed_until']} {ground}, by "
        f"{answer['delay']['actor']}: the letter waits and the request is hidden from the "
        f"person until then; the letter is due again on {answer['due']}"
    )


@app.command("lift")
def lift(
    state: State,
    notice: NoticeId,
    account: AsAccount,
    password: Password,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why, if you say (recorded in the ledger).")
    ] = None,
    code: Code = None,
    data: DataDir = None,
) -> None:
    """End a notice's delay today: its letter is due again, its request shown to the person."""
    answer = _step(data, state, notice, "lift", {"reason": reason or ""}, account, password, code)
    typer.echo(
        f"{answer['notice_id']}: delay lifted by {answer['delay']['actor']}; the letter is due "
        f"on {answer['due']}, and the request is shown to the person"
    )


def _step(
    data: Path | None,
    state: str,
    notice: str,
    step: str,
    form: dict[str, str],
    account: str,
    password: str,
    code: str | None,
) -> dict[str, Any]:
    """Take ``step`` on the notice, in this process or through the server that writes the
    state's ledger; the notice's standing afterwards, as the console's JSON answer gives it."""
    from stateline.bootstrap import lock_ledgers
    from stateline.ledger.lock import Holder, LedgerBusy

    config = Config.from_env(data)
    if not (config.keys_dir / state).is_dir():
        raise _fail(f"{state} has no node in {config.data_dir}: build the exchange first")
    holder = Holder.this_process(f"stateline notices {step}")
    deadline = time.monotonic() + WAIT_FOR_WRITER
    while True:
        try:
            locks = lock_ledgers(config, [state], holder, wait=0.2)
            break
        except LedgerBusy as busy:
            if busy.holder is not None and busy.holder.url:
                errors.print(
                    f"{busy.holder.describe()} writes the {state} ledger: sending through it",
                    highlight=False,
                    markup=False,
                )
                return _through_server(
                    busy.holder.url, state, notice, step, form, account, password, code
                )
            if time.monotonic() >= deadline:
                raise _fail(
                    f"{busy}: one process writes a ledger at a time; try again later"
                ) from busy
    try:
        return _in_process(config, state, notice, step, form, account, password, code)
    finally:
        for lock in locks:
            lock.release()


def _in_process(
    config: Config,
    state: str,
    notice: str,
    step: str,
    form: dict[str, str],
    account: str,
    password: str,
    code: str | None,
) -> dict[str, Any]:
    """The step on the state's own outbox and ledger, this process holding its writer lock."""
    from stateline.bootstrap import open_accounts, open_node_engine, open_outbox, open_state_ledger
    from stateline.errors import StorageError
    from stateline.node.notices.model import NoticeError
    from stateline.storage.accounts import AuthenticationFailed, SignInLocked
    from stateline.web.console.views.notices import notice_json

    engine = open_node_engine(config, state)
    ledger = None
    try:
        accounts = open_accounts(engine)
        try:
            session = accounts.authenticate(account, password, code)
        except SignInLocked as locked:
            raise _fail(f"signing in is paused until {locked.until:%Y-%m-%d %H:%M} UTC") from None
        except AuthenticationFailed:
            raise _fail("sign-in failed: check the name, password and code (--code)") from None
        accounts.end_session(session.token)  # the step is all it signed in for
        ledger, _ = open_state_ledger(config, state)
        outbox = open_outbox(engine, ledger)
        try:
            _act(outbox, step, notice, session.account.reviewer, form)
        except NoticeError as problem:
            raise _fail(str(problem)) from problem
        done = outbox.get(notice)
        return notice_json(done, outbox.standing([done])[notice], outbox.delay(notice))
    except StorageError as error:
        raise _fail(f"cannot reach {state}'s node: {error}") from error
    finally:
        if ledger is not None:
            ledger.close()
        engine.dispose()


def _act(outbox: Outbox, step: str, notice: str, who: Reviewer, form: dict[str, str]) -> None:
    if step == "delay":
        outbox.grant_delay(
            notice,
            who,
            until=date.fromisoformat(form["until"]),
            reason=form["reason"],
            court_order=form["court_order"] or None,
        )
    else:
        outbox.lift_delay(notice, who, form["reason"] or None)


def _through_server(
    url: str,
    state: str,
    notice: str,
    step: str,
    form: dict[str, str],
    account: str,
    password: str,
    code: str | None,
) -> dict[str, Any]:
    """The step through the console of the server that writes the ledger: sign in as the
    account, post the console's own form (asking for JSON), sign out."""
    import httpx

    from stateline.web.console.security import (
        SESSION_COOKIE,
        SIGNIN_COOKIE,
        csrf_for,
        new_signin_token,
    )

    base = f"{url.rstrip('/')}/console"
    try:
        signin_token = new_signin_token()  # the sign-in form's double-submit token, ours
        signin = httpx.post(
            f"{base}/signin",
            data={
                "username": account,
                "password": password,
                "code": code or "",
                "csrf": signin_token,
            },
            headers={"cookie": f"{SIGNIN_COOKIE}={signin_token}"},
        )
        if signin.status_code == 404:
            raise _fail(
                f"the server at {url} serves no review console: serve it with --console {state}"
            )
        if signin.status_code == 429:
            raise _fail(f"signing in is paused: try again in {signin.headers.get('retry-after')} s")
        session = _cookie(signin, SESSION_COOKIE)
        if signin.status_code != 303 or session is None:
            raise _fail(
                f"sign-in failed at {url}: check the name, password and code (--code); its "
                f"console must be {state}'s (stateline serve --console {state})"
            )
        cookie = {"cookie": f"{SESSION_COOKIE}={session}"}
        try:
            answer = httpx.post(
                f"{base}/notices/{notice}/{step}",
                data={**form, "csrf": csrf_for(session)},
                headers={**cookie, "accept": "application/json"},
            )
        finally:
            httpx.post(f"{base}/signout", data={"csrf": csrf_for(session)}, headers=cookie)
    except httpx.HTTPError as error:
        raise _fail(f"cannot reach {url}: {error}") from error
    return _answer(answer, url, state, notice)


def _cookie(response: httpx.Response, name: str) -> str | None:
    """A cookie the response sets, read from its headers (the console's is Secure, which a
    cookie jar keeps back from a plain-HTTP server on this machine)."""
    for header in response.headers.get_list("set-cookie"):
        key, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if key.strip() == name and value:
            return value
    return None


def _answer(answer: httpx.Response, url: str, state: str, notice: str) -> dict[str, Any]:
    if answer.status_code == 404:
        raise _fail(
            f"no notice {notice} in the outbox the console at {url} serves (is it {state}'s?)"
        )
    if answer.headers.get("content-type", "").startswith("application/json"):
        body: dict[str, Any] = answer.json()
        if body.get("state") not in (None, state):
            raise _fail(f"the console at {url} serves {body['state']}'s outbox, not {state}'s")
        if answer.status_code == 200:
            return body
        if "error" in body:
            raise _fail(str(body["error"]))
    raise _fail(f"refused ({answer.status_code}): {answer.text.strip()[:200]}")
