"""Data and sessions for the learning-loop benchmarks (issue 3), and their query counts.

    YANXIU_VAR_DIR=... [DATABASE_URL=...] .venv/bin/python benchmarks/bench_learning.py OUT_DIR \
        [--learners 1000] [--course-sessions 256] [--center-learners 100] [--seed 3]

Run by benchmarks/run.py (`--only learning`) after migrate + load-regions, in an empty database.
Builds, with bulk inserts:
  - a course shaped like Moodle's standard medium test course: 101 chapters, 307 activities
    (200 pages, 100 assignments, 6 documents, 1 discussion);
  - a small video course (1 chapter: a 3,600 s video and 2 pages), the heartbeats' video;
  - 18 more small courses (3 pages each) for the 学习中心 learners;
  - one project and a period open today; `--learners` learners enrolled in the medium course
    and the video course, each with progress rows on a random 30-70 % of the medium course's
    activities (about 4 in 5 completed, the rest in progress), and a live playback of the video
    started with `actions.playback_start`;
  - `--center-learners` of them also enrolled in the 18 small courses (20 enrolments each),
    with progress, some passed; and one more learner with a single enrolment.
Signs learners in by creating database sessions (what login leaves, minus the login pop-up,
which is marked shown) and writes the files the wrk script reads:
  OUT_DIR/playbacks.txt   one live playback id a line
  OUT_DIR/course.txt      session key TAB /learn/e/<enrolment>/ (medium course), one learner a line
  OUT_DIR/center.txt      session key TAB /learn/ (learners with 20 enrolments)
Then counts, in-process with django.test.Client and CaptureQueriesContext, the queries of one
course page (307- and 3-activity course, outline cached and cold) and one 学习中心 (1 and 20
enrolments), and checks every written session gets a 200. Prints one JSON object on the last line.

With --profile N it then makes N in-process requests of each endpoint (/healthz, the heartbeat,
the course page, 学习中心) under cProfile, writing OUT_DIR/profile-NAME.txt, and times them again
without the profiler, split into SQL, navigation, the view's selector and the template (the
"breakdown_ms" of the JSON). The heartbeats it posts use seq 1, 2, ... per playback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanxiu.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from yanxiu.accounts.middleware import SESSION_SEEN, SESSION_STARTED  # noqa: E402
from yanxiu.accounts.models import User  # noqa: E402
from yanxiu.catalog.models import Activity, ActivityKind, Chapter, Course, CourseStatus, MediaStatus  # noqa: E402
from yanxiu.core.bulk import bulk_insert  # noqa: E402
from yanxiu.learning import actions  # noqa: E402
from yanxiu.learning.models import ActivityProgress, ProgressState  # noqa: E402
from yanxiu.learning.pass_rules import ASSIGNMENT, ActivityFacts, evaluate  # noqa: E402
from yanxiu.learning.views import POPUP_SHOWN  # noqa: E402
from yanxiu.org.models import Region, School, Teacher  # noqa: E402
from yanxiu.training.models import DEFAULT_PASS_RULE, Enrolment, EnrolmentStatus, Offering, Period, Project  # noqa: E402

SMALL_COURSES = 18  # + the medium course + the video course = 20 enrolments in 学习中心
USERNAME_PREFIX = "benchlearner"


def log(message: str) -> None:
    print(f"[bench_learning {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_course(code: str, title: str, chapters: Sequence[Sequence[tuple[str, bool]]], **fields: Any) -> Course:
    """A published course; `chapters` lists each chapter's (kind, required) activities."""
    course = Course.objects.create(
        code=code,
        title=title,
        category=fields.pop("category", "elective"),
        credit_hours=fields.pop("credit_hours", Decimal("10")),
        status=CourseStatus.PUBLISHED,
    )
    made = Chapter.objects.bulk_create(
        [Chapter(course=course, title=f"第{i}章", position=i) for i in range(len(chapters))]
    )
    rows = []
    for chapter, kinds in zip(made, chapters, strict=True):
        for position, (kind, required) in enumerate(kinds):
            row = Activity(
                course=course,
                chapter=chapter,
                kind=kind,
                required=required,
                position=position,
                title=f"{chapter.title} {ActivityKind(kind).label} {position + 1}",
                completion={"open": True},
            )
            if kind == ActivityKind.PAGE:
                row.body_html = "<p>正文</p>"
            if kind == ActivityKind.VIDEO:
                row.hls_playlist = "hls/bench/index.m3u8"
                row.duration_seconds = 3600
                row.media_status = MediaStatus.READY
                row.completion = {"watch_ratio": "0.9"}
            rows.append(row)
    Activity.objects.bulk_create(rows)
    return course


def medium_course_shape() -> list[list[tuple[str, bool]]]:
    """Moodle's medium test course: 101 sections, 307 activities. Chapter 0 holds the
    discussion and the 6 documents (optional); each of the other 100 chapters two pages and an
    assignment (required)."""
    first: list[tuple[str, bool]] = [(ActivityKind.DISCUSSION, False), *[(ActivityKind.DOCUMENT, False)] * 6]
    chapter: list[tuple[str, bool]] = [
        (ActivityKind.PAGE, True),
        (ActivityKind.PAGE, True),
        (ActivityKind.ASSIGNMENT, True),
    ]
    rest = [chapter] * 100
    return [first, *rest]


def create_learners(count: int, school: School, start: int = 0) -> list[Teacher]:
    password = make_password(None)  # unusable: sessions are created directly
    now = timezone.now()
    names = [f"{USERNAME_PREFIX}{i:05d}" for i in range(start, start + count)]
    User.objects.bulk_create(
        [
            User(
                username=name,
                real_name=f"学员{i}",
                password=password,
                must_change_password=False,
                password_changed_at=now,
            )
            for i, name in enumerate(names, start)
        ]
    )
    users = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    Teacher.objects.bulk_create([Teacher(user_id=users[name], teacher_no=name, school=school) for name in names])
    return list(Teacher.objects.filter(teacher_no__in=names).select_related("user").order_by("teacher_no"))


def session_for(user: User) -> str:
    now = time.time()
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store[SESSION_STARTED] = now
    store[SESSION_SEEN] = now
    store[POPUP_SHOWN] = True
    store.create()
    assert store.session_key is not None
    return store.session_key


def build(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    started = time.perf_counter()
    today = timezone.localdate()
    organiser = Region.objects.get(pk="440100")
    school = School.objects.create(name="基准测试学校", region=Region.objects.get(pk="440105"))
    project = Project.objects.create(code="BENCH", name="基准测试项目", organiser=organiser, scheme={})
    period = Period.objects.create(
        project=project, code="2601", starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=60)
    )
    medium = make_course("BM-MEDIUM", "中型课程（Moodle medium 形状）", medium_course_shape())
    page = (ActivityKind.PAGE, True)
    video = make_course("BM-VIDEO", "视频课程", [[(ActivityKind.VIDEO, True), page, page]])
    smalls = [make_course(f"BM-S{i:02d}", f"小课程{i}", [[page, page, page]]) for i in range(SMALL_COURSES)]
    offerings = {
        course.pk: Offering.objects.create(period=period, course=course, pass_rule=dict(DEFAULT_PASS_RULE))
        for course in [medium, video, *smalls]
    }
    log(f"courses: medium {medium.activities.count()} activities in {medium.chapters.count()} chapters")

    learners = create_learners(args.learners, school)
    single = create_learners(1, school, start=args.learners)[0]
    now = timezone.now()
    medium_acts = list(Activity.objects.filter(course=medium).order_by("chapter__position", "position"))
    facts = [ActivityFacts(a.pk, a.kind, a.required) for a in medium_acts]
    assignments = {a.pk for a in medium_acts if a.kind == ASSIGNMENT}
    enrolments: list[Enrolment] = []
    touched_by: dict[int, list[tuple[int, bool]]] = {}  # teacher id -> (activity id, completed)
    for teacher in learners:
        share = rng.uniform(0.3, 0.7)
        touched = rng.sample(medium_acts, round(share * len(medium_acts)))
        done = {a.pk for a in touched if rng.random() < 0.8}
        touched_by[teacher.pk] = [(a.pk, a.pk in done) for a in touched]
        evaluation = evaluate(DEFAULT_PASS_RULE, facts, done, done & assignments)
        enrolments.append(
            Enrolment(
                teacher=teacher,
                offering=offerings[medium.pk],
                status=EnrolmentStatus.PASSED if evaluation.passed else EnrolmentStatus.LEARNING,
                started_at=now - dt.timedelta(days=20),
                passed_at=now if evaluation.passed else None,
                hours_earned=medium.credit_hours if evaluation.passed else None,
                progress=actions.progress_percent(evaluation),
                last_activity_id=touched[-1].pk,
                last_learned_at=now,
            )
        )
        enrolments.append(Enrolment(teacher=teacher, offering=offerings[video.pk]))
    for teacher in learners[: args.center_learners]:
        for course in smalls:
            passed = rng.random() < 0.3
            enrolments.append(
                Enrolment(
                    teacher=teacher,
                    offering=offerings[course.pk],
                    status=EnrolmentStatus.PASSED if passed else EnrolmentStatus.LEARNING,
                    started_at=now - dt.timedelta(days=rng.randint(1, 25)),
                    passed_at=now if passed else None,
                    hours_earned=course.credit_hours if passed else None,
                    progress=100 if passed else rng.randint(0, 99),
                    last_learned_at=now,
                )
            )
    enrolments.append(Enrolment(teacher=single, offering=offerings[video.pk]))
    Enrolment.objects.bulk_create(enrolments, batch_size=2000)
    medium_enrolment = dict(Enrolment.objects.filter(offering=offerings[medium.pk]).values_list("teacher_id", "pk"))
    completed, in_progress = ProgressState.COMPLETED, ProgressState.IN_PROGRESS
    rows = [
        (medium_enrolment[teacher_id], activity_id, completed if done else in_progress, now if done else None)
        for teacher_id, touched_rows in touched_by.items()
        for activity_id, done in touched_rows
    ]
    bulk_insert(ActivityProgress, ["enrolment_id", "activity_id", "state", "completed_at"], rows)
    log(f"{len(learners) + 1} learners, {len(enrolments)} enrolments, {len(rows)} progress rows")

    # One live playback per learner, started as the player starts it.
    video_activity = Activity.objects.get(course=video, kind=ActivityKind.VIDEO)
    playbacks = []
    for enrolment in (
        Enrolment.objects.filter(offering=offerings[video.pk], teacher__in=learners)
        .select_related("teacher__user", "offering__course", "offering__period")
        .order_by("pk")
    ):
        data = actions.playback_start(acting_user=enrolment.teacher.user, enrolment=enrolment, activity=video_activity)
        playbacks.append(data["playback"])
    (out / "playbacks.txt").write_text("\n".join(playbacks) + "\n")
    log(f"{len(playbacks)} live playbacks")

    course_lines = [
        f"{session_for(t.user)}\t/learn/e/{medium_enrolment[t.pk]}/" for t in learners[: args.course_sessions]
    ]
    (out / "course.txt").write_text("\n".join(course_lines) + "\n")
    center_lines = [f"{session_for(t.user)}\t/learn/" for t in learners[: args.center_learners]]
    (out / "center.txt").write_text("\n".join(center_lines) + "\n")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    setup_s = round(time.perf_counter() - started, 1)
    log(f"data built in {setup_s} s")

    first = learners[0]
    video_enrolment = Enrolment.objects.get(teacher=first, offering=offerings[video.pk]).pk
    return {
        "setup_s": setup_s,
        "learners": len(learners),
        "medium_course": {
            "chapters": medium.chapters.count(),
            "activities": len(medium_acts),
            "kinds": {k: sum(1 for a in medium_acts if a.kind == k) for k in sorted({a.kind for a in medium_acts})},
        },
        "progress_rows": len(rows),
        "progress_rows_per_learner": round(len(rows) / len(learners), 1),
        "enrolments": len(enrolments),
        "playbacks": len(playbacks),
        "course_sessions": len(course_lines),
        "center_sessions": len(center_lines),
        "queries": count_queries(
            first.user,
            single.user,
            medium_course=f"/learn/e/{medium_enrolment[first.pk]}/",
            small_course=f"/learn/e/{video_enrolment}/",
        ),
        "sessions_checked": check_sessions(course_lines + center_lines),
    }


def page_queries(user: User, url: str) -> dict[str, Any]:
    """Queries of one request: the first (outline not cached in this process) and the next."""
    client = Client(SERVER_NAME="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = session_for(user)
    out: dict[str, Any] = {"url": url}
    for label in ("first", "next"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        out[label] = len(captured.captured_queries)
        out[f"{label}_sql"] = [q["sql"][:200] for q in captured.captured_queries]
    out["bytes"] = len(response.content)
    return out


def count_queries(learner: User, single: User, *, medium_course: str, small_course: str) -> dict[str, Any]:
    return {
        "course_307_activities": page_queries(learner, medium_course),
        "course_3_activities": page_queries(learner, small_course),
        "center_20_enrolments": page_queries(learner, "/learn/"),
        "center_1_enrolment": page_queries(single, "/learn/"),
    }


def check_sessions(lines: list[str]) -> int:
    """Every session the wrk script will send gets its page (not a redirect to the login)."""
    client = Client(SERVER_NAME="127.0.0.1")
    for line in lines:
        key, path = line.split("\t")
        client.cookies[settings.SESSION_COOKIE_NAME] = key
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} with session {key[:6]}…: HTTP {response.status_code}")
    return len(lines)


_next_seq: dict[str, int] = {}


def beat_body(playback: str) -> str:
    """One tick of the next 10 seconds of a playback, as the player posts it (seq 1, 2, ...)."""
    seq = _next_seq.get(playback, 1)
    _next_seq[playback] = seq + 1
    start = (seq * 10) % 3590
    beats = [{"seq": seq, "start": start, "end": start + 10, "position": start + 10, "event": "tick"}]
    return json.dumps({"playback": playback, "beats": beats})


def profile(out: Path, requests: int) -> dict[str, Any]:
    """cProfile `requests` in-process requests of each endpoint (django.test.Client: the whole
    middleware stack, view and template, but no HTTP server); writes OUT/profile-NAME.txt (top
    functions by cumulative and by own time) and returns the in-process ms per request."""
    import cProfile
    import io
    import pstats

    course = (out / "course.txt").read_text().splitlines()[:requests]
    center = (out / "center.txt").read_text().splitlines()[:requests]
    playbacks = (out / "playbacks.txt").read_text().split()
    # One client (a client loads the middleware again, and WhiteNoise then rescans the static files).
    client = Client(SERVER_NAME="127.0.0.1")
    anonymous = Client(SERVER_NAME="127.0.0.1")

    def get(line: str) -> None:
        key, path = line.split("\t")
        client.cookies[settings.SESSION_COOKIE_NAME] = key
        assert client.get(path).status_code == 200

    def beat(i: int) -> None:
        body = beat_body(playbacks[i % len(playbacks)])
        response = anonymous.post("/learn/heartbeat", body, content_type="application/json")
        assert response.status_code == 200, response.content

    cases = {
        "healthz": lambda i: anonymous.get("/healthz"),
        "heartbeat": beat,
        "course": lambda i: get(course[i % len(course)]),
        "center": lambda i: get(center[i % len(center)]),
    }
    timings = {}
    for name, call in cases.items():
        for i in range(5):
            call(i)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for i in range(requests):
            call(i)
        profiler.disable()
        timings[name] = round(1000 * (time.perf_counter() - started) / requests, 2)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        (out / f"profile-{name}.txt").write_text(f"{requests} requests, {timings[name]} ms each\n" + text.getvalue())
    return {
        "profiled_requests": requests,
        "in_process_ms_per_request_under_cprofile": timings,
        "breakdown_ms": breakdown(course, center, playbacks, requests),
    }


def breakdown(course: list[str], center: list[str], playbacks: list[str], requests: int) -> dict[str, Any]:
    """Median wall ms of a whole in-process request and of its parts, without a profiler: the
    SQL (as CaptureQueriesContext times it, in whole ms: round trips included), the navigation
    context processor (its queries included), the view's selector (its queries included), and
    the template rendered again with the view's context (navigation's roles already cached)."""
    import statistics

    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.urls import reverse

    from yanxiu.learning import selectors
    from yanxiu.learning.permissions import access_enrolment
    from yanxiu.workbench.selectors import navigation

    client = Client(SERVER_NAME="127.0.0.1")

    def med(fn: Any) -> float:
        times = []
        for i in range(requests):
            started = time.perf_counter()
            fn(i)
            times.append(1000 * (time.perf_counter() - started))
        return round(statistics.median(times), 2)

    def whole(lines: list[str]) -> tuple[float, float, int]:
        totals, sql, count = [], [], 0
        for i in range(requests):
            key, path = lines[i % len(lines)].split("\t")
            client.cookies[settings.SESSION_COOKIE_NAME] = key
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            totals.append(1000 * (time.perf_counter() - started))
            sql.append(1000 * sum(float(q["time"]) for q in captured.captured_queries))
            count = len(captured.captured_queries)
        return round(statistics.median(totals), 2), round(statistics.median(sql), 2), count

    def user_of(line: str) -> User:
        store = SessionStore(session_key=line.split("\t")[0])
        return User.objects.get(pk=store["_auth_user_id"])

    def fresh(user: User) -> User:
        """A copy without what a request caches on its user (roles_of's `_yanxiu_roles`)."""
        return User(**{f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields})

    course_users = [user_of(line) for line in course[:20]]
    center_users = [user_of(line) for line in center[:20]]
    enrolments = [
        access_enrolment(u, int(line.split("\t")[1].strip("/").split("/")[-1]))
        for u, line in zip(course_users, course, strict=False)
    ]
    out: dict[str, Any] = {}
    beats, beat_sql, beat_queries = [], [], 0
    for i in range(requests):
        body = beat_body(playbacks[i % len(playbacks)])
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            client.post("/learn/heartbeat", body, content_type="application/json")
        beats.append(1000 * (time.perf_counter() - started))
        beat_sql.append(1000 * sum(float(q["time"]) for q in captured.captured_queries))
        beat_queries = len(captured.captured_queries)
    out["heartbeat"] = {
        "request": round(statistics.median(beats), 2),
        "sql": round(statistics.median(beat_sql), 2),
        "queries": beat_queries,
        "sql_statements": [q["sql"][:160] for q in captured.captured_queries],
    }
    total, sql, count = whole(course)
    base_url = reverse("learning:activity", args=[enrolments[0].pk, 0]).removesuffix("0/")
    request = RequestFactory().get("/")
    page = selectors.course_page(enrolments[0])
    request.user = course_users[0]  # its roles are cached by now: the template without the navigation's queries
    out["course"] = {
        "request": total,
        "sql": sql,
        "queries": count,
        "navigation (context processor)": med(lambda i: navigation(fresh(course_users[i % 20]))),
        "selectors.course_page": med(lambda i: selectors.course_page(enrolments[i % 20])),
        "render course.html": med(
            lambda i: render_to_string(
                "learning/course.html", {"page": page, "closed_message": "", "base_url": base_url}, request
            )
        ),
    }
    total, sql, count = whole(center)
    data = selectors.learning_center(center_users[0])
    request.user = center_users[0]
    out["center"] = {
        "request": total,
        "sql": sql,
        "queries": count,
        "navigation (context processor)": med(lambda i: navigation(fresh(center_users[i % 20]))),
        "selectors.learning_center": med(lambda i: selectors.learning_center(center_users[i % 20])),
        "render center.html": med(
            lambda i: render_to_string("learning/center.html", {"center": data, "show_popup": False}, request)
        ),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--course-sessions", type=int, default=256, help="learners the course-page run rotates")
    parser.add_argument("--center-learners", type=int, default=100, help="learners with 20 enrolments")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="then cProfile this many requests of each page")
    args = parser.parse_args()
    args.center_learners = min(args.center_learners, args.learners)
    args.course_sessions = min(args.course_sessions, args.learners)
    args.out.mkdir(parents=True, exist_ok=True)
    summary = build(args, args.out)
    if args.profile:
        summary["profile"] = profile(args.out, args.profile)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
