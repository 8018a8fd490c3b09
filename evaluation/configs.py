"""Summarizer configurations: where dialogues are sent and how they are decoded.

One run scores one or more configurations on the same data, one column each. The base
configuration comes from the flags (``--triton-url`` or ``--gateway-url``, ``--model``,
``--num-beams``, ...). Each ``--compare SPEC`` adds a configuration that starts from the base and
changes what SPEC says, as ``key=value`` pairs separated by commas:

- ``num_beams``, ``max_length``, ``no_repeat_ngram_size``: decoding settings sent with every
  request (the summarizer's optional inputs; Triton only, the gateway does not take them);
- ``triton_url`` (``host:port``) or ``gateway_url`` (``http://host:port``): another server, for
  instance one that serves another checkpoint;
- ``model``: another Triton model name (a second summarizer in the same repository);
- ``name``: the column's label (the SPEC itself by default).

For example ``--compare num_beams=1 --compare num_beams=5`` or
``--compare name=old,triton_url=10.0.0.5:8001 --compare name=new,triton_url=10.0.0.6:8001``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from contract.repository import SUMMARIZER
from contract.tensors import MAX_LENGTH, NO_REPEAT_NGRAM_SIZE, NUM_BEAMS

# The summarizer's optional inputs a configuration may set.
DECODING_KEYS = (NUM_BEAMS, MAX_LENGTH, NO_REPEAT_NGRAM_SIZE)
_SERVER_KEYS = ("triton_url", "gateway_url", "model", "name")


class ConfigError(ValueError):
    """A configuration cannot be used as written."""


@dataclass(frozen=True)
class SummarizerConfig:
    """One summarizer configuration.

    Attributes:
        name: The label of its column and its rows in ``examples.jsonl``.
        triton_url: Triton's gRPC ``host:port``, when the target is Triton.
        gateway_url: The gateway's base URL, when the target is the gateway.
        model: The Triton model to call.
        decoding: Decoding settings sent with each request; unset ones keep the model's
            exported defaults.
    """

    name: str
    triton_url: str | None = None
    gateway_url: str | None = None
    model: str = SUMMARIZER
    decoding: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.triton_url is None) == (self.gateway_url is None):
            raise ConfigError(f"{self.name}: give exactly one of a Triton URL and a gateway URL")
        if self.gateway_url is not None and self.decoding:
            raise ConfigError(
                f"{self.name}: the gateway does not take decoding settings; "
                "evaluate them against Triton (--triton-url)"
            )

    def describe(self) -> dict[str, Any]:
        """What the report records about this configuration."""
        if self.gateway_url is not None:
            return {"name": self.name, "target": "gateway", "url": self.gateway_url}
        return {
            "name": self.name,
            "target": "triton",
            "url": self.triton_url,
            "model": self.model,
            "decoding": dict(self.decoding),
        }


def base_config(
    *,
    triton_url: str | None,
    gateway_url: str | None,
    model: str,
    decoding: Mapping[str, int | None],
) -> SummarizerConfig:
    """The configuration the flags describe, named after its target and settings."""
    settings = {key: value for key, value in decoding.items() if value is not None}
    name = "gateway" if gateway_url is not None else model
    if settings:
        name += " " + ",".join(f"{key}={value}" for key, value in settings.items())
    return SummarizerConfig(
        name=name, triton_url=triton_url, gateway_url=gateway_url, model=model, decoding=settings
    )


def parse_compare(spec: str, base: SummarizerConfig) -> SummarizerConfig:
    """The configuration ``spec`` describes on top of ``base``.

    Raises:
        ConfigError: A key is unknown, a value is missing or not a number where one is needed,
            or the result has decoding settings but targets the gateway.
    """
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key, sep, value = (text.strip() for text in item.partition("="))
        if not sep or not value:
            raise ConfigError(f"--compare {spec!r}: expected KEY=VALUE, got {item!r}")
        if key not in DECODING_KEYS + _SERVER_KEYS:
            known = ", ".join(DECODING_KEYS + _SERVER_KEYS)
            raise ConfigError(f"--compare {spec!r}: unknown key {key!r} (known: {known})")
        pairs[key] = value
    if not pairs:
        raise ConfigError("--compare needs at least one KEY=VALUE")
    decoding = dict(base.decoding)
    for key in DECODING_KEYS:
        if key in pairs:
            decoding[key] = _integer(pairs[key], key, spec)
    triton_url, gateway_url = base.triton_url, base.gateway_url
    if "triton_url" in pairs:
        triton_url, gateway_url = pairs["triton_url"], None
    if "gateway_url" in pairs:
        triton_url, gateway_url = None, pairs["gateway_url"]
    return replace(
        base,
        name=pairs.get("name", spec.strip()),
        triton_url=triton_url,
        gateway_url=gateway_url,
        model=pairs.get("model", base.model),
        decoding=decoding,
    )


def configurations(base: SummarizerConfig, specs: Sequence[str]) -> list[SummarizerConfig]:
    """The base alone, or one configuration per ``--compare`` spec.

    Raises:
        ConfigError: A spec is malformed or two configurations share a name.
    """
    configs = [parse_compare(spec, base) for spec in specs] or [base]
    names = [config.name for config in configs]
    if len(set(names)) != len(names):
        raise ConfigError("configuration names repeat; set name=... in --compare")
    return configs


def _integer(value: str, key: str, spec: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"--compare {spec!r}: {key} must be an integer") from None
    if number < 0:
        raise ConfigError(f"--compare {spec!r}: {key} must not be negative")
    return number
