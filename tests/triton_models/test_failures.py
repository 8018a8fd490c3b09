"""The failure-counting helper: when ``execute`` raises, and what a client reads back."""

from __future__ import annotations

import pytest

from contract.rejections import REJECTED, rejection_reason
from triton_models.failures import ExecuteFailedError, Failure, finish


def _respond(failure: Failure) -> str:
    return f"error: {failure.text()}"


def test_a_batch_that_all_failed_raises_with_each_distinct_message() -> None:
    results = [Failure("steps must be between 1 and 100", rejected=True)] * 2 + [Failure("boom")]
    with pytest.raises(ExecuteFailedError) as raised:
        finish(results, _respond)
    assert str(raised.value) == f"{REJECTED} steps must be between 1 and 100; boom"


def test_a_partly_failed_batch_answers_every_request() -> None:
    results = ["image", Failure("prompt is required", rejected=True)]
    assert finish(results, _respond) == ["image", f"error: {REJECTED} prompt is required"]
    assert finish(["a", "b"], _respond) == ["a", "b"]


def test_rejection_reason_unwraps_what_triton_sends() -> None:
    # As the 2.51 Python backend words a raised error, and as a BLS caller passes it on.
    wrapped = (
        "Failed to process the request(s) for model 'diffusion_0_1', message: "
        f"ExecuteFailedError: {REJECTED} steps must be between 1 and 100\n\nAt:\n"
        "  /models/current/diffusion/1/model.py(83): execute\n"
    )
    assert rejection_reason(wrapped) == "steps must be between 1 and 100"
    assert rejection_reason(f"in ensemble 'x', {wrapped}") == "steps must be between 1 and 100"
    assert rejection_reason(f"{REJECTED} diffusion: prompt is required") == (
        "diffusion: prompt is required"
    )
    assert rejection_reason("diffusion failed: out of memory") is None
