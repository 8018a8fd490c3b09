"""The exported tiny repository served by a real tritonserver, spoken to with tritonclient."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from PIL import Image
from tritonclient.utils import InferenceServerException

from calle.triton import TritonServer
from contract.rejections import rejection_reason
from contract.repository import SUMMARIZER, version_dir
from triton_models.summarization import Summarizer

DIALOGUE = "P01: 내일 몇 시에 만나?\nP02: 세 시 어때? 역 앞에서 보자.\nP03: 좋아 ㅎㅎ"


def text_input(name: str, values: list[str | bytes]) -> grpcclient.InferInput:
    rows = [[v.encode() if isinstance(v, str) else v] for v in values]
    tensor = grpcclient.InferInput(name, [len(rows), 1], "BYTES")
    tensor.set_data_from_numpy(np.array(rows, dtype=np.object_))
    return tensor


def int_input(name: str, value: int) -> grpcclient.InferInput:
    tensor = grpcclient.InferInput(name, [1, 1], "INT32")
    tensor.set_data_from_numpy(np.array([[value]], dtype=np.int32))
    return tensor


@pytest.fixture(scope="module")
def client(triton_server: TritonServer):
    with grpcclient.InferenceServerClient(triton_server.grpc_url) as client:
        yield client


@pytest.mark.parametrize("num_beams", [5, 1], ids=["beam", "greedy"])
def test_summarizer_equals_the_exported_engine_in_process(
    client, tiny_repository: Path, num_beams: int
) -> None:
    """Triton serves what the export checked (float32 fidelity: tests/export)."""
    exported = Summarizer(version_dir(tiny_repository, SUMMARIZER), threads=1)
    (expected,) = exported.summarize([DIALOGUE], exported.decoding.overridden(num_beams=num_beams))
    result = client.infer(
        "summarizer",
        [text_input("dialogue", [DIALOGUE]), int_input("num_beams", num_beams)],
    )
    assert result.as_numpy("token_ids")[0].tolist() == expected.token_ids
    assert result.as_numpy("summary")[0][0].decode() == expected.text
    assert len(expected.token_ids) > 3  # a real decode, not an immediate EOS


CONCURRENT_DIALOGUES = [f"P01: 오늘 {n}시에 만나?\nP02: 좋아 {n}번 출구에서 보자" for n in range(8)]


def _summarize(url: str, dialogue: str, num_beams: int | None) -> list[int]:
    inputs = [text_input("dialogue", [dialogue])]
    if num_beams is not None:
        inputs.append(int_input("num_beams", num_beams))
    with grpcclient.InferenceServerClient(url) as own:
        return own.infer("summarizer", inputs).as_numpy("token_ids")[0].tolist()


def _counts(client) -> tuple[int, int]:
    (stats,) = client.get_inference_statistics("summarizer").model_stats
    return stats.inference_count, stats.execution_count


def _settled_counts(client, quiet_s: float = 0.2, timeout_s: float = 10.0) -> tuple[int, int]:
    """The summarizer's counts once they stop moving.

    Triton records a request's statistics when it releases the request, which can be after the
    client has its response: read at once, the last request may not be counted yet.
    """
    deadline = time.monotonic() + timeout_s
    counts = _counts(client)
    while time.monotonic() < deadline:
        time.sleep(quiet_s)
        latest = _counts(client)
        if latest == counts:
            return counts
        counts = latest
    raise AssertionError(f"the summarizer's statistics kept changing for {timeout_s} s")


@pytest.mark.parametrize("beams", [[None] * 8, [5, 1] * 4], ids=["same", "mixed-settings"])
def test_concurrent_summaries_are_batched_and_equal_single_ones(
    client, triton_server: TritonServer, beams: list[int | None]
) -> None:
    """8 requests at once run in fewer executions; each output is what it gets alone.

    With mixed settings in one batch, the model decodes each group of settings on its own.
    (Requests batch only when they send the same inputs: an optional input sent by some and
    not others keeps them apart, so the mixed case sends ``num_beams`` in every request.)
    """
    url = triton_server.grpc_url
    alone = [_summarize(url, d, b) for d, b in zip(CONCURRENT_DIALOGUES, beams, strict=True)]
    inferences, executions = _settled_counts(client)
    with ThreadPoolExecutor(len(CONCURRENT_DIALOGUES)) as pool:
        together = list(pool.map(_summarize, [url] * 8, CONCURRENT_DIALOGUES, beams))
    after_inferences, after_executions = _settled_counts(client)
    assert after_inferences - inferences == 8
    assert after_executions - executions < 8
    assert together == alone


def test_chat_to_image_returns_summary_and_png(client) -> None:
    result = client.infer("chat_to_image", [text_input("dialogue", [DIALOGUE])])
    assert result.as_numpy("summary")[0][0]
    image = Image.open(io.BytesIO(result.as_numpy("image")[0][0]))
    assert image.format == "PNG"
    assert image.size[0] > 0


def test_bad_input_gets_an_error_and_the_server_keeps_serving(client) -> None:
    with pytest.raises(InferenceServerException, match="must be UTF-8") as error:
        client.infer("summarizer", [text_input("dialogue", [b"\xff\xfe broken"])])
    # Raised so that Triton counts it as a failure (triton_models.failures): INTERNAL, with
    # the rejection marked so that clients still tell the input's fault from the server's.
    assert error.value.status() == "StatusCode.INTERNAL"
    assert rejection_reason(error.value.message()) == "input 'dialogue' must be UTF-8 text"
    with pytest.raises(InferenceServerException, match="'num_beams' must be between 1 and 16"):
        client.infer("summarizer", [text_input("dialogue", [DIALOGUE]), int_input("num_beams", 99)])
    with pytest.raises(InferenceServerException, match="dialogue' is empty"):
        client.infer("summarizer", [text_input("dialogue", ["   "])])
    assert client.infer("summarizer", [text_input("dialogue", [DIALOGUE])]).as_numpy("summary")
