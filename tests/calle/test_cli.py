"""The ``calle`` command line: every subcommand a feature registers can run."""

from __future__ import annotations

import argparse

from calle.cli import build_parser


def test_every_subcommand_has_a_handler() -> None:
    (commands,) = (
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert {"export", "gateway", "serve", "demo", "loadtest", "benchmark"} <= set(commands.choices)
    for name, parser in commands.choices.items():
        assert callable(parser.get_default("run")), f"calle {name} has no handler"
