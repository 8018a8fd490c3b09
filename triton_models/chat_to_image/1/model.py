"""Triton model ``chat_to_image``: dialogue -> summary -> PNG through BLS calls.

Each request's dialogues go to ``summarizer`` and the summaries, with the optional seeds, to
``diffusion``; one response per request. A failed call fails its request once in Triton's
statistics (:mod:`triton_models.failures`): the caller sees the model that failed and, for a
rejected input, the reason marked as a rejection.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import triton_python_backend_utils as pb_utils

from contract.rejections import rejection_reason
from contract.tensors import (
    DIALOGUE,
    DIFFUSION_MODEL,
    IMAGE,
    PROMPT,
    SEED,
    SUMMARIZER_MODEL,
    SUMMARY,
)
from triton_models.failures import Failure, finish
from triton_models.model_config import string_parameters


class CallFailedError(RuntimeError):
    """A BLS call answered with an error; carries the :class:`Failure` to report."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class TritonPythonModel:
    """The summarizer and the diffusion model, one after the other."""

    def initialize(self, args: dict[str, str]) -> None:
        """Read which models to call from the config's parameters."""
        parameters = string_parameters(json.loads(args["model_config"]))
        self.summarizer = parameters[SUMMARIZER_MODEL]
        self.diffusion = parameters[DIFFUSION_MODEL]

    def execute(self, requests: list[Any]) -> list[Any]:
        """One response per request; raises when all failed, so Triton counts the failures."""
        results: list[Any] = []
        for request in requests:
            try:
                results.append(self._run(request))
            except CallFailedError as exc:
                results.append(exc.failure)
        return finish(results)

    def _run(self, request: Any) -> Any:
        dialogue = pb_utils.get_input_tensor_by_name(request, DIALOGUE).as_numpy()
        (summary,) = self._call(self.summarizer, {DIALOGUE: dialogue}, [SUMMARY])
        inputs = {PROMPT: summary}
        seed = pb_utils.get_input_tensor_by_name(request, SEED)
        if seed is not None:
            inputs[SEED] = seed.as_numpy()
        image, seeds = self._call(self.diffusion, inputs, [IMAGE, SEED])
        return pb_utils.InferenceResponse(
            output_tensors=[
                pb_utils.Tensor(SUMMARY, summary),
                pb_utils.Tensor(IMAGE, image),
                pb_utils.Tensor(SEED, seeds),
            ]
        )

    def _call(self, model: str, inputs: dict[str, np.ndarray], outputs: list[str]) -> list[Any]:
        response = pb_utils.InferenceRequest(
            model_name=model,
            inputs=[pb_utils.Tensor(name, np.ascontiguousarray(a)) for name, a in inputs.items()],
            requested_output_names=outputs,
        ).exec()
        if response.has_error():
            # A rejection keeps its mark (triton_models.failures). The code is no help: a BLS
            # error response came back here without the summarizer's INVALID_ARG (2.51).
            message = response.error().message()
            reason = rejection_reason(message)
            failure = Failure(f"{model}: {reason or message}", rejected=reason is not None)
            raise CallFailedError(failure)
        return [pb_utils.get_output_tensor_by_name(response, name).as_numpy() for name in outputs]


__all__ = ["TritonPythonModel"]
