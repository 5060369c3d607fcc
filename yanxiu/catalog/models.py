"""The course catalog: courses with credit hours, their chapters and learning activities."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yanxiu.core.models import TimeStampedModel
from yanxiu.org.models import Stage, Subject


class CourseCategory(models.TextChoices):
    """选课类型 (seed 004 figure 9): each has its own minimum hours in a project's scheme."""

    GENERAL_REQUIRED = "general_required", _("通识必修")
    SUBJECT_REQUIRED = "subject_required", _("专业必修")
    ONLINE_RESEARCH = "online_research", _("网络研修")
    ELECTIVE = "elective", _("任意选修")
    PUBLIC_REQUIRED = "public_required", _("公需课")


class CourseType(models.TextChoices):
    """课程类型 (seed 001: 技术素养类、综合类、专题类和教师专业发展类)."""

    TECH_LITERACY = "tech_literacy", _("技术素养类")
    COMPREHENSIVE = "comprehensive", _("综合类")
    THEMATIC = "thematic", _("专题类")
    PROFESSIONAL_DEVELOPMENT = "professional_development", _("专业发展类")


# Files speak Chinese whatever the interface language is.
CATEGORY_BY_LABEL_ZH: dict[str, str] = {
    "通识必修": CourseCategory.GENERAL_REQUIRED,
    "专业必修": CourseCategory.SUBJECT_REQUIRED,
    "网络研修": CourseCategory.ONLINE_RESEARCH,
    "任意选修": CourseCategory.ELECTIVE,
    "公需课": CourseCategory.PUBLIC_REQUIRED,
}


class CourseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


class Course(TimeStampedModel):
    code = models.CharField("课程编号", max_length=32, unique=True)
    title = models.CharField("课程名称", max_length=200)
    category = models.CharField("选课类型", max_length=20, choices=CourseCategory.choices)
    course_type = models.CharField("课程类型", max_length=30, choices=CourseType.choices, blank=True)
    credit_hours = models.DecimalField(
        "学时", max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    # 全学段 / 全学科: the course suits every stage or subject, now and when new ones are added.
    all_stages = models.BooleanField("全学段", default=False)
    all_subjects = models.BooleanField("全学科", default=False)
    stages = models.ManyToManyField(Stage, verbose_name="学段", blank=True, related_name="courses")
    subjects = models.ManyToManyField(Subject, verbose_name="学科", blank=True, related_name="courses")
    speaker = models.CharField("主讲人", max_length=100, blank=True)
    description = models.TextField("课程简介", blank=True)
    cover = models.ImageField("封面", upload_to="covers/", blank=True)
    status = models.CharField("状态", max_length=12, choices=CourseStatus.choices, default=CourseStatus.DRAFT)
    # Incremented by every authoring write (under the course lock), so caches of a course's outline
    # (the learner's course page) see reorders and renames that bulk updates make without updated_at.
    structure_version = models.PositiveIntegerField("结构版本", default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "课程"
        verbose_name_plural = "课程"
        ordering = ["code"]
        indexes = [models.Index(fields=["category", "status"], name="course_category_status_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Chapter(TimeStampedModel):
    course = models.ForeignKey(Course, verbose_name="课程", on_delete=models.CASCADE, related_name="chapters")
    title = models.CharField("章节名称", max_length=200)
    position = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "章节"
        verbose_name_plural = "章节"
        ordering = ["course_id", "position", "id"]
        indexes = [models.Index(fields=["course", "position"], name="chapter_course_position_idx")]

    def __str__(self) -> str:
        return self.title


class ActivityKind(models.TextChoices):
    VIDEO = "video", _("视频")
    MICRO_LESSON = "micro_lesson", _("微课")
    DOCUMENT = "document", _("文档")
    PAGE = "page", _("图文页面")
    LINK = "link", _("外部链接")
    # Completed by their own apps (assignments: passed by a tutor; discussions: a post); the
    # tutoring issue builds them. The catalog and the pass rule already know them.
    ASSIGNMENT = "assignment", _("作业")
    DISCUSSION = "discussion", _("研讨")


# Kinds an author uploads media for; a video or micro-lesson is transcoded to HLS.
PLAYABLE_KINDS = frozenset({ActivityKind.VIDEO, ActivityKind.MICRO_LESSON})


class MediaStatus(models.TextChoices):
    NONE = "none", _("无")
    PENDING = "pending", _("等待处理")
    PROCESSING = "processing", _("正在处理")
    READY = "ready", _("可用")
    FAILED = "failed", _("处理失败")


def activity_upload_path(instance: Activity, filename: str) -> str:
    return f"uploads/{instance.course_id}/{filename}"


class Activity(TimeStampedModel):
    """One thing to do in a chapter. `required` activities count for the pass rule (seed 004:
    60% of the required activities, plus the assignment where it is required)."""

    chapter = models.ForeignKey(Chapter, verbose_name="章节", on_delete=models.CASCADE, related_name="activities")
    # The course, kept beside the chapter so a course's activities are one indexed query.
    course = models.ForeignKey(Course, verbose_name="课程", on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField("类型", max_length=20, choices=ActivityKind.choices)
    title = models.CharField("名称", max_length=200)
    position = models.PositiveIntegerField("顺序", default=0)
    required = models.BooleanField("必修", default=True)
    # What completes it, by kind: {"watch_ratio": 0.9} for videos, {"open": true} for pages.
    completion = models.JSONField("完成条件", default=dict, blank=True)
    body_html = models.TextField("正文（已净化）", blank=True)
    url = models.URLField("链接", blank=True)
    duration_seconds = models.PositiveIntegerField("时长（秒）", null=True, blank=True)
    # Media: the author's upload as received, and what the browser is given once processed
    # (an HLS playlist for videos, a PDF or image for documents).
    media_file = models.FileField("上传文件", upload_to=activity_upload_path, blank=True, max_length=255)
    media_status = models.CharField("处理状态", max_length=12, choices=MediaStatus.choices, default=MediaStatus.NONE)
    media_progress = models.PositiveSmallIntegerField("处理进度（%）", default=0)
    media_error = models.CharField("处理错误", max_length=500, blank=True)
    hls_playlist = models.CharField("HLS 播放列表", max_length=255, blank=True)  # relative to MEDIA_ROOT
    viewer_file = models.FileField("浏览文件", upload_to="viewer/", blank=True, max_length=255)

    class Meta:
        verbose_name = "学习活动"
        verbose_name_plural = "学习活动"
        ordering = ["chapter__position", "position", "id"]
        indexes = [models.Index(fields=["course", "required"], name="activity_course_required_idx")]

    def __str__(self) -> str:
        return self.title


class Checkpoint(TimeStampedModel):
    """A question inside a video, answered to complete it (instead of "are you still there" pop-ups,
    which seed 001 forbids as a burden on teachers)."""

    activity = models.ForeignKey(
        Activity, verbose_name="学习活动", on_delete=models.CASCADE, related_name="checkpoints"
    )
    at_seconds = models.PositiveIntegerField("出现时间（秒）")
    question = models.CharField("问题", max_length=500)
    choices = models.JSONField("选项", default=list)  # list of strings
    answer = models.PositiveSmallIntegerField("正确选项序号")  # index into choices

    class Meta:
        verbose_name = "视频内问题"
        verbose_name_plural = "视频内问题"
        ordering = ["activity_id", "at_seconds", "id"]

    def __str__(self) -> str:
        return self.question
