"""Configurations from flags and --compare specs."""

from __future__ import annotations

import pytest

from evaluation.configs import ConfigError, base_config, configurations, parse_compare

NO_DECODING = {"num_beams": None, "max_length": None, "no_repeat_ngram_size": None}


def triton_base(**decoding: int | None):
    return base_config(
        triton_url="127.0.0.1:8001",
        gateway_url=None,
        model="summarizer",
        decoding={**NO_DECODING, **decoding},
    )


def test_base_is_named_after_its_model_and_settings() -> None:
    assert triton_base().name == "summarizer"
    config = triton_base(num_beams=3)
    assert config.name == "summarizer num_beams=3"
    assert config.describe() == {
        "name": "summarizer num_beams=3",
        "target": "triton",
        "url": "127.0.0.1:8001",
        "model": "summarizer",
        "decoding": {"num_beams": 3},
    }


def test_compare_specs_build_on_the_base() -> None:
    base = triton_base(max_length=32)
    greedy, beam = configurations(base, ["num_beams=1", "num_beams=5, no_repeat_ngram_size=2"])
    assert greedy.name == "num_beams=1"
    assert greedy.decoding == {"max_length": 32, "num_beams": 1}
    assert beam.decoding == {"max_length": 32, "num_beams": 5, "no_repeat_ngram_size": 2}
    assert beam.triton_url == base.triton_url


def test_compare_other_servers_and_models() -> None:
    base = triton_base()
    other = parse_compare("name=new,triton_url=10.0.0.6:8001,model=summarizer_v2", base)
    assert (other.name, other.triton_url, other.model) == ("new", "10.0.0.6:8001", "summarizer_v2")
    gateway = parse_compare("name=gw,gateway_url=http://localhost:8080", base)
    assert gateway.triton_url is None
    assert gateway.describe() == {"name": "gw", "target": "gateway", "url": "http://localhost:8080"}


def test_no_compare_means_the_base_alone() -> None:
    base = triton_base()
    assert configurations(base, []) == [base]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("beams=2", "unknown key 'beams'"),
        ("num_beams", "expected KEY=VALUE"),
        ("num_beams=", "expected KEY=VALUE"),
        ("num_beams=two", "must be an integer"),
        ("max_length=-1", "must not be negative"),
        (" , ", "at least one"),
        ("gateway_url=http://gw,num_beams=2", "gateway does not take decoding settings"),
    ],
)
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_compare(spec, triton_base())


def test_names_must_differ() -> None:
    with pytest.raises(ConfigError, match="names repeat"):
        configurations(triton_base(), ["name=a,num_beams=1", "name=a,num_beams=2"])


def test_gateway_base_refuses_decoding_settings() -> None:
    with pytest.raises(ConfigError, match="gateway does not take"):
        base_config(
            triton_url=None,
            gateway_url="http://localhost:8080",
            model="summarizer",
            decoding={**NO_DECODING, "num_beams": 2},
        )
