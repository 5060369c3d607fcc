"""Pass rules: seed 004's reformed rule by default, configurable per offering.

"对于课程作业是必修活动的课程，教师只要完成 60% 的必修活动，加上作业通过，就通过该课程学习；对于
课程作业不是必修活动的课程，教师只要完成 60% 的必修活动，就通过该课程学习。" (004, 二.1)

The ratio is taken over the required activities that are not assignments; required assignments
must each be passed. Optional activities never count. The result is also the learner's checklist.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ASSIGNMENT = "assignment"
DEFAULT_RATIO = Decimal("0.6")


@dataclass(frozen=True)
class ActivityFacts:
    activity_id: int
    kind: str
    required: bool


@dataclass(frozen=True)
class PassEvaluation:
    passed: bool
    required_total: int
    required_done: int
    required_needed: int
    assignments_required: int
    assignments_passed: int

    @property
    def remaining(self) -> int:
        """How many more required activities the learner must complete (for the checklist)."""
        return max(0, self.required_needed - self.required_done)


def rule_ratio(rule: Mapping[str, Any]) -> Decimal:
    ratio = Decimal(str(rule.get("required_ratio", DEFAULT_RATIO)))
    if not ratio.is_finite() or not Decimal(0) <= ratio <= Decimal(1):
        raise ValueError("required_ratio must be between 0 and 1")
    return ratio


def evaluate(
    rule: Mapping[str, Any],
    activities: Iterable[ActivityFacts],
    completed: set[int],
    assignments_passed: set[int],
) -> PassEvaluation:
    """Whether a learner passes, from the offering's rule and what they have done."""
    ratio = rule_ratio(rule)
    assignment_required = bool(rule.get("assignment_required", True))
    required = [a for a in activities if a.required]
    counted = [a for a in required if a.kind != ASSIGNMENT]
    assignments = [a for a in required if a.kind == ASSIGNMENT] if assignment_required else []
    # ceil, in exact decimals: 60% of 5 is 3, of 7 is 4.2, so 5.
    needed = math.ceil(ratio * len(counted))
    done = sum(1 for a in counted if a.activity_id in completed)
    passed_assignments = sum(1 for a in assignments if a.activity_id in assignments_passed)
    return PassEvaluation(
        passed=done >= needed and passed_assignments == len(assignments) and bool(counted or assignments),
        required_total=len(counted),
        required_done=done,
        required_needed=needed,
        assignments_required=len(assignments),
        assignments_passed=passed_assignments,
    )
