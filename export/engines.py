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


# Batch sizes a static-shape unet is compiled for, the most used first: two rows (a guided step
# of one request, or two requests' halves merged under load), one (a lone request's halves on
# two instances, `unet_parallel_requests`), four (two guided steps merged).
STATIC_BATCH_PRIORITY = (2, 1, 4)
# Memory allowed per unet instance for the static compiles' weights (each its own copy; Stable
# Diffusion 1.5's unet is 3.4 GB in float32, 1.7 GB in bf16).
STATIC_WEIGHTS_BUDGET_BYTES = 4 << 30


def parse_static_batches(text: str) -> tuple[int, ...] | None:
    """``auto`` (``None``: decide by engine and memory), ``none`` (``()``) or ``1,2,4``."""
    text = text.strip().lower()
    if text == "auto":
        return None
    if text == "none":
        return ()
    try:
        sizes = tuple(sorted({int(size) for size in text.split(",")}))
    except ValueError as exc:
        raise EngineSelectionError(
            f"static batch sizes must be auto, none or sizes like 1,2,4 (got {text!r})"
        ) from exc
    if sizes[0] < 1:
        raise EngineSelectionError(f"static batch sizes must be >= 1 (got {text!r})")
    return sizes


def choose_static_batches(
    requested: tuple[int, ...] | None, choice: EngineChoice, weight_bytes: int
) -> tuple[tuple[int, ...], str]:
    """The batch sizes to compile the unet for, and why.

    Static shapes are an OpenVINO compile option: measured on the small unet, a guided step took
    104.6 ms static against 139.6 ms dynamic (bf16, one thread, Xeon) and 300 against 310 ms
    (f32, one thread, AVX2; ONNX Runtime 275 there, which is why ONNX Runtime, which has no
    such option, stays the f32 default). ``auto`` takes as many of
    :data:`STATIC_BATCH_PRIORITY` as :data:`STATIC_WEIGHTS_BUDGET_BYTES` holds.

    Args:
        requested: From :func:`parse_static_batches`.
        choice: The unet's engine and precision.
        weight_bytes: The unet graph's size on disk (float32 weights).

    Raises:
        EngineSelectionError: Sizes asked for an engine without static shapes.
    """
    if choice.engine != OPENVINO:
        if requested:
            raise EngineSelectionError(
                f"unet: static batch sizes need the {OPENVINO} engine (the unet runs {choice})"
            )
        return (), f"{choice.engine} compiles no static shapes"
    if requested is not None:
        return requested, "asked for" if requested else "none asked for"
    copy_bytes = weight_bytes // 2 if choice.precision == BF16 else weight_bytes
    fits = min(len(STATIC_BATCH_PRIORITY), STATIC_WEIGHTS_BUDGET_BYTES // max(copy_bytes, 1))
    sizes = tuple(sorted(STATIC_BATCH_PRIORITY[:fits]))
    return sizes, (
        f"{fits} compiled copies of {copy_bytes / 2**30:.2f} GiB fit the "
        f"{STATIC_WEIGHTS_BUDGET_BYTES / 2**30:g} GiB budget per instance"
    )
