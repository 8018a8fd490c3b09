"""Diffusion export: files in the repository, graph signatures, and parity with PyTorch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnx
import onnx_ir
import pytest
import torch
from onnx import TensorProto
from transformers import AutoTokenizer

from contract.repository import DIFFUSION, diffusion_pipeline, graph_file, version_dir
from export.diffusion import (
    TOLERANCES,
    DiffusionExport,
    UnsupportedPipelineError,
    check_diffusion_parity,
    export_diffusion,
    load_pipeline,
    unet_static_shapes,
)
from export.diffusion_image_check import MIN_PSNR_DB, check_images
from export.onnx_graph import graph_io
from export.parity import ParityError, require_parity
from export.repository import configured_engines
from triton_models.diffusion_pipeline import PipelineSpec
from triton_models.tensor_engines import EngineChoice, cpu_has_bf16

GRAPHS = ("text_encoder", "unet", "vae_decoder")
ONNXRUNTIME_F32 = dict.fromkeys(GRAPHS, EngineChoice("onnxruntime", "f32"))
OPENVINO_F32 = dict.fromkeys(GRAPHS, EngineChoice("openvino", "f32"))
OPENVINO_BF16 = dict.fromkeys(GRAPHS, EngineChoice("openvino", "bf16"))


def _unet_ops(repository: Path) -> set[str]:
    path = graph_file(repository, "unet")
    return {node.op_type for node in onnx.load(str(path), load_external_data=False).graph.node}


@pytest.fixture(scope="module")
def openvino_export(
    diffusion_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, DiffusionExport]:
    """The tiny pipeline exported for OpenVINO float32 (static unet shapes decided as by
    ``calle export``), asking for the ORT fusion anyway."""
    output = tmp_path_factory.mktemp("openvino")
    exported = export_diffusion(
        diffusion_checkpoint,
        output,
        engines=OPENVINO_F32,
        fuse_attention=True,
        unet_static_batches=None,
        progress=False,
    )
    return output, exported


def test_writes_graphs_and_runtime_files(diffusion_checkpoint: Path, tiny_repository: Path) -> None:
    repository = tiny_repository
    for name in GRAPHS:
        assert graph_file(repository, name).is_file()
    runtime = version_dir(repository, DIFFUSION)
    spec = PipelineSpec.load(diffusion_pipeline(repository))
    assert (spec.default_height, spec.default_width, spec.size_multiple) == (64, 64, 16)
    assert (spec.latent_channels, spec.vae_scale_factor, spec.text_max_length) == (4, 8, 77)
    assert (spec.default_steps, spec.default_guidance_scale) == (20, 7.5)
    assert (spec.default_scheduler, spec.dtype, spec.hidden_size) == ("dpmsolver++", "float32", 32)
    assert spec.vae_scaling_factor == pytest.approx(0.18215)
    scheduler = json.loads((runtime / "scheduler" / "scheduler_config.json").read_text())
    assert scheduler["beta_schedule"] == "scaled_linear"
    tokenizer = AutoTokenizer.from_pretrained(runtime / "tokenizer")
    assert tokenizer("바다").input_ids[-1] == tokenizer.eos_token_id


def test_graph_signatures(diffusion_checkpoint: Path, tiny_repository: Path) -> None:
    repository = tiny_repository
    signatures = {name: graph_io(graph_file(repository, name)) for name in GRAPHS}
    (inputs, outputs) = signatures["text_encoder"]
    assert inputs["input_ids"][0] == TensorProto.INT64
    assert outputs["last_hidden_state"][0] == TensorProto.FLOAT
    assert outputs["last_hidden_state"][1][2] == 32
    inputs, outputs = signatures["unet"]
    assert list(inputs) == ["sample", "timestep", "encoder_hidden_states"]
    assert all(dtype == TensorProto.FLOAT for dtype, _ in inputs.values())
    assert inputs["timestep"][1] == inputs["sample"][1][:1]  # one timestep per batch row
    assert list(outputs) == ["out_sample"]
    inputs, outputs = signatures["vae_decoder"]
    assert list(inputs) == ["latent_sample"]
    assert list(outputs) == ["sample"]
    for name in GRAPHS:  # batch and spatial dims stay symbolic
        inputs, outputs = signatures[name]
        for _, dims in [*inputs.values(), *outputs.values()]:
            assert isinstance(dims[0], str)


def test_only_the_portable_unet_gets_fused_attention(tiny_repository: Path) -> None:
    def ops(name: str) -> set[str]:
        path = graph_file(tiny_repository, name)
        return {node.op_type for node in onnx.load(str(path), load_external_data=False).graph.node}

    if configured_engines(tiny_repository)["unet"].engine != "onnxruntime":
        pytest.skip("the unet is served by OpenVINO on this CPU (bf16): never fused")
    assert "MultiHeadAttention" in ops("unet")
    assert "MultiHeadAttention" not in ops("text_encoder") | ops("vae_decoder")


def test_graphs_match_pytorch_on_untraced_shapes(
    diffusion_checkpoint: Path, tiny_repository: Path
) -> None:
    pipeline = load_pipeline(diffusion_checkpoint)
    results = check_diffusion_parity(pipeline, tiny_repository, configured_engines(tiny_repository))
    require_parity(results)
    assert [r.graph for r in results] == list(GRAPHS)
    for result in results:
        engine = configured_engines(tiny_repository)[result.graph]
        assert result.tolerance == TOLERANCES[result.graph][2 if engine.precision == "bf16" else 0]
        assert len(result.cases) >= 2
        batches = {next(iter(case.shapes.values()))[0] for case in result.cases}
        assert {1, 3} <= batches  # traced with batch 2
    unet_shapes = [case.shapes["sample"][2:] for case in results[1].cases]
    assert unet_shapes == [[8, 8], [8, 8], [4, 6]]  # traced at 8x8


def test_openvino_graphs_are_unfused_and_checked_on_openvino(
    openvino_export: tuple[Path, DiffusionExport],
) -> None:
    repository, exported = openvino_export
    results = exported.parity
    require_parity(results)
    static_unet = "openvino/f32 static batches 1,2,4"  # the tiny unet: every size fits
    assert [(r.graph, r.engine) for r in results] == [
        ("text_encoder", "openvino/f32"),
        ("unet", static_unet),
        ("vae_decoder", "openvino/f32"),
    ]
    assert str(exported.engines["unet"]) == static_unet
    assert exported.engines["unet"].static == unet_static_shapes(
        PipelineSpec.load(diffusion_pipeline(repository)), (1, 2, 4)
    )
    assert [r.tolerance for r in results] == [TOLERANCES[g][0] for g in GRAPHS]
    assert all(r.max_abs_diff < 1e-4 for r in results)
    # OpenVINO does not read com.microsoft ops: the fusion is skipped for it.
    assert not any(op in _unet_ops(repository) for op in ("MultiHeadAttention", "Attention"))


@pytest.mark.parametrize("engine", ["onnxruntime", "openvino"])
def test_served_images_match_diffusers_float32(
    engine: str,
    diffusion_checkpoint: Path,
    tiny_repository: Path,
    openvino_export: tuple[Path, DiffusionExport],
) -> None:
    pipeline = load_pipeline(diffusion_checkpoint)
    if engine == "openvino":  # the static-shape unet among them
        repository, engines = openvino_export[0], openvino_export[1].engines
    else:  # the tiny repository's graphs on float32 engines, whatever this CPU serves them on
        repository, engines = tiny_repository, ONNXRUNTIME_F32
    result = check_images(pipeline, repository, engines)
    assert result.passed, result.failure()
    assert len(result.psnr_db) == 2
    assert min(result.psnr_db) >= 60  # float32 engines: the same picture up to rounding


@pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no native bf16 (OpenVINO refuses)")
def test_bf16_passes_its_tolerances_and_the_image_check(
    diffusion_checkpoint: Path, tmp_path: Path
) -> None:
    exported = export_diffusion(
        diffusion_checkpoint,
        tmp_path,
        engines=OPENVINO_BF16,
        unet_static_batches=None,
        progress=False,
    )
    results = exported.parity
    require_parity(results)
    assert exported.engines["unet"].static is not None
    assert [r.tolerance for r in results] == [TOLERANCES[g][2] for g in GRAPHS]
    assert any(r.max_abs_diff > 1e-5 for r in results)  # really computed in bf16
    image = check_images(load_pipeline(diffusion_checkpoint), tmp_path, exported.engines)
    assert image.passed, image.failure()


def test_the_image_check_fails_a_drifted_pipeline(
    diffusion_checkpoint: Path, tiny_repository: Path
) -> None:
    pipeline = load_pipeline(diffusion_checkpoint)
    with torch.no_grad():  # pictures 0.05 brighter than the exported graphs draw them
        pipeline.vae.decoder.conv_out.bias.add_(0.1)
    result = check_images(pipeline, tiny_repository, configured_engines(tiny_repository))
    assert not result.passed
    assert "diffusion image: PSNR" in result.failure()
    assert f"< {MIN_PSNR_DB:g} dB" in result.failure()


def test_a_graph_that_drifts_from_pytorch_fails_parity(
    diffusion_checkpoint: Path, tiny_repository: Path
) -> None:
    pipeline = load_pipeline(diffusion_checkpoint)
    with torch.no_grad():  # the exported graph no longer matches this module
        pipeline.vae.decoder.conv_out.bias.add_(0.01)
    results = check_diffusion_parity(pipeline, tiny_repository, configured_engines(tiny_repository))
    assert [r.passed for r in results] == [True, True, False]
    with pytest.raises(ParityError, match=r"vae_decoder: max abs diff 0\.01 > tolerance 0\.002 x"):
        require_parity(results)


def test_graphs_with_external_weights_still_load(
    diffusion_checkpoint: Path, tiny_repository: Path, tmp_path: Path
) -> None:
    """Graphs over 2 GB keep their weights in ``model.onnx.data``; save the tiny ones that way."""
    repository = shutil.copytree(tiny_repository, tmp_path / "repository")
    for name in GRAPHS:
        path = graph_file(repository, name)
        onnx_ir.save(onnx_ir.load(path), path, external_data="model.onnx.data")
        assert (path.parent / "model.onnx.data").stat().st_size > 0
    pipeline = load_pipeline(diffusion_checkpoint)
    require_parity(check_diffusion_parity(pipeline, repository, configured_engines(repository)))


def test_refuses_what_the_graphs_cannot_model(
    diffusion_checkpoint: Path, tiny_repository: Path, tmp_path: Path
) -> None:
    checkpoint = shutil.copytree(diffusion_checkpoint, tmp_path / "checkpoint")
    config_path = checkpoint / "tokenizer" / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "model_max_length": 100}))
    with pytest.raises(UnsupportedPipelineError, match=r"pads to 100 tokens .* at most 77"):
        load_pipeline(checkpoint)


@pytest.mark.slow
def test_fp16_keeps_float32_io_and_passes_its_tolerances(
    diffusion_checkpoint: Path, tiny_repository: Path, tmp_path
) -> None:
    results = export_diffusion(diffusion_checkpoint, tmp_path, fp16=True, progress=False).parity
    require_parity(results)
    assert [r.tolerance for r in results] == [TOLERANCES[name][1] for name in GRAPHS]
    assert PipelineSpec.load(diffusion_pipeline(tmp_path)).dtype == "float16"
    graph = graph_file(tmp_path, "unet")
    inputs, outputs = graph_io(graph)
    assert {dtype for dtype, _ in [*inputs.values(), *outputs.values()]} == {TensorProto.FLOAT}
    weights = onnx.load(str(graph)).graph.initializer
    assert any(w.data_type == TensorProto.FLOAT16 for w in weights)
