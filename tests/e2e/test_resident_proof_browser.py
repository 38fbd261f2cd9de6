"""The resident page's own check of a proof, in Chromium, for a key whose base64 holds "+" (a
ledger key's verifier string is name+hash+base64, and half of all keys have "+" in their
base64)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from pathlib import Path

from stateline.ledger.checkpoint import Checkpoint, Signer, sign_checkpoint
from stateline.ledger.keys import origin_for
from tests.browser import browser_or_skip, launch

SCRIPT = Path(__file__).resolve().parents[2] / "stateline/web/static/proofs.js"


def signer_with_plus() -> Signer:
    while True:
        signer = Signer.generate(origin_for("NY"))
        if "+" in signer.verifier.vkey.split("+", 2)[2]:
            return signer


def page(signer: Signer, tmp_path: Path) -> Path:
    entry = b'{"kind":"request"}'
    leaf = hashlib.sha256(b"\0" + entry).digest()
    note = sign_checkpoint(Checkpoint(origin_for("NY"), 1, leaf), signer)  # one leaf: its root
    proof = {
        "origin": origin_for("NY"),
        "index": 0,
        "tree_size": 1,
        "leaf_hash": base64.b64encode(leaf).decode(),
        "entry": base64.b64encode(entry).decode(),
        "proof": [],
        "checkpoint": note,
    }
    body = (
        f'<section id="result" data-checkpoint="{html.escape(note)}" '
        f'data-key="{html.escape(signer.verifier.vkey)}"><p id="head-status"></p>'
        f'<div data-proof="{html.escape(json.dumps(proof))}"><span class="check"></span></div>'
        f"</section><script>{SCRIPT.read_text()}</script>"
    )
    path = tmp_path / "proof.html"
    # As the resident view serves it (text/html; charset=utf-8): without it, Chromium guesses
    # the file's encoding from its bytes, and reads the note's em dash wrongly now and then.
    head = '<head><meta charset="utf-8"></head>'
    path.write_text(f"<!doctype html><html>{head}<body>{body}</body></html>", encoding="utf-8")
    return path


def test_a_key_with_a_plus_in_its_base64_checks(tmp_path: Path) -> None:
    sync_playwright = browser_or_skip()
    signer = signer_with_plus()
    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path / "chromium-profile")
        try:
            browser_page = context.new_page()
            browser_page.goto(page(signer, tmp_path).as_uri())
            browser_page.wait_for_selector("#result[data-checked='true']", timeout=30_000)
            assert browser_page.locator(".check").inner_text() == "in the signed ledger: checked"
            assert "signature checked" in browser_page.locator("#head-status").inner_text()
        finally:
            context.close()
