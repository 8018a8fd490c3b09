"""The contract names what the templates in ``triton_models/*/config.pbtxt`` declare.

Export, the Python models, the gateway and the load tests read model, tensor and parameter
names from :mod:`contract`; Triton reads the templates. A name changed on one side only fails
here, model by model, before any server starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2 as mc

import triton_models
from contract import repository, tensors

TEMPLATES = Path(triton_models.__file__).parent


@dataclass(frozen=True)
class Declared:
    """What a model's config declares: tensor names in order, and its parameters.

    ``parameters`` maps each key to its template value, or to ``None`` where export fills the
    value in (or the template leaves it to the model's default).
    """

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    parameters: dict[str, str | None] = field(default_factory=dict)


EXPECTED = {
    repository.SUMMARIZER: Declared(
        inputs=(
            tensors.DIALOGUE,
            tensors.NUM_BEAMS,
            tensors.MAX_LENGTH,
            tensors.NO_REPEAT_NGRAM_SIZE,
        ),
        outputs=(tensors.SUMMARY, tensors.TOKEN_IDS),
        parameters=dict.fromkeys(
            (
                tensors.COMPUTE_TYPE,
                tensors.FIRST_SENTENCE_ONLY,
                tensors.MAX_SOURCE_TOKENS,
                tensors.TOKENIZER_SHA256,
            )
        ),
    ),
    repository.DIFFUSION: Declared(
        inputs=(
            tensors.PROMPT,
            tensors.NEGATIVE_PROMPT,
            tensors.SEED,
            tensors.STEPS,
            tensors.GUIDANCE_SCALE,
            tensors.HEIGHT,
            tensors.WIDTH,
            tensors.SCHEDULER,
        ),
        outputs=(tensors.IMAGE, tensors.SEED),
        parameters={
            tensors.TEXT_ENCODER_MODEL: repository.TEXT_ENCODER,
            tensors.UNET_MODEL: repository.UNET,
            tensors.VAE_DECODER_MODEL: repository.VAE_DECODER,
            tensors.UNET_PARALLEL_REQUESTS: None,
        },
    ),
    repository.CHAT_TO_IMAGE: Declared(
        inputs=(tensors.DIALOGUE, tensors.SEED),
        outputs=(tensors.SUMMARY, tensors.IMAGE, tensors.SEED),
        parameters={
            tensors.SUMMARIZER_MODEL: repository.SUMMARIZER,
            tensors.DIFFUSION_MODEL: repository.DIFFUSION,
        },
    ),
    # Export writes the tensor models' engine and precision parameters (export.repository).
    repository.TEXT_ENCODER: Declared(
        inputs=(tensors.TEXT_ENCODER_INPUT,), outputs=(tensors.TEXT_ENCODER_OUTPUT,)
    ),
    repository.UNET: Declared(inputs=tensors.UNET_INPUTS, outputs=(tensors.UNET_OUTPUT,)),
    repository.VAE_DECODER: Declared(
        inputs=(tensors.VAE_DECODER_INPUT,), outputs=(tensors.VAE_DECODER_OUTPUT,)
    ),
}


def _template(name: str) -> mc.ModelConfig:
    text = repository.config_file(TEMPLATES, name).read_text("utf-8")
    return text_format.Parse(text, mc.ModelConfig())


def test_the_contract_names_every_template() -> None:
    templates = {path.parent.name for path in TEMPLATES.glob(f"*/{repository.CONFIG_FILE}")}
    named = {
        repository.SUMMARIZER,
        repository.DIFFUSION,
        repository.CHAT_TO_IMAGE,
        *repository.TENSOR_MODELS,
    }
    assert templates == named == set(EXPECTED)
    assert set(repository.GATEWAY_MODELS) <= named


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_declares_the_contract(name: str) -> None:
    config = _template(name)
    expected = EXPECTED[name]
    assert config.name == name
    assert tuple(t.name for t in config.input) == expected.inputs
    assert tuple(t.name for t in config.output) == expected.outputs
    parameters = {key: value.string_value for key, value in config.parameters.items()}
    assert set(parameters) == set(expected.parameters)
    for key, value in expected.parameters.items():
        if value is not None:
            assert parameters[key] == value, key
    for warmup in config.model_warmup:
        assert set(warmup.inputs) <= set(expected.inputs)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_template_code_lies_in_the_version_folder(name: str) -> None:
    assert (repository.version_dir(TEMPLATES, name) / repository.PYTHON_MODEL_FILE).is_file()
