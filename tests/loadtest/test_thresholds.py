"""Pass/fail rules and the step-load plan."""

from __future__ import annotations

import pytest

from loadtest.step_plan import StepPlan
from loadtest.thresholds import EntryStats, Thresholds

SUMMARY = EntryStats("SSE", "time-to-summary", 100, 1, 900.0)
IMAGE = EntryStats("SSE", "time-to-image", 99, 0, 4000.0)
GRPC_IMAGE = EntryStats("gRPC", "time-to-image", 20, 0, 6000.0)
TOTAL = EntryStats("", "Aggregated", 219, 1, 3000.0)


def test_parse_accepts_lists_and_comma_separated_items():
    rules = Thresholds.parse(0.01, ["time-to-summary=1000, SSE time-to-image=5000", "*=9000"])
    assert rules.max_p95_ms == {
        "time-to-summary": 1000.0,
        "SSE time-to-image": 5000.0,
        "*": 9000.0,
    }
    assert rules.active
    assert not Thresholds.parse(None, "").active


@pytest.mark.parametrize("bad", ["time-to-summary", "=100", "x=-1", "x=abc", "x=0"])
def test_parse_refuses_malformed_limits(bad):
    with pytest.raises(ValueError, match="NAME=MILLISECONDS"):
        Thresholds.parse(None, bad)


def test_parse_refuses_a_ratio_outside_zero_one():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Thresholds.parse(1.5, "")


def test_rules_that_hold_give_no_violation():
    rules = Thresholds.parse(0.01, "time-to-summary=1000,time-to-image=7000")
    assert rules.violations([SUMMARY, IMAGE, GRPC_IMAGE], TOTAL) == []


def test_each_broken_rule_is_reported():
    rules = Thresholds.parse(0.001, "time-to-image=5000,*=0.001,nothing=10")
    problems = rules.violations([SUMMARY, IMAGE, GRPC_IMAGE], TOTAL)
    assert problems[0].startswith("failure ratio 0.005 > 0.001 (1 of 219")
    assert "p95 of gRPC time-to-image: 6000 ms > 5000 ms" in problems
    assert sum("> 0.001 ms" in problem for problem in problems) == 3
    assert "p95 of 'nothing': no such request finished" in problems


def test_a_rule_can_name_the_request_type():
    rules = Thresholds.parse(None, "gRPC time-to-image=5000")
    assert rules.violations([IMAGE, GRPC_IMAGE], TOTAL) == [
        "p95 of gRPC time-to-image: 6000 ms > 5000 ms"
    ]


def test_a_run_without_requests_fails_its_rules():
    empty = EntryStats("", "Aggregated", 0, 0, None)
    assert Thresholds.parse(0.5, "").violations([], empty) == ["no request finished during the run"]
    assert Thresholds().violations([], empty) == []


def test_step_plan_adds_users_per_step_up_to_the_ceiling_and_stops():
    plan = StepPlan(step_users=4, step_seconds=30, max_users=10, run_seconds=120)
    assert [plan.users_at(t) for t in (0, 29.9, 30, 60, 90, 119.9)] == [4, 4, 8, 10, 10, 10]
    assert plan.users_at(120) is None
    assert StepPlan(2, 10, 5).users_at(10_000) == 5
    with pytest.raises(ValueError, match="steps need"):
        StepPlan(0, 10, 5)
