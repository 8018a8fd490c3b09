"""The repository layout the contract's helpers spell, written out once by hand."""

from __future__ import annotations

from pathlib import Path

from contract import repository


def test_layout_helpers_spell_triton_s_layout() -> None:
    root = Path("/models/current")
    assert repository.model_dir(root, "unet") == Path("/models/current/unet")
    assert repository.config_file(root, "unet") == Path("/models/current/unet/config.pbtxt")
    assert repository.version_dir(root, "unet") == Path("/models/current/unet/1")
    assert repository.graph_file(root, "unet") == Path("/models/current/unet/1/model.onnx")
    assert repository.summarizer_tokenizer(root) == Path(
        "/models/current/summarizer/1/tokenizer.json"
    )
    assert repository.diffusion_pipeline(root) == Path("/models/current/diffusion/1/pipeline.json")


def test_model_groups() -> None:
    assert repository.TENSOR_MODELS == ("text_encoder", "unet", "vae_decoder")
    assert repository.GATEWAY_MODELS == ("summarizer", "diffusion")
    assert Path("build/model_repository/current") == repository.DEFAULT_ROOT / repository.CURRENT
