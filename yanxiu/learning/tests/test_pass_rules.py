"""The reformed rule of seed 004: 60% of required activities, plus the required assignment."""

from decimal import Decimal

import pytest

from yanxiu.learning.pass_rules import ActivityFacts, evaluate

RULE = {"required_ratio": "0.6", "assignment_required": True}


def course(required: int, optional: int = 0, assignments: int = 0) -> list[ActivityFacts]:
    items = [ActivityFacts(i, "page", True) for i in range(required)]
    items += [ActivityFacts(100 + i, "video", False) for i in range(optional)]
    items += [ActivityFacts(200 + i, "assignment", True) for i in range(assignments)]
    return items


@pytest.mark.parametrize(
    ("required", "done", "passed"),
    [
        (5, 3, True),
        (5, 2, False),
        (7, 4, False),
        (7, 5, True),
        (10, 6, True),
        (10, 5, False),
        (1, 1, True),
        (1, 0, False),
    ],
)
def test_the_60_percent_boundary(required, done, passed) -> None:
    result = evaluate(RULE, course(required), set(range(done)), set())
    assert result.passed is passed
    assert result.required_done == done


def test_optional_activities_do_not_count() -> None:
    activities = course(5, optional=10)
    assert not evaluate(RULE, activities, {100, 101, 102, 103, 104, 105, 0}, set()).passed
    assert evaluate(RULE, activities, {0, 1, 2}, set()).passed


def test_a_required_assignment_must_be_passed() -> None:
    activities = course(5, assignments=1)
    assert not evaluate(RULE, activities, {0, 1, 2, 3, 4, 200}, set()).passed  # submitted, not passed
    result = evaluate(RULE, activities, {0, 1, 2}, {200})
    assert result.passed and result.assignments_required == 1 and result.assignments_passed == 1


def test_an_assignment_is_not_needed_when_the_rule_says_so() -> None:
    rule = {"required_ratio": "0.6", "assignment_required": False}
    assert evaluate(rule, course(5, assignments=1), {0, 1, 2}, set()).passed


def test_the_ratio_is_configurable_and_validated() -> None:
    assert not evaluate({"required_ratio": "1"}, course(5), {0, 1, 2, 3}, set()).passed
    assert evaluate({"required_ratio": Decimal("0.8")}, course(5), {0, 1, 2, 3}, set()).passed
    for bad in ("1.5", "-0.1", "NaN"):
        with pytest.raises(ValueError):
            evaluate({"required_ratio": bad}, course(5), set(), set())


def test_a_course_with_nothing_required_is_not_passed_by_doing_nothing() -> None:
    assert not evaluate(RULE, course(0, optional=3), set(), set()).passed


def test_remaining_feeds_the_checklist() -> None:
    assert evaluate(RULE, course(10), {0, 1}, set()).remaining == 4
