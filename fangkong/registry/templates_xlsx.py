"""The roster template (.xlsx) shipped at registry/files/roster-template.xlsx.

Regenerate it with `manage.py roster_template` after changing the columns in
`importer.COLUMNS`; the file is committed so that it can be downloaded without a database.
"""

import datetime
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from fangkong.core import pii

from .checks import KEY_GROUP_WORDS, PRESENCE_WORDS, RELATION_WORDS
from .importer import COLUMN, COLUMNS, TEMPLATE_KEYS

TEMPLATE_PATH = Path(__file__).parent / "files" / "roster-template.xlsx"
FIXED_TIME = datetime.datetime(2022, 4, 1, 8, 0, 0)  # reproducible file
TEXT = "@"
TEXT_KEYS = {"id_number", "phone", "door", "building", "unit"}
REQUIRED = {"name": "必填 required", "door": "必填 required",
            "building": "通常必填 usually required",
            "compound": "导入到社区/网格时必填 required for a community or grid"}
FORMATTED_ROWS = 2000  # rows below the header pre-formatted as text where it matters

EXAMPLE = {
    "seq": "示例", "name": "张三", "sex": "男",
    "id_number": pii.make_id_number("140106", datetime.date(1956, 3, 12), 13),
    "phone": "13812345678", "compound": "光明小区", "building": "1号楼", "unit": "1单元",
    "door": "101", "relation": "户主", "presence": "在家", "tags": "独居老人、行动不便",
    "notes": "示例行：序号写“示例”的行不会导入，可直接删除", "birth_date": "", "has_smartphone": "无",
    "key_group": "",
}


def template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "居民花名册"
    n = len(TEMPLATE_KEYS)
    last = get_column_letter(n)
    ws.append(["XX社区居民花名册（填写说明见“说明”工作表）"])
    ws.merge_cells(f"A1:{last}1")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([COLUMN[k].header for k in TEMPLATE_KEYS])
    for i, key in enumerate(TEMPLATE_KEYS, 1):
        cell = ws.cell(row=2, column=i)
        cell.font = Font(bold=True, color="C00000" if key in ("name", "door") else None)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.append([EXAMPLE[k] for k in TEMPLATE_KEYS])
    for i in range(1, n + 1):
        ws.cell(row=3, column=i).font = Font(color="808080", italic=True)
    widths = {"seq": 6, "name": 10, "sex": 6, "id_number": 21, "phone": 14, "compound": 12,
              "building": 9, "unit": 8, "door": 8, "relation": 11, "presence": 10,
              "tags": 20, "notes": 40, "birth_date": 12, "has_smartphone": 9,
              "key_group": 14}
    for i, key in enumerate(TEMPLATE_KEYS, 1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = widths.get(key, 12)
        if key in TEXT_KEYS:
            # Text format on the column and on the rows people fill in: Excel keeps every
            # digit of an ID number typed there.
            ws.column_dimensions[letter].number_format = TEXT
            for row in range(3, FORMATTED_ROWS + 3):
                ws.cell(row=row, column=i).number_format = TEXT
    ws.freeze_panes = "C3"
    _dropdown(ws, "sex", ["男", "女"])
    _dropdown(ws, "relation", [w[0] for w in RELATION_WORDS.values()])
    _dropdown(ws, "presence", [w[0] for w in PRESENCE_WORDS.values()])
    _dropdown(ws, "has_smartphone", ["有", "无"])
    _dropdown(ws, "key_group", [w[0] for w in KEY_GROUP_WORDS.values()])

    help_ws = wb.create_sheet("说明")
    help_ws.append(["居民花名册填写说明 / How to fill in the roster"])
    help_ws["A1"].font = Font(bold=True, size=14)
    help_ws.append(["列名 Column", "必填 Required", "说明", "Explanation",
                    "可用列名 Accepted column names"])
    for cell in help_ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for c in COLUMNS:
        help_ws.append([c.header, REQUIRED.get(c.key, "可选 optional"), c.zh, c.en,
                        "、".join((c.header, *c.aliases))])
    help_ws.append([])
    for zh, en in NOTES:
        help_ws.append([zh, "", "", en])
    for letter, width in zip("ABCDE", (12, 18, 60, 70, 40), strict=True):
        help_ws.column_dimensions[letter].width = width
    for row in help_ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.properties.creator = "Fangkong"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip_times(buf.getvalue())


NOTES = [
    ("1. 第一个工作表的前10行中要有列名行（如上表第一列）；标题行、空行、底部的合计行和本说明页都会被跳过。",
     "1. The first sheet needs a row of column names within its first 10 rows; a title row, "
     "blank rows, a totals row at the bottom and this sheet are skipped."),
    ("2. 身份证号一列必须是“文本”格式。若Excel已把号码存成数字（显示为1.40106E+17），后几位已丢失，"
     "须把该列设为文本后重新输入。",
     "2. The ID number column must be formatted as Text. If Excel already stored a number "
     "(shown as 1.40106E+17), its last digits are lost: format the column as Text and type "
     "the numbers again."),
    ("3. 导入前会检查每一行；只要有一处错误，整个文件都不导入，并列出每个错误所在的行和列。",
     "3. Every row is checked first; if anything is wrong, nothing is imported and every "
     "problem is listed by row and column."),
    ("4. 同一文件可以重复导入：已有的人按身份证号（无身份证号的按户和姓名）更新，不会重复登记。",
     "4. A file can be imported again: people already registered are updated (matched by ID "
     "number, or by household and name), never registered twice."),
    ("5. 也可导入CSV文件（UTF-8或GBK编码）。", "5. CSV files (UTF-8 or GBK) can be imported too."),
]


def _dropdown(ws, key, words):
    col = get_column_letter(TEMPLATE_KEYS.index(key) + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                        showErrorMessage=False)
    dv.add(f"{col}3:{col}{FORMATTED_ROWS + 2}")
    ws.add_data_validation(dv)


def _fixed_zip_times(data: bytes) -> bytes:
    """Rewrite the zip with fixed timestamps so that regenerating gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, body)
            dst.writestr(fixed, body)
    return out.getvalue()


def write_template(path: Path = TEMPLATE_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(template_xlsx())
    return path
