"""The diffusion model configs parse as Triton model configs and agree with the exported graphs."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc

TEMPLATES = Path(__file__).resolve().parents[2] / "triton_models"
GRAPHS = ("text_encoder", "unet", "vae_decoder")


def load_config(name: str) -> mc.ModelConfig:
    return text_format.Parse((TEMPLATES / name / "config.pbtxt").read_text(), mc.ModelConfig())


def test_unet_merges_queued_steps_behind_a_bounded_queue() -> None:
    config = load_config("unet")
    batching = config.dynamic_batching
    # CPU template: no waiting to merge steps (the native flavour waits, see the export tests).
    assert batching.max_queue_delay_microseconds == 0
    assert list(batching.preferred_batch_size) == [2, 4]
    policy = batching.default_queue_policy
    assert policy.max_queue_size > 0
    assert policy.default_timeout_microseconds > 0
    assert policy.timeout_action == mc.ModelQueuePolicy.REJECT
    timestep = next(t for t in config.input if t.name == "timestep")
    assert list(timestep.dims) == [1]
    assert list(timestep.reshape.shape) == []


def test_row_limits_fit_the_diffusion_model() -> None:
    images = load_config("diffusion").max_batch_size
    assert load_config("text_encoder").max_batch_size >= 2 * images  # prompts + negatives
    assert load_config("unet").max_batch_size >= 2 * images  # classifier-free guidance
    assert load_config("vae_decoder").max_batch_size >= images


def test_warmups_name_graph_inputs() -> None:
    for name in GRAPHS:
        config = load_config(name)
        inputs = {t.name: t.data_type for t in config.input}
        for warmup in config.model_warmup:
            assert 0 < warmup.batch_size <= config.max_batch_size
            for key, value in warmup.inputs.items():
                assert inputs[key] == value.data_type


def test_diffusion_config() -> None:
    config = load_config("diffusion")
    assert (config.name, config.backend, config.max_batch_size) == ("diffusion", "python", 8)
    # One request per execution (loops run side by side), behind a bounded queue.
    assert list(config.dynamic_batching.preferred_batch_size) == [1]
    assert config.dynamic_batching.default_queue_policy.max_queue_size > 0
    assert sum(g.count for g in config.instance_group) > 1  # concurrent loops
    inputs = {t.name: (t.data_type, list(t.dims), t.optional) for t in config.input}
    assert inputs == {
        "prompt": (mc.TYPE_STRING, [1], False),
        "negative_prompt": (mc.TYPE_STRING, [1], True),
        "seed": (mc.TYPE_INT64, [1], True),
        "steps": (mc.TYPE_INT32, [1], True),
        "guidance_scale": (mc.TYPE_FP32, [1], True),
        "height": (mc.TYPE_INT32, [1], True),
        "width": (mc.TYPE_INT32, [1], True),
        "scheduler": (mc.TYPE_STRING, [1], True),
    }
    outputs = {t.name: (t.data_type, list(t.dims)) for t in config.output}
    assert outputs == {"image": (mc.TYPE_STRING, [1]), "seed": (mc.TYPE_INT64, [1])}
    parameters = {key: value.string_value for key, value in config.parameters.items()}
    # A lone guided step's two rows go to both unet instances.
    assert parameters.pop("unet_parallel_requests") == "2"
    models = parameters
    assert models == {
        "text_encoder_model": "text_encoder",
        "unet_model": "unet",
        "vae_decoder_model": "vae_decoder",
    }
    assert all((TEMPLATES / model / "config.pbtxt").is_file() for model in models.values())


@pytest.mark.parametrize("name", GRAPHS)
def test_tensor_models_reuse_the_shared_model(name: str) -> None:
    source = (TEMPLATES / name / "1" / "model.py").read_text()
    assert "from triton_models.onnx_tensor_model import TritonPythonModel" in source
