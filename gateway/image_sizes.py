"""The picture sizes the exported model takes, and the request models bounded by them.

Heights and widths must be multiples of the UNet's down-sampling factor times the VAE's, up to
what export allows (``pipeline.json``). The gateway reads those bounds at start-up and builds its
request models from them, so that the OpenAPI schema says exactly what is accepted and both front
ends refuse a bad size with the same 422 before any work is admitted. Triton's ``diffusion``
model checks again (a gateway started against another export gets Triton's 400
``invalid_model_input`` with the reason).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import Field, create_model

from gateway.service_io import ImageOptions

Options = TypeVar("Options", bound=ImageOptions)

# The keys of pipeline.json this module reads (triton_models.diffusion_pipeline.PipelineSpec
# writes them; the gateway does not import it, which would load torch and diffusers).
_KEYS = ("size_multiple", "max_size", "default_height", "default_width")


class ImageSizesError(RuntimeError):
    """``pipeline.json`` is missing or lacks the sizes (the gateway cannot start)."""


@dataclass(frozen=True)
class ImageSizes:
    """What heights and widths the served diffusion model takes.

    Attributes:
        multiple: Every height and width is a multiple of this (and at least this).
        maximum: The largest height or width.
        default_height: The height drawn when a request names none.
        default_width: The width drawn when a request names none.
    """

    multiple: int
    maximum: int
    default_height: int
    default_width: int

    @classmethod
    def load(cls, path: Path) -> ImageSizes:
        """The sizes in an exported ``pipeline.json``.

        Raises:
            ImageSizesError: The file is missing, unreadable or lacks a size.
        """
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
            multiple, maximum, height, width = (int(spec[key]) for key in _KEYS)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ImageSizesError(
                f"cannot read the image sizes from {path} ({exc!r}); point "
                "CALLE_DIFFUSION_PIPELINE at the served export's diffusion/1/pipeline.json"
            ) from exc
        return cls(multiple, maximum, height, width)

    def bounded(self, model: type[Options]) -> type[Options]:
        """``model`` (:class:`ImageOptions` or a subclass) with its sizes limited to these.

        The same sizes and model give the same class, so both front ends validate with one.
        """
        return _bounded(self, model)


@functools.cache
def _bounded(sizes: ImageSizes, model: type[Options]) -> type[Options]:
    def size(default: int) -> object:
        return Field(
            None,
            ge=sizes.multiple,
            le=sizes.maximum,
            multiple_of=sizes.multiple,
            description=f"Pixels, a multiple of {sizes.multiple} up to {sizes.maximum}; "
            f"default {default}.",
        )

    bounded: type[Options] = create_model(  # type: ignore[call-overload]
        model.__name__,
        __base__=model,
        __module__=model.__module__,
        __doc__=model.__doc__,
        height=(int | None, size(sizes.default_height)),
        width=(int | None, size(sizes.default_width)),
    )
    return bounded
