"""The ``calle`` command line; each feature registers its own subcommands.

Flags override ``CALLE_*`` environment variables, which override defaults.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import calle.inspection
import calle.serving
import calle.soak
import evaluation.command
import export.command
import loadtest.command
from calle.settings import triton_settings
from gateway.logs import configure_logging

# Libraries whose INFO lines drown a command's own: httpx logs every request, and `calle demo`,
# `calle soak` and `calle eval` are httpx clients.
QUIET_LOGGERS = ("httpx",)

FEATURES = (
    calle.serving,
    calle.inspection,
    calle.soak,
    evaluation.command,
    loadtest.command,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="calle", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)
    export.command.register(commands, default_output=lambda: triton_settings().model_repository)
    for feature in FEATURES:
        feature.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``calle`` command."""
    args = build_parser().parse_args(argv)
    configure_logging("DEBUG" if args.verbose else "INFO")
    if not args.verbose:
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
