"""Locust wiring every scenario imports: CALL-E options, thresholds, raw samples, user inputs.

Importing this module registers listeners on Locust's global events (once per process):

- command-line options (each also a ``LOCUST_*`` variable, so the Kubernetes Jobs can set
  them): ``--check-fail-ratio`` and ``--check-p95`` (the pass/fail rules), ``--chat-seed``,
  ``--think-time``, ``--grpc-target``, ``--samples-file`` and the step-load shape's
  ``--step-users``/``--step-time``;
- at the end of a run, the rules are checked on the master (or the local runner) and a broken
  rule sets ``environment.process_exit_code`` to 1, so a pipeline fails;
- with ``--samples-file``, every request is also written as one JSON line (type, name,
  milliseconds, success, wall-clock end): the benchmark computes exact percentiles from them,
  where Locust's own tables round times above 10 s to whole seconds.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import User, events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from loadtest.chats import ChatGenerator, GeneratedChat
from loadtest.thresholds import EntryStats, Thresholds

logger = logging.getLogger(__name__)

GRPC_PORT = 50051
# Users of every class in this process, numbered in the order they start: each gets its own
# chat sequence; workers of a distributed run are told apart by their index.
_user_numbers = itertools.count()
_USERS_PER_WORKER = 100_000


@events.init_command_line_parser.add_listener
def add_options(parser: Any) -> None:
    """CALL-E's options, shown in ``locust --help`` under their own heading."""
    group = parser.add_argument_group("CALL-E")
    group.add_argument(
        "--check-fail-ratio",
        type=float,
        default=None,
        env_var="LOCUST_CHECK_FAIL_RATIO",
        help="Fail the run (exit code 1) above this share of failed requests, e.g. 0.01.",
    )
    group.add_argument(
        "--check-p95",
        default="",
        env_var="LOCUST_CHECK_P95",
        help="Fail the run when an entry's p95 exceeds its limit: NAME=MS[,NAME=MS...]; "
        "NAME is an entry name (time-to-summary), '<type> <name>' or '*'.",
    )
    group.add_argument(
        "--chat-seed",
        type=int,
        default=0,
        env_var="LOCUST_CHAT_SEED",
        help="Seed of the generated chats (same seed, same requests).",
    )
    group.add_argument(
        "--think-time",
        type=float,
        default=1.0,
        env_var="LOCUST_THINK_TIME",
        help="Each user waits a uniform 0..THINK_TIME seconds between requests.",
    )
    group.add_argument(
        "--grpc-target",
        default="",
        env_var="LOCUST_GRPC_TARGET",
        help=f"host:port of the gateway's gRPC API (default: --host's name, port {GRPC_PORT}).",
    )
    group.add_argument(
        "--samples-file",
        default="",
        env_var="LOCUST_SAMPLES_FILE",
        help="Also write every request as a JSON line here (local runs).",
    )
    group.add_argument(
        "--step-users",
        type=int,
        default=4,
        env_var="LOCUST_STEP_USERS",
        help="Step-load shape: users added per step.",
    )
    group.add_argument(
        "--step-time",
        type=float,
        default=60.0,
        env_var="LOCUST_STEP_TIME",
        help="Step-load shape: seconds each step is held.",
    )


def thresholds(environment: Environment) -> Thresholds:
    """The run's pass/fail rules from its options."""
    options = environment.parsed_options
    return Thresholds.parse(
        getattr(options, "check_fail_ratio", None), getattr(options, "check_p95", "")
    )


@events.init.add_listener
def on_init(environment: Environment, **_kwargs: Any) -> None:
    """Refuse bad rules before any load is sent, and start recording samples if asked."""
    try:
        thresholds(environment)
    except ValueError as exc:
        logger.error("invalid threshold: %s", exc)
        sys.exit(2)
    path = getattr(environment.parsed_options, "samples_file", "")
    if path and not isinstance(environment.runner, MasterRunner):
        recorder = _SampleRecorder(Path(path))
        environment.events.request.add_listener(recorder.record)
        environment.events.quitting.add_listener(recorder.write)


@events.quitting.add_listener
def check_thresholds(environment: Environment, **_kwargs: Any) -> None:
    """Set the exit code from the rules: 1 when one is broken, 0 when all hold."""
    if isinstance(environment.runner, WorkerRunner):
        return
    rules = thresholds(environment)
    if not rules.active:
        return
    stats = environment.stats
    entries = [_entry_stats(entry) for entry in stats.entries.values()]
    problems = rules.violations(entries, _entry_stats(stats.total))
    for problem in problems:
        logger.error("threshold crossed: %s", problem)
    if not problems:
        logger.info("all thresholds hold")
    environment.process_exit_code = 1 if problems else 0


def _entry_stats(entry: Any) -> EntryStats:
    requests = int(entry.num_requests)
    return EntryStats(
        request_type=str(entry.method or ""),
        name=str(entry.name),
        requests=requests,
        failures=int(entry.num_failures),
        p95_ms=float(entry.get_response_time_percentile(0.95)) if requests else None,
    )


class _SampleRecorder:
    """Keeps every request in memory and writes them as JSON lines when the run ends."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._samples: list[dict[str, Any]] = []

    def record(
        self,
        request_type: str,
        name: str,
        response_time: float,
        exception: BaseException | None = None,
        **_kwargs: Any,
    ) -> None:
        self._samples.append(
            {
                "type": request_type,
                "name": name,
                "ms": response_time,
                "ok": exception is None,
                "end": time.time(),
            }
        )

    def write(self, **_kwargs: Any) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        lines = (json.dumps(sample) for sample in self._samples)
        self._path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _user_number(environment: Environment) -> int:
    worker = int(getattr(environment.runner, "worker_index", 0) or 0)
    return worker * _USERS_PER_WORKER + next(_user_numbers)


def _generator(environment: Environment) -> ChatGenerator:
    return ChatGenerator(int(getattr(environment.parsed_options, "chat_seed", 0) or 0))


def user_chats(environment: Environment) -> Iterator[GeneratedChat]:
    """The chats one new user sends: its own seeded sequence."""
    return _generator(environment).chats(_user_number(environment))


def user_prompts(environment: Environment) -> Iterator[str]:
    """The prompts one new image-only user sends."""
    generator, user = _generator(environment), _user_number(environment)
    return (generator.prompt(user, index) for index in itertools.count())


def think_time(user: User) -> float:
    """Locust ``wait_time``: a uniform pause of up to ``--think-time`` seconds."""
    limit = float(getattr(user.environment.parsed_options, "think_time", 1.0) or 0.0)
    return random.uniform(0.0, limit)


def grpc_target(environment: Environment) -> str:
    """``--grpc-target``, or the host of ``--host`` on the gateway's gRPC port."""
    target = getattr(environment.parsed_options, "grpc_target", "")
    if target:
        return str(target)
    host = urlsplit(environment.host or "").hostname or "127.0.0.1"
    return f"{host}:{GRPC_PORT}"
