"""The injected-callable scheduler loop against diffusers' own StableDiffusionPipeline."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from diffusers import StableDiffusionPipeline
from PIL import Image

from export.parity import psnr
from triton_models.diffusion_pipeline import (
    SCHEDULERS,
    DiffusionRunner,
    GenerationCancelledError,
    make_scheduler,
    to_png,
)
from triton_models.request_inputs import RequestError

PROMPT = "친구들이 부산 바다 앞에서 함께 웃고 있는 따뜻한 그림"
OTHER_PROMPT = "눈 내리는 밤, 작은 오두막 창문으로 새어 나오는 노란 불빛"


@pytest.fixture(scope="module")
def runner(onnx_runner: DiffusionRunner) -> DiffusionRunner:
    return onnx_runner


@pytest.fixture(scope="module")
def diffusers_pipeline(diffusion_checkpoint: Path) -> StableDiffusionPipeline:
    pipeline = StableDiffusionPipeline.from_pretrained(diffusion_checkpoint)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


_CHECKPOINT_SCHEDULER_CONFIGS: dict[int, dict] = {}


def reference(
    pipeline: StableDiffusionPipeline, scheduler: str, prompt: str, seed: int, **kwargs
) -> Image.Image:
    # Every call starts from the checkpoint's own scheduler config (kept on first use), so one
    # test's scheduler options (trailing timesteps) never leak into the next.
    config = _CHECKPOINT_SCHEDULER_CONFIGS.setdefault(id(pipeline), dict(pipeline.scheduler.config))
    pipeline.scheduler = make_scheduler(scheduler, config)
    generator = torch.Generator().manual_seed(seed)
    return pipeline(prompt, generator=generator, **kwargs).images[0]


@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
def test_matches_diffusers(runner, diffusers_pipeline, scheduler: str) -> None:
    settings = runner.settings(steps=12, scheduler=scheduler)
    image = runner.generate([PROMPT], [3], settings, ["흐린 날씨"])[0]
    expected = reference(
        diffusers_pipeline,
        scheduler,
        PROMPT,
        3,
        negative_prompt="흐린 날씨",
        num_inference_steps=12,
    )
    assert image.size == (64, 64)
    assert psnr(image, expected) >= 40


def test_unguided_non_square_matches_diffusers(runner, diffusers_pipeline) -> None:
    settings = runner.settings(guidance_scale=1.0, height=32, width=96)
    image = runner.generate([PROMPT], [5], settings)[0]
    expected = reference(
        diffusers_pipeline,
        "dpmsolver++",
        PROMPT,
        5,
        guidance_scale=1.0,
        height=32,
        width=96,
        num_inference_steps=20,
    )
    assert image.size == (96, 32)
    assert psnr(image, expected) >= 40


@pytest.mark.parametrize("scheduler", ["lcm", "euler_a_trailing", "tcd"])
@pytest.mark.parametrize("steps", [1, 4])
def test_few_step_samplers_match_diffusers(runner, diffusers_pipeline, scheduler, steps) -> None:
    """Few-step models run unguided (guidance 1) with 1-8 steps; two images in one loop."""
    settings = runner.settings(steps=steps, guidance_scale=1.0, scheduler=scheduler)
    images = runner.generate([PROMPT, OTHER_PROMPT], [11, 12], settings)
    for image, prompt, seed in zip(images, (PROMPT, OTHER_PROMPT), (11, 12), strict=True):
        expected = reference(
            diffusers_pipeline,
            scheduler,
            prompt,
            seed,
            guidance_scale=1.0,
            num_inference_steps=steps,
        )
        assert psnr(image, expected) >= 40


def test_a_batch_equals_its_images_made_alone(runner) -> None:
    settings = runner.settings(steps=6)
    batch = runner.generate([PROMPT, OTHER_PROMPT], [1, 2], settings, ["", "흐린"])
    alone = [
        runner.generate([PROMPT], [1], settings)[0],
        runner.generate([OTHER_PROMPT], [2], settings, ["흐린"])[0],
    ]
    assert all(psnr(a, b) >= 40 for a, b in zip(batch, alone, strict=True))


def test_prompt_and_seed_change_the_image(runner) -> None:
    settings = runner.settings(steps=6)
    base, other_prompt, other_seed = (
        runner.generate([prompt], [seed], settings)[0]
        for prompt, seed in ((PROMPT, 1), (OTHER_PROMPT, 1), (PROMPT, 2))
    )
    assert psnr(base, other_prompt) < 35
    assert psnr(base, other_seed) < 35


def test_defaults_come_from_the_export(runner) -> None:
    settings = runner.settings()
    assert (settings.height, settings.width, settings.steps) == (64, 64, 20)
    assert (settings.guidance_scale, settings.scheduler) == (7.5, "dpmsolver++")


def test_png_round_trips(runner) -> None:
    image = runner.generate([PROMPT], [0], runner.settings(steps=2))[0]
    png = to_png(image)
    assert png.startswith(b"\x89PNG")
    assert psnr(Image.open(io.BytesIO(png)), image) == float("inf")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"steps": 0}, r"steps must be between 1 and 100 \(got 0\)"),
        ({"steps": 101}, r"steps must be between 1 and 100"),
        ({"guidance_scale": -1}, r"guidance_scale must be between 0 and 30"),
        ({"guidance_scale": float("nan")}, r"guidance_scale must be between 0 and 30"),
        ({"height": 72}, r"height must be a multiple of 16 between 16 and 128 \(got 72\)"),
        ({"width": 256}, r"width must be a multiple of 16 between 16 and 128 \(got 256\)"),
        ({"width": 0}, r"width must be a multiple of 16"),
        ({"scheduler": "pndm"}, r"scheduler must be one of ddim, dpmsolver\+\+, euler"),
    ],
)
def test_invalid_settings_say_what_is_allowed(runner, settings, message) -> None:
    with pytest.raises(RequestError, match=message):
        runner.settings(**settings)


def test_invalid_seeds_and_lengths(runner) -> None:
    settings = runner.settings(steps=1)
    with pytest.raises(RequestError, match=r"seed must be between 0 and"):
        runner.generate([PROMPT], [-1], settings)
    with pytest.raises(RequestError, match=r"one seed and one negative prompt per prompt"):
        runner.generate([PROMPT, PROMPT], [1], settings)


def test_stops_between_steps_once_cancelled(runner) -> None:
    asked = []

    def cancelled_after_three() -> bool:
        asked.append(True)
        return len(asked) > 3

    settings = runner.settings(steps=20)
    with pytest.raises(GenerationCancelledError) as raised:
        runner.generate([PROMPT], [1], settings, should_stop=cancelled_after_three)
    assert raised.value.steps_done == 3
    assert len(asked) == 4  # asked before each step, and no step ran after the "yes"
