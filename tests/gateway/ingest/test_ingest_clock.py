"""Dates and times from regex groups, with the 12-hour clock's edge cases."""

from __future__ import annotations

from datetime import date, time

import pytest

from gateway.ingest.clock import date_of, time_of


@pytest.mark.parametrize(
    ("meridiem", "hour", "expected"),
    [
        ("오전", "12", time(0, 30)),
        ("오전", "1", time(1, 30)),
        ("오전", "11", time(11, 30)),
        ("오후", "12", time(12, 30)),
        ("오후", "1", time(13, 30)),
        ("오후", "11", time(23, 30)),
        ("AM", "12", time(0, 30)),
        ("am", "12", time(0, 30)),
        ("a.m.", "9", time(9, 30)),
        ("PM", "12", time(12, 30)),
        ("pm", "12", time(12, 30)),
        ("P.M.", "9", time(21, 30)),
        (None, "0", time(0, 30)),
        (None, "23", time(23, 30)),
    ],
)
def test_time_of_twelve_hour_and_24_hour_clocks(meridiem, hour, expected):
    assert time_of({"meridiem": meridiem, "hour": hour, "minute": "30"}) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"meridiem": "오후", "hour": "13", "minute": "00"},
        {"meridiem": "AM", "hour": "0", "minute": "00"},
        {"meridiem": None, "hour": "24", "minute": "00"},
        {"meridiem": None, "hour": "9", "minute": "75"},
        {"meridiem": "저녁", "hour": "9", "minute": "00"},
    ],
)
def test_time_of_rejects_impossible_times(fields):
    with pytest.raises(ValueError):  # noqa: PT011 - the parser treats any ValueError as "no time"
        time_of(fields)


def test_time_of_without_hour_is_none():
    assert time_of({}) is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"year": "2024", "month": "5", "day": "2"}, date(2024, 5, 2)),
        ({"year": "2024", "month_name": "May", "day": "2"}, date(2024, 5, 2)),
        ({"year": "2024", "month_name": "Sept", "day": "30"}, date(2024, 9, 30)),
        ({"year": "2024", "month_name": "december", "day": "31"}, date(2024, 12, 31)),
        ({"month": "5", "day": "2"}, None),
    ],
)
def test_date_of(fields, expected):
    assert date_of(fields) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"year": "2023", "month": "2", "day": "29"},
        {"year": "2024", "month": "13", "day": "1"},
        {"year": "2024", "month_name": "Smarch", "day": "1"},
        {"year": "0000", "month": "1", "day": "1"},
    ],
)
def test_date_of_rejects_impossible_dates(fields):
    with pytest.raises(ValueError):  # noqa: PT011 - the parser treats any ValueError as "no date"
        date_of(fields)
