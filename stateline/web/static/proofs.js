// Stateline: check each entry's inclusion proof in the page (the resident view, and the
// console's dashboard).
//
// For every entry: its bytes hash to the proof's leaf (SHA-256 of 0x00 || entry), the audit
// path leads from the leaf to the checkpoint's root (RFC 9162, 2.1.3.2), and the checkpoint is
// signed by the state's ledger key (C2SP signed note, Ed25519). The browser's own Web Crypto
// does the hashing and the signature check; nothing is fetched.
"use strict";

(function () {
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const utf8 = (text) => new TextEncoder().encode(text);
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const sha256 = async (data) => new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  const hex = (data) => Array.from(data, (x) => x.toString(16).padStart(2, "0")).join("");

  // The checkpoint: its text (origin, size, root), and its signature lines.
  function parseNote(note) {
    const split = note.indexOf("\n\n");
    if (split < 0) throw new Error("not a signed note");
    const text = note.slice(0, split + 1);
    const [origin, size, root] = text.split("\n");
    const signatures = note.slice(split + 2).split("\n").filter((l) => l.startsWith("\u2014 "))
      .map((l) => { const [, name, sig] = l.split(" "); return { name, sig: bytes(sig) }; });
    return { text, origin, size: Number(size), root: bytes(root), signatures };
  }

  // Whether the state's key (name+hash+base64(type || key)) signed the checkpoint.
  async function signedBy(note, vkey) {
    // name+hash+base64: the key's base64 may hold "+" itself, so split at the first two only.
    const first = vkey.indexOf("+");
    const second = vkey.indexOf("+", first + 1);
    if (first < 0 || second < 0) return false;
    const name = vkey.slice(0, first);
    const keyHash = vkey.slice(first + 1, second);
    const b64 = vkey.slice(second + 1);
    const raw = bytes(b64);
    if (raw.length !== 33 || raw[0] !== 1) return false;
    const id = (await sha256(concat(utf8(name + "\n"), raw))).slice(0, 4);
    if (hex(id) !== keyHash) return false;
    const line = note.signatures.find((s) => s.name === name && equal(s.sig.slice(0, 4), id));
    if (!line) return false;
    const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false,
      ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, key, line.sig.slice(4), utf8(note.text));
  }

  // RFC 9162, 2.1.3.2: the root an inclusion proof leads to.
  async function rootFrom(index, size, leaf, path) {
    if (index >= size) return null;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of path) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concat([1], p, r));
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await sha256(concat([1], r, p));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  async function included(proof, note) {
    const entry = bytes(proof.entry);
    const leaf = bytes(proof.leaf_hash);
    if (!equal(await sha256(concat([0], entry)), leaf)) return false;
    if (proof.tree_size !== note.size || proof.origin !== note.origin) return false;
    const root = await rootFrom(proof.index, proof.tree_size, leaf, proof.proof.map(bytes));
    return root !== null && equal(root, note.root);
  }

  function say(item, text, kind) {
    const check = item.querySelector(".check");
    check.textContent = text;
    check.className = "check " + kind;
  }

  async function checkAll() {
    const result = document.getElementById("result");
    if (!result) return;
    const items = Array.from(document.querySelectorAll("[data-proof]"));
    const status = document.getElementById("head-status");
    if (!window.crypto || !crypto.subtle) {
      items.forEach((i) => say(i, "cannot be checked in this browser: download the proof", "unknown"));
      return;
    }
    let note;
    try {
      note = parseNote(result.dataset.checkpoint);
    } catch (error) {
      items.forEach((i) => say(i, "does NOT check: the checkpoint cannot be read", "bad"));
      return;
    }
    let signed;
    try {
      signed = await signedBy(note, result.dataset.key);
    } catch (error) {
      signed = null; // this browser has no Ed25519: the proofs are still checked
    }
    if (signed === false) {
      status.textContent = "The checkpoint's signature does NOT check against the state's key.";
      status.classList.add("bad");
    } else if (signed) {
      status.textContent = `The state's ledger signed its latest state (${note.size} entries): ` +
        "signature checked in this page. Each entry below is checked against it.";
    }
    for (const item of items) {
      try {
        const ok = await included(JSON.parse(item.dataset.proof), note);
        if (ok && signed !== false) say(item, "in the signed ledger: checked", "ok");
        else say(item, "does NOT check", "bad");
      } catch (error) {
        say(item, "does NOT check", "bad");
      }
    }
    result.dataset.checked = "true";
  }

  document.addEventListener("DOMContentLoaded", checkAll);
})();
