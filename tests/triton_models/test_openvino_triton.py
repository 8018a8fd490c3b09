"""The unet on OpenVINO with static shapes, served by the real tritonserver.

The session's tiny repository serves ONNX Runtime on CPUs without bf16; this module exports the
tiny preset again with ``--engines unet=openvino`` through ``calle export``'s code path, so the
static compiles are what Triton loads, whatever this CPU is.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from PIL import Image

from calle.triton import TritonServer
from contract.repository import UNET, config_file
from export.options import ExportOptions
from export.pipeline import run_export
from export.repository import configured_engines, read_config
from export.versions import served_repository
from tests.conftest import start_server
from triton_models.local_diffusion import local_runner

pytestmark = pytest.mark.triton

PROMPT = "친구들이 부산 바다 앞에서 함께 웃고 있는 따뜻한 그림"


@pytest.fixture(scope="module")
def repository(
    tmp_path_factory: pytest.TempPathFactory,
    summarizer_checkpoint: Path,
    diffusion_checkpoint: Path,
) -> Path:
    output = tmp_path_factory.mktemp("openvino-export") / "model_repository"
    options = ExportOptions(
        output=output,
        summarizer=str(summarizer_checkpoint),
        diffusion=str(diffusion_checkpoint),
        engines={UNET: "openvino/f32"},
    )
    run_export(options, progress=False)
    return served_repository(output)


@pytest.fixture(scope="module")
def server(repository: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TritonServer]:
    server = start_server(repository, tmp_path_factory.mktemp("openvino-triton-log"))
    yield server
    server.stop()


def _picture(server: TritonServer, seed: int, **values: int) -> np.ndarray:
    """One picture of ``PROMPT`` (``values``: INT32 inputs such as steps, height, width)."""
    arrays = {
        "prompt": ("BYTES", np.array([[PROMPT.encode()]], dtype=np.object_)),
        "seed": ("INT64", np.array([[seed]], dtype=np.int64)),
    }
    arrays |= {name: ("INT32", np.array([[v]], dtype=np.int32)) for name, v in values.items()}
    inputs = []
    for name, (datatype, array) in arrays.items():
        tensor = grpcclient.InferInput(name, [1, 1], datatype)
        tensor.set_data_from_numpy(array)
        inputs.append(tensor)
    with grpcclient.InferenceServerClient(server.grpc_url) as client:
        result = client.infer("diffusion", inputs, client_timeout=120)
    return np.asarray(Image.open(io.BytesIO(result.as_numpy("image")[0, 0])))


def test_export_writes_the_static_shapes_into_the_unet_config(repository: Path) -> None:
    parameters = read_config(config_file(repository, UNET)).parameters
    assert parameters["engine"].string_value == "openvino"
    assert parameters["static_batch_sizes"].string_value == "1,2,4"
    assert parameters["static_row_shapes"].string_value.startswith("sample:4x8x8;timestep:;")


def test_served_pictures_equal_the_same_engines_in_process(
    server: TritonServer, repository: Path
) -> None:
    runner = local_runner(repository, configured_engines(repository))
    settings = runner.settings(steps=4)
    expected = np.asarray(runner.generate([PROMPT], [3], settings)[0]).astype(int)
    served = _picture(server, seed=3, steps=4)
    assert served.shape == (64, 64, 3)
    assert np.abs(served.astype(int) - expected).max() <= 1


def test_another_size_runs_on_the_dynamic_compile(server: TritonServer) -> None:
    assert _picture(server, seed=3, steps=2, height=48, width=64).shape == (48, 64, 3)
