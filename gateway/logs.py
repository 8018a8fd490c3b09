"""Logging for the ``calle`` commands: one line per record, with the request id in it.

Chat text never reaches a log: the gateway logs counts, durations, codes and ids only. Quieting
other libraries' loggers is the job of the command that uses them (export, the demo).
"""

from __future__ import annotations

import logging

from gateway.request_id import current_request_id


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request) for the log format."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drops it."""
        record.request_id = current_request_id.get()
        return True


def configure_logging(level: str) -> None:
    """Log to stderr with the request id on every line, at ``level`` (any case)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
