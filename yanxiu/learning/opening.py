"""Small pure rules shared by the ORM and the plain-SQL heartbeat: when an enrolment is open for
learning, and how much of a video completes it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from yanxiu.core.errors import ValidationFailed
from yanxiu.training.models import EnrolmentStatus, FeeStatus

DEFAULT_WATCH_RATIO = Decimal("0.9")


@dataclass(frozen=True)
class OpenFacts:
    """What decides whether an enrolment is open for learning, however it was read."""

    status: str
    fee_status: str
    open_from: dt.date
    open_until: dt.date
    period_closed: bool


def open_problem(facts: OpenFacts, today: dt.date) -> ValidationFailed | None:
    """Why the enrolment is not open today (None when it is)."""
    if facts.period_closed or facts.status == EnrolmentStatus.FAILED:
        return ValidationFailed("本期已结束，学习结果已确定，不能再学习。", code="closed")
    if today < facts.open_from:
        return ValidationFailed(f"本课程 {facts.open_from:%Y-%m-%d} 开放，现在还不能学习。", code="not_open")
    if today > facts.open_until:
        return ValidationFailed(f"本课程已于 {facts.open_until:%Y-%m-%d} 结束，不能再学习。", code="closed")
    if facts.fee_status == FeeStatus.UNPAID:
        return ValidationFailed("本课程需缴费后才能学习。", code="unpaid")
    return None


def watch_ratio(completion: Any) -> Decimal:
    """The share of a video to watch, from the activity's completion criterion (90% by default)."""
    try:
        ratio = Decimal(str((completion or {}).get("watch_ratio", DEFAULT_WATCH_RATIO)))
    except (ArithmeticError, AttributeError):
        return DEFAULT_WATCH_RATIO
    return ratio if ratio.is_finite() and Decimal(0) < ratio <= 1 else DEFAULT_WATCH_RATIO
