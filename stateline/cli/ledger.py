"""``stateline ledger``: verify a node's audit ledger, prove entries, sign and export it."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from stateline.cli.common import DataDir, console, errors
from stateline.config import Config
from stateline.errors import StorageError
from stateline.ledger.checkpoint import NoteError, Verifier, open_checkpoint
from stateline.ledger.keys import LEDGER_VKEY, KeyFileError, load
from stateline.ledger.merkle import ProofError, leaf_hash, verify_consistency, verify_inclusion

app = typer.Typer(help="The node's audit ledger: verify, prove, checkpoint, export.")

State = Annotated[str, typer.Option("--state", help="The node's state code, e.g. NY.")]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _keys_dir(config: Config, state: str) -> Path:
    return config.data_dir / "keys" / state.upper()


def _store(data: Path | None, state: str) -> tuple[Any, Config]:
    from stateline.bootstrap import open_ledger_store

    config = Config.from_env(data)
    return open_ledger_store(config, state.upper()), config


def _ledger(data: Path | None, state: str, command: str) -> Any:
    """The state's ledger, opened to write: this process becomes its one writer (released by
    the ledger's ``close``), or the command stops, naming the process that writes it."""
    from stateline.bootstrap import ledger_lock_path
    from stateline.ledger.lock import Holder, LedgerBusy, WriterLock
    from stateline.ledger.log import Ledger

    store, config = _store(data, state)
    state = state.upper()
    try:
        lock = WriterLock.acquire(
            ledger_lock_path(config, state), state, Holder.this_process(command), wait=5.0
        )
    except LedgerBusy as busy:
        raise _fail(f"{busy}: one process writes a ledger at a time; stop it first") from busy
    try:
        keys = load(_keys_dir(config, state))
        ledger = Ledger(store, keys.signer, on_close=lock.release)
    except (KeyFileError, StorageError) as error:
        lock.release()
        errors.print(f"[red]cannot open the {state} ledger:[/red] {error}")
        raise typer.Exit(1) from error
    return ledger


def _committed(data: Path | None, state: str) -> tuple[Any, int, str | None]:
    """The state's ledger store to read, its committed size and signed head. Entries still in
    the journal are folded first when no other process writes the ledger; beside a serving
    node, they are in the tree within a second."""
    from stateline.bootstrap import ledger_lock_path
    from stateline.ledger.lock import holder_of
    from stateline.ledger.proofs import signed_head

    store, config = _store(data, state)
    if holder_of(ledger_lock_path(config, state.upper())) is None:
        _ledger(data, state, "stateline ledger").close()  # folds what a stopped node left
    try:
        head = signed_head(store)
    except StorageError as error:
        raise _fail(f"cannot read the ledger: {error}") from error
    return store, (head[0] if head else 0), (head[1] if head else None)


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]{message}[/red]")
    return typer.Exit(code)


@app.command("verify")
def verify(
    state: State,
    against: Annotated[
        list[Path] | None,
        typer.Option(help="A checkpoint note obtained elsewhere (a witness's); repeatable."),
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(help="Only trust cosignatures by this witness key (vkey); repeatable."),
    ] = None,
    with_reconcile: Annotated[
        bool,
        typer.Option(
            "--reconcile",
            help="Then check it is complete: every answer the hub logged has its entries here, "
            "every disclosure here an answer the hub logged (`stateline ledger reconcile`).",
        ),
    ] = False,
    data: DataDir = None,
) -> None:
    """Recompute the whole log from its entries and check every checkpoint and cosignature."""
    from stateline.ledger.verify import verify_ledger

    store, config = _store(data, state)
    try:
        keys = load(_keys_dir(config, state))
        pinned = [Verifier.parse(w) for w in witness or ()]
        trusted = [path.read_text() for path in against or ()]
    except (KeyFileError, NoteError, OSError) as error:
        raise _fail(f"cannot verify: {error}") from error
    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress("verifying", *columns, console=errors, transient=True) as bar:
        task = bar.add_task("entries", total=None)
        try:
            report = verify_ledger(
                store,
                keys.verifiers,
                origin=keys.signer.name,
                witnesses=pinned,
                trusted=trusted,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except StorageError as error:
            raise _fail(f"cannot read the ledger: {error}") from error
    summary = (
        f"{report.size:,} entries, {report.checkpoints} checkpoints, "
        f"{report.cosignatures} cosignatures, {report.pruned:,} bodies removed by retention; "
        f"root {_b64(report.root)}"
    )
    if report.appended:
        summary += (
            f"; {report.appended:,} entries appended while it was verified, under a signed "
            "head, not checked this time"
        )
    if report.journaled:
        summary += (
            f"; {report.journaled:,} more entries in the journal, not yet in the tree (a "
            "serving node folds them within a second, a stopped one when it next opens)"
        )
    if report.ok:
        console.print(f"[green]ledger {state.upper()} verifies:[/green] {summary}")
        if with_reconcile:
            _reconcile(config, [state.upper()], json_out=False)
        return
    errors.print(f"[red]ledger {state.upper()} does NOT verify[/red] ({summary}):")
    for problem in report.problems:
        errors.print(f"  {problem}", highlight=False, markup=False)
    if report.truncated:
        errors.print("  ... and more problems")
    raise typer.Exit(1)


@app.command("reconcile")
def reconcile(
    state: Annotated[
        list[str] | None, typer.Option("--state", help="Only this state's ledger; repeatable.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    data: DataDir = None,
) -> None:
    """Check the ledgers are complete: every answer the hub's message log says a state gave
    has that state's request, decision and disclosure entries, and every disclosure in a
    ledger an answer the hub logged (by the SHA-256 of the answer's bytes). Exits 1 on any
    disagreement. Runs beside a serving exchange."""
    _reconcile(Config.from_env(data), state, json_out)


def _reconcile(config: Config, states: list[str] | None, json_out: bool) -> None:
    from stateline.bootstrap import StoreSources
    from stateline.oversight.completeness import reconcile as run

    try:
        result = run(StoreSources(config), states or config.states)
    except StorageError as error:
        raise _fail(f"cannot reconcile: {error}") from error
    if json_out:
        document = {
            "states": list(result.states),
            "answers": result.answers,
            "entries": result.entries,
            "pruned": result.pruned,
            "ok": result.ok,
            "findings": [
                {"kind": f.kind, "state": f.state, "message_id": f.message_id, "detail": f.detail}
                for f in result.findings
            ],
        }
        typer.echo(json.dumps(document, indent=2))
    read = len(result.states)
    summary = (
        f"{result.answers:,} answers the hub logged from {read} "
        f"{'state' if read == 1 else 'states'}, {result.entries:,} ledger entries"
    )
    if result.pruned:
        summary += f" ({result.pruned:,} bodies removed by retention, not checked)"
    if result.ok:
        if not json_out:
            console.print(f"[green]ledgers complete:[/green] {summary}")
        return
    missing = sum(1 for f in result.findings if f.kind == "missing")
    unlogged = len(result.findings) - missing
    errors.print(
        f"[red]ledgers NOT complete[/red] ({summary}): {missing} answered messages without "
        f"their entries, {unlogged} disclosures without a logged answer"
    )
    if not json_out:
        for finding in result.findings[:100]:
            errors.print(f"  {finding}", highlight=False, markup=False)
        if len(result.findings) > 100:
            errors.print(f"  ... and {len(result.findings) - 100} more (--json lists them all)")
    raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint(state: State, data: DataDir = None) -> None:
    """Sign a checkpoint at the ledger's current size, store it and print it."""
    ledger = _ledger(data, state, "stateline ledger checkpoint")
    try:
        note = ledger.checkpoint(int(time.time()))
    except StorageError as error:
        raise _fail(f"cannot store the checkpoint: {error}") from error
    finally:
        ledger.close()
    typer.echo(note, nl=False)  # raw: a wrapped signature line would break the note


@app.command("prove")
def prove(
    entry: Annotated[int, typer.Argument(help="The entry's index.")],
    state: State,
    out: Annotated[
        Path | None, typer.Option(help="Write the proof here (default: stdout).")
    ] = None,
    data: DataDir = None,
) -> None:
    """Print an inclusion proof of one entry, with the signed checkpoint it leads to."""
    from stateline.ledger.checkpoint import Checkpoint, parse_note
    from stateline.ledger.keys import origin_for
    from stateline.ledger.proofs import inclusion_proof

    store, committed, head = _committed(data, state)
    if not 0 <= entry < committed or head is None:
        raise _fail(f"the ledger holds entries 0 to {committed - 1}, not {entry}", 2)
    try:
        # The latest published checkpoint that covers the entry, else the signed head.
        notes = [n for _i, size, _t, n in store.checkpoints() if entry < size <= committed]
        note = notes[-1] if notes else head
        size = Checkpoint.parse(parse_note(note).text).size
        proof = inclusion_proof(store, entry, size)
        row = store.entry(entry)
    except StorageError as error:
        raise _fail(f"cannot read the ledger: {error}") from error
    body = row[1] if row is not None else None
    document = proof.document(origin_for(state.upper()), body, note)
    text = json.dumps(document, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        console.print(f"wrote the proof of entry {entry} (tree size {size}) to {out}")


@app.command("check-proof")
def check_proof(
    file: Annotated[Path, typer.Argument(help="A proof written by `stateline ledger prove`.")],
    key: Annotated[
        str | None, typer.Option(help="The node's verifier key (vkey), or a file holding it.")
    ] = None,
    state: Annotated[
        str | None, typer.Option(help="Take the key from this state's key directory.")
    ] = None,
    data: DataDir = None,
) -> None:
    """Verify a proof file without the database: the checkpoint's signature, then the path."""
    from stateline.ledger.entries import EntryError, decode

    try:
        if key is None:
            if state is None:
                raise _fail("give --key VKEY (or --state to read the node's key file)", 2)
            key = (_keys_dir(Config.from_env(data), state) / LEDGER_VKEY).read_text()
        elif Path(key).is_file():
            key = Path(key).read_text()
        verifier = Verifier.parse(key)
        document = json.loads(file.read_text())
        checkpoint_ = open_checkpoint(document["checkpoint"], verifier, document["origin"])
        index, size = int(document["index"]), int(document["tree_size"])
        leaf = base64.b64decode(document["leaf_hash"], validate=True)
        if document.get("entry") is not None:
            body = base64.b64decode(document["entry"], validate=True)
            if leaf_hash(body) != leaf:
                raise ProofError("the entry does not hash to the proof's leaf")
        path = [base64.b64decode(h, validate=True) for h in document["proof"]]
        if size != checkpoint_.size:
            raise ProofError(f"proof for size {size}, checkpoint of size {checkpoint_.size}")
        verify_inclusion(index, size, leaf, path, checkpoint_.root)
    except (OSError, ValueError, KeyError, TypeError, NoteError, ProofError) as error:
        raise _fail(f"proof does NOT verify: {error}") from error
    what = "its body removed by retention"
    if document.get("entry") is not None:
        try:
            what = f"a {decode(body).kind} entry"
        except EntryError:
            what = "bytes that are not an entry"
    console.print(
        f"[green]verified:[/green] entry {index} ({what}) is in the log {checkpoint_.origin} "
        f"of {size:,} entries signed by {verifier.name}"
    )


@app.command("consistency")
def consistency(
    old: Annotated[int, typer.Argument(help="The earlier tree size.")],
    new: Annotated[int, typer.Argument(help="The later tree size.")],
    state: State,
    data: DataDir = None,
) -> None:
    """Print (and check) the proof that the log of NEW entries extends the log of OLD."""
    from stateline.ledger.keys import origin_for
    from stateline.ledger.proofs import consistency_proof, root_at

    store, committed, _head = _committed(data, state)
    if not 0 <= old <= new <= committed:
        raise _fail(f"sizes must satisfy 0 <= OLD <= NEW <= {committed}", 2)
    try:
        proof = consistency_proof(store, old, new)
        old_root, new_root = root_at(store, old), root_at(store, new)
    except StorageError as error:
        raise _fail(f"cannot read the ledger: {error}") from error
    try:
        verify_consistency(old, new, old_root, new_root, proof)
    except ProofError as error:
        raise _fail(f"the stored tree gives a bad proof: {error}") from error
    document = {
        "origin": origin_for(state.upper()),
        "old_size": old,
        "new_size": new,
        "old_root": _b64(old_root),
        "new_root": _b64(new_root),
        "proof": [_b64(h) for h in proof],
    }
    typer.echo(json.dumps(document, indent=2))


@app.command("export")
def export(
    state: State,
    parquet: Annotated[Path, typer.Option("--parquet", help="Write the entries to this file.")],
    data: DataDir = None,
) -> None:
    """Export every entry to a Parquet file for analytics (bodies removed by retention stay
    as rows with their leaf hash only)."""
    from stateline.ledger.export import write_parquet

    store, _config = _store(data, state)
    try:
        count = write_parquet(store, parquet)
    except StorageError as error:
        raise _fail(f"cannot read the ledger: {error}") from error
    console.print(f"wrote {count:,} entries to {parquet}")


@app.command("witness")
def witness(
    url: Annotated[
        str | None,
        typer.Option(help="A witness elsewhere (the hub's server): ask it over HTTP instead."),
    ] = None,
    witness_key: Annotated[
        str | None,
        typer.Option(help="With --url: the witness's verifier key (vkey) its cosignature needs."),
    ] = None,
    state: Annotated[
        str | None, typer.Option("--state", help="With --url: only this node's log.")
    ] = None,
    data: DataDir = None,
) -> None:
    """Run one witnessing round: every node checkpoints; the next state in the ring and the hub
    cosign. With --url, each node's log asks that witness over c2sp.org/tlog-witness."""
    if url is not None:
        _remote_witness(url, witness_key, state, data)
        return
    from stateline.bootstrap import build
    from stateline.ledger.lock import Holder, LedgerBusy

    try:
        system = build(Config.from_env(data), Holder.this_process("stateline ledger witness"))
    except LedgerBusy as busy:
        raise _fail(
            f"{busy}: it runs witnessing rounds itself; to ask a witness elsewhere, use --url"
        ) from busy
    try:
        refusals = system.witness_round(int(time.time()))
    finally:
        system.close()
    for refusal in refusals:
        errors.print(f"[red]{refusal}[/red]")
    if refusals:
        raise typer.Exit(1)
    console.print(
        f"{len(system.nodes)} logs checkpointed and cosigned by their neighbours and the hub"
    )


def _remote_witness(
    url: str, witness_key: str | None, state: str | None, data: Path | None
) -> None:
    import httpx

    from stateline.ledger.witness.rounds import Site, remote_cosign

    if witness_key is None:
        raise _fail("--url needs --witness-key, the witness's verifier key", 2)
    try:
        verifier = Verifier.parse(witness_key)
    except NoteError as error:
        raise _fail(f"not a verifier key: {error}", 2) from error
    config = Config.from_env(data)
    endpoint = f"{url.rstrip('/')}/witness/add-checkpoint"

    def post(body: bytes) -> tuple[int, bytes]:
        answer = httpx.post(endpoint, content=body, headers={"content-type": "text/plain"})
        return answer.status_code, answer.content

    refusals = []
    states = [state.upper()] if state else list(config.states)
    for code in states:
        ledger = _ledger(data, code, "stateline ledger witness")
        try:
            site = Site(ledger, load(_keys_dir(config, code)))
            refusal = remote_cosign(site, post, verifier, int(time.time()))
        except (httpx.HTTPError, StorageError) as error:
            refusal = f"{code}: {error}"
        finally:
            ledger.close()
        if refusal is not None:
            refusals.append(refusal)
            errors.print(f"[red]{refusal}[/red]")
    if refusals:
        raise typer.Exit(1)
    console.print(f"{len(states)} logs checkpointed and cosigned by {verifier.name}")
