"""Time the teacher list page (/org/teachers/) in-process, as a district administrator.

    YANXIU_VAR_DIR=... [DATABASE_URL=...] [DEBUG=0|1] .venv/bin/python benchmarks/bench_list.py \
        [--requests 100] [--region 440105] [--surname 陈]

Run by benchmarks/run.py against the database the import benchmark filled. Creates (once) the
account `bench_district_admin` holding district_admin for --region, signs it in with
django.test.Client, and for each scenario makes a few warm-up requests, then --requests timed
requests (wall time of Client.get, which runs the whole middleware stack, view and template),
then one more request under CaptureQueriesContext to count the queries and time each of them.
Prints one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanxiu.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from yanxiu.accounts.models import User  # noqa: E402
from yanxiu.org.models import Role, RoleAssignment, Subject, Teacher  # noqa: E402

ADMIN_USERNAME = "bench_district_admin"
WARMUP = 3
COUNT_RE = re.compile(r'data-testid="teacher-count">[^<]*?([\d,]+)')


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def district_admin(region: str) -> User:
    user, _ = User.objects.get_or_create(
        username=ADMIN_USERNAME,
        defaults={"real_name": "基准测试区管理员", "must_change_password": False},
    )
    RoleAssignment.objects.get_or_create(user=user, role=Role.DISTRICT_ADMIN, region_id=region)
    return user


def measure(client: Client, url: str, requests: int) -> dict[str, Any]:
    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    body = response.content.decode()
    found = COUNT_RE.search(body)
    queries = [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:300]} for q in captured.captured_queries]
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
    return {
        "url": url,
        "requests": requests,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "min_ms": round(min(timings), 1),
        "max_ms": round(max(timings), 1),
        "queries": len(queries),
        "query_ms_total": round(sum(float(q["time"]) * 1000 for q in captured.captured_queries), 1),
        "teacher_count_shown": int(found.group(1).replace(",", "")) if found else None,
        "rows_on_page": len(re.findall(r'href="/org/teachers/\d+/"', body)),
        "bytes": len(response.content),
        "query_list": queries,
        "slowest_query": slowest,
        "slowest_query_plan": explain(slowest),
    }


def explain(sql: str) -> list[str]:
    """The plan of a captured query (its parameters are already inlined by Django)."""
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    try:
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            return [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    except Exception as exc:  # a plan is information only
        return [f"(no plan: {exc})"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--region", default="440105")
    parser.add_argument("--surname", default="陈")
    parser.add_argument("--subject", default="语文")
    args = parser.parse_args()

    admin = district_admin(args.region)
    in_region = Teacher.objects.filter(school__region_id=args.region).count()
    subject = Subject.objects.get(name=args.subject)
    last_page = max(1, math.ceil(in_region / 50))
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(admin)
    scenarios = {
        "page 1": "/org/teachers/",
        "page 2": "/org/teachers/?page=2",
        f"search q={args.surname}": f"/org/teachers/?q={args.surname}",
        f"filter subject={args.subject}": f"/org/teachers/?subject={subject.pk}",
        f"last page ({last_page})": f"/org/teachers/?page={last_page}",
    }
    results = {name: measure(client, url, args.requests) for name, url in scenarios.items()}
    print(
        json.dumps(
            {
                "debug": settings.DEBUG,
                "vendor": connection.vendor,
                "teachers_total": Teacher.objects.count(),
                "teachers_in_region": in_region,
                "region": args.region,
                "scenarios": results,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
