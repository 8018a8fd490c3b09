"""Stable Diffusion text-to-image loop with the three networks injected as callables.

The loop is diffusers' ``StableDiffusionPipeline.__call__`` step for step (tokenisation, negative
prompt for classifier-free guidance, ``randn_tensor`` latents from per-image CPU generators,
``init_noise_sigma``, ``scale_model_input``, guidance, ``scheduler.step``, VAE decode of
``latents / scaling_factor``, ``VaeImageProcessor.postprocess``), written out because diffusers'
pipeline calls its PyTorch modules directly: here the text encoder, UNet and VAE decoder are
plain functions on NumPy arrays, so Triton's ``diffusion`` model plugs in BLS calls (and the
UNet's dynamic batcher merges the steps of concurrent requests) while tests plug in ONNX Runtime
sessions or PyTorch modules. Schedulers, noise and image post-processing are diffusers' own.
"""

from __future__ import annotations

import inspect
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import (
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    LCMScheduler,
    TCDScheduler,
)
from diffusers.image_processor import VaeImageProcessor
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from diffusers.utils.torch_utils import randn_tensor
from PIL import Image
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from contract.repository import (
    DIFFUSION_TOKENIZER_DIR,
    PIPELINE_FILE,
    SCHEDULER_DIR,
    SCHEDULER_FILE,
)
from triton_models.request_inputs import RequestError

MAX_STEPS = 100
MAX_GUIDANCE_SCALE = 30.0
MAX_SEED = 2**63 - 1  # seeds travel as INT64

SCHEDULERS: dict[str, Callable[[dict[str, Any]], SchedulerMixin]] = {
    "dpmsolver++": lambda config: DPMSolverMultistepScheduler.from_config(
        config, algorithm_type="dpmsolver++"
    ),
    "euler": EulerDiscreteScheduler.from_config,
    "ddim": DDIMScheduler.from_config,
    # Few-step samplers (1-8 steps): LCM / LCM-LoRA, SD-Turbo's Euler ancestral with trailing
    # timesteps (so that one step starts from pure noise at t=999), Hyper-SD's TCD.
    "lcm": LCMScheduler.from_config,
    "euler_a_trailing": lambda config: EulerAncestralDiscreteScheduler.from_config(
        config, timestep_spacing="trailing"
    ),
    "tcd": TCDScheduler.from_config,
}

EncodeText = Callable[[np.ndarray], np.ndarray]
"""``input_ids`` int64 [batch, seq] -> text embeddings float [batch, seq, hidden]."""
Denoise = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(latents [batch, C, h, w], timesteps float32 [batch], embeddings) -> noise [batch, C, h, w]."""
Decode = Callable[[np.ndarray], np.ndarray]
"""Unscaled latents [batch, C, h, w] -> images in [-1, 1] [batch, 3, H, W]."""


class GenerationCancelledError(Exception):
    """The request was cancelled (its client went away); the loop stopped between two steps."""

    def __init__(self, steps_done: int) -> None:
        super().__init__(f"cancelled after {steps_done} denoising steps")
        self.steps_done = steps_done


@dataclass(frozen=True)
class PipelineSpec:
    """What the runtime needs to know about an exported pipeline (``pipeline.json``).

    Attributes:
        default_height: Image height when a request names none (UNet sample size x VAE factor).
        default_width: Image width when a request names none.
        size_multiple: Heights and widths must be multiples of this: the VAE factor times the
            UNet's down-sampling factor, which the exported graph's spatial dims are tied to.
        max_size: Largest height or width accepted.
        latent_channels: Channels of the latents.
        vae_scale_factor: Image pixels per latent pixel.
        vae_scaling_factor: ``vae.config.scaling_factor``; latents are divided by it before
            decoding.
        text_max_length: Tokens per prompt (padding and truncation length).
        hidden_size: Width of the text embeddings (the UNet's cross-attention dim).
        default_steps: Denoising steps when a request names none.
        default_guidance_scale: Classifier-free guidance scale when a request names none.
        default_scheduler: Scheduler name (a key of :data:`SCHEDULERS`) when a request names none.
        dtype: Weight precision of the graphs (their inputs and outputs are float32 either way).
        source: The hub id or directory the pipeline was exported from.
    """

    default_height: int
    default_width: int
    size_multiple: int
    max_size: int
    latent_channels: int
    vae_scale_factor: int
    vae_scaling_factor: float
    text_max_length: int
    hidden_size: int
    default_steps: int
    default_guidance_scale: float
    default_scheduler: str
    dtype: str
    source: str

    def save(self, path: Path) -> None:
        """Write the spec as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> PipelineSpec:
        """Read a spec written by :meth:`save`."""
        return cls(**json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Settings:
    """Generation settings shared by the images of one denoising loop."""

    steps: int
    guidance_scale: float
    height: int
    width: int
    scheduler: str


def make_scheduler(name: str, config: dict[str, Any]) -> SchedulerMixin:
    """A fresh scheduler of kind ``name`` built from the exported scheduler config.

    Schedulers keep per-loop state (step index, previous model outputs), so every loop gets its
    own.
    """
    return SCHEDULERS[name](config)


def to_png(image: Image.Image) -> bytes:
    """Encode an image as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class DiffusionRunner:
    """Runs text-to-image generation with injected networks.

    Args:
        spec: The exported pipeline's settings.
        tokenizer: The pipeline's own tokenizer.
        scheduler_config: The exported scheduler config (any scheduler class's).
        encode_text: Text encoder.
        denoise: UNet noise prediction.
        decode: VAE decoder.
    """

    def __init__(
        self,
        spec: PipelineSpec,
        tokenizer: PreTrainedTokenizerBase,
        scheduler_config: dict[str, Any],
        *,
        encode_text: EncodeText,
        denoise: Denoise,
        decode: Decode,
    ) -> None:
        self.spec = spec
        self.tokenizer = tokenizer
        self.scheduler_config = scheduler_config
        self.encode_text = encode_text
        self.denoise = denoise
        self.decode = decode
        self.image_processor = VaeImageProcessor(vae_scale_factor=spec.vae_scale_factor)

    @classmethod
    def from_directory(
        cls,
        directory: Path,
        *,
        encode_text: EncodeText,
        denoise: Denoise,
        decode: Decode,
    ) -> DiffusionRunner:
        """Load the spec, tokenizer and scheduler config that export wrote into ``directory``."""
        spec = PipelineSpec.load(directory / PIPELINE_FILE)
        tokenizer = AutoTokenizer.from_pretrained(directory / DIFFUSION_TOKENIZER_DIR)
        config_path = directory / SCHEDULER_DIR / SCHEDULER_FILE
        scheduler_config = json.loads(config_path.read_text(encoding="utf-8"))
        return cls(
            spec,
            tokenizer,
            scheduler_config,
            encode_text=encode_text,
            denoise=denoise,
            decode=decode,
        )

    def settings(
        self,
        *,
        steps: int | None = None,
        guidance_scale: float | None = None,
        height: int | None = None,
        width: int | None = None,
        scheduler: str | None = None,
    ) -> Settings:
        """Fill in defaults and validate, so that a bad request fails before any compute.

        Raises:
            RequestError: A value is out of range; the message says what is allowed.
        """
        spec = self.spec
        steps = spec.default_steps if steps is None else int(steps)
        guidance = spec.default_guidance_scale if guidance_scale is None else float(guidance_scale)
        height = spec.default_height if height is None else int(height)
        width = spec.default_width if width is None else int(width)
        scheduler = spec.default_scheduler if scheduler is None else scheduler
        if not 1 <= steps <= MAX_STEPS:
            raise RequestError(f"steps must be between 1 and {MAX_STEPS} (got {steps})")
        if not (math.isfinite(guidance) and 0.0 <= guidance <= MAX_GUIDANCE_SCALE):
            raise RequestError(
                f"guidance_scale must be between 0 and {MAX_GUIDANCE_SCALE:g} (got {guidance})"
            )
        for name, value in (("height", height), ("width", width)):
            if value % spec.size_multiple or not spec.size_multiple <= value <= spec.max_size:
                raise RequestError(
                    f"{name} must be a multiple of {spec.size_multiple} between "
                    f"{spec.size_multiple} and {spec.max_size} (got {value})"
                )
        if scheduler not in SCHEDULERS:
            raise RequestError(
                f"scheduler must be one of {', '.join(sorted(SCHEDULERS))} (got {scheduler!r})"
            )
        return Settings(steps, guidance, height, width, scheduler)

    def generate(
        self,
        prompts: Sequence[str],
        seeds: Sequence[int],
        settings: Settings,
        negative_prompts: Sequence[str] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> list[Image.Image]:
        """Generate one image per prompt in one batched loop, as diffusers does for a list.

        Args:
            prompts: The prompts.
            seeds: One seed per prompt; image ``i`` equals diffusers' output for
                ``generator=torch.Generator().manual_seed(seeds[i])``.
            settings: From :meth:`settings`.
            negative_prompts: One per prompt; ``""`` for each when omitted (diffusers' default).
            should_stop: Asked before each step (Triton's ``request.is_cancelled``).

        Returns:
            The images, in prompt order.

        Raises:
            GenerationCancelledError: ``should_stop`` said so; no further step runs.
        """
        count = len(prompts)
        negative_prompts = [""] * count if negative_prompts is None else list(negative_prompts)
        if count == 0 or len(seeds) != count or len(negative_prompts) != count:
            raise RequestError(
                f"need one seed and one negative prompt per prompt (got {count} prompts, "
                f"{len(seeds)} seeds, {len(negative_prompts)} negative prompts)"
            )
        for seed in seeds:
            if not 0 <= seed <= MAX_SEED:
                raise RequestError(f"seed must be between 0 and {MAX_SEED} (got {seed})")
        # diffusers: guidance applies only above 1 (the UNets exported here have no
        # guidance-embedding input, so that is the whole condition).
        guided = settings.guidance_scale > 1.0
        texts = [*negative_prompts, *prompts] if guided else list(prompts)
        embeddings = self.encode_text(self._tokenize(texts))

        scheduler = make_scheduler(settings.scheduler, self.scheduler_config)
        scheduler.set_timesteps(settings.steps, device="cpu")
        generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]
        factor = self.spec.vae_scale_factor
        shape = (
            count,
            self.spec.latent_channels,
            settings.height // factor,
            settings.width // factor,
        )
        latents = randn_tensor(shape, generator=generators, dtype=torch.float32)
        latents = latents * scheduler.init_noise_sigma
        step_kwargs = _step_kwargs(scheduler, generators)

        for done, t in enumerate(scheduler.timesteps):
            if should_stop is not None and should_stop():
                raise GenerationCancelledError(done)
            model_input = torch.cat([latents] * 2) if guided else latents
            model_input = scheduler.scale_model_input(model_input, t)
            timesteps = np.full(model_input.shape[0], float(t), dtype=np.float32)
            noise = self.denoise(model_input.numpy(), timesteps, embeddings)
            noise = torch.from_numpy(np.asarray(noise, dtype=np.float32))
            if guided:
                uncond, text = noise.chunk(2)
                noise = uncond + settings.guidance_scale * (text - uncond)
            latents = scheduler.step(noise, t, latents, **step_kwargs, return_dict=False)[0]

        images = self.decode((latents / self.spec.vae_scaling_factor).numpy())
        images = torch.from_numpy(np.asarray(images, dtype=np.float32))
        return self.image_processor.postprocess(images, output_type="pil")

    def _tokenize(self, texts: Sequence[str]) -> np.ndarray:
        encoded = self.tokenizer(
            list(texts),
            padding="max_length",
            max_length=self.spec.text_max_length,
            truncation=True,
            return_tensors="np",
        )
        return encoded.input_ids.astype(np.int64)


def _step_kwargs(scheduler: SchedulerMixin, generators: list[torch.Generator]) -> dict[str, Any]:
    """Mirror diffusers' ``prepare_extra_step_kwargs``: ``eta=0`` and the generators where accepted.

    Stochastic samplers then draw their step noise from the per-image generators, as in diffusers.
    """
    accepted = set(inspect.signature(scheduler.step).parameters)
    kwargs: dict[str, Any] = {}
    if "eta" in accepted:
        kwargs["eta"] = 0.0
    if "generator" in accepted:
        kwargs["generator"] = generators
    return kwargs
