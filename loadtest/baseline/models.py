"""The baseline's models: PyTorch checkpoints with the exported repository's settings.

Decoding follows the exported ``GenerationConfig`` (beams, lengths, n-gram rule, special ids)
and the summarizer's ``first_sentence_only`` parameter, drawing the exported ``pipeline.json``
(scheduler, steps, guidance, size), so that both systems do the same work per request. Chats
are read and trimmed with the gateway's own function and the exported tokenizer.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline
from transformers import GenerationConfig

from contract.repository import (
    PIPELINE_FILE,
    SCHEDULER_DIR,
    SCHEDULER_FILE,
    SUMMARIZER,
    TOKENIZER_FILE,
)
from export.diffusion import load_pipeline
from export.repository import read_config
from export.summarizer import load_summarizer
from gateway.dialogue import SourceTokenizer, latest_dialogue
from gateway.errors import ModelRejectedInputError, from_ingest_error
from gateway.ingest import IngestError
from gateway.service_io import ChatInput, ImageRequest, ImageResult, SummaryResult
from model_repository.diffusion_pipeline import (
    PipelineSpec,
    make_scheduler,
    to_png,
)
from model_repository.summarization import first_sentence

logger = logging.getLogger(__name__)

RANDOM_SEED_BOUND = 2**32  # as Triton's diffusion model draws seeds


class BaselineModels:
    """A summarizer and a diffusion pipeline in this process, used one request at a time.

    Args:
        summarizer: The ``BartForConditionalGeneration`` checkpoint directory.
        diffusion: The diffusers ``StableDiffusionPipeline`` directory.
        repository: The model repository exported from them (for its settings files).
    """

    def __init__(self, summarizer: Path, diffusion: Path, repository: Path) -> None:
        self.model, self.tokenizer = load_summarizer(summarizer)
        self.tokenizer.truncation_side = "left"  # as the served summarizer: newest turns kept
        folder = repository / SUMMARIZER / "1"
        self.source_tokenizer = SourceTokenizer(folder / TOKENIZER_FILE)
        self.generation = GenerationConfig.from_pretrained(folder)
        parameters = read_config(repository / SUMMARIZER / "config.pbtxt").parameters
        self.first_sentence_only = parameters["first_sentence_only"].string_value == "true"
        self.max_source_tokens = int(parameters["max_source_tokens"].string_value)
        runtime = repository / "diffusion" / "1"
        self.spec = PipelineSpec.load(runtime / PIPELINE_FILE)
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

    def summarize(self, chat: ChatInput) -> SummaryResult:
        """Read the chat, pick its latest conversation and summarize it.

        Raises:
            gateway.errors.GatewayError: The chat is not readable or has nothing to summarize.
        """
        try:
            parsed, dialogue = latest_dialogue(chat, self.source_tokenizer)
        except IngestError as exc:
            raise from_ingest_error(exc) from exc
        inputs = self.tokenizer(
            [dialogue.text], return_tensors="pt", truncation=True, max_length=self.max_source_tokens
        )
        with torch.no_grad():
            ids = self.model.generate(**inputs, generation_config=self.generation)
        summary = self.tokenizer.decode(ids[0], skip_special_tokens=True)
        if self.first_sentence_only:
            summary = first_sentence(summary)
        return SummaryResult(
            summary=summary,
            message_count=dialogue.message_count,
            speaker_count=dialogue.speaker_count,
            start=dialogue.start,
            end=dialogue.end,
            chat_format=parsed.format.value,
        )

    def draw(self, request: ImageRequest) -> ImageResult:
        """Draw ``request.prompt`` with the exported defaults for every unset option.

        Raises:
            ModelRejectedInputError: diffusers refused a value (a size it cannot draw).
        """
        spec = self.spec
        seed = secrets.randbelow(RANDOM_SEED_BOUND) if request.seed is None else request.seed
        try:
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
        except ValueError as exc:
            raise ModelRejectedInputError("diffusion", str(exc)) from exc
        return ImageResult(png=to_png(image), seed=seed)
