"""Authoring pages: the authorization matrix of each, and what each does."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yanxiu.catalog.models import Activity, ActivityKind, Chapter, Checkpoint, Course, CourseStatus
from yanxiu.catalog.tests.factories import ActivityFactory, ChapterFactory, course_author, draft_course_of
from yanxiu.core.models import AuditEvent
from yanxiu.org.models import Role, Subject
from yanxiu.org.tests.factories import TeacherFactory, district_admin, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(regions):
    author = course_author()
    course = draft_course_of(author, title="甲的课程")
    chapter = ChapterFactory(course=course, title="第一章", position=0)
    second = ChapterFactory(course=course, title="第二章", position=1)
    page = ActivityFactory(chapter=chapter, title="导读", position=0)
    video = ActivityFactory(
        chapter=chapter, kind=ActivityKind.VIDEO, title="第一讲", position=1, duration_seconds=100, media_status="ready"
    )
    checkpoint = Checkpoint.objects.create(activity=video, at_seconds=5, question="问", choices=["甲", "乙"], answer=0)
    return {
        "author": author,
        "course": course,
        "chapter": chapter,
        "second": second,
        "page": page,
        "video": video,
        "checkpoint": checkpoint,
    }


def urls(w) -> dict[str, tuple[str, str]]:
    """Every catalog page: name → (method, url)."""
    c, ch, a, v, cp = w["course"].pk, w["chapter"].pk, w["page"].pk, w["video"].pk, w["checkpoint"].pk
    return {
        "course_list": ("get", reverse("catalog:course_list")),
        "course_create": ("get", reverse("catalog:course_create")),
        "course_structure": ("get", reverse("catalog:course_structure", args=[c])),
        "course_edit": ("get", reverse("catalog:course_edit", args=[c])),
        "course_publish": ("post", reverse("catalog:course_publish", args=[c])),
        "course_retire": ("post", reverse("catalog:course_retire", args=[c])),
        "chapter_create": ("post", reverse("catalog:chapter_create", args=[c])),
        "chapter_rename": ("post", reverse("catalog:chapter_rename", args=[ch])),
        "chapter_delete": ("post", reverse("catalog:chapter_delete", args=[w["second"].pk])),
        "chapter_move": ("post", reverse("catalog:chapter_move", args=[ch])),
        "activity_create": ("get", reverse("catalog:activity_create", args=[ch]) + "?kind=page"),
        "activity_edit": ("get", reverse("catalog:activity_edit", args=[a])),
        "activity_media_status": ("get", reverse("catalog:activity_media_status", args=[v])),
        "activity_delete": ("post", reverse("catalog:activity_delete", args=[a])),
        "activity_move": ("post", reverse("catalog:activity_move", args=[a])),
        "checkpoint_create": ("post", reverse("catalog:checkpoint_create", args=[v])),
        "checkpoint_edit": ("get", reverse("catalog:checkpoint_edit", args=[cp])),
        "checkpoint_delete": ("post", reverse("catalog:checkpoint_delete", args=[cp])),
    }


POST_DATA = {
    "title": "改过的名字",
    "direction": "down",
    "at_seconds": "1",
    "question": "q",
    "choices": "a\nb",
    "answer": "1",
}
NAMES = [
    "course_list",
    "course_create",
    "course_structure",
    "course_edit",
    "course_publish",
    "course_retire",
    "chapter_create",
    "chapter_rename",
    "chapter_delete",
    "chapter_move",
    "activity_create",
    "activity_edit",
    "activity_media_status",
    "activity_delete",
    "activity_move",
    "checkpoint_create",
    "checkpoint_edit",
    "checkpoint_delete",
]
LIST_PAGES = {"course_list", "course_create"}


def snapshot():
    return (
        list(Course.objects.order_by("pk").values()),
        list(Chapter.objects.order_by("pk").values()),
        list(Activity.objects.order_by("pk").values()),
        list(Checkpoint.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action__startswith="login").count(),
    )


def call(client: Client, method: str, url: str, **kwargs):
    return client.post(url, POST_DATA, **kwargs) if method == "post" else client.get(url, **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_anonymous_is_sent_to_login_and_changes_nothing(world, name) -> None:
    method, url = urls(world)[name]
    before = snapshot()
    response = call(Client(), method, url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert snapshot() == before


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("who", ["learner", "district_admin", "reviewer", "other_author"])
def test_wrong_people_are_refused_and_change_nothing(world, client_for, name, who) -> None:
    user = {
        "learner": lambda: TeacherFactory().user,
        "district_admin": lambda: district_admin("440105"),
        "reviewer": lambda: user_with_role(Role.COURSE_REVIEWER),
        "other_author": course_author,
    }[who]()
    method, url = urls(world)[name]
    before = snapshot()
    response = call(client_for(user), method, url)
    if who == "other_author" and name in LIST_PAGES:
        assert response.status_code == 200
        assert "甲的课程" not in response.content.decode()
    elif name in LIST_PAGES:
        assert response.status_code == 403
        assert "只有课程作者可以制作课程" in response.content.decode()
    else:
        assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("who", ["author", "system_admin"])
def test_the_author_and_system_admin_reach_every_page(world, client_for, name, who) -> None:
    user = world["author"] if who == "author" else user_with_role(Role.SYSTEM_ADMIN)
    method, url = urls(world)[name]
    response = call(client_for(user), method, url)
    assert response.status_code in (200, 302), response.content.decode()[:500]


def test_course_list_shows_own_courses_and_admin_sees_all(world, client_for) -> None:
    other = draft_course_of(course_author(), title="别人的课程")
    html = client_for(world["author"]).get(reverse("catalog:course_list")).content.decode()
    assert "甲的课程" in html and "别人的课程" not in html
    html = client_for(user_with_role(Role.SYSTEM_ADMIN)).get(reverse("catalog:course_list")).content.decode()
    assert "甲的课程" in html and other.title in html


def test_navigation_offers_authoring_to_authors_only(world, client_for) -> None:
    author_html = client_for(world["author"]).get(reverse("catalog:course_list")).content.decode()
    assert 'href="/catalog/"' in author_html and "课程制作" in author_html
    learner_html = client_for(TeacherFactory().user).get(reverse("accounts:password_change")).content.decode()
    assert 'href="/catalog/"' not in learner_html


def test_create_course_through_the_form(world, client_for) -> None:
    client = client_for(world["author"])
    chinese = Subject.objects.get(code="chinese")
    response = client.post(
        reverse("catalog:course_create"),
        {
            "code": "N1",
            "title": "新课",
            "category": "elective",
            "credit_hours": "1.5",
            "all_stages": "on",
            "subjects": [chinese.pk],
        },
    )
    course = Course.objects.get(code="N1")
    assert response.status_code == 302 and response["Location"] == reverse("catalog:course_structure", args=[course.pk])
    assert course.created_by == world["author"] and course.credit_hours == 1.5
    response = client.post(
        reverse("catalog:course_create"),
        {"code": "N2", "title": "缺学段", "category": "elective", "credit_hours": "0.4"},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "请选择学段，或勾选“全学段”。" in html
    assert not Course.objects.filter(code="N2").exists()


def test_reorder_with_htmx_returns_the_structure_and_without_js_redirects(world, client_for) -> None:
    client = client_for(world["author"])
    url = reverse("catalog:activity_move", args=[world["video"].pk])
    response = client.post(url, {"direction": "up"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="course-structure">')
    assert html.index("第一讲") < html.index("导读")
    response = client.post(url, {"direction": "down"})
    assert response.status_code == 302
    assert list(
        Activity.objects.filter(chapter=world["chapter"]).order_by("position").values_list("title", flat=True)
    ) == [
        "导读",
        "第一讲",
    ]
    response = client.post(reverse("catalog:activity_move", args=[world["page"].pk]), {"chapter": world["second"].pk})
    assert Activity.objects.get(pk=world["page"].pk).chapter == world["second"]


def test_structure_errors_are_shown_in_the_fragment(world, client_for) -> None:
    response = client_for(world["author"]).post(
        reverse("catalog:chapter_delete", args=[world["chapter"].pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "请先删除本章的学习活动" in response.content.decode()
    assert Chapter.objects.filter(pk=world["chapter"].pk).exists()


def test_publish_shows_what_is_missing(world, client_for) -> None:
    Activity.objects.filter(pk=world["video"].pk).update(media_status="processing")
    client = client_for(world["author"])
    response = client.post(reverse("catalog:course_publish", args=[world["course"].pk]), follow=True)
    assert "以下视频尚未处理完成：第一讲" in response.content.decode()
    assert Course.objects.get(pk=world["course"].pk).status == CourseStatus.DRAFT


def test_bad_upload_through_the_page_shows_the_message_and_saves_nothing(world, client_for, settings) -> None:
    client = client_for(world["author"])
    url = reverse("catalog:activity_create", args=[world["chapter"].pk]) + "?kind=video"
    before = Activity.objects.count()
    response = client.post(
        url,
        {"title": "假视频", "required": "on", "watch_percent": "90", "file": SimpleUploadedFile("a.mp4", b"hi" * 50)},
    )
    assert response.status_code == 400 and "无法识别为视频文件" in response.content.decode()
    assert Activity.objects.count() == before
    assert not (settings.MEDIA_ROOT / "uploads").exists()


def test_kinds_not_offered_have_no_form(world, client_for) -> None:
    url = reverse("catalog:activity_create", args=[world["chapter"].pk]) + "?kind=assignment"
    assert client_for(world["author"]).get(url).status_code == 404
    html = (
        client_for(world["author"]).get(reverse("catalog:course_structure", args=[world["course"].pk])).content.decode()
    )
    assert "kind=video" in html and "kind=assignment" not in html and "kind=discussion" not in html


def test_media_status_polls_while_processing(world, client_for) -> None:
    Activity.objects.filter(pk=world["video"].pk).update(media_status="processing", media_progress=42)
    url = reverse("catalog:activity_media_status", args=[world["video"].pk])
    html = client_for(world["author"]).get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in html and "42%" in html
    Activity.objects.filter(pk=world["video"].pk).update(media_status="failed", media_error="视频转码失败：坏了")
    html = client_for(world["author"]).get(url).content.decode()
    assert "hx-trigger" not in html and "视频转码失败：坏了" in html


def test_checkpoint_pages(world, client_for) -> None:
    client = client_for(world["author"])
    video = world["video"]
    response = client.post(
        reverse("catalog:checkpoint_create", args=[video.pk]),
        {"at_seconds": "30", "question": "哪个对？", "choices": "甲\n乙\n丙", "answer": "3"},
    )
    assert response.status_code == 302
    assert Checkpoint.objects.get(question="哪个对？").answer == 2
    response = client.post(
        reverse("catalog:checkpoint_create", args=[video.pk]),
        {"at_seconds": "300", "question": "太晚", "choices": "甲\n乙", "answer": "1"},
    )
    assert response.status_code == 400 and "出现时间应在 0 到 99 秒之间" in response.content.decode()


def test_document_download_needs_sign_in_and_access(world, client_for, settings) -> None:
    doc = ActivityFactory(chapter=world["chapter"], kind=ActivityKind.DOCUMENT, title="教案")
    (settings.MEDIA_ROOT / "uploads").mkdir(parents=True)
    (settings.MEDIA_ROOT / "uploads" / "x.docx").write_bytes(b"PK\x03\x04")
    Activity.objects.filter(pk=doc.pk).update(media_file="uploads/x.docx")
    url = reverse("catalog:activity_download", args=[doc.pk])
    assert Client().get(url).status_code == 302
    assert client_for(TeacherFactory().user).get(url).status_code == 404
    response = client_for(world["author"]).get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert Client().get("/media/uploads/x.docx").status_code == 404
