"""Tensor and config-parameter names of each model, as its ``config.pbtxt`` declares them.

The templates in ``triton_models/*/config.pbtxt`` declare the same names; a test checks
that the two agree, so a renamed tensor fails in one place.
"""

from __future__ import annotations

# summarizer (and chat_to_image's first half)
DIALOGUE = "dialogue"
SUMMARY = "summary"
TOKEN_IDS = "token_ids"
NUM_BEAMS = "num_beams"
MAX_LENGTH = "max_length"
NO_REPEAT_NGRAM_SIZE = "no_repeat_ngram_size"

# diffusion (and chat_to_image's second half)
PROMPT = "prompt"
NEGATIVE_PROMPT = "negative_prompt"
SEED = "seed"
STEPS = "steps"
GUIDANCE_SCALE = "guidance_scale"
HEIGHT = "height"
WIDTH = "width"
SCHEDULER = "scheduler"
IMAGE = "image"

# tensor models
TEXT_ENCODER_INPUT = "input_ids"
TEXT_ENCODER_OUTPUT = "last_hidden_state"
UNET_INPUTS = ("sample", "timestep", "encoder_hidden_states")
UNET_OUTPUT = "out_sample"
VAE_DECODER_INPUT = "latent_sample"
VAE_DECODER_OUTPUT = "sample"

# summarizer config parameters
TOKENIZER_SHA256 = "tokenizer_sha256"  # of the tokenizer.json it was exported with
FIRST_SENTENCE_ONLY = "first_sentence_only"
MAX_SOURCE_TOKENS = "max_source_tokens"
COMPUTE_TYPE = "compute_type"

# chat_to_image config parameters: the models it calls
SUMMARIZER_MODEL = "summarizer_model"
DIFFUSION_MODEL = "diffusion_model"

# diffusion config parameters: the tensor models it calls, and how it calls the unet
TEXT_ENCODER_MODEL = "text_encoder_model"
UNET_MODEL = "unet_model"
VAE_DECODER_MODEL = "vae_decoder_model"
UNET_PARALLEL_REQUESTS = "unet_parallel_requests"

# tensor model config parameters (the Python-backend model reads them; export writes them)
ENGINE = "engine"
PRECISION = "precision"
STATIC_BATCH_SIZES = "static_batch_sizes"  # "1,2,4": OpenVINO compiles one model per size
STATIC_ROW_SHAPES = "static_row_shapes"  # "sample:4x32x32;timestep:;...": shapes without batch
INTRA_OP_THREADS = "intra_op_threads"
