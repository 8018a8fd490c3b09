"""Export a diffusers Stable Diffusion 1.x/2.x pipeline into the served model repository.

Three ONNX graphs (text encoder, UNet, VAE decoder) go next to their Triton model folders, and
the ``diffusion`` model's folder gets what its scheduler loop needs (tokenizer, scheduler config,
``pipeline.json``). Every graph is compared with the PyTorch module it came from on shapes and
contents other than the traced ones; the caller writes the report and enforces the tolerances.

Each graph is checked on the engine and precision it will be served with
(:mod:`triton_models.tensor_engines`, chosen by :mod:`export.engines`), with a tolerance per
precision, and the whole pipeline draws an image that must match diffusers' float32 pipeline
(:mod:`export.diffusion_image_check`).

Graph inputs and outputs stay float32 even with ``fp16=True``: the fp16 weights and arithmetic
sit inside the graph behind casts (like ``keep_io_types`` in ONNX float16 converters), so the
Triton configs, the BLS calls and the NGC onnxruntime backend see the same tensors either way.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from diffusers import AutoencoderTiny, StableDiffusionPipeline
from torch.export import Dim
from tqdm.auto import tqdm

from contract.repository import (
    DIFFUSION,
    DIFFUSION_TOKENIZER_DIR,
    PIPELINE_FILE,
    SCHEDULER_DIR,
    TENSOR_MODELS,
    TEXT_ENCODER,
    UNET,
    VAE_DECODER,
    diffusion_pipeline,
    graph_file,
    version_dir,
)
from contract.tensors import (
    TEXT_ENCODER_INPUT,
    TEXT_ENCODER_OUTPUT,
    UNET_INPUTS,
    UNET_OUTPUT,
    VAE_DECODER_INPUT,
    VAE_DECODER_OUTPUT,
)
from export.engines import choose_static_batches
from export.onnx_graph import export_graph, fuse_for_onnxruntime
from export.parity import ParityResult
from triton_models.diffusion_pipeline import SCHEDULERS, PipelineSpec
from triton_models.tensor_engines import (
    BF16,
    ONNXRUNTIME,
    EngineChoice,
    StaticShapes,
    create_engine,
)

log = logging.getLogger(__name__)

DEFAULT_SCHEDULER = "dpmsolver++"
DEFAULT_GUIDANCE_SCALE = 7.5

# Max abs difference allowed between the served engine and the float32 PyTorch module, per graph:
# (float32, float16 graph, bf16 compute). Outputs are O(1) (layer-normed text states,
# unit-variance noise, images in [-1, 1]); float32 graphs were seen within ~1e-5 (tiny preset),
# so 1e-3 still flags any translation error (the legacy exporter's BART was off by 3.2).
# Float16 graphs carry fp16 rounding through every layer (~5e-3 on the tiny preset); CLIP's text
# states reach ~30 in a few dims, where one fp16 step is 0.016, hence the looser text and VAE
# bounds. bf16 keeps 8 mantissa bits to fp16's 11 (8x the rounding step), hence twice the fp16
# bounds; a bf16 graph must also pass the end-to-end image check (PSNR), which is what matters.
TOLERANCES: dict[str, tuple[float, float, float]] = {
    TEXT_ENCODER: (1e-3, 1e-1, 2e-1),
    UNET: (1e-3, 5e-2, 1e-1),
    VAE_DECODER: (2e-3, 1e-1, 2e-1),
}


class UnsupportedPipelineError(ValueError):
    """The checkpoint uses a feature the exported graphs or the runtime loop do not model."""


@dataclass(frozen=True)
class DiffusionSource:
    """What the served pipeline is made of.

    Attributes:
        pipeline: Hub id or local directory of a diffusers ``StableDiffusionPipeline``.
        lora: Hub id or local directory of a LoRA for its UNet/text encoder (e.g. LCM-LoRA,
            Hyper-SD), fused into the weights before export.
        lora_scale: Weight of the fused LoRA.
        tiny_vae: Hub id or local directory of an ``AutoencoderTiny`` (TAESD) whose decoder is
            exported as ``vae_decoder`` in place of the pipeline's VAE.
    """

    pipeline: str
    lora: str | None = None
    lora_scale: float = 1.0
    tiny_vae: str | None = None

    def describe(self) -> str:
        """One line for ``pipeline.json``'s ``source``."""
        parts = [self.pipeline]
        if self.lora:
            parts.append(f"LoRA {self.lora} x{self.lora_scale:g} (fused)")
        if self.tiny_vae:
            parts.append(f"decoder AutoencoderTiny {self.tiny_vae}")
        return " + ".join(parts)


class TextEncoderGraph(torch.nn.Module):
    """``input_ids`` -> ``last_hidden_state`` (float32), as the SD pipelines call the encoder."""

    def __init__(self, text_encoder: torch.nn.Module) -> None:
        super().__init__()
        self.text_encoder = text_encoder

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Run the encoder; the cast is a no-op for float32 weights."""
        return self.text_encoder(input_ids, return_dict=False)[0].float()


class UNetGraph(torch.nn.Module):
    """Noise prediction with a per-sample float timestep, so Triton can batch any steps."""

    def __init__(self, unet: torch.nn.Module) -> None:
        super().__init__()
        self.unet = unet

    def forward(
        self, sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor
    ) -> torch.Tensor:
        """Predict the noise; float32 in and out whatever the weights' precision."""
        dtype = self.unet.dtype  # the timestep stays float32: fp16 would round 999.5 etc.
        return self.unet(
            sample.to(dtype), timestep, encoder_hidden_states.to(dtype), return_dict=False
        )[0].float()


class VaeDecoderGraph(torch.nn.Module):
    """Latents (already divided by the scaling factor, as diffusers does) -> images in [-1, 1]."""

    def __init__(self, vae: torch.nn.Module) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, latent_sample: torch.Tensor) -> torch.Tensor:
        """Decode; float32 in and out whatever the weights' precision."""
        return self.vae.decode(latent_sample.to(self.vae.dtype), return_dict=False)[0].float()


@dataclass(frozen=True)
class DiffusionExport:
    """What :func:`export_diffusion` wrote and checked.

    Attributes:
        engines: Engine per tensor model as served (the unet's static shapes included).
        parity: One parity result per graph.
    """

    engines: dict[str, EngineChoice]
    parity: list[ParityResult]


@dataclass
class _Graph:
    """One graph to export: its module wrapper, example inputs and parity inputs."""

    name: str
    wrap: type[torch.nn.Module]
    module: torch.nn.Module
    input_names: tuple[str, ...]
    output_name: str
    trace_args: tuple[torch.Tensor, ...]
    dynamic_shapes: dict[str, dict[int, Any]]
    parity_args: list[tuple[torch.Tensor, ...]]


def export_diffusion(
    source: str | Path | DiffusionSource,
    repository: Path,
    *,
    fp16: bool = False,
    engines: Mapping[str, EngineChoice] | None = None,
    fuse_attention: bool = False,
    default_steps: int = 25,
    default_scheduler: str = DEFAULT_SCHEDULER,
    default_guidance_scale: float = DEFAULT_GUIDANCE_SCALE,
    unet_static_batches: tuple[int, ...] | None = (),
    progress: bool = True,
) -> DiffusionExport:
    """Export a Stable Diffusion pipeline's graphs and runtime files into ``repository``.

    Args:
        source: Hub id or local directory of a diffusers ``StableDiffusionPipeline``, or a
            :class:`DiffusionSource` (with a LoRA to fuse, a tiny VAE decoder).
        repository: The served model repository; writes ``text_encoder/1/model.onnx``,
            ``unet/1/model.onnx``, ``vae_decoder/1/model.onnx`` and ``diffusion/1/{tokenizer/,
            scheduler/scheduler_config.json, pipeline.json}``. Graphs over 2 GB get their
            weights in ``model.onnx.data`` beside them.
        fp16: Store weights and compute in float16 (for GPU serving); inputs and outputs stay
            float32. Parity is then checked against the float32 modules with looser tolerances.
        engines: Engine and precision per graph (default ONNX Runtime float32); parity runs on
            them.
        fuse_attention: Give the unet ONNX Runtime's fused attention kernels
            (:func:`export.onnx_graph.fuse_for_onnxruntime`) when ONNX Runtime serves it
            (OpenVINO does not read ``com.microsoft`` ops).
        default_steps: Denoising steps of a request that names none.
        default_scheduler: Scheduler of a request that names none (few-step models: ``lcm``,
            ``euler_a_trailing``, ``tcd``).
        default_guidance_scale: Guidance scale of a request that names none (1: unguided, as
            few-step models are run).
        unet_static_batches: Batch sizes an OpenVINO unet is compiled for at the default image
            size (``None``: :func:`export.engines.choose_static_batches` decides; ``()``: none).
        progress: Show a progress bar over the graphs.

    Returns:
        The engines as served and one parity result per graph (see
        :func:`check_diffusion_parity`); the caller writes the report and calls
        ``require_parity``.
    """
    engines = _engines(engines)
    source = _as_source(source)
    pipeline = load_pipeline(source)
    if default_scheduler not in SCHEDULERS:
        raise ValueError(f"default scheduler must be one of {', '.join(sorted(SCHEDULERS))}")
    spec = dataclasses.replace(
        _pipeline_spec(pipeline, source.describe(), fp16=fp16, default_steps=default_steps),
        default_scheduler=default_scheduler,
        default_guidance_scale=float(default_guidance_scale),
    )
    runtime_dir = version_dir(repository, DIFFUSION)
    pipeline.tokenizer.save_pretrained(runtime_dir / DIFFUSION_TOKENIZER_DIR)
    pipeline.scheduler.save_config(runtime_dir / SCHEDULER_DIR)
    spec.save(runtime_dir / PIPELINE_FILE)
    log.info("wrote diffusion runtime files to %s", runtime_dir)

    graphs = _graphs(pipeline, spec)
    for graph in tqdm(graphs, desc="diffusion export", unit="graph", disable=not progress):
        log.info("exporting %s%s", graph.name, " (fp16)" if fp16 else "")
        # A float16 copy keeps the float32 module intact as the parity reference.
        module = copy.deepcopy(graph.module).half() if fp16 else graph.module
        export_graph(
            graph.wrap(module),
            graph.trace_args,
            graph_file(repository, graph.name),
            input_names=graph.input_names,
            output_names=(graph.output_name,),
            dynamic_shapes=graph.dynamic_shapes,
        )
        if fuse_attention and graph.name == UNET and engines[UNET].engine == ONNXRUNTIME:
            fuse_for_onnxruntime(graph_file(repository, graph.name))
    sizes, reason = choose_static_batches(
        unet_static_batches, engines[UNET], graph_bytes(graph_file(repository, UNET))
    )
    if sizes:
        engines[UNET] = dataclasses.replace(engines[UNET], static=unet_static_shapes(spec, sizes))
    log.info("unet static batch sizes: %s (%s)", ",".join(map(str, sizes)) or "none", reason)
    return DiffusionExport(engines, check_diffusion_parity(pipeline, repository, engines))


def unet_static_shapes(spec: PipelineSpec, batch_sizes: tuple[int, ...]) -> StaticShapes:
    """The unet's inputs at the default image size, for ``batch_sizes`` rows."""
    latent = (
        spec.latent_channels,
        spec.default_height // spec.vae_scale_factor,
        spec.default_width // spec.vae_scale_factor,
    )
    sample, timestep, text = UNET_INPUTS
    rows = ((sample, latent), (timestep, ()), (text, (spec.text_max_length, spec.hidden_size)))
    return StaticShapes(batch_sizes, rows)


def graph_bytes(path: Path) -> int:
    """A graph's size on disk, its external weights (``model.onnx.data``) included."""
    data = path.with_name(path.name + ".data")
    return path.stat().st_size + (data.stat().st_size if data.exists() else 0)


def load_pipeline(source: str | Path | DiffusionSource) -> StableDiffusionPipeline:
    """Load a float32 pipeline without its safety checker, refusing what export cannot model.

    A LoRA is loaded with diffusers' ``load_lora_weights`` and fused into the weights
    (``fuse_lora``), so the exported graphs are plain UNet/text-encoder graphs; a tiny VAE
    replaces the pipeline's VAE before the pipeline is built (its scale factor is the tiny
    one's).

    Raises:
        UnsupportedPipelineError: Not a plain SD 1.x/2.x text-to-image pipeline.
    """
    source = _as_source(source)
    components = {}
    if source.tiny_vae:
        components["vae"] = AutoencoderTiny.from_pretrained(source.tiny_vae, dtype=torch.float32)
    pipeline = StableDiffusionPipeline.from_pretrained(
        source.pipeline,
        dtype=torch.float32,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
        **components,
    )
    if source.lora:
        pipeline.load_lora_weights(source.lora, adapter_name="export")
        pipeline.fuse_lora(lora_scale=source.lora_scale, adapter_names=["export"])
        pipeline.unload_lora_weights()  # the fused weights stay; the adapter layers go
        log.info("fused LoRA %s (scale %g)", source.lora, source.lora_scale)
    _check_supported(pipeline)
    return pipeline


def _as_source(source: str | Path | DiffusionSource) -> DiffusionSource:
    return source if isinstance(source, DiffusionSource) else DiffusionSource(str(source))


def check_diffusion_parity(
    pipeline: StableDiffusionPipeline,
    repository: Path,
    engines: Mapping[str, EngineChoice] | None = None,
) -> list[ParityResult]:
    """Compare the exported graphs in ``repository`` with ``pipeline``'s float32 modules.

    Each graph runs on the engine it is served with (``engines``, default ONNX Runtime float32)
    on inputs other than the traced ones (other batch sizes, spatial sizes, token contents and
    timesteps); tolerances are :data:`TOLERANCES`, picked by the graph precision recorded in
    ``pipeline.json`` and the engine's compute precision.
    """
    engines = _engines(engines)
    spec = PipelineSpec.load(diffusion_pipeline(repository))
    results = []
    for graph in _graphs(pipeline, spec):
        choice = engines[graph.name]
        column = 1 if spec.dtype == "float16" else 2 if choice.precision == BF16 else 0
        result = ParityResult(graph.name, TOLERANCES[graph.name][column], engine=str(choice))
        engine = create_engine(
            graph_file(repository, graph.name), choice, threads=os.cpu_count() or 1
        )
        reference = graph.wrap(graph.module).eval()
        for args in graph.parity_args:
            with torch.no_grad():
                expected = reference(*args).numpy()
            feeds = {name: a.numpy() for name, a in zip(graph.input_names, args, strict=True)}
            actual = engine.run([graph.output_name], feeds)[0]
            shapes = {name: list(feeds[name].shape) for name in graph.input_names}
            case = result.add(shapes, [expected], [actual])
            log.info(
                "parity %s (%s) %s: max abs diff %.3g",
                graph.name,
                choice,
                shapes,
                case.max_abs_diff,
            )
        results.append(result)
    return results


def _engines(engines: Mapping[str, EngineChoice] | None) -> dict[str, EngineChoice]:
    engines = dict(engines or {})
    return {name: engines.get(name, EngineChoice()) for name in TENSOR_MODELS}


def _check_supported(pipeline: StableDiffusionPipeline) -> None:
    unet, vae, text_encoder = pipeline.unet, pipeline.vae, pipeline.text_encoder
    problems = []
    if unet.config.time_cond_proj_dim is not None:
        problems.append("the UNet takes a guidance embedding (LCM-style time_cond_proj_dim)")
    if unet.config.addition_embed_type is not None:
        problems.append(f"the UNet needs added conditions ({unet.config.addition_embed_type})")
    if unet.config.in_channels != vae.config.latent_channels:
        problems.append(
            f"the UNet takes {unet.config.in_channels} channels, not the VAE's "
            f"{vae.config.latent_channels} (inpainting/depth checkpoints)"
        )
    if getattr(text_encoder.config, "use_attention_mask", False):
        problems.append("the text encoder needs an attention mask")
    if getattr(vae.config, "shift_factor", None):  # AutoencoderTiny has 0.0: no shift
        problems.append("the VAE has a latent shift factor")
    max_positions = text_encoder.config.max_position_embeddings
    if pipeline.tokenizer.model_max_length > max_positions:
        problems.append(
            f"the tokenizer pads to {pipeline.tokenizer.model_max_length} tokens but the text "
            f"encoder reads at most {max_positions}"
        )
    if problems:
        raise UnsupportedPipelineError(
            "not a plain Stable Diffusion 1.x/2.x text-to-image pipeline: " + "; ".join(problems)
        )


def _pipeline_spec(
    pipeline: StableDiffusionPipeline, source: str, *, fp16: bool, default_steps: int
) -> PipelineSpec:
    unet, factor = pipeline.unet, pipeline.vae_scale_factor
    sample = unet.config.sample_size
    latent_height, latent_width = (sample, sample) if isinstance(sample, int) else sample
    height, width = latent_height * factor, latent_width * factor
    return PipelineSpec(
        default_height=height,
        default_width=width,
        size_multiple=factor * 2**unet.num_upsamplers,
        max_size=2 * max(height, width),
        latent_channels=unet.config.in_channels,
        vae_scale_factor=factor,
        vae_scaling_factor=float(pipeline.vae.config.scaling_factor),
        text_max_length=int(pipeline.tokenizer.model_max_length),
        hidden_size=int(pipeline.text_encoder.config.hidden_size),
        default_steps=default_steps,
        default_guidance_scale=DEFAULT_GUIDANCE_SCALE,
        default_scheduler=DEFAULT_SCHEDULER,
        dtype="float16" if fp16 else "float32",
        source=source,
    )


def _graphs(pipeline: StableDiffusionPipeline, spec: PipelineSpec) -> list[_Graph]:
    """Tracing and parity inputs: parity uses other batch sizes, sizes and contents.

    Traced with batch 2 at the default latent size; checked at batch 1 (default size) and
    batch 3 at a smaller, non-square size, so neither dim can have been baked in.
    """
    gen = torch.Generator().manual_seed(0)
    batch = Dim("batch", min=1)
    length = spec.text_max_length
    vocab = pipeline.text_encoder.config.vocab_size
    channels = spec.latent_channels
    height = spec.default_height // spec.vae_scale_factor
    width = spec.default_width // spec.vae_scale_factor
    step = spec.size_multiple // spec.vae_scale_factor  # the UNet's down-sampling factor
    small_h, small_w = max(step, height // 2 // step * step), width // 2 // step * step + step
    cross = pipeline.unet.config.cross_attention_dim

    def ids(rows: int, tokens: int) -> torch.Tensor:
        return torch.randint(0, vocab, (rows, tokens), generator=gen)

    def noise(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen)

    def timesteps(*values: float) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.float32)

    prompts = ["친구들이 부산 바다 앞에서 함께 웃고 있는 따뜻한 그림", ""]
    tokenized = pipeline.tokenizer(
        prompts, padding="max_length", max_length=length, truncation=True, return_tensors="pt"
    ).input_ids
    return [
        _Graph(
            name=TEXT_ENCODER,
            wrap=TextEncoderGraph,
            module=pipeline.text_encoder,
            input_names=(TEXT_ENCODER_INPUT,),
            output_name=TEXT_ENCODER_OUTPUT,
            trace_args=(tokenized,),
            dynamic_shapes={
                TEXT_ENCODER_INPUT: {
                    0: batch,
                    1: Dim(
                        "sequence", min=1, max=pipeline.text_encoder.config.max_position_embeddings
                    ),
                }
            },
            parity_args=[(tokenized[:1],), (ids(3, length),), (ids(2, max(1, length // 4)),)],
        ),
        _Graph(
            name=UNET,
            wrap=UNetGraph,
            module=pipeline.unet,
            input_names=UNET_INPUTS,
            output_name=UNET_OUTPUT,
            trace_args=(
                noise(2, channels, height, width),
                timesteps(999, 1),
                noise(2, length, cross),
            ),
            dynamic_shapes={
                UNET_INPUTS[0]: {
                    0: batch,
                    2: step * Dim("latent_height", min=1),
                    3: step * Dim("latent_width", min=1),
                },
                UNET_INPUTS[1]: {0: batch},
                UNET_INPUTS[2]: {0: batch, 1: Dim("sequence", min=1)},
            },
            parity_args=[
                (noise(1, channels, height, width), timesteps(981), noise(1, length, cross)),
                # The default size in 3 rows: a static-shape unet runs it as 2 + 1 or padded.
                (
                    noise(3, channels, height, width),
                    timesteps(999, 500.25, 1),
                    noise(3, length, cross),
                ),
                (
                    noise(3, channels, small_h, small_w),
                    timesteps(0.5, 500.25, 999),
                    noise(3, length, cross),
                ),
            ],
        ),
        _Graph(
            name=VAE_DECODER,
            wrap=VaeDecoderGraph,
            module=pipeline.vae,
            input_names=(VAE_DECODER_INPUT,),
            output_name=VAE_DECODER_OUTPUT,
            trace_args=(noise(2, channels, height, width),),
            dynamic_shapes={
                VAE_DECODER_INPUT: {
                    0: batch,
                    2: Dim("latent_height", min=1),
                    3: Dim("latent_width", min=1),
                }
            },
            parity_args=[
                (noise(1, channels, height, width),),
                (noise(3, channels, small_h, small_w),),
            ],
        ),
    ]
