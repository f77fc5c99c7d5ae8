"""Hostile uploads, made in the test and tiny on disk: zip bombs, a million rows, huge cells
and rows, entity expansion, macros, lying zip sizes, mixed encodings, wrong file types,
photos of 30,000 × 30,000 pixels.

Every spreadsheet has the same header, which both a roster and a lab results file accept
(管号 and 结果 for the lab, 小区 楼栋 单元 门牌号 姓名 for the roster), so the hostile part
comes after a header the reader has already found: the limits, not the header search,
must stop it. `SPREADSHEETS` and `PHOTOS`: name → (filename, make(), what the refusal says
in English).
"""

import io
import struct
import zipfile
import zlib

from fangkong.core.uploads import column_letter

HEADER = ["管号", "结果", "小区", "姓名", "楼栋", "单元", "门牌号"]  # D is 姓名
MB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def row(n: int, values) -> bytes:
    cells = b"".join(_cell(f"{column_letter(i)}{n}", v) for i, v in enumerate(values, 1) if v != "")
    return f'<row r="{n}">'.encode() + cells + b"</row>"


GOOD = ["T0001", "阴性", "光明小区", "张三", "1号楼", "1单元", "101"]


def sheet(*body, head=True, doctype=b"", after=b""):
    """A worksheet's XML as chunks: the header row, row 2 a good one, then `body` (bytes,
    or iterables of bytes)."""
    yield b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + doctype + (
        f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><sheetData>'.encode())
    if head:
        yield row(1, HEADER) + row(2, GOOD)
    for part in body:
        if isinstance(part, bytes):
            yield part
        else:
            yield from part
    yield b"</sheetData>" + after + b"</worksheet>"


def xlsx(chunks, *, shared: bytes | None = None, macro=False, level=6) -> bytes:
    """A minimal workbook; the sheet is streamed through the deflater chunk by chunk, so a
    bomb never exists unpacked in memory here either."""
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = [("/xl/workbook.xml", f"{ct}.sheet.main+xml"),
                 ("/xl/worksheets/sheet1.xml", f"{ct}.worksheet+xml")]
    if shared is not None:
        overrides.append(("/xl/sharedStrings.xml", f"{ct}.sharedStrings+xml"))
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
             '.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
             'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
             '"application/xml"/>' + "".join(f'<Override PartName="{p}" ContentType="{t}"/>'
                                             for p, t in overrides) + "</Types>")
    rels = [f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>']
    if shared is not None:
        rels.append(f'<Relationship Id="rId2" Type="{REL}/sharedStrings" '
                    'Target="sharedStrings.xml"/>')
    if macro:
        rels.append(f'<Relationship Id="rId3" Type="{REL}/vbaProject" Target="vbaProject.bin"/>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                   f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                   '<sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   f'<Relationships xmlns="{PKG}">{"".join(rels)}</Relationships>')
        if shared is not None:
            z.writestr("xl/sharedStrings.xml", shared)
        if macro:
            z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500)
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            for chunk in chunks:
                f.write(chunk)
    return buf.getvalue()


# --- spreadsheets -----------------------------------------------------------------------

def zip_bomb(unpacked=350 * MB) -> bytes:
    """~1 MB on disk, its sheet 350 MB of rows once unpacked (as the issue's 1.0 MB file)."""
    block = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>' * 160

    def body():
        for _ in range(unpacked // len(block)):
            yield block

    return xlsx(sheet(body()))


def _patch_sizes(content: bytes, part: str, size: int) -> bytes:
    """Make the zip declare `size` as the part's unpacked size, in its local header and in
    the central directory: what a crafted file can say."""
    data = bytearray(content)
    name = part.encode()
    pos = 0
    while (pos := data.find(b"PK\x03\x04", pos)) >= 0:  # local headers
        n = struct.unpack_from("<H", data, pos + 26)[0]
        if data[pos + 30:pos + 30 + n] == name:
            struct.pack_into("<I", data, pos + 22, size)
        pos += 4
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) >= 0:  # central directory
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + n] == name:
            struct.pack_into("<I", data, pos + 24, size)
        pos += 4
    return bytes(data)


def lying_bomb() -> bytes:
    """The bomb again, its sheet declared as 2 KB: it passes the size and ratio checks and
    must still be stopped (zipfile unpacks no more than declared, then the CRC fails)."""
    return _patch_sizes(zip_bomb(60 * MB), "xl/worksheets/sheet1.xml", 2048)


def million_rows() -> bytes:
    """A million rows with a value each (0.6 MB; packed 46 times: no bomb, just rows)."""
    import random

    rnd = random.Random(3)

    def body():
        for _ in range(100):
            yield b"".join(b"<row><c><v>%d</v></c></row>" % rnd.randint(0, 3) for _ in range(10_000))

    return xlsx(sheet(body()))


def far_row() -> bytes:
    """A single row numbered 1,048,576 (the last Excel has): no 1 M empty rows are made."""
    return xlsx(sheet(row(1_048_576, ["T9", "阴性", "光明小区", "李四", "1号楼", "1单元", "102"])))


def wide_row() -> bytes:
    cells = b"".join(b'<c r="%s3"><v>1</v></c>' % column_letter(i).encode() for i in range(1, 16_385))
    return xlsx(sheet(b'<row r="3">' + cells + b"</row>"))


def cells_without_refs() -> bytes:
    """A row of 10,000 cells without coordinates: each one column further."""
    return xlsx(sheet(b'<row r="3">' + b"<c><v>1</v></c>" * 10_000 + b"</row>"))


def huge_cell() -> bytes:
    """Row 3, column D (姓名): 300,000 characters."""
    return xlsx(sheet(row(3, ["T2", "阴性", "光明小区", "长" * 300_000, "1号楼", "1单元", "103"])))


def huge_shared_string() -> bytes:
    sst = (f'<sst xmlns="{MAIN}" count="2" uniqueCount="2"><si><t>王五</t></si>'
           f'<si><t>{"长" * 300_000}</t></si></sst>').encode()
    body = b'<row r="3"><c r="A3" t="inlineStr"><is><t>T3</t></is></c><c r="D3" t="s"><v>1</v></c></row>'
    return xlsx(sheet(body), shared=sst)


def huge_text_node() -> bytes:
    """8 MB of text in one cell, not packable enough to look like a bomb: stopped at the
    cell limit, never held whole."""
    import random

    rnd = random.Random(7)
    text = (rnd.randbytes(MB).hex().encode() for _ in range(4))
    return xlsx(sheet(b'<row r="3"><c r="D3" t="inlineStr"><is><t>', text, b"</t></is></c></row>"))


def entity_bomb() -> bytes:
    """The "billion laughs": entities that expand to gigabytes."""
    dtd = [b'<!DOCTYPE worksheet [<!ENTITY a0 "ha">']
    for i in range(1, 12):
        dtd.append(b'<!ENTITY a%d "%s">' % (i, b"".join(b"&a%d;" % (i - 1) for _ in range(10))))
    dtd.append(b"]>")
    return xlsx(sheet(row(3, ["T4", "阴性", "光明小区", "&a11;", "1号楼", "1单元", "104"]),
                      doctype=b"".join(dtd)))


def merged_ranges() -> bytes:
    """50,000 merged ranges, each from its row down to row 400,000: copying their values down
    would be 20 billion copies."""
    merges = b"".join(b'<mergeCell ref="D%d:D400000"/>' % n for n in range(3, 50_003))
    return xlsx(sheet(b'<row r="3"><c r="D3" t="inlineStr"><is><t>x</t></is></c></row>',
                      after=b'<mergeCells count="50000">' + merges + b"</mergeCells>"))


def macros() -> bytes:
    return xlsx(sheet(), macro=True)


def png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\0" * 200


def csv_million_rows() -> bytes:
    return ",".join(HEADER).encode() + b"\n" + b"1\n" * 1_000_000


def csv_huge_cell() -> bytes:
    """Row 3, column D: 300,000 characters (once reported as "no header row / encoding")."""
    lines = [",".join(HEADER), ",".join(GOOD), ",".join(["T2", "阴性", "光明小区", "长" * 300_000,
                                                         "1号楼", "1单元", "103"])]
    return "\n".join(lines).encode()


def csv_unclosed_quote() -> bytes:
    """A quotation mark opened in row 3, column D and never closed: the rest of the file
    becomes one cell."""
    return (",".join(HEADER) + "\n" + ",".join(GOOD) + '\nT2,阴性,光明小区,"张\n'
            + "1号楼,1单元,103\n" * 20_000).encode()


def csv_mixed_encodings() -> bytes:
    utf8 = (",".join(HEADER) + "\n" + ",".join(GOOD) + "\n" + "T2,阴性,光明小区,李四,1号楼,1单元,102\n"
            ).encode()
    return utf8 + "T3,阴性,光明小区,王五,1号楼,1单元,103\n".encode("gbk")  # line 4


def csv_wide() -> bytes:
    return (",".join(HEADER) + "\n" + "," * 100_000 + "x\n").encode()


def pdf_as_csv() -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type/Catalog>> endobj\n" + b"stream\n" * 50


# name → (file name, maker, refusal in English: a part of the message)
SPREADSHEETS = {
    "zip_bomb": ("roster.xlsx", zip_bomb, "zip bomb"),
    "lying_zip_sizes": ("roster.xlsx", lying_bomb, "could not be read"),
    "million_rows_xlsx": ("roster.xlsx", million_rows, "rows"),
    "row_1048576": ("roster.xlsx", far_row, "rows"),
    "row_of_16384_cells": ("roster.xlsx", wide_row, "column IW"),
    "cells_without_refs": ("roster.xlsx", cells_without_refs, "column IW"),
    "huge_cell_xlsx": ("roster.xlsx", huge_cell, "Row 3, column D: more than 32767 characters"),
    "huge_shared_string": ("roster.xlsx", huge_shared_string,
                           "Row 3, column D: more than 32767 characters"),
    "huge_text_node": ("roster.xlsx", huge_text_node, "Row 3, column D: more than"),
    "entity_expansion": ("roster.xlsx", entity_bomb, "could not be read"),
    "merged_ranges_flood": ("roster.xlsx", merged_ranges, "could not be read"),
    "macros_xlsm": ("roster.xlsm", macros, "macros"),
    "macros_named_xlsx": ("roster.xlsx", macros, "macros"),
    "png_named_xlsx": ("roster.xlsx", png_bytes, "not an Excel workbook"),
    "million_rows_csv": ("roster.csv", csv_million_rows, "rows"),
    "huge_cell_csv": ("roster.csv", csv_huge_cell, "Row 3, column D: more than 32767 characters"),
    "unclosed_quote_csv": ("roster.csv", csv_unclosed_quote, "Row 3, column D: more than"),
    "mixed_encodings_csv": ("roster.csv", csv_mixed_encodings, "Line 4 is not UTF-8"),
    "wide_csv": ("roster.csv", csv_wide, "at most 256 columns"),
    "pdf_named_csv": ("roster.csv", pdf_as_csv, "not a spreadsheet"),
}


# --- photos -----------------------------------------------------------------------------

def _png(width: int, height: int, *, bits=1, colour=0) -> bytes:
    """A PNG of width × height, made row by row: 30,000 × 30,000 is 110 KB on disk."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, bits, colour, 0, 0, 0)
    z = zlib.compressobj(9)
    line = b"\0" * (1 + (width * bits + 7) // 8)
    idat = b"".join(z.compress(line) for _ in range(height)) + z.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _jpeg_header(width: int, height: int) -> bytes:
    """The start of a JPEG claiming width × height (a few hundred bytes)."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes(
        [1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + sof + b"\0" * 200


def huge_png():
    return _png(30_000, 30_000)


def big_png():
    return _png(8_000, 8_000)  # 64 million pixels: under Pillow's own limit, over ours


def huge_jpeg():
    return _jpeg_header(30_000, 30_000)


def truncated_png():
    return _png(40, 16)[:60]


def svg():
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


PHOTOS = {
    "png_30000x30000": ("cassette.png", huge_png, "too many pixels"),
    "png_8000x8000": ("cassette.png", big_png, "8000 × 8000 pixels"),
    "jpeg_30000x30000": ("cassette.jpg", huge_jpeg, "too many pixels"),
    "truncated_png": ("cassette.png", truncated_png, "not a photo"),
    "svg_with_script": ("cassette.png", svg, "not a photo"),
    "workbook_as_photo": ("cassette.jpg", macros, "not a photo"),
    "bomb_as_photo": ("cassette.jpg", zip_bomb, "not a photo"),
}
