"""The ``calle`` command line: every subcommand a feature registers can run."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

from calle.cli import QUIET_LOGGERS, build_parser, main


def test_every_subcommand_has_a_handler() -> None:
    (commands,) = (
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert {"export", "gateway", "serve", "demo", "loadtest", "benchmark"} <= set(commands.choices)
    for name, parser in commands.choices.items():
        assert callable(parser.get_default("run")), f"calle {name} has no handler"


@pytest.mark.parametrize(("flags", "level"), [((), logging.WARNING), (("-v",), logging.NOTSET)])
def test_client_libraries_log_quietly_unless_verbose(
    flags: tuple[str, ...], level: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in QUIET_LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    chat = tmp_path / "chat.txt"
    chat.write_text("not a chat export\n", encoding="utf-8")
    main([*flags, "inspect", str(chat)])
    assert {logging.getLogger(name).level for name in QUIET_LOGGERS} == {level}
