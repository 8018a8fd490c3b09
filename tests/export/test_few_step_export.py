"""Few-step exports: a LoRA fused at export and a tiny VAE decoder, against diffusers' own path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from diffusers import AutoencoderTiny, LCMScheduler, StableDiffusionPipeline

from contract.repository import TENSOR_MODELS, diffusion_pipeline
from export.diffusion import DiffusionSource, export_diffusion, load_pipeline
from export.diffusion_checkpoints import build_lora, build_tiny_autoencoder
from export.diffusion_image_check import check_images
from export.parity import psnr, require_parity
from export.repository import configured_engines
from triton_models.diffusion_pipeline import PipelineSpec
from triton_models.local_diffusion import local_runner
from triton_models.tensor_engines import EngineChoice

PROMPT = "친구들이 부산 바다 앞에서 함께 웃고 있는 따뜻한 그림"
ENGINES = dict.fromkeys(TENSOR_MODELS, EngineChoice())


@pytest.fixture(scope="module")
def source(diffusion_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> DiffusionSource:
    """The tiny pipeline with a random LoRA (LCM-LoRA's format) and a tiny AutoencoderTiny."""
    root = tmp_path_factory.mktemp("few-step")
    return DiffusionSource(
        str(diffusion_checkpoint),
        lora=str(build_lora(diffusion_checkpoint, root / "lora", seed=1)),
        lora_scale=0.8,
        tiny_vae=str(build_tiny_autoencoder(root / "taesd", seed=2)),
    )


@pytest.fixture(scope="module")
def repository(source: DiffusionSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("few-step-export")
    results = export_diffusion(
        source,
        output,
        engines=ENGINES,
        default_steps=4,
        default_scheduler="lcm",
        default_guidance_scale=1.0,
        progress=False,
    ).parity
    require_parity(results)
    return output


def test_defaults_and_source_are_recorded(repository: Path, source: DiffusionSource) -> None:
    spec = PipelineSpec.load(diffusion_pipeline(repository))
    assert (spec.default_scheduler, spec.default_steps, spec.default_guidance_scale) == (
        "lcm",
        4,
        1.0,
    )
    assert spec.vae_scaling_factor == 1.0  # AutoencoderTiny decodes unscaled latents
    assert f"LoRA {source.lora} x0.8 (fused)" in spec.source
    assert f"AutoencoderTiny {source.tiny_vae}" in spec.source


def test_pictures_match_diffusers_with_the_lora_unfused(
    repository: Path, source: DiffusionSource, diffusion_checkpoint: Path, tiny_repository: Path
) -> None:
    """diffusers' own way: LoRA layers loaded (not fused) at the scale, TAESD as the VAE."""
    pipeline = StableDiffusionPipeline.from_pretrained(
        diffusion_checkpoint,
        vae=AutoencoderTiny.from_pretrained(source.tiny_vae),
        safety_checker=None,
        requires_safety_checker=False,
    )
    pipeline.load_lora_weights(source.lora)
    pipeline.scheduler = LCMScheduler.from_config(pipeline.scheduler.config)
    pipeline.set_progress_bar_config(disable=True)
    runner = local_runner(repository, ENGINES)
    for steps in (1, 4):
        (image,) = runner.generate([PROMPT], [3], runner.settings(steps=steps))
        expected = pipeline(
            PROMPT,
            num_inference_steps=steps,
            guidance_scale=1.0,
            generator=torch.Generator().manual_seed(3),
            cross_attention_kwargs={"scale": source.lora_scale},
        ).images[0]
        assert psnr(image, expected) >= 40
    # The LoRA and the decoder change the picture: not the plain pipeline's.
    plain = local_runner(tiny_repository, configured_engines(tiny_repository))
    settings = plain.settings(steps=4, scheduler="lcm", guidance_scale=1)
    assert psnr(image, plain.generate([PROMPT], [3], settings)[0]) < 30


def test_the_export_image_check_covers_the_few_step_defaults(
    repository: Path, source: DiffusionSource
) -> None:
    result = check_images(load_pipeline(source), repository, ENGINES)
    assert result.passed, result.failure()
