"""The random diffusion checkpoints load through diffusers and give usable, distinct images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, StableDiffusionPipeline

from export.diffusion_checkpoints import SMALL, build_diffusion

PROMPT = "친구들이 부산 바다 앞에서 함께 웃고 있는 따뜻한 그림"
OTHER_PROMPT = "눈 내리는 밤, 작은 오두막 창문으로 새어 나오는 노란 불빛"


def _load(path: Path) -> StableDiffusionPipeline:
    pipeline = StableDiffusionPipeline.from_pretrained(path)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def _image(pipeline: StableDiffusionPipeline, prompt: str, seed: int, steps: int) -> np.ndarray:
    generator = torch.Generator().manual_seed(seed)
    output = pipeline(prompt, num_inference_steps=steps, generator=generator, output_type="np")
    return output.images[0]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b) ** 2)))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> StableDiffusionPipeline:
    return _load(build_diffusion(tmp_path_factory.mktemp("tiny")))


def test_tokenizer_and_text_encoder_agree(tiny: StableDiffusionPipeline) -> None:
    tokenizer, config = tiny.tokenizer, tiny.text_encoder.config
    assert tokenizer.model_max_length == config.max_position_embeddings == 77
    assert (config.bos_token_id, config.eos_token_id, config.pad_token_id) == (
        tokenizer.bos_token_id,
        tokenizer.eos_token_id,
        tokenizer.pad_token_id,
    )
    assert tokenizer.pad_token == tokenizer.eos_token == "<|endoftext|>"
    ids = tokenizer(PROMPT, padding="max_length", max_length=77).input_ids
    assert ids[0] == tokenizer.bos_token_id
    assert tokenizer.decode(ids, skip_special_tokens=True) == PROMPT


def test_schedulers_derived_from_it_do_not_clip_latents(tiny) -> None:
    """As from Stable Diffusion 1.5's config: DDIM must not clip x0 to the pixel range."""
    assert tiny.scheduler.config.clip_sample is False
    assert DDIMScheduler.from_config(tiny.scheduler.config).config.clip_sample is False


def test_tiny_images_are_finite_and_depend_on_prompt_and_seed(tiny) -> None:
    base = _image(tiny, PROMPT, 0, steps=10)
    assert base.shape == (64, 64, 3)
    assert np.isfinite(base).all()
    assert base.std() > 0.05
    assert np.mean((base == 0) | (base == 1)) < 0.05  # not saturated
    assert _psnr(base, _image(tiny, OTHER_PROMPT, 0, steps=10)) < 35
    assert _psnr(base, _image(tiny, PROMPT, 1, steps=10)) < 35
    np.testing.assert_array_equal(base, _image(tiny, PROMPT, 0, steps=10))


def test_same_seed_same_weights(tmp_path: Path) -> None:
    a = _load(build_diffusion(tmp_path / "a", seed=5)).unet.state_dict()
    b = _load(build_diffusion(tmp_path / "b", seed=5)).unet.state_dict()
    assert all(torch.equal(a[name], b[name]) for name in a)


@pytest.mark.slow
def test_small_preset_is_a_256px_cpu_benchmark_model(tmp_path: Path) -> None:
    path = build_diffusion(tmp_path / "small", sizes=SMALL)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    assert size < 300 * 2**20
    pipeline = _load(path)
    image = _image(pipeline, PROMPT, 0, steps=2)
    assert image.shape == (256, 256, 3)
    assert np.isfinite(image).all()
