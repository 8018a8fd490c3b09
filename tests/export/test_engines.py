"""Engine and precision per tensor model: the defaults, what is refused, and why it is logged."""

from __future__ import annotations

import logging

import pytest

from export.engines import (
    EngineSelectionError,
    choose_engines,
    choose_static_batches,
    parse_static_batches,
)
from export.repository import Flavour
from triton_models.tensor_engines import EngineChoice

F32 = EngineChoice("onnxruntime", "f32")
OV_BF16 = EngineChoice("openvino", "bf16")


def test_auto_runs_the_unet_in_bf16_on_a_bf16_cpu(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="export.engines"):
        choices = choose_engines({}, flavour=Flavour.PORTABLE, fp16=False, bf16_cpu=True)
    assert choices == {"text_encoder": F32, "unet": OV_BF16, "vae_decoder": F32}
    assert "unet: openvino/bf16 (this CPU has native bf16" in caplog.text


def test_auto_stays_float32_without_bf16(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="export.engines"):
        choices = choose_engines({}, flavour=Flavour.PORTABLE, fp16=False, bf16_cpu=False)
    assert set(choices.values()) == {F32}
    assert "unet: onnxruntime/f32 (no native bf16" in caplog.text


@pytest.mark.parametrize(("flavour", "fp16"), [(Flavour.NATIVE, False), (Flavour.PORTABLE, True)])
def test_gpu_targets_stay_on_onnxruntime(flavour: Flavour, fp16: bool) -> None:
    choices = choose_engines({}, flavour=flavour, fp16=fp16, bf16_cpu=True)
    assert set(choices.values()) == {F32}
    with pytest.raises(EngineSelectionError, match="unet: openvino serves float32 graphs"):
        choose_engines({"unet": "openvino"}, flavour=flavour, fp16=fp16, bf16_cpu=True)


def test_requested_engines_win_over_the_defaults() -> None:
    choices = choose_engines(
        {"vae_decoder": "openvino/bf16", "unet": "onnxruntime", "text_encoder": "auto"},
        flavour=Flavour.PORTABLE,
        fp16=False,
        bf16_cpu=True,
    )
    assert choices == {"text_encoder": F32, "unet": F32, "vae_decoder": OV_BF16}


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        ({"unet": "openvino/bf16"}, "unet: bf16 needs a CPU with native bf16"),
        ({"unet": "onnxruntime/bf16"}, "unet: bf16 needs the openvino engine"),
        ({"unet": "tensorflow"}, "unet: engine must be one of onnxruntime, openvino"),
        ({"unet": "openvino/int4"}, "unet: precision must be one of f32, bf16"),
        ({"summarizer": "openvino"}, r"unknown model\(s\) \['summarizer'\]"),
    ],
)
def test_what_cannot_serve_is_refused(requested: dict[str, str], message: str) -> None:
    with pytest.raises(EngineSelectionError, match=message):
        choose_engines(requested, flavour=Flavour.PORTABLE, fp16=False, bf16_cpu=False)


@pytest.mark.parametrize(
    ("text", "sizes"), [("auto", None), ("none", ()), ("4,1,2", (1, 2, 4)), (" 2 ", (2,))]
)
def test_static_batch_sizes_parse(text: str, sizes: tuple[int, ...] | None) -> None:
    assert parse_static_batches(text) == sizes


@pytest.mark.parametrize("text", ["", "1,x", "0,2"])
def test_bad_static_batch_sizes_are_refused(text: str) -> None:
    with pytest.raises(EngineSelectionError, match="static batch sizes must"):
        parse_static_batches(text)


@pytest.mark.parametrize(
    ("choice", "weight_gib", "sizes"),
    [
        (OV_BF16, 0.1, (1, 2, 4)),  # the small preset: every size fits
        (OV_BF16, 3.4, (1, 2)),  # SD 1.5 in bf16: two 1.7 GiB copies
        (EngineChoice("openvino", "f32"), 3.4, (2,)),  # one 3.4 GiB copy
        (EngineChoice("openvino", "f32"), 5.0, ()),
        (F32, 0.1, ()),  # ONNX Runtime has no static compiles
    ],
)
def test_auto_static_batches_fit_the_memory_budget(
    choice: EngineChoice, weight_gib: float, sizes: tuple[int, ...]
) -> None:
    chosen, reason = choose_static_batches(None, choice, int(weight_gib * 2**30))
    assert chosen == sizes
    assert reason


def test_asked_static_batches_win_and_need_openvino() -> None:
    assert choose_static_batches((1, 8), OV_BF16, 10 << 30)[0] == (1, 8)
    assert choose_static_batches((), OV_BF16, 1)[0] == ()
    with pytest.raises(EngineSelectionError, match="static batch sizes need the openvino engine"):
        choose_static_batches((2,), F32, 1)
