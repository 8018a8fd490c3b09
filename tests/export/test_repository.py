"""Repository assembly, both config flavours, and the config-versus-graph check."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
from tritonclient.grpc import model_config_pb2 as mc

from contract.repository import TENSOR_MODELS
from export.config_check import check_repository
from export.options import ExportOptions, is_current
from export.pipeline import REPORT
from export.repository import (
    MODELS,
    Flavour,
    assemble,
    configured_engines,
    read_config,
    write_config,
)
from triton_models.tensor_engines import EngineChoice


@pytest.fixture
def repository_copy(tiny_repository: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_repository, tmp_path / "repo"))


def test_portable_repository_matches_its_graphs(tiny_repository: Path) -> None:
    assert sorted(p.name for p in tiny_repository.iterdir() if p.is_dir()) == sorted(MODELS)
    assert check_repository(tiny_repository) == []
    for name in TENSOR_MODELS:
        config = read_config(tiny_repository / name / "config.pbtxt")
        assert config.backend == "python"
        assert (tiny_repository / name / "1" / "model.py").exists()


def test_portable_compute_models_share_the_cpu_cores(tiny_repository: Path) -> None:
    for name in ("summarizer", *TENSOR_MODELS):
        (group,) = read_config(tiny_repository / name / "config.pbtxt").instance_group
        assert [(r.name, getattr(r, "global"), r.count) for r in group.rate_limiter.resources] == [
            ("cpu", True, 1)
        ]
    # The loops only wait on the unet; holding a core there would idle it.
    (loop,) = read_config(tiny_repository / "diffusion" / "config.pbtxt").instance_group
    assert not loop.HasField("rate_limiter")
    # The summarizer decodes together the requests that arrive within 50 ms, 4 at a time.
    summarizer = read_config(tiny_repository / "summarizer" / "config.pbtxt")
    assert list(summarizer.dynamic_batching.preferred_batch_size) == [4]
    assert summarizer.dynamic_batching.max_queue_delay_microseconds == 50_000
    assert summarizer.max_batch_size == 4  # a queued burst goes out 4 at a time, never 8
    parameters = {k: v.string_value for k, v in summarizer.parameters.items()}
    assert parameters["max_source_tokens"] == "512"
    assert len(parameters["tokenizer_sha256"]) == 64


def test_engines_are_written_into_the_portable_configs(repository_copy: Path) -> None:
    engines = {"unet": EngineChoice("openvino", "bf16"), "text_encoder": EngineChoice()}
    assemble(repository_copy, engines=engines)
    assert configured_engines(repository_copy) == {**engines, "vae_decoder": EngineChoice()}
    unet = read_config(repository_copy / "unet" / "config.pbtxt")
    assert unet.parameters["engine"].string_value == "openvino"
    assert unet.parameters["precision"].string_value == "bf16"
    assemble(repository_copy, flavour=Flavour.NATIVE, engines=engines)
    assert "engine" not in read_config(repository_copy / "unet" / "config.pbtxt").parameters


def test_guided_rows_go_to_the_unet_in_parallel_on_cpu_only(repository_copy: Path) -> None:
    def parallel() -> str:
        config = read_config(repository_copy / "diffusion" / "config.pbtxt")
        return config.parameters["unet_parallel_requests"].string_value

    assert parallel() == "2"  # the portable export: two unet instances, two cores
    assemble(repository_copy, flavour=Flavour.NATIVE)
    assert parallel() == "1"


def test_native_flavour_uses_onnxruntime_on_gpus(repository_copy: Path) -> None:
    assemble(repository_copy, flavour=Flavour.NATIVE, tensorrt=True)
    assert check_repository(repository_copy) == []
    for name in TENSOR_MODELS:
        config = read_config(repository_copy / name / "config.pbtxt")
        assert config.backend == "onnxruntime"
        assert config.default_model_filename == "model.onnx"
        assert not (repository_copy / name / "1" / "model.py").exists()
        assert {g.kind for g in config.instance_group} == {mc.ModelInstanceGroup.KIND_GPU}
        accelerators = config.optimization.execution_accelerators.gpu_execution_accelerator
        assert [a.name for a in accelerators] == ["tensorrt"]
    summarizer = read_config(repository_copy / "summarizer" / "config.pbtxt")
    assert {g.kind for g in summarizer.instance_group} == {mc.ModelInstanceGroup.KIND_GPU}
    assert list(summarizer.dynamic_batching.preferred_batch_size) == []
    assert summarizer.dynamic_batching.max_queue_delay_microseconds == 20_000
    assert summarizer.max_batch_size == 8
    unet = read_config(repository_copy / "unet" / "config.pbtxt")
    assert list(unet.dynamic_batching.preferred_batch_size) == [8, 16]
    for name in ("summarizer", *TENSOR_MODELS):
        config = read_config(repository_copy / name / "config.pbtxt")
        assert not any(g.HasField("rate_limiter") for g in config.instance_group)
    diffusion = read_config(repository_copy / "diffusion" / "config.pbtxt")
    assert {g.kind for g in diffusion.instance_group} == {mc.ModelInstanceGroup.KIND_CPU}


def test_instance_counts_are_set_at_export(repository_copy: Path) -> None:
    assemble(repository_copy, instances={"unet": 3, "summarizer": 1})
    assert [g.count for g in read_config(repository_copy / "unet/config.pbtxt").instance_group] == [
        3
    ]
    summarizer = read_config(repository_copy / "summarizer/config.pbtxt")
    assert [g.count for g in summarizer.instance_group] == [1]
    with pytest.raises(ValueError, match="unknown model"):
        assemble(repository_copy, instances={"unett": 2})


def test_check_reports_configs_that_do_not_match_their_graphs(repository_copy: Path) -> None:
    path = repository_copy / "unet" / "config.pbtxt"
    config = read_config(path)
    config.input[0].name = "latents"
    config.output[0].data_type = mc.TYPE_FP16
    write_config(config, path)
    problems = check_repository(repository_copy)
    assert any("config input 'latents' is not in the graph" in p for p in problems)
    assert any("graph input 'sample' missing from config" in p for p in problems)
    assert any("TYPE_FP16 in the config but ONNX type FLOAT" in p for p in problems)


def test_check_reports_unknown_bls_targets(repository_copy: Path) -> None:
    path = repository_copy / "chat_to_image" / "config.pbtxt"
    config = read_config(path)
    config.parameters["diffusion_model"].string_value = "difusion"
    write_config(config, path)
    assert check_repository(repository_copy) == [
        "chat_to_image: parameter 'diffusion_model' names unknown model 'difusion'"
    ]


def test_warmup_strings_use_tritons_raw_format(tiny_repository: Path) -> None:
    raw = (tiny_repository / "summarizer" / "warmup" / "dialogue").read_bytes()
    (length,) = struct.unpack("<I", raw[:4])
    assert raw[4:].decode("utf-8").startswith("P01:")
    assert length == len(raw) - 4


def test_report_and_manifest(
    tiny_repository: Path, summarizer_checkpoint: Path, diffusion_checkpoint: Path
) -> None:
    report = json.loads((tiny_repository / REPORT).read_text())
    assert report["passed"]
    assert {g["graph"] for g in report["graphs"]} >= {
        "summarizer/ctranslate2-float32",
        "summarizer/ctranslate2-int8",
        "diffusion image",
    }
    checkpoints = {"summarizer": str(summarizer_checkpoint), "diffusion": str(diffusion_checkpoint)}
    assert is_current(ExportOptions(output=tiny_repository, **checkpoints))
    assert not is_current(ExportOptions(output=tiny_repository, **checkpoints, fp16=True))
