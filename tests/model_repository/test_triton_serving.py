"""The exported tiny repository served by a real tritonserver, spoken to with tritonclient."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from PIL import Image
from transformers import BartForConditionalGeneration
from tritonclient.utils import InferenceServerException

from calle.triton import TritonServer
from model_repository.onnx_bart import Summarizer

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
def test_summarizer_equals_pytorch_generate(
    client, tiny_repository: Path, summarizer_checkpoint: Path, num_beams: int
) -> None:
    exported = Summarizer(tiny_repository / "summarizer" / "1")
    model = BartForConditionalGeneration.from_pretrained(summarizer_checkpoint).eval()
    expected = model.generate(
        **exported.encode([DIALOGUE]), **exported.generate_kwargs(num_beams=num_beams)
    )[0].tolist()
    result = client.infer(
        "summarizer",
        [text_input("dialogue", [DIALOGUE]), int_input("num_beams", num_beams)],
    )
    ids = result.as_numpy("token_ids")[0].tolist()
    assert ids[: len(expected)] == expected
    assert set(ids[len(expected) :]) <= {exported.settings["pad_token_id"]}
    expected_text = exported.summarize([DIALOGUE], num_beams=num_beams)[0].text
    assert result.as_numpy("summary")[0][0].decode() == expected_text


def test_token_count_measures_with_the_summarizer_tokenizer(client, tiny_repository: Path) -> None:
    tokenizer = Summarizer(tiny_repository / "summarizer" / "1").tokenizer
    lines = ["P01: 내일 몇 시에 만나?", "P02: 세 시 어때?", "P03: ㅋㅋ"]
    result = client.infer("token_count", [text_input("text", lines)])
    expected = [len(tokenizer(line, add_special_tokens=False)["input_ids"]) for line in lines]
    assert result.as_numpy("tokens").reshape(-1).tolist() == expected
    assert set(result.as_numpy("budget").reshape(-1).tolist()) == {512}


def test_chat_to_image_returns_summary_and_png(client) -> None:
    result = client.infer("chat_to_image", [text_input("dialogue", [DIALOGUE])])
    assert result.as_numpy("summary")[0][0]
    image = Image.open(io.BytesIO(result.as_numpy("image")[0][0]))
    assert image.format == "PNG"
    assert image.size[0] > 0


def test_bad_input_gets_an_error_and_the_server_keeps_serving(client) -> None:
    with pytest.raises(InferenceServerException, match="must be UTF-8") as error:
        client.infer("summarizer", [text_input("dialogue", [b"\xff\xfe broken"])])
    assert error.value.status() == "StatusCode.INVALID_ARGUMENT"
    with pytest.raises(InferenceServerException, match="'num_beams' must be between 1 and 16"):
        client.infer("summarizer", [text_input("dialogue", [DIALOGUE]), int_input("num_beams", 99)])
    with pytest.raises(InferenceServerException, match="dialogue' is empty"):
        client.infer("summarizer", [text_input("dialogue", ["   "])])
    assert client.infer("summarizer", [text_input("dialogue", [DIALOGUE])]).as_numpy("summary")
