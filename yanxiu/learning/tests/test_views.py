"""The learner's pages and the player's endpoints: who may reach what, and what they show."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from yanxiu.catalog.models import ActivityKind, Chapter, Checkpoint
from yanxiu.learning.models import ActivityProgress, Playback, Statement
from yanxiu.learning.tests.factories import add_activity, build_course, enrol
from yanxiu.org.models import Role
from yanxiu.org.tests.factories import TeacherFactory, UserFactory, district_admin, user_with_role
from yanxiu.training.models import Enrolment

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolment(regions):
    return enrol(build_course([ActivityKind.VIDEO, ActivityKind.PAGE, ActivityKind.LINK], title="班级管理艺术"))


def urls(enrolment):
    video, page, _link = enrolment.offering.course.activities.order_by("position")
    return {
        "course": reverse("learning:course", args=[enrolment.pk]),
        "video": reverse("learning:activity", args=[enrolment.pk, video.pk]),
        "page": reverse("learning:activity", args=[enrolment.pk, page.pk]),
        "play": reverse("learning:play", args=[enrolment.pk, video.pk]),
    }


def snapshot():
    return (
        ActivityProgress.objects.count(),
        Playback.objects.count(),
        Statement.objects.count(),
        sorted(Enrolment.objects.values_list("pk", "status", "progress")),
    )


# --- Authorization -------------------------------------------------------------------------------
def test_anonymous_is_sent_to_sign_in(client, enrolment) -> None:
    for url in [reverse("learning:center"), *urls(enrolment).values()]:
        response = client.get(url) if not url.endswith("play") else client.post(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert Playback.objects.count() == 0


@pytest.mark.parametrize(
    "who",
    ["other_teacher", "tutor", "district_admin"],
)
def test_nobody_else_reaches_a_learners_enrolment(client, enrolment, who) -> None:
    users = {
        "other_teacher": lambda: TeacherFactory().user,
        "tutor": lambda: user_with_role(Role.TUTOR, region_code="440105"),
        "district_admin": lambda: district_admin("440105"),
    }
    client.force_login(users[who]())
    before = snapshot()
    links = urls(enrolment)
    assert client.get(links["course"]).status_code == 404
    assert client.get(links["video"]).status_code == 404
    assert client.get(links["page"]).status_code == 404
    assert client.post(links["play"]).status_code == 404
    assert snapshot() == before


def test_an_activity_of_another_course_is_not_found(client, enrolment) -> None:
    other = build_course()
    client.force_login(enrolment.teacher.user)
    url = reverse("learning:activity", args=[enrolment.pk, other.activities.first().pk])
    assert client.get(url).status_code == 404


def test_a_user_without_enrolments_sees_an_empty_center(client, regions) -> None:
    client.force_login(UserFactory())
    response = client.get(reverse("learning:center"))
    assert response.status_code == 200
    assert "目前没有开放中的课程" in response.content.decode()


# --- 学习中心 and the pop-up ----------------------------------------------------------------------
def test_center_lists_courses_and_shows_the_popup_once(client, enrolment) -> None:
    client.force_login(enrolment.teacher.user)
    first = client.get(reverse("learning:center")).content.decode()
    assert 'data-testid="login-popup"' in first
    assert "班级管理艺术" in first
    assert "未开始" in first
    second = client.get(reverse("learning:center")).content.decode()
    assert 'data-testid="login-popup"' not in second


def test_learner_workbench_is_the_center(client, enrolment) -> None:
    user = enrolment.teacher.user
    from yanxiu.org.models import RoleAssignment

    RoleAssignment.objects.create(user=user, role=Role.LEARNER)
    client.force_login(user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("learning:center")


# --- Course page ---------------------------------------------------------------------------------
def test_course_page_shows_checklist_states_and_resume(client, enrolment, settings) -> None:
    settings.LEARNING_MIN_VIEW_SECONDS = 0
    client.force_login(enrolment.teacher.user)
    links = urls(enrolment)
    client.get(links["page"])
    page = enrolment.offering.course.activities.get(kind=ActivityKind.PAGE)
    client.post(reverse("learning:complete", args=[enrolment.pk, page.pk]))
    html = client.get(links["course"]).content.decode()
    assert "完成必修活动 1 项（需完成 2 项，共 3 项）" in html
    assert "还需完成 1 项必修活动" in html
    assert "继续学习" in html
    assert html.count("已完成") == 1
    assert f'href="{links["page"]}" data-testid="resume"' in html


def big_course(chapters: int, per_chapter: int):
    course = build_course([])
    for c in range(chapters):
        chapter = Chapter.objects.create(course=course, title=f"第{c + 2}章", position=c + 1)
        for _ in range(per_chapter):
            add_activity(chapter)
    return course


def test_course_page_queries_do_not_grow_with_the_course(client, regions, django_assert_num_queries) -> None:
    small = enrol(big_course(1, 2))
    large = enrol(big_course(20, 10), small.teacher)
    client.force_login(small.teacher.user)
    for enrolment in (small, large):  # warm the session and the outlines
        client.get(reverse("learning:course", args=[enrolment.pk]))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for enrolment in (small, large):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("learning:course", args=[enrolment.pk])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert counts[0] <= 8  # session, user, enrolment, outline version, progress, savepoints


def test_outline_follows_authoring_changes(client, enrolment) -> None:
    """Reorders and renames are bulk updates that leave updated_at alone: the course's structure
    version still moves the learner's cached outline on."""
    from yanxiu.catalog import actions as catalog_actions

    author = user_with_role(Role.SYSTEM_ADMIN)
    course = enrolment.offering.course
    chapter = course.chapters.get()
    client.force_login(enrolment.teacher.user)
    url = reverse("learning:course", args=[enrolment.pk])

    titles = ("课程视频", "课程页面", "课程链接")

    def order() -> list[str]:
        html = client.get(url).content.decode()
        return sorted(titles, key=html.index)

    for activity, title in zip(course.activities.order_by("position"), titles, strict=True):
        activity.title = title
        activity.save()
    assert order() == ["课程视频", "课程页面", "课程链接"]
    link = course.activities.get(kind=ActivityKind.LINK)
    catalog_actions.activity_move(acting_user=author, activity=link, direction="up")
    assert order() == ["课程视频", "课程链接", "课程页面"]
    catalog_actions.chapter_update(acting_user=author, chapter=chapter, title="改名的章节")
    assert "改名的章节" in client.get(url).content.decode()


def test_center_queries_do_not_grow_with_enrolments(client, regions) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    teacher = TeacherFactory()
    enrol(build_course(), teacher)
    client.force_login(teacher.user)
    client.get(reverse("learning:center"))
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("learning:center"))
        counts.append(len(captured))
        for _ in range(5):
            enrol(build_course(), teacher)
    assert counts[0] == counts[1]


# --- Activities ----------------------------------------------------------------------------------
def test_video_page_carries_the_player_configuration(client, enrolment) -> None:
    video = enrolment.offering.course.activities.get(kind=ActivityKind.VIDEO)
    Checkpoint.objects.create(activity=video, at_seconds=5, question="问题", choices=["甲", "乙"], answer=0)
    client.force_login(enrolment.teacher.user)
    response = client.get(urls(enrolment)["video"])
    html = response.content.decode()
    assert "vendor/hls/hls.min.js" in html
    config = json.loads(html.split('id="player-config" type="application/json">')[1].split("</script>")[0])
    assert config["playlist"].endswith("/index.m3u8")
    assert config["checkpoints"] == [
        {"id": video.checkpoints.get().pk, "at": 5, "question": "问题", "choices": ["甲", "乙"]}
    ]
    assert "answer" not in html.split('id="player-config"')[1].split("</script>")[0]


def test_page_body_and_link(client, enrolment) -> None:
    client.force_login(enrolment.teacher.user)
    link = enrolment.offering.course.activities.get(kind=ActivityKind.LINK)
    link.url = "https://example.edu.cn/x"
    link.save()
    complete = reverse("learning:complete", args=[enrolment.pk, link.pk])
    html = client.get(reverse("learning:activity", args=[enrolment.pk, link.pk])).content.decode()
    assert f'action="{complete}?go=1" target="_blank"' in html
    assert "https://example.edu.cn/x" in html
    # Following the link completes it and leads there (the activity's own URL, never a parameter).
    response = client.post(f"{complete}?go=1&next=https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "https://example.edu.cn/x"
    assert ActivityProgress.objects.get(activity=link).state == "completed"
    assert "<p>正文</p>" in client.get(urls(enrolment)["page"]).content.decode()


def test_complete_endpoint_waits_and_answers_json_or_redirects(client, enrolment, settings) -> None:
    settings.LEARNING_MIN_VIEW_SECONDS = 30
    page = enrolment.offering.course.activities.get(kind=ActivityKind.PAGE)
    url = reverse("learning:complete", args=[enrolment.pk, page.pk])
    client.force_login(enrolment.teacher.user)
    assert client.get(url).status_code == 405  # a GET (prefetch, crawler) completes nothing
    not_opened = client.post(url, HTTP_ACCEPT="application/json")
    assert not_opened.status_code == 400 and not_opened.json()["code"] == "not_opened"
    html = client.get(urls(enrolment)["page"]).content.decode()
    assert 'data-wait="30"' in html
    too_soon = client.post(url, HTTP_ACCEPT="application/json")
    assert too_soon.status_code == 400 and "秒后再标记完成" in too_soon.json()["message"]
    back = client.post(url, follow=True)  # without JavaScript: back to the page with the message
    assert "秒后再标记完成" in back.content.decode()
    ActivityProgress.objects.filter(activity=page).update(started_at=timezone.now() - dt.timedelta(seconds=31))
    done = client.post(url, HTTP_ACCEPT="application/json")
    assert done.json() == {"completed": True, "progress": 50}


@pytest.mark.parametrize("who", ["anonymous", "other_teacher"])
def test_nobody_else_completes_a_learners_activity(client, enrolment, who) -> None:
    page = enrolment.offering.course.activities.get(kind=ActivityKind.PAGE)
    if who == "other_teacher":
        client.force_login(TeacherFactory().user)
    response = client.post(reverse("learning:complete", args=[enrolment.pk, page.pk]))
    assert response.status_code == (302 if who == "anonymous" else 404)
    assert not ActivityProgress.objects.exists()


# --- Player endpoints ----------------------------------------------------------------------------
def post_beats(client, playback, beats):
    return client.post(
        reverse("learning:heartbeat"),
        json.dumps({"playback": playback, "beats": beats}),
        content_type="application/json",
    )


def test_play_and_heartbeat_endpoints(client, enrolment) -> None:
    client.force_login(enrolment.teacher.user)
    started = client.post(urls(enrolment)["play"]).json()
    assert started["duration"] == 100
    response = post_beats(
        client, started["playback"], [{"seq": 0, "start": 0, "end": 0, "position": 0, "event": "play"}]
    )
    assert response.status_code == 200
    assert response.json()["applied"] == [0]


def test_heartbeat_needs_no_session_but_a_live_playback(client, enrolment) -> None:
    client.force_login(enrolment.teacher.user)
    first = client.post(urls(enrolment)["play"]).json()["playback"]
    second = client.post(urls(enrolment)["play"]).json()["playback"]
    client.logout()
    beat = [{"seq": 0, "start": 0, "end": 1, "position": 1}]
    superseded = post_beats(client, first, beat)
    assert superseded.status_code == 409
    assert superseded.json()["code"] == "superseded"
    assert post_beats(client, second, beat).status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"playback": "x"}', b'{"beats": [{"seq": 0, "start": 0, "end": 1}]}'],
)
def test_bad_heartbeat_bodies(client, enrolment, body) -> None:
    response = client.post(reverse("learning:heartbeat"), body, content_type="application/json")
    assert response.status_code in (400, 404)
    assert response.json()["message"]


def test_heartbeat_is_post_only(client) -> None:
    assert client.get(reverse("learning:heartbeat")).status_code == 405


def test_checkpoint_endpoint(client, enrolment) -> None:
    video = enrolment.offering.course.activities.get(kind=ActivityKind.VIDEO)
    question = Checkpoint.objects.create(activity=video, at_seconds=5, question="问题", choices=["甲", "乙"], answer=1)
    url = reverse("learning:checkpoint", args=[enrolment.pk, video.pk, question.pk])
    client.force_login(enrolment.teacher.user)
    assert client.post(url, {"choice": "0"}).json()["correct"] is False
    assert client.post(url, {"choice": "x"}).status_code == 400
    assert client.post(url, {"choice": "1"}).json()["correct"] is True
    other = TeacherFactory().user
    client.force_login(other)
    assert client.post(url, {"choice": "1"}).status_code == 404


def test_heartbeat_loads_neither_session_nor_user(client, enrolment) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(enrolment.teacher.user)
    playback = client.post(urls(enrolment)["play"]).json()["playback"]
    with CaptureQueriesContext(connection) as captured:
        response = post_beats(client, playback, [{"seq": 0, "start": 0, "end": 1, "position": 1}])
    assert response.status_code == 200
    sql = " ".join(q["sql"] for q in captured)
    assert "django_session" not in sql
    assert "accounts_user" not in sql
    tables = [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(tables) <= 5, tables


# --- Recompute (administrators) ------------------------------------------------------------------
@pytest.fixture
def rule_changed(regions):
    from yanxiu.learning import actions

    course = build_course()
    enrolment = enrol(course)
    later = timezone.now() + dt.timedelta(minutes=1)
    for page in course.activities.all()[:2]:
        actions.activity_open(acting_user=enrolment.teacher.user, enrolment=enrolment, activity=page)
        actions.activity_complete(acting_user=enrolment.teacher.user, enrolment=enrolment, activity=page, now=later)
    offering = enrolment.offering
    offering.pass_rule = {"required_ratio": "0.4", "assignment_required": True}
    offering.save()
    return enrolment


@pytest.mark.parametrize(
    "who, status", [("anonymous", 302), ("learner", 403), ("school_admin", 403), ("other_city", 404)]
)
def test_recompute_is_for_the_organisers_admins(client, rule_changed, who, status) -> None:
    users = {
        "anonymous": lambda: None,
        "learner": lambda: rule_changed.teacher.user,
        "school_admin": lambda: user_with_role(Role.SCHOOL_ADMIN, school=rule_changed.teacher.school),
        "other_city": lambda: user_with_role(Role.CITY_ADMIN, region_code="440300"),
    }
    user = users[who]()
    if user is not None:
        client.force_login(user)
    url = reverse("learning:recompute", args=[rule_changed.offering.period_id])
    assert client.get(url).status_code == status
    assert client.post(url).status_code == status
    rule_changed.refresh_from_db()
    assert rule_changed.status == "learning"


def test_recompute_preview_then_confirm(client, rule_changed) -> None:
    client.force_login(user_with_role(Role.CITY_ADMIN, region_code="440100"))
    url = reverse("learning:recompute", args=[rule_changed.offering.period_id])
    assert client.get(reverse("learning:recompute", args=[0])).status_code == 404
    html = client.get(url).content.decode()
    assert 'data-testid="newly-passed">1<' in html
    rule_changed.refresh_from_db()
    assert rule_changed.status == "learning"
    response = client.post(url, follow=True)
    assert "新通过 1 人" in response.content.decode()
    rule_changed.refresh_from_db()
    assert rule_changed.status == "passed"


def test_documents_are_shown_or_offered_for_download(client, enrolment) -> None:
    chapter = enrolment.offering.course.chapters.get()
    pdf = add_activity(chapter, ActivityKind.DOCUMENT, viewer_file="viewer/1/handout.pdf", media_file="uploads/1/a.pdf")
    office = add_activity(chapter, ActivityKind.DOCUMENT, media_file="uploads/1/b.docx")
    client.force_login(enrolment.teacher.user)
    html = client.get(reverse("learning:activity", args=[enrolment.pk, pdf.pk])).content.decode()
    assert '<iframe src="/media/viewer/1/handout.pdf"' in html
    html = client.get(reverse("learning:activity", args=[enrolment.pk, office.pk])).content.decode()
    assert "请下载后阅读" in html
    assert reverse("catalog:activity_download", kwargs={"activity_id": office.pk}) in html
    assert "uploads/1/b.docx" not in html  # the original is never a public media URL
    # Opening a document does not complete it: that needs a POST after the minimum time.
    states = ActivityProgress.objects.filter(activity__in=[pdf, office]).values_list("state", flat=True)
    assert set(states) == {"in_progress"}
    assert 'data-testid="complete-form"' in html


def test_heartbeat_takes_the_short_way_through_the_middleware(client, enrolment) -> None:
    client.force_login(enrolment.teacher.user)
    playback = client.post(urls(enrolment)["play"]).json()["playback"]
    response = post_beats(client, playback, [{"seq": 0, "start": 0, "end": 1, "position": 1}])
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert "Content-Language" not in response  # the language middleware never ran
    assert "Content-Language" in client.get(reverse("learning:center"))


def test_outline_version_is_rechecked_after_a_few_seconds(client, enrolment, settings) -> None:
    from yanxiu.learning import selectors

    settings.LEARNING_OUTLINE_RECHECK_SECONDS = 60
    course_id = enrolment.offering.course_id
    first = selectors.course_outline(course_id)
    add_activity(enrolment.offering.course.chapters.get(), title="新增的活动")
    assert selectors.course_outline(course_id) is first  # trusted for a while
    settings.LEARNING_OUTLINE_RECHECK_SECONDS = 0
    assert "新增的活动" in selectors.course_outline(course_id).titles.values()
