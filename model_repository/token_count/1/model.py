"""Triton model ``token_count``: summarizer tokens per text, plus the source budget."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import triton_python_backend_utils as pb_utils
from transformers import AutoTokenizer

from model_repository.onnx_bart import GENERATION_FILE, TOKENIZER_DIR
from model_repository.request_inputs import RequestError, decode_texts


class TritonPythonModel:
    """Python-backend entry point."""

    def initialize(self, args: dict[str, str]) -> None:
        """Load the summarizer's tokenizer and budget, exported into this version's folder."""
        directory = Path(args["model_repository"]) / args["model_version"]
        self.tokenizer = AutoTokenizer.from_pretrained(directory / TOKENIZER_DIR)
        settings = json.loads((directory / GENERATION_FILE).read_text("utf-8"))
        self.budget = int(settings["max_source_tokens"])

    def execute(self, requests: list) -> list:
        """Count tokens row by row (special tokens excluded); one response per request."""
        responses = []
        for request in requests:
            try:
                texts = decode_texts(
                    pb_utils.get_input_tensor_by_name(request, "text").as_numpy(), "text"
                )
            except RequestError as exc:
                error = pb_utils.TritonError(str(exc), pb_utils.TritonError.INVALID_ARG)
                responses.append(pb_utils.InferenceResponse(error=error))
                continue
            encoded = self.tokenizer(texts, add_special_tokens=False)["input_ids"]
            tokens = np.array([[len(ids)] for ids in encoded], dtype=np.int32)
            budget = np.full_like(tokens, self.budget)
            responses.append(
                pb_utils.InferenceResponse(
                    [pb_utils.Tensor("tokens", tokens), pb_utils.Tensor("budget", budget)]
                )
            )
        return responses
