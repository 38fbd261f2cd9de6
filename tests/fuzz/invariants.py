"""The one invariant every fuzz test checks: an answer is a valid message or a numbered ER."""

from __future__ import annotations

from stateline.wire import checks, jsonform, text
from stateline.wire.errors import ORIGINAL_LIMIT, ErReason, Rejection
from stateline.wire.messages import Message


def assert_answer(result: Message | Rejection, *, form: str = "text") -> None:
    """A rejection quotes at most 100 characters and names a reason; a message is valid
    and survives its own encoding unchanged."""
    if isinstance(result, Rejection):
        assert isinstance(result.reason, ErReason)
        assert len(result.original) <= ORIGINAL_LIMIT
        assert result.detail != (text.INTERNAL_ERROR,), "the parser's safety net fired"
        assert checks.error_fault(result.detail, result.original) is None
        return
    assert checks.check_message(result) is None
    if form == "text":
        assert text.parse(text.encode(result)) == result
    else:
        assert jsonform.parse_json(jsonform.encode_json(result)) == result
