"""``calle gateway``, ``calle serve`` and ``calle demo``: the local Triton and the gateway.

Flags override ``CALLE_*`` environment variables, which override defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from types import FrameType
from typing import Any

from calle.settings import TritonSettings, triton_settings
from calle.supervisor import TritonSupervisor
from calle.triton import TritonServer, usable_cores
from contract.repository import diffusion_pipeline, summarizer_tokenizer
from gateway.logs import configure_logging
from gateway.settings import GatewaySettings, gateway_settings

log = logging.getLogger(__name__)


def _add_triton_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repository",
        type=Path,
        help="export output (serves what its current names) or a model repository",
    )
    parser.add_argument("--triton-http-port", type=int, help="Triton HTTP port (8000)")
    parser.add_argument("--triton-grpc-port", type=int, help="Triton gRPC port (8001)")
    parser.add_argument("--triton-metrics-port", type=int, help="Triton metrics port (8002)")


def _add_gateway_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="interface the gateway binds (CALLE_HTTP_HOST)")
    parser.add_argument("--http-port", type=int, help="gateway HTTP port (8080)")
    parser.add_argument("--grpc-port", type=int, help="gateway gRPC port (50051)")


def _gateway_settings(args: argparse.Namespace, **overrides: object) -> GatewaySettings:
    """Gateway settings from the environment and flags; logging follows CALLE_LOG_LEVEL."""
    settings = gateway_settings(
        http_host=args.host, http_port=args.http_port, grpc_port=args.grpc_port, **overrides
    )
    if not args.verbose:
        configure_logging(settings.log_level)
    return settings


def _local_gateway_settings(args: argparse.Namespace, triton: TritonServer) -> GatewaySettings:
    """Gateway settings pointing at the Triton this command started.

    The tokenizer and the image sizes are the served export's, unless
    ``CALLE_SUMMARIZER_TOKENIZER`` or ``CALLE_DIFFUSION_PIPELINE`` name other files.
    """
    settings = _gateway_settings(args, triton=triton.local)
    served = {
        "summarizer_tokenizer": summarizer_tokenizer(triton.served),
        "diffusion_pipeline": diffusion_pipeline(triton.served),
    }
    return settings.model_copy(
        update={key: path for key, path in served.items() if key not in settings.model_fields_set}
    )


def _triton_settings(args: argparse.Namespace) -> TritonSettings:
    return triton_settings(
        model_repository=args.repository,
        http_port=args.triton_http_port,
        grpc_port=args.triton_grpc_port,
        metrics_port=args.triton_metrics_port,
    )


def register(subparsers: Any) -> None:
    """Add ``gateway``, ``serve`` and ``demo`` to ``calle``'s subcommands."""
    gateway = subparsers.add_parser(
        "gateway", help="run the HTTP and gRPC gateway in front of a running Triton"
    )
    _add_gateway_flags(gateway)
    gateway.set_defaults(run=run_gateway)

    serve = subparsers.add_parser("serve", help="serve the repository: local Triton and gateway")
    _add_triton_flags(serve)
    _add_gateway_flags(serve)
    serve.set_defaults(run=run_serve)

    demo = subparsers.add_parser(
        "demo",
        help="export the tiny preset if needed, serve it, and turn the sample chat into a picture",
    )
    _add_triton_flags(demo)
    _add_gateway_flags(demo)
    demo.add_argument("--image", type=Path, default=Path("build/demo/chat_image.png"))
    demo.add_argument("--once", action="store_true", help="stop after the sample request")
    demo.set_defaults(run=run_demo)


def _run_until_signalled(main: Coroutine[object, object, None]) -> None:
    """Run ``main`` (which serves the gateway) until it ends or SIGINT/SIGTERM stops it.

    While the gateway serves, uvicorn takes both signals and drains; when done it restores the
    previous handlers and raises the signal again. Ignoring them here lets ``asyncio.run``
    return and close the loop and its worker threads instead of dying in the middle of that.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    asyncio.run(main)


def _stop_on_signals(supervisor: TritonSupervisor) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        supervisor.stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _stop_gateway() -> None:
    """What the supervisor does when it gives up: SIGTERM to this process drains the gateway."""
    os.kill(os.getpid(), signal.SIGTERM)


def start_triton(settings: TritonSettings) -> TritonSupervisor:
    """Start the local Triton on the settings' repository, wait until ready, and supervise it.

    If it dies it is restarted (``CALLE_TRITON_MAX_RESTARTS`` failures in a row at most); when
    the supervisor gives up it stops the gateway, and the command exits with status 1.
    """
    from export.options import exported_by_other_code

    if exported_by_other_code(settings.model_repository):
        log.warning(
            "%s was exported by other code; if models fail to load, run `calle export` again",
            settings.model_repository,
        )
    server = TritonServer(
        settings.model_repository,
        endpoints=settings,
        exit_timeout_s=settings.exit_timeout_s,
        log_file=settings.log_file,
        cpu_cores=settings.cpu_cores or usable_cores(),
    )
    supervisor = TritonSupervisor(
        server,
        ready_timeout_s=settings.startup_timeout_s,
        max_restarts=settings.max_restarts,
        backoff_s=settings.restart_backoff_s,
        on_give_up=_stop_gateway,
    )
    _stop_on_signals(supervisor)
    return supervisor.start()


def _exit_status(supervisor: TritonSupervisor) -> int:
    """1 when the command stopped because Triton could not be kept running, else 0."""
    if supervisor.gave_up:
        log.error("stopped: tritonserver could not be kept running")
        return 1
    return 0


def run_gateway(args: argparse.Namespace) -> int:
    """``calle gateway``: HTTP and gRPC until SIGINT/SIGTERM (Kubernetes runs this)."""
    from gateway.server import serve_gateway

    _run_until_signalled(serve_gateway(_gateway_settings(args)))
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """``calle serve``: the local Triton and the gateway, until Ctrl-C or SIGTERM.

    The gateway drains first (it handles the signal), then Triton stops.
    """
    from gateway.server import serve_gateway

    supervisor = start_triton(_triton_settings(args))
    server = supervisor.server
    try:
        log.info(
            "Triton ready: http %s, grpc %s, metrics %s",
            server.http_url,
            server.grpc_url,
            server.metrics_url,
        )
        _run_until_signalled(serve_gateway(_local_gateway_settings(args, server)))
        return _exit_status(supervisor)
    finally:
        supervisor.stop()


def run_demo(args: argparse.Namespace) -> int:
    """``calle demo``: the main job on the embedded default."""
    from calle.demo import DemoError, run
    from export.options import ExportOptions
    from export.pipeline import ExportError, ensure_exported

    settings = _triton_settings(args)
    try:
        ensure_exported(ExportOptions(output=settings.model_repository))
    except ExportError as exc:
        log.error("export failed: %s", exc)
        return 1
    if settings.log_file is None:  # keep the demo's own output readable
        settings = settings.model_copy(update={"log_file": args.image.parent / "tritonserver.log"})
    log.info("Triton logs to %s", settings.log_file)
    supervisor = start_triton(settings)
    try:
        gateway = _local_gateway_settings(args, supervisor.server)
        _run_until_signalled(run(gateway, args.image, once=args.once, show=_show))
        return _exit_status(supervisor)
    except DemoError as exc:
        log.error("demo failed: %s", exc)
        return 1
    finally:
        supervisor.stop()


def _show(line: str) -> None:
    """The demo's output for the person running it."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
