"""``calle inspect FILE...|DIR``: what the gateway makes of KakaoTalk export files.

For each file: the detected format and encoding, repairs, messages, speakers and time span,
lines by role, system lines dropped and placeholders by kind, lines that could not be placed
(line numbers only) and what selection would summarize, and why. Chat text, names and the
room name are never printed unless ``--show-text`` asks for them (the dialogue is then shown
pseudonymized, as the summarizer would get it).

Token counts use the summarizer's tokenizer (``tokenizer.json``, read with ``tokenizers``):
``--tokenizer``, else the one exported into the model repository. Without one the budget is
not applied, and the output says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gateway.settings import gateway_settings

_SUFFIXES = frozenset({".txt", ".csv", ".json"})


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``inspect`` to ``calle``'s subcommands, with :func:`run` to execute it."""
    parser = subparsers.add_parser(
        "inspect",
        help="report how export files are read (counts only, no chat text)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", type=Path, help="export files or folders of them")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument(
        "--show-text",
        action="store_true",
        help="also print the room name and the selected (pseudonymized) dialogue: chat text",
    )
    parser.add_argument(
        "--tokenizer",
        type=Path,
        help="tokenizer.json (or its folder) of the summarizer "
        "(default: CALLE_SUMMARIZER_TOKENIZER, the exported one)",
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        help="source budget in tokens (default: the exported tokenizer's, needed for another)",
    )
    parser.add_argument("--gap-minutes", type=float, help="CALLE_BURST_GAP_MINUTES")
    parser.add_argument("--min-messages", type=int, help="CALLE_MIN_DIALOGUE_MESSAGES")
    parser.add_argument("--min-speakers", type=int, help="CALLE_MIN_DIALOGUE_SPEAKERS")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Inspect every file; exit status 1 when a path is missing or a file was rejected.

    Exit status 2: the ``--tokenizer`` given does not exist.
    """
    from gateway.ingest.inspection import Rejected, format_report, inspect_export, to_json

    settings = gateway_settings(
        burst_gap_minutes=args.gap_minutes,
        min_dialogue_messages=args.min_messages,
        min_dialogue_speakers=args.min_speakers,
    )
    files, missing = expand(args.paths)
    if not files:
        sys.stderr.write("calle inspect: no export files (.txt, .csv, .json) found\n")
        return 1
    if args.tokenizer is not None and not args.tokenizer.exists():
        sys.stderr.write(f"calle inspect: {args.tokenizer}: no such tokenizer\n")
        return 2
    try:
        count_tokens, max_tokens, budget = token_budget(
            args.tokenizer or settings.summarizer_tokenizer, args.max_tokens
        )
    except ValueError as exc:
        sys.stderr.write(f"calle inspect: {exc} (or pass --max-tokens)\n")
        return 2
    results = {
        str(path): inspect_export(
            path.read_bytes(),
            count_tokens=count_tokens,
            max_tokens=max_tokens,
            gap=settings.burst_gap,
            min_messages=settings.min_dialogue_messages,
            min_speakers=settings.min_dialogue_speakers,
            include_text=args.show_text,
        )
        for path in files
    }
    if args.json:
        document = {
            "budget": budget,
            "files": {name: to_json(result) for name, result in results.items()},
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(f"budget: {budget}\n")
        for name, result in results.items():
            sys.stdout.write(format_report(name, result) + "\n")
    rejected = any(isinstance(result, Rejected) for result in results.values())
    return 1 if rejected or missing else 0


def expand(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The files to inspect, in order, and the paths that do not exist.

    Files named are taken as they are; folders give the export files (by suffix) under them.
    """
    files: list[Path] = []
    missing: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                found for found in path.rglob("*") if found.is_file() and found.suffix in _SUFFIXES
            )
        elif path.is_file():
            files.append(path)
        else:
            sys.stderr.write(f"calle inspect: {path}: no such file or folder\n")
            missing.append(path)
    return files, missing


def token_budget(
    tokenizer: Path, max_tokens: int | None
) -> tuple[Callable[[Sequence[str]], list[int]], int, str]:
    """The summarizer's token counter and budget, and a line saying which were used.

    Counting is the gateway's own (:class:`gateway.dialogue.SourceTokenizer`). Without a
    tokenizer every text counts 0 tokens against a budget of 1: selection then applies its gap
    and minimum only, and the line says the budget was not applied.

    Raises:
        ValueError: The tokenizer has no budget of its own and ``max_tokens`` is not given.
    """
    path = tokenizer / "tokenizer.json" if tokenizer.is_dir() else tokenizer
    if not path.is_file():
        return (
            lambda texts: [0] * len(texts),
            1,
            "not applied (no tokenizer found: pass --tokenizer)",
        )
    from gateway.dialogue import SourceTokenizer

    source = SourceTokenizer(path, budget=max_tokens)
    return source.count_tokens, source.budget, f"{source.budget} tokens ({tokenizer})"
