"""Synthetic demo training: the project 能力提升工程 with period 1601 (closed) and 1602 (open),
twelve courses across every category with short real videos made by ffmpeg, documents and pages,
enrolments for the demo learners, and one learner part-way through.

Everything is invented. Loading twice creates nothing the second time. Dates are relative to
today so that 1602 is always open and its selection window running.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from yanxiu.accounts.models import User
from yanxiu.catalog import actions as catalog_actions
from yanxiu.catalog import media
from yanxiu.catalog.models import ActivityKind, Checkpoint, Course, CourseCategory, CourseType
from yanxiu.core.audit import audit_record
from yanxiu.learning import actions
from yanxiu.learning.models import ActivityProgress, ProgressState
from yanxiu.org.models import EmploymentStatus, Region, Stage, Subject, Teacher
from yanxiu.training.actions import offering_ensure, period_create, project_create
from yanxiu.training.models import Enrolment, EnrolmentSource, EnrolmentStatus, Period, Project

PROJECT_CODE = "NLTS"
PROJECT_NAME = "能力提升工程"
SCHEME = {
    "total_hours": 50,
    "categories": {"通识必修": 8, "专业必修": 18, "网络研修": 16, "任意选修": 8},
    "practice_share": 0.5,
}
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

G, S, R, E, P = (
    CourseCategory.GENERAL_REQUIRED,
    CourseCategory.SUBJECT_REQUIRED,
    CourseCategory.ONLINE_RESEARCH,
    CourseCategory.ELECTIVE,
    CourseCategory.PUBLIC_REQUIRED,
)
# (code, title, category, type, hours, speaker, stage codes or None for all, subject codes or None)
COURSES: list[tuple[str, str, str, str, str, str, list[str] | None, list[str] | None]] = [
    ("DEMO-G01", "新时代师德修养与依法执教", G, CourseType.COMPREHENSIVE, "4", "林老师", None, None),
    ("DEMO-G02", "信息技术与课堂教学融合", G, CourseType.TECH_LITERACY, "4", "陈老师", None, None),
    ("DEMO-G03", "中小学生心理健康教育", G, CourseType.THEMATIC, "3", "黄老师", None, None),
    (
        "DEMO-S01",
        "小学语文阅读教学设计",
        S,
        CourseType.PROFESSIONAL_DEVELOPMENT,
        "6",
        "周老师",
        ["primary"],
        ["chinese"],
    ),
    ("DEMO-S02", "初中数学核心素养与课堂", S, CourseType.PROFESSIONAL_DEVELOPMENT, "6", "吴老师", ["junior"], ["math"]),
    (
        "DEMO-S03",
        "幼儿园游戏活动的观察与指导",
        S,
        CourseType.PROFESSIONAL_DEVELOPMENT,
        "6",
        "梁老师",
        ["kindergarten"],
        None,
    ),
    ("DEMO-R01", "校本研修：课例研究的方法", R, CourseType.THEMATIC, "8", "何老师", None, None),
    ("DEMO-R02", "网络研修与教学反思", R, CourseType.THEMATIC, "8", "郑老师", None, None),
    ("DEMO-E01", "班级管理的艺术", E, CourseType.COMPREHENSIVE, "4", "谢老师", None, None),
    ("DEMO-E02", "教育科研方法入门", E, CourseType.PROFESSIONAL_DEVELOPMENT, "4", "罗老师", None, None),
    ("DEMO-E03", "家校沟通实务", E, CourseType.COMPREHENSIVE, "2", "许老师", None, None),
    ("DEMO-P01", "专业技术人员职业道德与诚信建设", P, CourseType.COMPREHENSIVE, "6", "叶老师", None, None),
]
VIDEO_SECONDS = (8, 12)  # short but real: made by ffmpeg at set-up, transcoded to HLS


def _pdf(path: Path, title: str) -> Path:
    """A one-page PDF handout (Pillow writes PDF; CJK text when the Noto font is installed)."""
    image = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(image)
    font: Any = ImageFont.truetype(str(FONT), 48) if FONT.exists() else ImageFont.load_default()
    small: Any = ImageFont.truetype(str(FONT), 32) if FONT.exists() else font
    draw.text((100, 120), title if FONT.exists() else "Handout", fill="black", font=font)
    lines = ["学习要点：", "一、理解本专题的核心概念；", "二、结合本校实际开展实践；", "三、完成学习反思。"]
    for index, line in enumerate(lines if FONT.exists() else ["Key points"]):
        draw.text((100, 260 + index * 60), line, fill="black", font=small)
    image.save(path, "PDF", resolution=150)
    return path


def _author() -> User:
    user = User.objects.filter(username="author").first()
    if user is None:
        raise RuntimeError("demo: the author account is missing; load the organisation demo first")
    return user


def _build_course(spec: tuple[Any, ...], author: User, workdir: Path, index: int) -> Course:
    code, title, category, course_type, hours, speaker, stage_codes, subject_codes = spec
    course = catalog_actions.course_create(
        acting_user=author,
        code=code,
        title=title,
        category=category,
        course_type=course_type,
        credit_hours=Decimal(hours),
        all_stages=stage_codes is None,
        all_subjects=subject_codes is None,
        stages=list(Stage.objects.filter(code__in=stage_codes or [])),
        subjects=list(Subject.objects.filter(code__in=subject_codes or [])),
        speaker=speaker,
        description=f"{title}：面向一线教师的网络研修课程（演示数据）。",
    )
    intro = catalog_actions.chapter_create(acting_user=author, course=course, title="第一章 导学")
    study = catalog_actions.chapter_create(acting_user=author, course=course, title="第二章 专题学习")
    more = catalog_actions.chapter_create(acting_user=author, course=course, title="第三章 拓展阅读")
    catalog_actions.activity_create(
        acting_user=author,
        chapter=intro,
        kind=ActivityKind.PAGE,
        title="课程导学",
        body=(
            f"<h2>{title}</h2><p>本课程共三章。完成 60% 的必修活动即可通过。</p>"
            "<ul><li>观看专题视频</li><li>阅读学习资料</li></ul>"
        ),
    )
    seconds = VIDEO_SECONDS[index % 2]
    source = media.make_sample_video(workdir / f"{code}.mp4", seconds=seconds, label=code)
    with source.open("rb") as handle:
        video = catalog_actions.activity_create(
            acting_user=author,
            chapter=study,
            kind=ActivityKind.VIDEO,
            title=f"专题讲座：{title}",
            upload=File(handle, name=f"{code}.mp4"),
        )
    media.transcode_activity(video.pk)
    if index == 0:
        Checkpoint.objects.create(
            activity=video,
            at_seconds=5,
            question="教师职业道德的核心是什么？",
            choices=["爱岗敬业", "按时下班"],
            answer=0,
        )
    handout = _pdf(workdir / f"{code}.pdf", f"{title} 学习资料")
    with handout.open("rb") as handle:
        catalog_actions.activity_create(
            acting_user=author,
            chapter=study,
            kind=ActivityKind.DOCUMENT,
            title="学习资料（PDF）",
            upload=File(handle, name=f"{code}.pdf"),
        )
    catalog_actions.activity_create(
        acting_user=author,
        chapter=study,
        kind=ActivityKind.PAGE,
        title="学习反思",
        body="<p>请结合本校实际，思考本专题中的一个问题，并在教研组内交流。</p>",
    )
    catalog_actions.activity_create(
        acting_user=author,
        chapter=more,
        kind=ActivityKind.LINK,
        title="延伸阅读：国家中小学智慧教育平台",
        url="https://basic.smartedu.cn/",
        required=False,
    )
    catalog_actions.activity_create(
        acting_user=author,
        chapter=more,
        kind=ActivityKind.PAGE,
        title="拓展阅读",
        body="<p>推荐阅读相关专著与论文，拓展专业视野。</p>",
        required=False,
    )
    catalog_actions.course_publish(acting_user=author, course=course)
    return course


def _courses(created: dict[str, int]) -> list[Course]:
    existing = {c.code: c for c in Course.objects.filter(code__in=[spec[0] for spec in COURSES])}
    author = _author()
    courses = []
    with tempfile.TemporaryDirectory(prefix="yanxiu-demo-") as tmp:
        for index, spec in enumerate(COURSES):
            course = existing.get(spec[0])
            if course is None:
                course = _build_course(spec, author, Path(tmp), index)
                created["courses"] += 1
            courses.append(course)
    return courses


def _project_and_periods(created: dict[str, int]) -> tuple[Project, Period, Period]:
    today = timezone.localdate()
    project = Project.objects.filter(code=PROJECT_CODE).first()
    if project is None:
        project = project_create(
            acting_user=None,
            code=PROJECT_CODE,
            name=PROJECT_NAME,
            organiser=Region.objects.get(pk="440100"),
            scheme=SCHEME,
        )
        created["projects"] += 1
    periods = {p.code: p for p in project.periods.all()}
    now = timezone.now()
    if "1601" not in periods:
        periods["1601"] = period_create(
            acting_user=None,
            project=project,
            code="1601",
            starts_on=today - dt.timedelta(days=150),
            ends_on=today - dt.timedelta(days=90),
            selection_opens_at=now - dt.timedelta(days=160),
            selection_closes_at=now - dt.timedelta(days=140),
        )
        created["periods"] += 1
    if "1602" not in periods:
        periods["1602"] = period_create(
            acting_user=None,
            project=project,
            code="1602",
            starts_on=today - dt.timedelta(days=20),
            ends_on=today + dt.timedelta(days=40),
            selection_opens_at=now - dt.timedelta(days=25),
            selection_closes_at=now + dt.timedelta(days=10),
        )
        created["periods"] += 1
    return project, periods["1601"], periods["1602"]


def _enrol(teacher: Teacher, course: Course, period: Period, source: str, created: dict[str, int]) -> Enrolment:
    offering, _ = offering_ensure(period=period, course=course)
    enrolment, made = Enrolment.objects.get_or_create(teacher=teacher, offering=offering, defaults={"source": source})
    created["enrolments"] += int(made)
    return enrolment


def _finish(enrolment: Enrolment, status: str, when: dt.datetime) -> None:
    """A result of the closed period 1601."""
    fields: dict[str, Any] = {"status": status, "started_at": when - dt.timedelta(days=20)}
    if status == EnrolmentStatus.PASSED:
        fields |= {"passed_at": when, "hours_earned": enrolment.offering.course.credit_hours, "progress": 100}
    else:
        fields["progress"] = 40
    Enrolment.objects.filter(pk=enrolment.pk, status=EnrolmentStatus.SELECTED).update(**fields)


def _part_way(enrolment: Enrolment) -> None:
    """The first demo learner is part-way through a course: the intro read, half the video seen."""
    if ActivityProgress.objects.filter(enrolment=enrolment).exists():
        return
    user = enrolment.teacher.user
    course = enrolment.offering.course
    intro = course.activities.filter(kind=ActivityKind.PAGE).order_by("chapter__position", "position").first()
    if intro is not None:
        actions.activity_open(acting_user=user, enrolment=enrolment, activity=intro)
        later = timezone.now() + dt.timedelta(minutes=5)  # as if read for five minutes
        actions.activity_complete(acting_user=user, enrolment=enrolment, activity=intro, now=later)
    video = course.activities.filter(kind=ActivityKind.VIDEO).first()
    if video is not None and video.duration_seconds:
        half = video.duration_seconds / 2
        ActivityProgress.objects.update_or_create(
            enrolment=enrolment,
            activity=video,
            defaults={
                "state": ProgressState.IN_PROGRESS,
                "watched": [[0, half]],
                "seconds_watched": half,
                "position": half,
            },
        )
        Enrolment.objects.filter(pk=enrolment.pk).update(last_activity=video)
    actions.enrolment_reevaluate(enrolment, now=timezone.now())


def demo_training_load(learner_usernames: list[str]) -> dict[str, int]:
    """Load the demo training data; `learner_usernames` are the demo learners (with passwords)."""
    created = {"courses": 0, "projects": 0, "periods": 0, "enrolments": 0}
    courses = _courses(created)
    by_code = {c.code: c for c in courses}
    rng = random.Random(1602)  # noqa: S311 - reproducible synthetic data
    with transaction.atomic():
        _project, p1601, p1602 = _project_and_periods(created)
        closed_at = timezone.now() - dt.timedelta(days=95)
        learners = list(Teacher.objects.filter(user__username__in=learner_usernames).select_related("user"))
        learners.sort(key=lambda t: learner_usernames.index(t.user.username))
        for number, teacher in enumerate(learners):
            # 1601: one course passed; the first learner also failed one (a retake candidate).
            _finish(_enrol(teacher, by_code["DEMO-G01"], p1601, EnrolmentSource.ASSIGNED, created), "passed", closed_at)
            if number == 0:
                failed = _enrol(teacher, by_code["DEMO-E02"], p1601, EnrolmentSource.CHOSEN, created)
                _finish(failed, "failed", closed_at)
            # 1602: the general required courses assigned, one research course and an elective chosen.
            for code in ("DEMO-G02", "DEMO-G03", "DEMO-P01"):
                _enrol(teacher, by_code[code], p1602, EnrolmentSource.ASSIGNED, created)
            for code in ("DEMO-R01", "DEMO-E01"):
                _enrol(teacher, by_code[code], p1602, EnrolmentSource.CHOSEN, created)
        # Colleagues in the same city, so that administrators' lists and reports have something.
        others = list(
            Teacher.objects.filter(status=EmploymentStatus.ACTIVE, user__isnull=False)
            .exclude(pk__in=[t.pk for t in learners])
            .order_by("teacher_no")[:200]
        )
        for teacher in others:
            _enrol(teacher, by_code["DEMO-G02"], p1602, EnrolmentSource.ASSIGNED, created)
            result = _enrol(teacher, by_code["DEMO-G01"], p1601, EnrolmentSource.ASSIGNED, created)
            _finish(result, "passed" if rng.random() < 0.85 else "failed", closed_at)
        if created["enrolments"]:
            audit_record(action="demo.training_loaded", actor_label="system", detail=created)
    if learners:
        first = Enrolment.objects.get(teacher=learners[0], offering__period=p1602, offering__course=by_code["DEMO-G02"])
        _part_way(first)
    return created


def demo_course_codes() -> list[str]:
    return [spec[0] for spec in COURSES]
