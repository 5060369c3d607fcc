"""A learner's evening, in the real Chromium: sign in, see the pop-up, open a course, play a real
(ffmpeg-made, HLS-transcoded) video until it completes, read the page, and see 已通过 with the
hours earned. Starting the same video in another window pauses the first one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files import File
from playwright.sync_api import Browser, Page, expect

from yanxiu.catalog import actions as catalog_actions
from yanxiu.catalog import media
from yanxiu.catalog.models import Activity, ActivityKind, MediaStatus
from yanxiu.conftest import PASSWORD
from yanxiu.learning.models import ActivityProgress
from yanxiu.learning.tests.factories import enrol
from yanxiu.org.models import Role
from yanxiu.org.tests.factories import TeacherFactory, UserFactory, make_regions, user_with_role

pytestmark = pytest.mark.browser
VIDEO_SECONDS = 5


@pytest.fixture
def learner(transactional_db: Any, settings: Any, tmp_path: Any) -> Any:
    """Committed data for the live server thread: a published course with a real video and a page."""
    settings.LEARNING_HEARTBEAT_SECONDS = 1
    settings.LEARNING_MIN_VIEW_SECONDS = 2
    make_regions()
    author = user_with_role(Role.COURSE_AUTHOR)
    course = catalog_actions.course_create(
        acting_user=author,
        code="B-001",
        title="班级管理的艺术",
        category="elective",
        credit_hours=Decimal("4"),
        all_stages=True,
        all_subjects=True,
    )
    chapter = catalog_actions.chapter_create(acting_user=author, course=course, title="第一章")
    source = media.make_sample_video(tmp_path / "lecture.mp4", seconds=VIDEO_SECONDS, label="B-001")
    with source.open("rb") as handle:
        video = catalog_actions.activity_create(
            acting_user=author,
            chapter=chapter,
            kind=ActivityKind.VIDEO,
            title="专题讲座",
            upload=File(handle, name="lecture.mp4"),
        )
    media.transcode_activity(video.pk)
    assert Activity.objects.get(pk=video.pk).media_status == MediaStatus.READY
    catalog_actions.activity_create(
        acting_user=author, chapter=chapter, kind=ActivityKind.PAGE, title="学习反思", body="<p>写下一点体会。</p>"
    )
    catalog_actions.course_publish(acting_user=author, course=course)
    teacher = TeacherFactory(user=UserFactory(username="T900001", real_name="林晓燕"))
    return enrol(course, teacher)


def sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("教师编号或手机号").fill("T900001")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def play(page: Page) -> None:
    # Headless Chromium may refuse autoplay with sound: play muted, as a teacher's click would.
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.evaluate("() => { const v = document.getElementById('player'); v.muted = true; return v.play(); }")


def test_learner_watches_a_video_completes_the_course_and_a_second_window_pauses_the_first(
    live_server: Any, page: Page, browser: Browser, learner: Any
) -> None:
    url = live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, url)
    # The learner lands on 学习中心 with the pop-up listing this period's courses.
    popup = page.get_by_test_id("login-popup")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("班级管理的艺术")
    popup.get_by_role("button", name="知道了").click()
    expect(popup).to_be_hidden()
    expect(page.get_by_test_id("course-status")).to_have_text("未开始")

    page.get_by_test_id("course-card").click()
    expect(page.get_by_test_id("checklist")).to_contain_text("完成必修活动 0 项（需完成 2 项，共 2 项）")
    page.get_by_test_id("resume").click()  # 开始学习：专题讲座

    # Play in the first window until a heartbeat has been counted.
    play(page)
    expect(page.locator("#watched")).not_to_have_text("0", timeout=10_000)

    # The same learner starts the video in a second window (another device: its own session).
    other_context = browser.new_context()
    other = other_context.new_page()
    sign_in(other, url)
    other.goto(page.url)
    play(other)
    expect(page.get_by_test_id("player-message")).to_contain_text("其他窗口或设备", timeout=10_000)
    assert page.evaluate("document.getElementById('player').paused") is True

    # The second window plays to the end; the video completes there.
    expect(other.get_by_test_id("activity-state")).to_have_text("已完成", timeout=(VIDEO_SECONDS + 15) * 1000)
    other_context.close()

    # Back in the first window: the course page, then the page activity, then 已通过.
    page.goto(f"{url}/learn/e/{learner.pk}/")
    expect(page.get_by_test_id("checklist")).to_contain_text("完成必修活动 1 项")
    page.get_by_role("link", name="学习反思").first.click()
    expect(page.get_by_test_id("page-body")).to_contain_text("写下一点体会")
    # Read for the minimum time: the page marks itself complete.
    expect(page.get_by_test_id("activity-state")).to_have_text("已完成", timeout=10_000)
    page.get_by_role("link", name="返回课程").click()
    expect(page.get_by_test_id("course-status")).to_have_text("已通过")
    expect(page.get_by_test_id("passed-note")).to_contain_text("获得 4 学时")

    # 学习中心 agrees, and on a phone-sized screen too.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{url}/learn/")
    expect(page.get_by_test_id("course-status")).to_have_text("已通过")
    expect(page.get_by_test_id("course-progress")).to_have_text("100%")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    for path in (
        f"/learn/e/{learner.pk}/",
        f"/learn/e/{learner.pk}/a/{learner.offering.course.activities.first().pk}/",
    ):
        page.goto(url + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
    assert errors == []


def test_heartbeats_sent_while_offline_are_queued_and_counted_when_the_network_returns(
    live_server: Any, page: Page, learner: Any
) -> None:
    sign_in(page, live_server.url)
    video = learner.offering.course.activities.get(kind=ActivityKind.VIDEO)
    page.goto(f"{live_server.url}/learn/e/{learner.pk}/a/{video.pk}/")
    play(page)
    expect(page.locator("#watched")).not_to_have_text("0", timeout=10_000)
    # Most of the video plays offline: without the queue those seconds would be lost and the
    # video could not reach 90%.
    page.context.set_offline(True)
    expect(page.get_by_test_id("player-message")).to_contain_text("网络已断开", timeout=5_000)
    page.wait_for_function("document.getElementById('player').ended", timeout=(VIDEO_SECONDS + 10) * 1000)
    page.context.set_offline(False)
    expect(page.get_by_test_id("activity-state")).to_have_text("已完成", timeout=10_000)
    progress = ActivityProgress.objects.get(enrolment=learner, activity=video)
    assert progress.seconds_watched >= 0.9 * VIDEO_SECONDS
