"""``python -m loadtest.baseline``: serve the single-process baseline until interrupted."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger("loadtest.baseline")

# The first version admitted every request and gave none a deadline: each waited its turn.
UNLIMITED_CONCURRENCY = 1_000_000
NO_DEADLINE_S = 24 * 3600.0


def main(argv: Sequence[str] | None = None) -> int:
    """Load the checkpoints, then serve them with the gateway's app on one worker thread."""
    parser = argparse.ArgumentParser(prog="python -m loadtest.baseline", description=__doc__)
    parser.add_argument("--summarizer", type=Path, required=True, help="BART checkpoint dir")
    parser.add_argument("--diffusion", type=Path, required=True, help="diffusers pipeline dir")
    parser.add_argument(
        "--repository",
        type=Path,
        required=True,
        help="repository exported from them (or the export root naming it)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--torch-threads", type=int, help="torch intra-op threads (default: all)")
    args = parser.parse_args(argv)

    import torch
    import uvicorn

    from contract.repository import diffusion_pipeline, summarizer_tokenizer
    from export.versions import served_repository
    from gateway.http.app import create_app
    from gateway.settings import gateway_settings
    from loadtest.baseline.backend import BaselineBackend
    from loadtest.baseline.models import BaselineModels

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    repository = served_repository(args.repository)
    started = time.perf_counter()
    models = BaselineModels(args.summarizer, args.diffusion, repository)
    logger.info("models ready in %.1f s", time.perf_counter() - started)
    settings = gateway_settings(
        http_host=args.host,
        http_port=args.port,
        summarizer_tokenizer=summarizer_tokenizer(repository),
        diffusion_pipeline=diffusion_pipeline(repository),
        max_concurrency=UNLIMITED_CONCURRENCY,
        summary_timeout_s=NO_DEADLINE_S,
        image_timeout_s=NO_DEADLINE_S,
    )
    uvicorn.run(
        create_app(BaselineBackend(models, repository), settings),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
