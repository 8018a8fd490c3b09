"""Triton model ``diffusion``: prompt -> PNG, with the networks reached through BLS calls.

The scheduler loop is :class:`~triton_models.diffusion_pipeline.DiffusionRunner`; this file
only reads requests, plugs BLS calls to ``text_encoder``/``unet``/``vae_decoder`` into the runner
and writes responses. Each request row is one image; rows with the same settings share one
batched loop. A request that fails (bad input: a rejection) counts as a failure in Triton's
statistics (:mod:`triton_models.failures`) and the model keeps serving.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import triton_python_backend_utils as pb_utils

from contract import tensors
from triton_models.diffusion_pipeline import (
    DiffusionRunner,
    GenerationCancelledError,
    Settings,
    to_png,
)
from triton_models.failures import Failure, finish
from triton_models.model_config import string_parameters, version_folder
from triton_models.request_inputs import RequestError, decode_texts

log = logging.getLogger(__name__)

RANDOM_SEED_BOUND = 2**32  # seeds drawn for requests without one; any int64 >= 0 is accepted
LOOP_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120]


class TritonPythonModel:
    """Text-to-image over the three tensor models."""

    def initialize(self, args: dict[str, str]) -> None:
        """Load the runtime files export wrote next to this file and set up metrics."""
        parameters = string_parameters(json.loads(args["model_config"]))
        self.text_encoder = parameters[tensors.TEXT_ENCODER_MODEL]
        self.unet = parameters[tensors.UNET_MODEL]
        self.vae_decoder = parameters[tensors.VAE_DECODER_MODEL]
        # A step's rows go to the unet as this many concurrent requests: a lone guided step
        # then runs its two rows on two unet instances (two cores) instead of one, while under
        # load the unet's batcher merges what queued anyway (README "Image path").
        self.unet_parts = int(parameters.get(tensors.UNET_PARALLEL_REQUESTS, "1"))
        if self.unet_parts < 1:
            raise ValueError(
                f"{tensors.UNET_PARALLEL_REQUESTS} must be >= 1 (got {self.unet_parts})"
            )
        self.unet_pool = ThreadPoolExecutor(self.unet_parts, thread_name_prefix="unet-bls")
        self.runner = DiffusionRunner.from_directory(
            version_folder(args),
            encode_text=self._encode_text,
            denoise=self._denoise,
            decode=self._decode,
        )
        labels = {"model": args["model_name"], "version": args["model_version"]}
        # Families are kept as attributes: Triton requires them to outlive their metrics.
        self.steps_family = pb_utils.MetricFamily(
            name="calle_diffusion_steps_total",
            description="Denoising steps run (one UNet call each, for all images of a loop)",
            kind=pb_utils.MetricFamily.COUNTER,
        )
        self.steps_metric = self.steps_family.Metric(labels=labels)
        self.loop_family = pb_utils.MetricFamily(
            name="calle_diffusion_loop_seconds",
            description="Wall time of one image loop (encode, denoise, decode)",
            kind=pb_utils.MetricFamily.HISTOGRAM,
        )
        self.loop_metric = self.loop_family.Metric(labels=labels, buckets=LOOP_SECONDS_BUCKETS)
        log.info("diffusion: %s", self.runner.spec)

    def execute(self, requests: list[Any]) -> list[Any]:
        """Exactly one response per request; raises when all failed, so Triton counts them."""
        results: list[Any] = []
        for request in requests:
            try:
                results.append(self._generate(request))
            except RequestError as exc:
                results.append(Failure(str(exc), rejected=True))
            except GenerationCancelledError as exc:  # nobody waits for it: stop computing
                self.steps_metric.increment(exc.steps_done)
                results.append(Failure(str(exc)))
            except Exception as exc:  # any failure must still answer its request
                log.exception("diffusion request failed")
                results.append(Failure(f"diffusion failed: {exc}"))
        return finish(results)

    def _generate(self, request: Any) -> Any:
        prompts = _strings(request, tensors.PROMPT)
        if prompts is None:
            raise RequestError(f"{tensors.PROMPT} is required")
        rows = len(prompts)
        negatives = _strings(request, tensors.NEGATIVE_PROMPT, rows) or [""] * rows
        seeds = _column(request, tensors.SEED, rows)
        seeds = [int(s) for s in seeds] if seeds is not None else _random_seeds(rows)
        groups: dict[Settings, list[int]] = {}
        for row, settings in enumerate(self._settings(request, rows)):
            groups.setdefault(settings, []).append(row)

        images: list[bytes] = [b""] * rows
        for settings, members in groups.items():
            started = time.monotonic()
            generated = self.runner.generate(
                [prompts[i] for i in members],
                [seeds[i] for i in members],
                settings,
                [negatives[i] for i in members],
                should_stop=request.is_cancelled,
            )
            self.loop_metric.observe(time.monotonic() - started)
            self.steps_metric.increment(settings.steps)
            for row, image in zip(members, generated, strict=True):
                images[row] = to_png(image)
        return pb_utils.InferenceResponse(
            output_tensors=[
                pb_utils.Tensor(tensors.IMAGE, np.array(images, dtype=np.object_).reshape(rows, 1)),
                pb_utils.Tensor(tensors.SEED, np.array(seeds, dtype=np.int64).reshape(rows, 1)),
            ]
        )

    def _settings(self, request: Any, rows: int) -> list[Settings]:
        # Keyed by the runner's keywords, which are the tensor names.
        columns = {
            name: _column(request, name, rows)
            for name in (tensors.STEPS, tensors.GUIDANCE_SCALE, tensors.HEIGHT, tensors.WIDTH)
        }
        columns[tensors.SCHEDULER] = _strings(request, tensors.SCHEDULER, rows)
        return [
            self.runner.settings(
                **{
                    name: None if values is None else values[row]
                    for name, values in columns.items()
                }
            )
            for row in range(rows)
        ]

    def _encode_text(self, input_ids: np.ndarray) -> np.ndarray:
        return self._infer(
            self.text_encoder, {tensors.TEXT_ENCODER_INPUT: input_ids}, tensors.TEXT_ENCODER_OUTPUT
        )

    def _denoise(self, sample: np.ndarray, timesteps: np.ndarray, embeddings: np.ndarray) -> Any:
        # The unet config declares the timestep as dims [1] (reshaped to [batch] for the graph).
        arrays = (sample, timesteps.reshape(-1, 1), embeddings)
        parts = min(self.unet_parts, sample.shape[0])
        if parts == 1:
            return self._unet(arrays)
        # exec() blocks until its response: one worker thread per part keeps them all in flight.
        futures = [
            self.unet_pool.submit(self._unet, rows)
            for rows in zip(*(np.array_split(a, parts) for a in arrays), strict=True)
        ]
        return np.concatenate([future.result() for future in futures])

    def _unet(self, arrays: tuple[np.ndarray, ...]) -> np.ndarray:
        feeds = dict(zip(tensors.UNET_INPUTS, arrays, strict=True))
        return self._infer(self.unet, feeds, tensors.UNET_OUTPUT)

    def finalize(self) -> None:
        """Stop the BLS worker threads."""
        self.unet_pool.shutdown(wait=True)

    def _decode(self, latents: np.ndarray) -> np.ndarray:
        return self._infer(
            self.vae_decoder, {tensors.VAE_DECODER_INPUT: latents}, tensors.VAE_DECODER_OUTPUT
        )

    def _infer(self, model: str, inputs: dict[str, np.ndarray], output: str) -> np.ndarray:
        request = pb_utils.InferenceRequest(
            model_name=model,
            inputs=[pb_utils.Tensor(name, np.ascontiguousarray(a)) for name, a in inputs.items()],
            requested_output_names=[output],
        )
        response = request.exec()
        if response.has_error():
            raise RuntimeError(f"{model}: {response.error().message()}")
        return pb_utils.get_output_tensor_by_name(response, output).as_numpy()


def _column(request: Any, name: str, rows: int | None = None) -> np.ndarray | None:
    """An optional ``[rows, 1]`` input as a flat array, or ``None`` when absent."""
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    if tensor is None:
        return None
    values = tensor.as_numpy().reshape(-1)
    if rows is not None and values.shape[0] != rows:
        raise RequestError(f"{name} has {values.shape[0]} rows, prompt has {rows}")
    return values


def _strings(request: Any, name: str, rows: int | None = None) -> list[str] | None:
    values = _column(request, name, rows)
    return None if values is None else decode_texts(values, name)


def _random_seeds(rows: int) -> list[int]:
    return [secrets.randbelow(RANDOM_SEED_BOUND) for _ in range(rows)]


__all__ = ["TritonPythonModel"]
