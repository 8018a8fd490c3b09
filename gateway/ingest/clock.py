"""Dates and times from the named groups of the export regexes.

Every export pattern names its parts the same way (``year``, ``month`` or ``month_name``,
``day``, ``meridiem``, ``hour``, ``minute``, ``second``) so one function reads them all. English
month names are looked up in a fixed table rather than with ``strptime``, whose ``%b`` follows
the server's locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}

_AFTERNOON = frozenset({"오후", "pm"})
_MERIDIEMS = frozenset({"오전", "am", *_AFTERNOON})

Fields = Mapping[str, str | None]


def date_of(fields: Fields) -> date | None:
    """The calendar date in ``fields``, or ``None`` when the pattern has no year.

    Raises:
        ValueError: The parts do not make a real date (``2024년 2월 30일``, ``Smarch``).
    """
    year = fields.get("year")
    if year is None:
        return None
    month_name = fields.get("month_name")
    if month_name is not None:
        month = _MONTHS.get(month_name.lower())
        if month is None:
            raise ValueError("unknown month name")
    else:
        month = _number(fields, "month")
    return date(int(year), month, _number(fields, "day"))


def time_of(fields: Fields) -> time | None:
    """The time of day in ``fields`` on a 24-hour clock, or ``None`` when it has no hour.

    12-hour clocks count 12, 1, ..., 11: ``오전 12:05``/``12:05 AM`` is 00:05 and
    ``오후 12:05``/``12:05 PM`` is 12:05.

    Raises:
        ValueError: The parts are not a real time (``오후 13:00``, ``24:00``, ``9:75``).
    """
    hour_text = fields.get("hour")
    if hour_text is None:
        return None
    hour = int(hour_text)
    meridiem = fields.get("meridiem")
    if meridiem is not None:
        meridiem = meridiem.lower().replace(".", "")
        if meridiem not in _MERIDIEMS or not 1 <= hour <= 12:
            raise ValueError("not a 12-hour time")
        hour = hour % 12 + (12 if meridiem in _AFTERNOON else 0)
    return time(hour, _number(fields, "minute"), int(fields.get("second") or 0))


def _number(fields: Fields, name: str) -> int:
    text = fields.get(name)
    if text is None:
        raise ValueError(f"pattern has no {name!r} group")
    return int(text)
