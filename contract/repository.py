"""Model names, versions and the files of an exported model repository.

Export writes ``ROOT/versions/<id>/`` and points ``ROOT/current`` at the served one; inside a
version every model is ``<name>/config.pbtxt`` plus ``<name>/<VERSION>/`` with its files.
"""

from __future__ import annotations

from pathlib import Path

# Where `calle export` writes and `calle serve` serves from, relative to the checkout.
DEFAULT_ROOT = Path("build/model_repository")
CURRENT = "current"
VERSIONS = "versions"
MANIFEST = "export.json"  # written last into a version, with the checks' verdict

# Models Triton serves.
SUMMARIZER = "summarizer"
DIFFUSION = "diffusion"
CHAT_TO_IMAGE = "chat_to_image"
TEXT_ENCODER = "text_encoder"
UNET = "unet"
VAE_DECODER = "vae_decoder"
TENSOR_MODELS = (TEXT_ENCODER, UNET, VAE_DECODER)
# What the gateway calls (and waits for in /readyz).
GATEWAY_MODELS = (SUMMARIZER, DIFFUSION)

VERSION = "1"  # every model is served at version 1; a new export is a new repository version
CONFIG_FILE = "config.pbtxt"
WARMUP_DIR = "warmup"  # beside config.pbtxt: the files its model_warmup entries name

# Files inside a model's version folder, Triton's names.
PYTHON_MODEL_FILE = "model.py"  # a Python-backend model's code

# Files inside a model's version folder, ours.
GRAPH_FILE = "model.onnx"  # tensor models
SUMMARIZER_ENGINE_DIR = "ctranslate2"
TOKENIZER_FILE = "tokenizer.json"  # the summarizer's; the gateway trims chats with it
GENERATION_CONFIG_FILE = "generation_config.json"  # GenerationConfig.save_pretrained's name
PIPELINE_FILE = "pipeline.json"  # diffusion: scheduler, steps, guidance, sizes
DIFFUSION_TOKENIZER_DIR = "tokenizer"
SCHEDULER_DIR = "scheduler"
SCHEDULER_FILE = "scheduler_config.json"


def model_dir(repository: Path, model: str) -> Path:
    """``repository/<model>``: where the model's ``config.pbtxt`` lies."""
    return repository / model


def version_dir(repository: Path, model: str) -> Path:
    """``repository/<model>/1``: the folder of the model's served files."""
    return repository / model / VERSION


def config_file(repository: Path, model: str) -> Path:
    """``repository/<model>/config.pbtxt``."""
    return repository / model / CONFIG_FILE


def summarizer_tokenizer(repository: Path) -> Path:
    """The exported summarizer's ``tokenizer.json`` in ``repository``."""
    return version_dir(repository, SUMMARIZER) / TOKENIZER_FILE


def diffusion_pipeline(repository: Path) -> Path:
    """The exported diffusion pipeline's ``pipeline.json`` (defaults and image sizes)."""
    return version_dir(repository, DIFFUSION) / PIPELINE_FILE


def graph_file(repository: Path, model: str) -> Path:
    """A tensor model's ONNX graph in ``repository``."""
    return version_dir(repository, model) / GRAPH_FILE
