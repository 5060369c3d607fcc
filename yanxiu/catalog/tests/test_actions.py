"""Authoring actions: validation in Chinese, dense positions, publish rules, audit, access."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from yanxiu.catalog import actions
from yanxiu.catalog.models import Activity, ActivityKind, Chapter, Checkpoint, Course, CourseStatus, MediaStatus
from yanxiu.catalog.tests.factories import ActivityFactory, ChapterFactory, course_author, draft_course_of
from yanxiu.core.errors import NotFound, PermissionDenied, ValidationFailed
from yanxiu.core.models import AuditEvent
from yanxiu.org.models import Stage, Subject
from yanxiu.org.tests.factories import TeacherFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(regions):
    return course_author()


@pytest.fixture
def course(author):
    return draft_course_of(author)


def png(size=(16, 9)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "PNG")
    return SimpleUploadedFile("封面.png", out.getvalue())


def create(author, **overrides):
    args = {
        "code": "K001",
        "title": "信息技术与课堂教学",
        "category": "general_required",
        "credit_hours": Decimal("2.5"),
        "all_stages": True,
        "subjects": [Subject.objects.get(code="chinese")],
    }
    return actions.course_create(acting_user=author, **{**args, **overrides})


def positions(qs) -> list[tuple[str, int]]:
    return [(row.title, row.position) for row in qs]


# --- Courses -------------------------------------------------------------------------------------
def test_course_create_records_the_author_and_an_audit_event(author, settings) -> None:
    course = create(author, cover=png(), stages=[Stage.objects.get(code="primary")])
    assert (course.status, course.created_by, course.credit_hours) == (CourseStatus.DRAFT, author, Decimal("2.5"))
    # 全学段 wins over a list of stages.
    assert course.all_stages and not course.stages.exists()
    assert [s.code for s in course.subjects.all()] == ["chinese"]
    assert course.cover.name.startswith("covers/") and course.cover.name.endswith(".png")
    assert AuditEvent.objects.filter(action="course.created", target_id=str(course.pk), actor=author).count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"credit_hours": Decimal("0.4")}, "学时应在 0.5 到 200 之间"),
        ({"credit_hours": Decimal("1.25")}, "最多一位小数"),
        ({"code": " "}, "请填写课程编号"),
        ({"title": "x" * 201}, "课程名称不能超过 200 个字"),
        ({"category": "nonsense"}, "请选择有效的选课类型"),
        ({"cover": SimpleUploadedFile("a.png", b"not an image")}, "图片无法读取"),
    ],
)
def test_course_create_refuses_bad_input_and_writes_nothing(author, settings, overrides, message) -> None:
    with pytest.raises(ValidationFailed) as caught:
        create(author, **overrides)
    assert message in caught.value.message
    assert not Course.objects.exists() and not AuditEvent.objects.filter(action="course.created").exists()


def test_cover_size_limit_and_duplicate_code(author, settings) -> None:
    settings.CATALOG_MAX_COVER_BYTES = 50
    with pytest.raises(ValidationFailed) as caught:
        create(author, cover=png())
    assert "封面图片太大" in caught.value.message
    create(author)
    with pytest.raises(ValidationFailed) as caught:
        create(author, title="另一门")
    assert caught.value.message == "课程编号“K001”已存在。"


def test_only_authors_create_and_only_owners_update(author, course) -> None:
    with pytest.raises(PermissionDenied):
        create(TeacherFactory().user)
    other = course_author()
    with pytest.raises(NotFound):
        actions.course_update(
            acting_user=other, course=course, code="X", title="改", category="elective", credit_hours="1"
        )
    course.refresh_from_db()
    assert course.title != "改"


def test_course_update_replaces_the_cover(author, course, settings, django_capture_on_commit_callbacks) -> None:
    kwargs = {"code": course.code, "title": "新名", "category": "elective", "credit_hours": "3", "all_subjects": True}
    first = actions.course_update(acting_user=author, course=course, cover=png(), **kwargs)
    old = settings.MEDIA_ROOT / first.cover.name
    with django_capture_on_commit_callbacks(execute=True):
        second = actions.course_update(acting_user=author, course=course, cover=png((4, 4)), **kwargs)
    assert second.title == "新名" and second.cover.name != first.cover.name and not old.exists()


def test_publish_needs_a_chapter_a_required_activity_and_ready_videos(author, course) -> None:
    with pytest.raises(ValidationFailed) as caught:
        actions.course_publish(acting_user=author, course=course)
    assert "课程至少需要一个章节。" in caught.value.message and "必修学习活动" in caught.value.message
    chapter = ChapterFactory(course=course)
    ActivityFactory(chapter=chapter, required=False)
    video = ActivityFactory(chapter=chapter, kind=ActivityKind.VIDEO, title="第一讲", media_status=MediaStatus.PENDING)
    with pytest.raises(ValidationFailed) as caught:
        actions.course_publish(acting_user=author, course=course)
    assert "以下视频尚未处理完成：第一讲" in caught.value.message
    assert Course.objects.get(pk=course.pk).status == CourseStatus.DRAFT
    Activity.objects.filter(pk=video.pk).update(media_status=MediaStatus.READY)
    assert actions.course_publish(acting_user=author, course=course).status == CourseStatus.PUBLISHED
    assert actions.course_retire(acting_user=author, course=course).status == CourseStatus.RETIRED
    assert [e.action for e in AuditEvent.objects.filter(target_id=str(course.pk)).order_by("id")] == [
        "course.published",
        "course.retired",
    ]


def test_retire_needs_a_published_course(author, course) -> None:
    with pytest.raises(ValidationFailed, match="只有已发布的课程可以停用"):
        actions.course_retire(acting_user=author, course=course)


# --- Chapters ------------------------------------------------------------------------------------
def test_chapters_are_added_moved_and_deleted_with_dense_positions(author, course) -> None:
    one, two, three = (actions.chapter_create(acting_user=author, course=course, title=t) for t in ("一", "二", "三"))
    chapters = Chapter.objects.filter(course=course).order_by("position")
    assert positions(chapters) == [("一", 0), ("二", 1), ("三", 2)]
    actions.chapter_move(acting_user=author, chapter=three, direction="up")
    assert positions(chapters.all()) == [("一", 0), ("三", 1), ("二", 2)]
    actions.chapter_move(acting_user=author, chapter=one, direction="up")  # already first: stays
    assert positions(chapters.all()) == [("一", 0), ("三", 1), ("二", 2)]
    actions.chapter_delete(acting_user=author, chapter=three)
    assert positions(chapters.all()) == [("一", 0), ("二", 1)]
    actions.chapter_update(acting_user=author, chapter=two, title="第二章")
    assert positions(chapters.all()) == [("一", 0), ("第二章", 1)]
    with pytest.raises(ValidationFailed, match="请填写章节名称"):
        actions.chapter_create(acting_user=author, course=course, title="  ")


def test_a_chapter_with_activities_is_not_deleted(author, course) -> None:
    chapter = ChapterFactory(course=course)
    ActivityFactory(chapter=chapter)
    with pytest.raises(ValidationFailed, match="请先删除本章的学习活动"):
        actions.chapter_delete(acting_user=author, chapter=chapter)
    assert Chapter.objects.filter(pk=chapter.pk).exists()


def test_nothing_is_deleted_once_published(author, course) -> None:
    activity = ActivityFactory(chapter=ChapterFactory(course=course))
    Course.objects.filter(pk=course.pk).update(status=CourseStatus.PUBLISHED)
    course.refresh_from_db()
    with pytest.raises(ValidationFailed, match="课程已发布过，不能删除学习活动"):
        actions.activity_delete(acting_user=author, activity=activity)
    assert Activity.objects.filter(pk=activity.pk).exists()


# --- Activities ----------------------------------------------------------------------------------
def test_page_bodies_are_sanitised(author, course) -> None:
    chapter = ChapterFactory(course=course)
    activity = actions.activity_create(
        acting_user=author,
        chapter=chapter,
        kind=ActivityKind.PAGE,
        title="导读",
        body='<p onclick="steal()">读一读<script>alert(1)</script><a href="javascript:x()">链接</a></p>',
    )
    assert "<script" not in activity.body_html and "onclick" not in activity.body_html
    assert "javascript:" not in activity.body_html and "读一读" in activity.body_html
    assert activity.completion == {"open": True}
    with pytest.raises(ValidationFailed, match="请填写页面正文"):
        actions.activity_create(
            acting_user=author, chapter=chapter, kind=ActivityKind.PAGE, title="空", body="<script>x</script>"
        )


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.example.edu.cn/lesson", True),
        ("http://10.0.0.5/wiki", True),
        ("javascript:alert(1)", False),
        ("ftp://files.example.edu.cn/a", False),
        ("data:text/html,hi", False),
        ("www.example.edu.cn", False),
    ],
)
def test_links_are_http_or_https_only(author, course, url, ok) -> None:
    chapter = ChapterFactory(course=course)
    if ok:
        activity = actions.activity_create(acting_user=author, chapter=chapter, kind="link", title="资源", url=url)
        assert activity.url == url
    else:
        with pytest.raises(ValidationFailed, match="链接地址只能以 http:// 或 https:// 开头"):
            actions.activity_create(acting_user=author, chapter=chapter, kind="link", title="资源", url=url)
        assert not Activity.objects.exists()


@pytest.mark.parametrize("kind", ["assignment", "discussion", "quiz"])
def test_kinds_not_offered_yet_are_refused(author, course, kind) -> None:
    with pytest.raises(ValidationFailed, match="不支持的学习活动类型"):
        actions.activity_create(acting_user=author, chapter=ChapterFactory(course=course), kind=kind, title="x")


@pytest.mark.parametrize(("ratio", "stored"), [(None, "0.9"), ("0.5", "0.5"), ("1", "1"), (Decimal("0.75"), "0.75")])
def test_watch_ratio_is_kept_as_a_decimal_string(ratio, stored) -> None:
    assert actions._completion(ActivityKind.VIDEO, ratio) == {"watch_ratio": stored}


@pytest.mark.parametrize("ratio", ["0.49", "1.01", "abc", "NaN"])
def test_watch_ratio_outside_half_to_whole_is_refused(ratio) -> None:
    with pytest.raises(ValidationFailed):
        actions._completion(ActivityKind.MICRO_LESSON, ratio)


def test_activities_reorder_and_move_between_chapters(author, course) -> None:
    first, second = ChapterFactory(course=course, position=0), ChapterFactory(course=course, position=1)
    a, b, c = (
        actions.activity_create(acting_user=author, chapter=first, kind="link", title=t, url="https://a.cn/")
        for t in "ABC"
    )
    in_first = lambda: positions(Activity.objects.filter(chapter=first).order_by("position"))  # noqa: E731
    assert in_first() == [("A", 0), ("B", 1), ("C", 2)]
    actions.activity_move(acting_user=author, activity=c, direction="up")
    assert in_first() == [("A", 0), ("C", 1), ("B", 2)]
    actions.activity_move(acting_user=author, activity=b, direction="down")  # already last
    assert in_first() == [("A", 0), ("C", 1), ("B", 2)]
    moved = actions.activity_move(acting_user=author, activity=a, chapter=second)
    assert (moved.chapter_id, moved.position) == (second.pk, 0)
    assert in_first() == [("C", 0), ("B", 1)]
    actions.activity_delete(acting_user=author, activity=c)
    assert in_first() == [("B", 0)]
    with pytest.raises(ValidationFailed, match="移动方向无效"):
        actions.activity_move(acting_user=author, activity=b, direction="sideways")
    foreign = ChapterFactory(course=draft_course_of(author))
    with pytest.raises(NotFound):
        actions.activity_move(acting_user=author, activity=b, chapter=foreign)


def test_another_author_cannot_touch_the_structure(author, course) -> None:
    chapter = ChapterFactory(course=course, title="原名")
    activity = ActivityFactory(chapter=chapter, title="原活动")
    other = course_author()
    with pytest.raises(NotFound):
        actions.chapter_update(acting_user=other, chapter=chapter, title="改")
    with pytest.raises(NotFound):
        actions.activity_delete(acting_user=other, activity=activity)
    with pytest.raises(NotFound):
        actions.activity_create(acting_user=other, chapter=chapter, kind="page", title="x", body="<p>x</p>")
    assert Chapter.objects.get(pk=chapter.pk).title == "原名" and Activity.objects.count() == 1


# --- Checkpoints ---------------------------------------------------------------------------------
@pytest.fixture
def video(course):
    return ActivityFactory(
        chapter=ChapterFactory(course=course), kind=ActivityKind.VIDEO, duration_seconds=120, media_status="ready"
    )


def test_checkpoint_create_update_delete(author, video) -> None:
    checkpoint = actions.checkpoint_create(
        acting_user=author, activity=video, at_seconds=60, question="本节的主题？", choices=["甲", " 乙 ", ""], answer=1
    )
    assert (checkpoint.at_seconds, checkpoint.choices, checkpoint.answer) == (60, ["甲", "乙"], 1)
    actions.checkpoint_update(
        acting_user=author, checkpoint=checkpoint, at_seconds=119, question="改", choices=list("ABCDEF"), answer=5
    )
    checkpoint.refresh_from_db()
    assert (checkpoint.at_seconds, checkpoint.answer, len(checkpoint.choices)) == (119, 5, 6)
    actions.checkpoint_delete(acting_user=author, checkpoint=checkpoint)
    assert not Checkpoint.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="checkpoint.").order_by("id")] == [
        "checkpoint.created",
        "checkpoint.updated",
        "checkpoint.deleted",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at_seconds": 120}, "出现时间应在 0 到 119 秒之间"),
        ({"at_seconds": -1}, "出现时间应在 0 到 119 秒之间"),
        ({"choices": ["只有一个"]}, "选项应有 2 到 6 个"),
        ({"choices": list("ABCDEFG")}, "选项应有 2 到 6 个"),
        ({"choices": ["同", "同"]}, "选项不能重复"),
        ({"answer": 2}, "请选择一个正确选项"),
        ({"question": ""}, "请填写问题"),
    ],
)
def test_checkpoint_validation(author, video, kwargs, message) -> None:
    args = {"at_seconds": 10, "question": "问", "choices": ["对", "错"], "answer": 0, **kwargs}
    with pytest.raises(ValidationFailed) as caught:
        actions.checkpoint_create(acting_user=author, activity=video, **args)
    assert message in caught.value.message
    assert not Checkpoint.objects.exists()


def test_checkpoints_only_on_videos_with_a_duration(author, course) -> None:
    page = ActivityFactory(chapter=ChapterFactory(course=course))
    with pytest.raises(ValidationFailed, match="只有视频和微课"):
        actions.checkpoint_create(
            acting_user=author, activity=page, at_seconds=1, question="q", choices=["a", "b"], answer=0
        )
    pending = ActivityFactory(chapter=page.chapter, kind=ActivityKind.MICRO_LESSON, duration_seconds=None)
    with pytest.raises(ValidationFailed, match="读出时长后"):
        actions.checkpoint_create(
            acting_user=author, activity=pending, at_seconds=1, question="q", choices=["a", "b"], answer=0
        )
