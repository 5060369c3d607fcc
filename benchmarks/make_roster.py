"""Write a synthetic teacher roster (.xlsx) for the import and list benchmarks.

    .venv/bin/python benchmarks/make_roster.py OUT.xlsx [--teachers 140080] [--schools 1500] [--seed 4]

Everything is invented and deterministic for a given seed: names from a list of common surnames
and given-name characters, mobiles in 199xxxxxxxx, citizen ID numbers with a correct GB 11643
check character, 教师编号 like T00012345 in random order (so one district's teachers are spread
over the whole 教师编号 order, as they would be after years of transfers).

District 440105 (海珠区) gets DISTRICT_SHARE of the teachers (15,000 of 140,080 by default) so
that the list benchmark has a district of the size the issue names; the other districts and
440100 (局属学校) share the rest.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook

# validators is plain Python; roster.py needs Django set up, so its HEADERS are read from the source.
from yanxiu.org.validators import id_number_check_char

ROSTER_SOURCE = Path(__file__).resolve().parent.parent / "yanxiu" / "org" / "roster.py"


def roster_headers() -> tuple[str, ...]:
    import ast

    for node in ast.parse(ROSTER_SOURCE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "HEADERS" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise SystemExit("HEADERS not found in yanxiu/org/roster.py")


HEADERS = roster_headers()

DEFAULT_TEACHERS = 140_080  # seed 004: active teachers
DEFAULT_SCHOOLS = 1_500
BIG_DISTRICT = "440105"
BIG_DISTRICT_TEACHERS = 15_000  # at DEFAULT_TEACHERS; scaled for smaller runs
REGIONS = {
    "440103": "荔湾区",
    "440104": "越秀区",
    "440105": "海珠区",
    "440106": "天河区",
    "440111": "白云区",
    "440112": "黄埔区",
    "440113": "番禺区",
    "440114": "花都区",
    "440115": "南沙区",
    "440117": "从化区",
    "440118": "增城区",
    "440100": "广州市",  # 局属学校
}
# Relative weights of the regions other than BIG_DISTRICT (invented; 局属学校 are few).
OTHER_WEIGHTS = {
    "440103": 7,
    "440104": 9,
    "440106": 14,
    "440111": 16,
    "440112": 9,
    "440113": 16,
    "440114": 9,
    "440115": 6,
    "440117": 5,
    "440118": 10,
    "440100": 3,
}
SURNAMES = "陈李张黄王林刘吴杨何郑梁谢罗周徐朱郭冯邓曾彭苏卢蔡许叶钟赖潘江胡邱余温方谭廖莫关"
# Cumulative-ish weights: 陈, 李, 张, 黄 are much more common in Guangzhou.
# fmt: off
SURNAME_WEIGHTS = [12, 8, 6, 9, 6, 5, 6, 4, 4, 3, 3, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                   2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
# fmt: on
GIVEN = "明华丽敏静伟芳娜秀英勇军杰涛超霞平刚桂琳雪梅子涵欣怡思远嘉宇晓文志诗雨佳琪俊浩海燕婷慧建国红玉兰"
# (school kind suffix, 学段 name, share of schools, subjects taught there)
SCHOOL_KINDS = [
    ("幼儿园", "幼儿园", 0.30, ["幼教"]),
    ("小学", "小学", 0.40, ["语文", "数学", "英语", "体育", "音乐", "美术", "科学", "道德与法治", "信息技术"]),
    ("中学", "初中", 0.18, ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "政治", "体育"]),
    ("高级中学", "高中", 0.08, ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "政治", "通用技术"]),
    ("职业学校", "中职", 0.04, ["中职专业课", "语文", "数学", "英语", "体育"]),
]
# Teachers per school relative to a kindergarten.
KIND_SIZE = {"幼儿园": 1, "小学": 3, "初中": 4, "高中": 5, "中职": 4}


def region_teacher_counts(total: int) -> dict[str, int]:
    big = round(total * BIG_DISTRICT_TEACHERS / DEFAULT_TEACHERS)
    rest = total - big
    weight_sum = sum(OTHER_WEIGHTS.values())
    counts = {code: rest * w // weight_sum for code, w in OTHER_WEIGHTS.items()}
    counts["440106"] += rest - sum(counts.values())  # rounding remainder
    counts[BIG_DISTRICT] = big
    return counts


def make_schools(rng: random.Random, n_schools: int, counts: dict[str, int]) -> dict[str, list[tuple[str, str, int]]]:
    """Schools per region as (name, stage, size weight), the number proportional to teachers."""
    total = sum(counts.values())
    per_region = {code: max(3, round(n_schools * c / total)) for code, c in counts.items()}
    schools: dict[str, list[tuple[str, str, int]]] = {}
    for code, n in per_region.items():
        prefix = "广州市" if code == "440100" else REGIONS[code]
        rows = []
        numbers: dict[str, int] = {}
        for _ in range(n):
            suffix, stage, _share, _subjects = rng.choices(SCHOOL_KINDS, weights=[k[2] for k in SCHOOL_KINDS])[0]
            numbers[suffix] = numbers.get(suffix, 0) + 1
            name = f"{prefix}研修第{numbers[suffix]}{suffix}"
            rows.append((name, stage, KIND_SIZE[stage]))
        schools[code] = rows
    return schools


def generate(out: Path, teachers: int, n_schools: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    counts = region_teacher_counts(teachers)
    schools = make_schools(rng, n_schools, counts)
    subjects_by_stage = {stage: subjects for _s, stage, _w, subjects in SCHOOL_KINDS}

    numbers = rng.sample(range(10_000_000, 100_000_000), teachers)
    mobiles = rng.sample(range(100_000_000), teachers)
    used_ids: set[str] = set()

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="教师名册")
    sheet.append(list(HEADERS))
    index = 0
    for code, n in counts.items():
        region_schools = schools[code]
        weights = [w for _n, _s, w in region_schools]
        for school_name, stage, _w in rng.choices(region_schools, weights=weights, k=n):
            name = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0] + "".join(
                rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))
            )
            while True:
                birth = f"{rng.randint(1965, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
                body = f"{code}{birth}{rng.randint(0, 999):03d}"
                id_number = body + id_number_check_char(body)
                if id_number not in used_ids:
                    used_ids.add(id_number)
                    break
            sheet.append(
                [
                    f"T{numbers[index]:08d}",
                    name,
                    f"199{mobiles[index]:08d}",
                    id_number,
                    code,
                    school_name,
                    stage,
                    rng.choice(subjects_by_stage[stage]),
                    "在职",
                ]
            )
            index += 1
    workbook.save(out)
    info = {"teachers": teachers, "schools": sum(len(s) for s in schools.values())}
    return info | {f"region_{k}": v for k, v in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--teachers", type=int, default=DEFAULT_TEACHERS)
    parser.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    info = generate(args.out, args.teachers, args.schools, args.seed)
    print(info | {"seconds": round(time.perf_counter() - started, 1), "bytes": args.out.stat().st_size})


if __name__ == "__main__":
    main()
