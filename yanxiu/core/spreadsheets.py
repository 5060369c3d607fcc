"""Reading and writing the spreadsheets operators exchange (.xlsx and .csv).

Reading uses python-calamine (fast, streaming, no formulas evaluated); writing uses openpyxl in
write-only mode. Every cell written is neutralised against formula injection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from yanxiu.core.errors import ValidationFailed

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(data: bytes, filename: str) -> Iterator[list[str]]:
    """Rows of the first sheet (or the CSV) as lists of stripped strings; header row included.

    The kind is decided by content, not by the file name: an .xlsx is a zip archive.
    """
    if not data.strip():
        raise ValidationFailed("文件是空的。", code="empty_file")
    if data.startswith(XLSX_MAGIC):
        yield from _read_xlsx(data)
        return
    if filename.lower().endswith((".xlsx", ".xls")):
        raise ValidationFailed("无法读取该 Excel 文件：文件已损坏或不是 .xlsx 格式。", code="bad_file")
    yield from _read_csv(data)


class TableRow(dict[str, str]):
    """One data row by header name (stripped; a missing cell is ""), with its line in the file."""

    line: int


def read_table(data: bytes, filename: str, *, headers: Sequence[str], required: Sequence[str]) -> Iterator[TableRow]:
    """The data rows of a file whose first row names its columns.

    The header is checked at once (empty file, missing or repeated columns: a ValidationFailed
    in Chinese); blank rows are skipped. Columns not in `headers` are ignored.
    """
    rows = read_rows(data, filename)
    first = next(rows, None)
    if first is None or not any(first):
        raise ValidationFailed("文件是空的。", code="empty_file")
    header = [h.strip() for h in first]
    missing = [h for h in required if h not in header]
    if missing:
        raise ValidationFailed(
            f"表头缺少：{'、'.join(missing)}。第一行应为：{'、'.join(headers)}。", code="bad_headers"
        )
    repeated = [h for h in headers if header.count(h) > 1]
    if repeated:
        raise ValidationFailed(f"表头重复：{'、'.join(repeated)}。", code="bad_headers")
    position = {name: header.index(name) for name in headers if name in header}

    def data_rows() -> Iterator[TableRow]:
        for line, cells in enumerate(rows, start=2):
            if not any(cells):
                continue
            row = TableRow({name: (cells[i] if i < len(cells) else "") for name, i in position.items()})
            for name in headers:
                row.setdefault(name, "")
            row.line = line
            yield row

    return data_rows()


def no_data_rows() -> ValidationFailed:
    return ValidationFailed("文件只有表头，没有数据行。", code="empty_file")


def _read_xlsx(data: bytes) -> Iterator[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception as exc:  # calamine raises several kinds for broken archives
        raise ValidationFailed("无法读取该 Excel 文件：文件已损坏或不是 .xlsx 格式。", code="bad_file") from exc
    for row in rows:
        yield [_cell_text(value) for value in row]


def _read_csv(data: bytes) -> Iterator[list[str]]:
    if b"\x00" in data[:65536]:
        raise ValidationFailed("文件内容不是表格（CSV 或 .xlsx）。", code="bad_file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed(
            "无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV，或 .xlsx 文件。", code="bad_encoding"
        )
    for row in csv.reader(io.StringIO(text)):
        yield [cell.strip() for cell in row]


def write_xlsx(target: IO[bytes] | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> None:
    """Stream rows into a new workbook (write-only mode keeps memory flat)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    workbook.save(target)
