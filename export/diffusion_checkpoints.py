"""Random-weight Stable Diffusion 1.x checkpoints for tests (tiny) and CPU benchmarks (small).

No model hub is reachable from CI, so the image path is exercised on checkpoints built here: real
diffusers/transformers architectures (CLIP text encoder, conditional UNet, KL autoencoder) with
random weights from a fixed seed, a Korean byte-level BPE tokenizer, and Stable Diffusion 1.5's
scheduler settings, saved with ``save_pretrained`` so that export loads them exactly like a hub
checkpoint. The images mean nothing; they only have to be deterministic, finite, and different
for different prompts and seeds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import (
    AutoencoderKL,
    AutoencoderTiny,
    PNDMScheduler,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from transformers import CLIPTextConfig, CLIPTextModel

from export.korean_tokenizer import train_byte_level_bpe

log = logging.getLogger(__name__)

BOS_TOKEN = "<|startoftext|>"
EOS_TOKEN = "<|endoftext|>"
TEXT_MAX_LENGTH = 77  # CLIP's context; the pipelines pad every prompt to it.
# With default init the cross-attention output is small next to the residual stream, so two
# different prompts gave images only ~32 dB apart (seeds: ~13 dB). A gain of 4 on the attention
# output projection brings prompts to ~23 dB apart without saturating the images, so tests can
# tell a dropped or swapped prompt from numerical noise.
CROSS_ATTENTION_GAIN = 4.0


@dataclass(frozen=True)
class DiffusionSizes:
    """Sizes of one random checkpoint (:data:`TINY` or :data:`SMALL`)."""

    vocab_size: int
    text_hidden: int
    text_layers: int
    text_heads: int
    unet_channels: tuple[int, ...]
    unet_layers_per_block: int
    unet_heads: int
    latent_size: int
    vae_channels: tuple[int, ...]
    norm_groups: int


# Tiny: 64x64 images from 8x8 latents (four VAE blocks keep the real scale factor of 8), so the
# whole export + parity run takes seconds. Small: 256x256 images with a UNet big enough that it
# dominates CPU time like a real one does, for benchmarks.
TINY = DiffusionSizes(
    vocab_size=1000,
    text_hidden=32,
    text_layers=2,
    text_heads=4,
    unet_channels=(32, 64),
    unet_layers_per_block=1,
    unet_heads=4,
    latent_size=8,
    vae_channels=(8, 8, 16, 16),
    norm_groups=8,
)
SMALL = DiffusionSizes(
    vocab_size=2000,
    text_hidden=256,
    text_layers=4,
    text_heads=4,
    unet_channels=(64, 128, 256),
    unet_layers_per_block=2,
    unet_heads=8,
    latent_size=32,
    vae_channels=(32, 64, 64, 64),
    norm_groups=32,
)


def _amplify_cross_attention(unet: UNet2DConditionModel, gain: float) -> None:
    with torch.no_grad():
        for name, module in unet.named_modules():
            if name.endswith("attn2"):  # diffusers' name for the cross-attention of a block
                module.to_out[0].weight.mul_(gain)


def build_diffusion(dest: Path, seed: int = 0, *, sizes: DiffusionSizes = TINY) -> Path:
    """Save a random Stable Diffusion 1.x pipeline to ``dest``.

    Args:
        dest: Output directory (``StableDiffusionPipeline.save_pretrained`` layout).
        seed: Seed of the random weights.
        sizes: :data:`TINY` (64x64 images, the default) or :data:`SMALL` (256x256).

    Returns:
        ``dest``.
    """
    tokenizer = train_byte_level_bpe(
        vocab_size=sizes.vocab_size,
        special_tokens=[BOS_TOKEN, EOS_TOKEN],
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=EOS_TOKEN,  # CLIP pads with its end token, and so do the SD pipelines.
        model_max_length=TEXT_MAX_LENGTH,
    )
    torch.manual_seed(seed)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=sizes.text_hidden,
            intermediate_size=4 * sizes.text_hidden,
            projection_dim=sizes.text_hidden,
            num_hidden_layers=sizes.text_layers,
            num_attention_heads=sizes.text_heads,
            max_position_embeddings=TEXT_MAX_LENGTH,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    blocks = len(sizes.unet_channels)
    unet = UNet2DConditionModel(
        sample_size=sizes.latent_size,
        in_channels=4,
        out_channels=4,
        block_out_channels=sizes.unet_channels,
        layers_per_block=sizes.unet_layers_per_block,
        down_block_types=("CrossAttnDownBlock2D",) * (blocks - 1) + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * (blocks - 1),
        cross_attention_dim=sizes.text_hidden,
        attention_head_dim=sizes.unet_heads,
        norm_num_groups=sizes.norm_groups,
    )
    _amplify_cross_attention(unet, CROSS_ATTENTION_GAIN)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=sizes.vae_channels,
        down_block_types=("DownEncoderBlock2D",) * len(sizes.vae_channels),
        up_block_types=("UpDecoderBlock2D",) * len(sizes.vae_channels),
        layers_per_block=1,
        norm_num_groups=sizes.norm_groups,
        sample_size=sizes.latent_size * 2 ** (len(sizes.vae_channels) - 1),
    )
    # Stable Diffusion 1.5's own scheduler settings; the runtime derives its schedulers from them.
    # Its config also says ``clip_sample: false``, which PNDM does not take but DDIM, derived
    # from it, does (``from_config`` keeps the key): without it DDIM would clip every x0
    # prediction to [-1, 1], which latents are not bounded by.
    scheduler = PNDMScheduler.from_config(
        {
            "beta_start": 0.00085,
            "beta_end": 0.012,
            "beta_schedule": "scaled_linear",
            "num_train_timesteps": 1000,
            "set_alpha_to_one": False,
            "skip_prk_steps": True,
            "steps_offset": 1,
            "clip_sample": False,
        }
    )
    pipeline = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipeline.save_pretrained(dest)
    log.info("saved random diffusion pipeline to %s", dest)
    return dest


def build_lora(pipeline_dir: Path, dest: Path, *, rank: int = 4, seed: int = 0) -> Path:
    """Save a random LoRA for the UNet of the pipeline in ``pipeline_dir`` to ``dest``.

    Stands in for LCM-LoRA or Hyper-SD (same adapter format: PEFT LoRA on the attention
    projections, saved with ``save_lora_weights``); its up-projections are random, not zero,
    so fusing it changes every picture.

    Returns:
        ``dest``.
    """
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    pipeline = StableDiffusionPipeline.from_pretrained(pipeline_dir)
    unet = pipeline.unet
    unet.add_adapter(
        LoraConfig(
            r=rank,
            lora_alpha=rank,
            init_lora_weights="gaussian",
            target_modules=["to_q", "to_k", "to_v", "to_out.0"],
        )
    )
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in unet.named_parameters():
            if "lora_B" in name:  # PEFT starts B at zero: the LoRA would be a no-op
                parameter.copy_(0.2 * torch.randn(parameter.shape, generator=generator))
    StableDiffusionPipeline.save_lora_weights(
        dest, unet_lora_layers=get_peft_model_state_dict(unet), safe_serialization=True
    )
    log.info("saved random LoRA to %s", dest)
    return dest


def build_tiny_autoencoder(dest: Path, seed: int = 0, channels: int = 16) -> Path:
    """Save a random ``AutoencoderTiny`` (TAESD's architecture, narrower) to ``dest``.

    Four decoder stages keep TAESD's scale factor of 8 and its 4 latent channels.

    Returns:
        ``dest``.
    """
    torch.manual_seed(seed)
    AutoencoderTiny(
        encoder_block_out_channels=(channels,) * 4,
        decoder_block_out_channels=(channels,) * 4,
        num_encoder_blocks=(1, 1, 1, 1),
        num_decoder_blocks=(1, 1, 1, 1),
        latent_channels=4,
    ).save_pretrained(dest)
    log.info("saved random AutoencoderTiny to %s", dest)
    return dest
