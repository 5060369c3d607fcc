"""Training: projects run in periods (期), courses offered in a period, classes, enrolments, retakes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yanxiu.catalog.models import Course
from yanxiu.core.models import TimeStampedModel
from yanxiu.org.models import Region, Subject, Teacher

DEFAULT_HOURS_CAP = Decimal("60")  # seed 004: 总学时控制在 60 学时以内
DEFAULT_PASS_RULE = {"required_ratio": "0.6", "assignment_required": True}


class Project(TimeStampedModel):
    """培训项目. The completion scheme is data: {"total_hours": "50", "categories":
    {"general_required": "8", ...}, "practice_share": "0.5"} (seed 004 figure 9, seed 001)."""

    code = models.CharField("项目代码", max_length=32, unique=True)
    name = models.CharField("项目名称", max_length=200, unique=True)
    organiser = models.ForeignKey(Region, verbose_name="主办单位（区域）", on_delete=models.PROTECT, related_name="+")
    scheme = models.JSONField("达标方案", default=dict)
    hours_cap_per_period = models.DecimalField(
        "每期选课学时上限", max_digits=5, decimal_places=1, default=DEFAULT_HOURS_CAP
    )

    class Meta:
        verbose_name = "培训项目"
        verbose_name_plural = "培训项目"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Period(TimeStampedModel):
    """期: a run of a project, e.g. 1602 from 2016-10-10 to 2016-12-10."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.PROTECT, related_name="periods")
    code = models.CharField("期次", max_length=16)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    selection_opens_at = models.DateTimeField("选课开始", null=True, blank=True)
    selection_closes_at = models.DateTimeField("选课截止", null=True, blank=True)
    # Set by period_close: from then on every enrolment of the period is passed or failed.
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "期次"
        verbose_name_plural = "期次"
        ordering = ["project_id", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="period_project_code_unique"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="period_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.code}期"

    def selection_open_at(self, moment: dt.datetime) -> bool:
        """Whether learners may choose and drop courses at `moment`."""
        return bool(
            self.closed_at is None
            and self.selection_opens_at
            and self.selection_closes_at
            and self.selection_opens_at <= moment <= self.selection_closes_at
        )


class Offering(TimeStampedModel):
    """开课: a course offered in a period, with its pass rule."""

    period = models.ForeignKey(Period, verbose_name="期次", on_delete=models.PROTECT, related_name="offerings")
    course = models.ForeignKey(Course, verbose_name="课程", on_delete=models.PROTECT, related_name="offerings")
    pass_rule = models.JSONField("通过规则", default=dict)

    class Meta:
        verbose_name = "开课"
        verbose_name_plural = "开课"
        constraints = [models.UniqueConstraint(fields=["period", "course"], name="offering_period_course_unique")]

    def __str__(self) -> str:
        return f"{self.period} {self.course}"


class Klass(TimeStampedModel):
    """班级 (`Class` in the glossary; `klass` in Python): learners of one offering under tutors."""

    offering = models.ForeignKey(Offering, verbose_name="开课", on_delete=models.PROTECT, related_name="classes")
    name = models.CharField("班级名称", max_length=100)
    capacity = models.PositiveIntegerField("容量", null=True, blank=True)
    tutors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="辅导教师", blank=True, related_name="+")
    # The split that made the class (automatic split by district and subject), if any.
    region = models.ForeignKey(Region, verbose_name="区域", null=True, blank=True, on_delete=models.PROTECT)
    subject = models.ForeignKey(Subject, verbose_name="学科", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = "班级"
        verbose_name_plural = "班级"
        constraints = [models.UniqueConstraint(fields=["offering", "name"], name="klass_offering_name_unique")]

    def __str__(self) -> str:
        return self.name


class EnrolmentSource(models.TextChoices):
    CHOSEN = "chosen", _("自主选课")
    ASSIGNED = "assigned", _("指定")
    RECOMMENDED = "recommended", _("推荐")
    RETAKE = "retake", _("重修")


class FeeStatus(models.TextChoices):
    FREE = "free", _("免费")
    UNPAID = "unpaid", _("未缴费")
    PAID = "paid", _("已缴费")


class EnrolmentStatus(models.TextChoices):
    SELECTED = "selected", _("已选课")
    LEARNING = "learning", _("学习中")
    PASSED = "passed", _("通过")
    FAILED = "failed", _("未通过")


class Enrolment(TimeStampedModel):
    """选课: a teacher in an offering. 选修人数 counts enrolments that are free or paid."""

    teacher = models.ForeignKey(Teacher, verbose_name="教师", on_delete=models.PROTECT, related_name="enrolments")
    offering = models.ForeignKey(Offering, verbose_name="开课", on_delete=models.PROTECT, related_name="enrolments")
    klass = models.ForeignKey(
        Klass, verbose_name="班级", null=True, blank=True, on_delete=models.PROTECT, related_name="enrolments"
    )
    source = models.CharField("来源", max_length=12, choices=EnrolmentSource.choices, default=EnrolmentSource.CHOSEN)
    fee_status = models.CharField("缴费", max_length=8, choices=FeeStatus.choices, default=FeeStatus.FREE)
    status = models.CharField(
        "状态", max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.SELECTED, db_index=True
    )
    started_at = models.DateTimeField("开始学习", null=True, blank=True)
    passed_at = models.DateTimeField("通过时间", null=True, blank=True)
    hours_earned = models.DecimalField("获得学时", max_digits=5, decimal_places=1, null=True, blank=True)
    # Progress towards the pass rule in percent, kept with the enrolment so 学习中心 reads one row.
    progress = models.PositiveSmallIntegerField("进度（%）", default=0)
    # Continue where I left off.
    last_activity = models.ForeignKey(
        "catalog.Activity", verbose_name="上次学习", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_learned_at = models.DateTimeField("上次学习时间", null=True, blank=True)
    # A retake (重修, seed 004 figure 8) reopens a failed course with its own dates.
    retake_of = models.ForeignKey(
        "self", verbose_name="重修自", null=True, blank=True, on_delete=models.PROTECT, related_name="retakes"
    )
    opens_on = models.DateField("开放日期", null=True, blank=True)  # default: the period's dates
    closes_on = models.DateField("关闭日期", null=True, blank=True)

    class Meta:
        verbose_name = "选课"
        verbose_name_plural = "选课"
        constraints = [
            models.UniqueConstraint(fields=["teacher", "offering"], name="enrolment_teacher_offering_unique")
        ]
        indexes = [models.Index(fields=["offering", "status"], name="enrolment_offering_status_idx")]

    def __str__(self) -> str:
        return f"{self.teacher} → {self.offering}"

    @property
    def open_from(self) -> dt.date:
        return self.opens_on or self.offering.period.starts_on

    @property
    def open_until(self) -> dt.date:
        return self.closes_on or self.offering.period.ends_on
