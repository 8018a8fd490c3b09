"""Engine choices and static shapes as config parameters, and how a batch maps onto compiles."""

from __future__ import annotations

import numpy as np
import pytest

from triton_models.tensor_engines import EngineChoice, StaticShapes

UNET_ROWS = (("sample", (4, 32, 32)), ("timestep", ()), ("encoder_hidden_states", (77, 256)))


def test_a_choice_round_trips_through_config_parameters() -> None:
    choice = EngineChoice("openvino", "bf16", StaticShapes((1, 2, 4), UNET_ROWS))
    parameters = choice.parameters()
    assert parameters == {
        "engine": "openvino",
        "precision": "bf16",
        "static_batch_sizes": "1,2,4",
        "static_row_shapes": "sample:4x32x32;timestep:;encoder_hidden_states:77x256",
    }
    assert EngineChoice.from_parameters(parameters) == choice
    assert str(choice) == "openvino/bf16 static batches 1,2,4"
    assert EngineChoice.from_parameters({}) == EngineChoice()
    assert EngineChoice.from_parameters({"engine": "openvino"}).static is None


@pytest.mark.parametrize(
    ("sizes", "rows", "message"),
    [
        ("", "x:3", "bad static shapes"),
        ("2,1", "x:3", "must ascend"),
        ("0", "x:3", "must be >= 1"),
        ("1", "x3", "is not name:AxBxC"),
        ("1", "x:3xa", "bad static shapes"),
    ],
)
def test_bad_static_parameters_are_refused(sizes: str, rows: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StaticShapes.parse(sizes, rows)


@pytest.mark.parametrize(
    ("sizes", "rows", "plan"),
    [
        ((1, 2, 4), 1, [(1, 1)]),
        ((1, 2, 4), 3, [(2, 2), (1, 1)]),  # not padded to 4: measured slower
        ((1, 2, 4), 7, [(4, 4), (2, 2), (1, 1)]),
        ((1, 2, 4), 9, [(4, 4), (4, 4), (1, 1)]),
        ((2,), 1, [(1, 2)]),  # below the smallest size: padded
        ((2,), 5, [(2, 2), (2, 2), (1, 2)]),
        ((2, 4), 6, [(4, 4), (2, 2)]),
    ],
)
def test_a_batch_runs_on_the_largest_compiles_that_fit(
    sizes: tuple[int, ...], rows: int, plan: list[tuple[int, int]]
) -> None:
    shapes = StaticShapes(sizes, UNET_ROWS)
    assert shapes.plan(rows) == plan
    assert sum(taken for taken, _ in plan) == rows


def test_only_the_static_row_shapes_match() -> None:
    shapes = StaticShapes((1, 2), (("x", (3,)), ("t", ())))
    assert shapes.matches({"x": np.zeros((5, 3)), "t": np.zeros(5)})
    assert not shapes.matches({"x": np.zeros((5, 4)), "t": np.zeros(5)})
    assert not shapes.matches({"x": np.zeros((5, 3))})
