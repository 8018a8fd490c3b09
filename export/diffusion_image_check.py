"""End-to-end image check at export: the served graphs on their engines against diffusers.

Per-graph parity bounds each network's output; what a user sees is the picture after a whole
denoising loop, where lower-precision errors may grow or wash out. So export also draws a few
pictures with :class:`~triton_models.diffusion_pipeline.DiffusionRunner` on the exported
graphs and engines and compares them with diffusers' float32 ``StableDiffusionPipeline`` (same
scheduler, steps, prompts and seeds): every picture must reach :data:`MIN_PSNR_DB`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline

from export.parity import ImageParity, psnr
from triton_models.diffusion_pipeline import make_scheduler
from triton_models.local_diffusion import local_runner
from triton_models.tensor_engines import EngineChoice

log = logging.getLogger(__name__)

MIN_PSNR_DB = 40.0
# Enough steps for errors to compound through the scheduler's multistep history, few enough
# to keep a small-preset export short.
CHECK_STEPS = 8
CASES = (
    ("친구들이 부산 바다 앞에서 함께 웃고 있는 따뜻한 그림", 0),
    ("눈 내리는 밤, 작은 오두막 창문으로 새어 나오는 노란 불빛", 1),
)


def check_images(
    pipeline: StableDiffusionPipeline,
    repository: Path,
    engines: Mapping[str, EngineChoice],
    *,
    steps: int = CHECK_STEPS,
) -> ImageParity:
    """Draw :data:`CASES` both ways and record the PSNR of each picture.

    Args:
        pipeline: The float32 pipeline the graphs were exported from.
        repository: The repository holding the exported graphs and runtime files.
        engines: Engine and precision per tensor model, as served.
        steps: Denoising steps per picture.
    """
    runner = local_runner(repository, engines, threads=os.cpu_count() or 1)
    settings = runner.settings(steps=steps)
    # The same modules (from_pipe would drop an AutoencoderTiny); the scheduler is set after
    # construction, as users swap it, so the constructor's legacy config fixes do not apply.
    reference = StableDiffusionPipeline(**pipeline.components, requires_safety_checker=False)
    reference.scheduler = make_scheduler(settings.scheduler, dict(pipeline.scheduler.config))
    reference.set_progress_bar_config(disable=True)
    result = ImageParity(
        "diffusion image", MIN_PSNR_DB, {name: str(choice) for name, choice in engines.items()}
    )
    for prompt, seed in CASES:
        (image,) = runner.generate([prompt], [seed], settings)
        expected = reference(
            prompt,
            num_inference_steps=steps,
            guidance_scale=settings.guidance_scale,
            height=settings.height,
            width=settings.width,
            generator=torch.Generator().manual_seed(seed),
        ).images[0]
        result.psnr_db.append(psnr(image, expected))
        log.info(
            "image check (%s, seed %d): PSNR %.1f dB",
            settings.scheduler,
            seed,
            psnr(image, expected),
        )
    return result
