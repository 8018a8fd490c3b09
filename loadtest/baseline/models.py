"""The baseline's models: PyTorch checkpoints with the exported repository's settings.

Decoding follows the exported ``GenerationConfig`` (beams, lengths, n-gram rule, special ids)
and the summarizer's ``first_sentence_only`` parameter, drawing the exported ``pipeline.json``
(scheduler, steps, guidance, size), so that both systems do the same work per request. The
dialogue comes already read and trimmed by the gateway's service layer, as Triton's does.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline
from transformers import GenerationConfig

from contract.repository import (
    DIFFUSION,
    SCHEDULER_DIR,
    SCHEDULER_FILE,
    SUMMARIZER,
    diffusion_pipeline,
    version_dir,
)
from contract.tensors import FIRST_SENTENCE_ONLY, MAX_SOURCE_TOKENS
from export.diffusion import load_pipeline
from export.summarizer import load_summarizer
from gateway.service_io import ImageRequest
from loadtest.local_backend import summarizer_parameters
from triton_models.diffusion_pipeline import PipelineSpec, make_scheduler, to_png
from triton_models.summarization import first_sentence

logger = logging.getLogger(__name__)


class BaselineModels:
    """A summarizer and a diffusion pipeline in this process, as blocking calls.

    Args:
        summarizer: The ``BartForConditionalGeneration`` checkpoint directory.
        diffusion: The diffusers ``StableDiffusionPipeline`` directory.
        repository: The model repository exported from them (for its settings files).
    """

    def __init__(self, summarizer: Path, diffusion: Path, repository: Path) -> None:
        self.model, self.tokenizer = load_summarizer(summarizer)
        self.tokenizer.truncation_side = "left"  # as the served summarizer: newest turns kept
        self.generation = GenerationConfig.from_pretrained(version_dir(repository, SUMMARIZER))
        parameters = summarizer_parameters(repository)
        self.first_sentence_only = parameters[FIRST_SENTENCE_ONLY] == "true"
        self.max_source_tokens = int(parameters[MAX_SOURCE_TOKENS])
        runtime = version_dir(repository, DIFFUSION)
        self.spec = PipelineSpec.load(diffusion_pipeline(repository))
        scheduler = json.loads((runtime / SCHEDULER_DIR / SCHEDULER_FILE).read_text("utf-8"))
        self.pipeline: StableDiffusionPipeline = load_pipeline(diffusion)
        self.pipeline.scheduler = make_scheduler(self.spec.default_scheduler, scheduler)
        self.pipeline.set_progress_bar_config(disable=True)
        logger.info(
            "baseline models loaded: %d torch threads, %s, %d steps",
            torch.get_num_threads(),
            self.spec.default_scheduler,
            self.spec.default_steps,
        )

    def summarize(self, dialogue: str) -> str:
        """Summarize a trimmed dialogue with ``generate``."""
        inputs = self.tokenizer(
            [dialogue], return_tensors="pt", truncation=True, max_length=self.max_source_tokens
        )
        with torch.no_grad():
            ids = self.model.generate(**inputs, generation_config=self.generation)
        summary = self.tokenizer.decode(ids[0], skip_special_tokens=True)
        return first_sentence(summary) if self.first_sentence_only else summary

    def draw(self, request: ImageRequest, seed: int) -> bytes:
        """A PNG of ``request.prompt`` with the exported defaults for every unset option.

        Raises:
            ValueError: diffusers refused a value (a size it cannot draw).
        """
        spec = self.spec
        with torch.no_grad():
            image = self.pipeline(
                prompt=request.prompt,
                negative_prompt=request.negative_prompt,
                num_inference_steps=request.steps or spec.default_steps,
                guidance_scale=(
                    spec.default_guidance_scale
                    if request.guidance_scale is None
                    else request.guidance_scale
                ),
                height=request.height or spec.default_height,
                width=request.width or spec.default_width,
                generator=torch.Generator().manual_seed(seed),
                output_type="pil",
            ).images[0]
        return to_png(image)
