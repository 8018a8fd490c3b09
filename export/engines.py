"""Which engine and precision each tensor model gets, decided once at export and logged.

The defaults follow what was measured on the small preset (README "Image path"): on a CPU with
native bf16, OpenVINO bf16 runs the unet's guided step in 159 ms against ONNX Runtime's 273 ms
(one thread) at PSNR > 50 dB end to end; without bf16, ONNX Runtime with its fused attention is
the fastest float32 engine. The text encoder (one call per picture) and the VAE decoder (not
measured in bf16: no bf16 machine was at hand) stay on ONNX Runtime float32 unless asked.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from contract.repository import TENSOR_MODELS, UNET
from export.repository import Flavour
from triton_models.tensor_engines import (
    BF16,
    OPENVINO,
    EngineChoice,
    cpu_description,
    cpu_has_bf16,
)

log = logging.getLogger(__name__)

FLOAT32 = EngineChoice()
UNET_BF16 = EngineChoice(OPENVINO, BF16)


class EngineSelectionError(ValueError):
    """An engine or precision asked for cannot serve this export."""


def choose_engines(
    requested: Mapping[str, str],
    *,
    flavour: Flavour,
    fp16: bool,
    bf16_cpu: bool | None = None,
) -> dict[str, EngineChoice]:
    """The engine and precision of every tensor model, the requested ones first.

    Args:
        requested: ``model -> "engine[/precision]"`` (``"auto"`` or absent: the default).
        flavour: The native flavour serves tensor models with Triton's onnxruntime backend.
        fp16: float16 graphs (GPU targets) run on ONNX Runtime only.
        bf16_cpu: Whether this CPU has native bf16; detected when ``None``.

    Raises:
        EngineSelectionError: An unknown model, a bad engine spec, OpenVINO where it cannot
            serve, or bf16 on a CPU without it.
    """
    unknown = set(requested) - set(TENSOR_MODELS)
    if unknown:
        raise EngineSelectionError(
            f"engines given for unknown model(s) {sorted(unknown)}; tensor models are "
            f"{', '.join(TENSOR_MODELS)}"
        )
    bf16_cpu = cpu_has_bf16() if bf16_cpu is None else bf16_cpu
    choices = {}
    for name in TENSOR_MODELS:
        text = requested.get(name, "auto")
        if text == "auto":
            choice, reason = _default(name, flavour=flavour, fp16=fp16, bf16_cpu=bf16_cpu)
        else:
            try:
                choice = EngineChoice.parse(text)
            except ValueError as exc:
                raise EngineSelectionError(f"{name}: {exc}") from exc
            reason = "asked for"
        if choice.engine == OPENVINO and (flavour is Flavour.NATIVE or fp16):
            raise EngineSelectionError(
                f"{name}: openvino serves float32 graphs in the portable flavour only (the "
                "native flavour runs Triton's onnxruntime backend)"
            )
        if choice.precision == BF16 and not bf16_cpu:
            raise EngineSelectionError(
                f"{name}: bf16 needs a CPU with native bf16 ({cpu_description()}); OpenVINO "
                "would compute in float32 here"
            )
        log.info("%s: %s (%s)", name, choice, reason)
        choices[name] = choice
    return choices


def _default(
    name: str, *, flavour: Flavour, fp16: bool, bf16_cpu: bool
) -> tuple[EngineChoice, str]:
    if flavour is Flavour.NATIVE:
        return FLOAT32, "native flavour: Triton's onnxruntime backend"
    if fp16:
        return FLOAT32, "float16 graphs run on ONNX Runtime"
    if name != UNET:
        return FLOAT32, "ONNX Runtime float32 is the measured default for this graph"
    if bf16_cpu:
        return UNET_BF16, f"this CPU has native bf16 ({cpu_description()}): measured fastest"
    return FLOAT32, f"no native bf16 ({cpu_description()}): ONNX Runtime is the fastest float32"
