"""Builders for roster files in tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

from yanxiu.org.roster import HEADERS


def csv_bytes(rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]], headers: Sequence[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def row(
    no: str,
    name: str = "王小明",
    mobile: str = "",
    id_number: str = "",
    region: str = "440105",
    school: str = "海珠一小",
    stage: str = "小学",
    subject: str = "语文",
    status: str = "在职",
) -> list[str]:
    return [no, name, mobile, id_number, region, school, stage, subject, status]
