"""Organisation and people: the region tree, schools, stages, subjects, teachers and scoped roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yanxiu.core.models import TimeStampedModel


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    DISTRICT = "district", _("区县")


class Region(models.Model):
    """A GB/T 2260 administrative division. The six-digit code is the key, and its prefix is the
    scope: every division under 440100 (广州市) has a code starting with 4401."""

    code = models.CharField("行政区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("级别", max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["name"], name="region_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_prefix(self) -> str:
        """The code prefix shared by this division and everything under it."""
        if self.level == RegionLevel.PROVINCE:
            return self.code[:2]
        if self.level == RegionLevel.CITY:
            return self.code[:4]
        return self.code


class Stage(models.Model):
    """学段. Seeded by migration: 幼儿园, 小学, 初中, 高中, 中职, 特殊教育."""

    code = models.SlugField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=20, unique=True)
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "学段"
        verbose_name_plural = "学段"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    """学科: the 18 subjects of seed 004 table 2 plus the extras it lists (教育, 特殊教育, 心理, ...)."""

    code = models.SlugField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=32, unique=True)
    # Other names the same subject goes by in rosters, e.g. 通用技术 and 电教 for 信息技术.
    aliases = models.JSONField("别名", default=list, blank=True)
    is_extra = models.BooleanField("表外学科", default=False, help_text="004 表 2 的 18 个学科之外的学科")
    sort = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "学科"
        verbose_name_plural = "学科"
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Ownership(models.TextChoices):
    PUBLIC = "public", _("公办")
    PRIVATE = "private", _("民办")


class School(TimeStampedModel):
    """A school or kindergarten. `region` is its district, or its city for 局属学校."""

    code = models.CharField("学校代码", max_length=32, null=True, blank=True, unique=True)
    name = models.CharField("学校名称", max_length=100)
    region = models.ForeignKey(Region, verbose_name="所属区域", on_delete=models.PROTECT, related_name="schools")
    stages = models.ManyToManyField(Stage, verbose_name="学段", blank=True, related_name="schools")
    ownership = models.CharField("办学性质", max_length=10, choices=Ownership.choices, default=Ownership.PUBLIC)
    is_active = models.BooleanField("在用", default=True)

    class Meta:
        verbose_name = "学校"
        verbose_name_plural = "学校"
        ordering = ["region_id", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="school_region_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_city_direct(self) -> bool:
        """局属学校: the school reports to the city bureau, not to a district."""
        return self.region.level == RegionLevel.CITY


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", _("在职")
    LEAVE = "leave", _("休假")
    TRANSFERRED = "transferred", _("调离")
    RETIRED = "retired", _("退休")
    LEFT = "left", _("离职")


class Teacher(TimeStampedModel):
    """A teacher (学员). Their account's username is their 教师编号; name and mobile live on the account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.PROTECT, related_name="teacher"
    )
    teacher_no = models.CharField("教师编号", max_length=32, unique=True)
    id_number = models.CharField("身份证号", max_length=18, null=True, blank=True, unique=True)
    school = models.ForeignKey(School, verbose_name="学校", on_delete=models.PROTECT, related_name="teachers")
    stage = models.ForeignKey(Stage, verbose_name="学段", null=True, blank=True, on_delete=models.PROTECT)
    subject = models.ForeignKey(Subject, verbose_name="学科", null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField(
        "在职状态", max_length=12, choices=EmploymentStatus.choices, default=EmploymentStatus.ACTIVE, db_index=True
    )

    class Meta:
        verbose_name = "教师"
        verbose_name_plural = "教师"
        ordering = ["teacher_no"]
        indexes = [models.Index(fields=["school", "teacher_no"], name="teacher_school_no_idx")]

    def __str__(self) -> str:
        return f"{self.teacher_no}"


# Files (rosters, exports) speak Chinese whatever the interface language is: these are not translated.
EMPLOYMENT_STATUS_ZH: dict[str, str] = {
    EmploymentStatus.ACTIVE: "在职",
    EmploymentStatus.LEAVE: "休假",
    EmploymentStatus.TRANSFERRED: "调离",
    EmploymentStatus.RETIRED: "退休",
    EmploymentStatus.LEFT: "离职",
}


class Role(models.TextChoices):
    LEARNER = "learner", _("学员")
    TUTOR = "tutor", _("辅导教师")
    WORKSHOP_HOST = "workshop_host", _("研修主持人")
    ASSISTANT = "assistant", _("研修助理")
    SUPERVISOR = "supervisor", _("督学")
    SCHOOL_ADMIN = "school_admin", _("学校管理员")
    DISTRICT_ADMIN = "district_admin", _("区县管理员")
    CITY_ADMIN = "city_admin", _("市级管理员")
    PROVINCE_ADMIN = "province_admin", _("省级管理员")
    COURSE_AUTHOR = "course_author", _("课程作者")
    COURSE_REVIEWER = "course_reviewer", _("课程审核员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")


# Which scope each role needs: a region of a given level, a school, or none (platform-wide).
ROLE_REGION_LEVEL: dict[str, str] = {
    Role.DISTRICT_ADMIN: RegionLevel.DISTRICT,
    Role.CITY_ADMIN: RegionLevel.CITY,
    Role.PROVINCE_ADMIN: RegionLevel.PROVINCE,
}
ADMIN_ROLES = frozenset(
    {Role.SCHOOL_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN}
)


class RoleAssignment(TimeStampedModel):
    """A role held by a user within a scope: a region (and everything under it), a school, or all.

    A user may hold several. Being a learner comes from having a Teacher record; an explicit
    learner row is allowed for people without one (e.g. a trainee from outside the roster).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    region = models.ForeignKey(Region, verbose_name="区域范围", null=True, blank=True, on_delete=models.PROTECT)
    school = models.ForeignKey(School, verbose_name="学校范围", null=True, blank=True, on_delete=models.PROTECT)
    # The right to see unmasked mobiles and ID-card numbers within the scope.
    sees_personal_data = models.BooleanField("可查看完整个人信息", default=False)

    class Meta:
        verbose_name = "角色分配"
        verbose_name_plural = "角色分配"
        constraints = [
            # One row per (user, role, scope); partial indexes so that NULL scopes compare equal
            # on SQLite and PostgreSQL alike.
            models.UniqueConstraint(
                fields=["user", "role", "region"], condition=Q(region__isnull=False), name="role_unique_region"
            ),
            models.UniqueConstraint(
                fields=["user", "role", "school"], condition=Q(school__isnull=False), name="role_unique_school"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(region__isnull=True, school__isnull=True),
                name="role_unique_platform",
            ),
            models.CheckConstraint(
                condition=~(Q(region__isnull=False) & Q(school__isnull=False)),
                name="role_assignment_one_scope",
            ),
        ]

    def __str__(self) -> str:
        scope = self.school or self.region or "全平台"
        return f"{self.get_role_display()} @ {scope}"


class RosterImportStatus(models.TextChoices):
    CHECKING = "checking", _("正在检查")
    PREVIEW = "preview", _("待确认")
    APPLYING = "applying", _("正在导入")
    DONE = "done", _("已导入")
    CANCELLED = "cancelled", _("已取消")
    FAILED = "failed", _("失败")


class RosterImport(TimeStampedModel):
    """One uploaded roster file on its way from preview to confirmation (or cancellation)."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField("文件名", max_length=200)
    # Kept under var/private, never under MEDIA_ROOT: rosters carry personal data.
    stored_path = models.CharField(max_length=300)
    create_schools = models.BooleanField("自动新建学校", default=False)
    status = models.CharField(
        "状态", max_length=12, choices=RosterImportStatus.choices, default=RosterImportStatus.CHECKING
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField("统计", default=dict, blank=True)
    errors = models.JSONField("错误行", default=list, blank=True)
    new_schools = models.JSONField("将新建的学校", default=list, blank=True)
    summary = models.JSONField("导入结果", default=dict, blank=True)
    failure = models.TextField("失败原因", blank=True)

    class Meta:
        verbose_name = "名册导入"
        verbose_name_plural = "名册导入"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def is_running(self) -> bool:
        return self.status in (RosterImportStatus.CHECKING, RosterImportStatus.APPLYING)
