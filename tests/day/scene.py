"""The lockdown day's set-up and its eyes: a community with nobody registered yet, the
accounts its people log in with, and the readers of what the pages print — QR codes on a
rendered PDF or an inline SVG, read back with a real decoder (zxing-cpp), the text
messages a phone receives, and a page's text."""

import datetime
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils.timezone import now as _REAL_NOW

from fangkong.accounts.roles import Role
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from tests.conftest import make_user

zxingcpp = pytest.importorskip("zxingcpp")
pdfium = pytest.importorskip("pypdfium2")

ROSTER = Path("/work/shared/data/roster-sample.xlsx")
if not ROSTER.exists():  # a checkout elsewhere: shared/ beside the repository
    ROSTER = Path(__file__).resolve().parents[3] / "shared" / "data" / "roster-sample.xlsx"


def build_town(system):
    """Before the day: the district's admin made the tree down to the community and the
    accounts of the people who work in it. Nobody is registered yet."""
    t = SimpleNamespace()
    t.district = reg.create_place(system, None, Kind.DISTRICT, "迎泽区", code="140106")
    t.street = reg.create_place(system, t.district, Kind.STREET, "桥东街道")
    t.community = reg.create_place(system, t.street, Kind.COMMUNITY, "光明社区")
    t.staff = make_user(system, "staff_a", Role.STAFF, t.community, phone="13800000001")
    t.command = make_user(system, "command_street", Role.COMMAND, t.street)
    t.lab = make_user(system, "lab_op", Role.LAB, t.district)
    return t


def roster_bytes() -> bytes:
    if not ROSTER.exists():
        pytest.skip(f"the sample roster is not at {ROSTER}")
    return ROSTER.read_bytes()


# --- reading what was printed ---------------------------------------------------------

def qr_texts(image) -> list[str]:
    """Every QR code in a picture, in reading order (top to bottom, left to right)."""
    codes = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    codes.sort(key=lambda c: (round(c.position.top_left.y / 100), c.position.top_left.x))
    # one printed code read twice where it stands (a decoder may find it at two scales) is one
    # code; the same text printed in two places stays two (a card printed twice is caught)
    seen, out = [], []
    for c in codes:
        at = (c.position.top_left.x, c.position.top_left.y)
        if any(t == c.text and abs(x - at[0]) < 40 and abs(y - at[1]) < 40 for t, x, y in seen):
            continue
        seen.append((c.text, *at))
        out.append(c.text)
    return out


def pdf_pages(pdf: bytes, dpi=200):
    """The PDF's pages as pictures, as a printer (then a scanner) sees them."""
    doc = pdfium.PdfDocument(pdf)
    return [page.render(scale=dpi / 72).to_pil() for page in doc]


def pdf_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    # pdfium marks a "-" it takes for a hyphen at a line's end as U+FFFE and joins the
    # lines: give back the dash and the line break that were printed.
    text = "\n".join(page.get_textpage().get_text_range() for page in doc)
    return text.replace("\ufffe", "-\n")


def svg_qrs(html: str) -> list[str]:
    """The QR codes a page draws as SVG, inline or as data: URI images, each drawn on white
    at 8 px a module and decoded (segno's path: M/m moves, h runs of dark modules)."""
    from urllib.parse import unquote

    svgs = re.findall(r"(?s)<svg\b.*?</svg>", html)
    svgs += [unquote(u) for u in re.findall(r'src="data:image/svg\+xml[^,"]*,([^"]+)"', html)]
    out = []
    for svg in svgs:
        m = re.search(r"""<path[^>]*stroke=["'][^"']+["'][^>]*\bd=["']([^"']+)["']""", svg)
        if m:
            out.append(_draw_and_read(m.group(1)))
    return out


def svg_qr(html: str) -> str:
    """The one QR code a page draws."""
    found = svg_qrs(html)
    assert len(found) == 1, found
    return found[0]


def _draw_and_read(path: str) -> str:
    from PIL import Image, ImageDraw

    runs, x, y = [], 0.0, 0.0
    for op, args in re.findall(r"([MmHhVv])([^MmHhVv]*)", path):
        nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if op == "M":
            x, y = nums
        elif op == "m":
            x, y = x + nums[0], y + nums[1]
        elif op == "h":
            runs.append((x, y, nums[0]))
            x += nums[0]
        else:
            raise AssertionError(f"unexpected path command {op}")
    size = int(max(rx + n for rx, _y, n in runs) + 4)
    scale = 8
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    for rx, ry, n in runs:  # a run's stroke is one module high, centred on ry
        top = int(ry - 0.5)
        draw.rectangle([int(rx * scale), top * scale, int((rx + n) * scale) - 1, (top + 1) * scale - 1], 0)
    found = qr_texts(img)
    assert len(found) == 1, found
    return found[0]


def texted_code(phone: str) -> str:
    """The one-time code in the last text message sent to `phone` (what the phone shows)."""
    from fangkong.notify.models import Delivery

    sms = Delivery.objects.filter(target=phone, kind__startswith="volunteers.code").order_by("-id").first()
    assert sms is not None, f"no text message to {phone}"
    return re.search(r"\d{6}", sms.body).group(0)


def text(response, status=200) -> str:
    """A page as words: tags, scripts and runs of spaces gone."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    html = response.content.decode()
    html = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def num(pattern, words, n=1):
    m = re.search(pattern, words)
    assert m, f"{pattern!r} not in: {words[:3000]}"
    return tuple(int(x) for x in m.groups()) if n > 1 else int(m.group(1))


def sheet(rows, header=("管号", "结果", "ORF1ab", "N")) -> bytes:
    """A lab's results workbook."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class Clock:
    """The day's clock: `timezone.now` and every model field stamped by default with it
    (`default=timezone.now` holds the function itself, which patching the module's name does
    not reach: a case, a code or an audit row had the real time beside a test's hour; and a
    field caches its default's function after its first save, in `_get_default`).
    `clock.at(day, hour, minute)` moves it."""

    def __init__(self, monkeypatch, day: datetime.date, hour, minute=0):
        from django.apps import apps
        from django.utils import timezone

        self.now = morning(day, hour, minute)
        monkeypatch.setattr(timezone, "now", self.read)
        for model in apps.get_models():
            for f in model._meta.concrete_fields:
                if f.default is _REAL_NOW:
                    # `Field._get_default` is a cached_property: once a row was saved (by an
                    # earlier test in this process) it holds the real `now` whatever `default`
                    # says, so it is patched too — first, so that undoing restores the real one
                    monkeypatch.setattr(f, "_get_default", self.read)
                    monkeypatch.setattr(f, "default", self.read)

    def read(self):
        return self.now

    def at(self, day: datetime.date, hour, minute=0):
        self.now = morning(day, hour, minute)
        return self.now


def morning(day: datetime.date, hour, minute=0):
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
