"""Our engines in this process as a :class:`gateway.backend.Backend`, without Triton.

The summarizer is :class:`~triton_models.summarization.Summarizer` (CTranslate2) on the
exported ``summarizer/1``; the picture is
:class:`~triton_models.diffusion_pipeline.DiffusionRunner` on the graphs and engines the
tensor models' configs name (:func:`triton_models.local_diffusion.local_runner`), PNG encoded
as Triton's diffusion model does. The in-process reference (engine threads as one Triton
instance) and the best single-process peer (every core) of the benchmark are this backend.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from contract.repository import SUMMARIZER, version_dir
from contract.tensors import COMPUTE_TYPE, FIRST_SENTENCE_ONLY
from export.repository import configured_engines
from gateway.service_io import ImageRequest
from loadtest.local_backend import LocalBackend, summarizer_parameters
from triton_models.diffusion_pipeline import to_png
from triton_models.local_diffusion import local_runner
from triton_models.summarization import Summarizer


class InProcessBackend(LocalBackend):
    """The served models' engines and runtime code, called directly.

    Args:
        repository: An exported model repository.
        threads: Engine threads per graph and for the summarizer; ``None``: as one Triton
            instance (``CALLE_ORT_THREADS`` or 1 for the graphs, 1 for the summarizer).
    """

    def __init__(self, repository: Path, threads: int | None = None) -> None:
        super().__init__(repository, ThreadPoolExecutor(thread_name_prefix="in-process"))
        parameters = summarizer_parameters(repository)
        self.summarizer = Summarizer(
            version_dir(repository, SUMMARIZER),
            compute_type=parameters.get(COMPUTE_TYPE, "default"),
            threads=threads or 1,
            first_sentence_only=parameters.get(FIRST_SENTENCE_ONLY, "true") == "true",
        )
        self.runner = local_runner(repository, configured_engines(repository), threads=threads)

    def _summarize(self, dialogue: str) -> str:
        return self.summarizer.summarize([dialogue])[0].text

    def _draw(self, request: ImageRequest, seed: int) -> bytes:
        settings = self.runner.settings(
            steps=request.steps,
            guidance_scale=request.guidance_scale,
            height=request.height,
            width=request.width,
        )
        negative = [request.negative_prompt or ""]
        (image,) = self.runner.generate([request.prompt], [seed], settings, negative)
        return to_png(image)
