"""Request ids: a client's acceptable id is kept, anything else is replaced, logs carry it."""

from __future__ import annotations

import logging

import pytest

from gateway.logs import RequestIdLogFilter
from gateway.request_id import current_request_id, request_id_from


@pytest.mark.parametrize("value", ["abc-123", "trace.id:7_x", "a" * 128])
def test_acceptable_ids_are_kept(value):
    assert request_id_from(value) == value


@pytest.mark.parametrize("value", [None, "", "has space", "new\nline", "a" * 129, "한글"])
def test_other_ids_are_replaced_by_a_random_one(value):
    generated = request_id_from(value)

    assert generated != value
    assert len(generated) == 32
    assert generated != request_id_from(value)


def test_log_records_carry_the_current_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    token = current_request_id.set("req-7")
    try:
        RequestIdLogFilter().filter(record)
    finally:
        current_request_id.reset(token)

    assert record.request_id == "req-7"


def test_outside_a_request_the_id_is_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)

    RequestIdLogFilter().filter(record)

    assert record.request_id == "-"
