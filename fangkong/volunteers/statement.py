"""A volunteer's statement of verified hours (服务时长证明): name, home community, each call
served with its date, check-in and check-out, the hours credited (a staff correction
marked, with its reason) and the total — the same figures as the call's page and the roll
of honour (`Assignment.minutes`, `Volunteer.minutes`).

A printable A4 PDF drawn with reportlab, as the personal code cards are (the same font:
STSong-Light built in, or FANGKONG_CARD_FONT). The volunteer prints it
from /volunteers/me/ — a withdrawn or rejected one too, for the hours they served — and the
home community's staff from the person's page."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import Assignment, Volunteer


def served(v: Volunteer):
    """The places that credited hours or were checked in to (verified attendance), oldest
    first: the statement's rows."""
    from django.db.models import Q

    return (Assignment.objects.filter(Q(minutes__gt=0) | Q(check_in_at__isnull=False), volunteer=v)
            .exclude(status=Assignment.Status.CANCELLED, minutes=0)
            .select_related("call", "call__place").order_by("starts_at", "id"))


def _font() -> str:
    """The personal code cards' font (`registry.cards`): STSong-Light, built into reportlab,
    or the TrueType font named by FANGKONG_CARD_FONT."""
    from django.conf import settings
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    rl_config.useA85 = 0
    path = getattr(settings, "FANGKONG_CARD_FONT", "")
    name = "FangkongCard" if path else "STSong-Light"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path) if path else UnicodeCIDFont(name))
    return name


def _esc(s) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_statement(v: Volunteer, community: str, rows: list[Assignment]) -> bytes:
    """The statement as PDF bytes."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    fnt = _font()
    buf = io.BytesIO()
    title = _("Statement of volunteer hours")
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=f"{title} · {v.name}", creator="Fangkong", invariant=1)
    h1 = ParagraphStyle("h1", fontName=fnt, fontSize=18, leading=24, alignment=1)
    body = ParagraphStyle("body", fontName=fnt, fontSize=10.5, leading=15)
    cell = ParagraphStyle("cell", fontName=fnt, fontSize=9, leading=12)

    def at(t, fmt="%H:%M"):
        return timezone.localtime(t).strftime(fmt) if t else "—"

    # the rows' own figures added up (`Assignment.hours`): the total is what the rows say
    total = sum(round(a.hours * 10) for a in rows) / 10
    story = [Paragraph(_esc(title), h1), Spacer(1, 6 * mm),
             Paragraph(_esc(_("Name: %(name)s") % {"name": v.name}), body),
             Paragraph(_esc(_("Community: %(place)s") % {"place": community}), body),
             Paragraph(_esc(_("Verified hours in all: %(h)s") % {"h": f"{total:.1f}"}), body),
             Spacer(1, 4 * mm)]
    head = [_("Date"), _("Call"), _("Check-in"), _("Check-out"), _("Hours"), _("Correction")]
    data = [[Paragraph(_esc(x), cell) for x in head]]
    for a in rows:
        fix = _("corrected: %(reason)s") % {"reason": a.correction_reason} if a.corrected else ""
        data.append([Paragraph(_esc(x), cell) for x in (
            at(a.starts_at, "%Y-%m-%d"), f"{a.call.title} · {a.call.place.name}", at(a.check_in_at),
            at(a.check_out_at), f"{a.hours:.1f}", fix)])
    data.append([Paragraph(_esc(x), cell) for x in (pgettext("sum", "Total"), "", "", "",
                                                    f"{total:.1f}", "")])
    if not rows:
        story.append(Paragraph(_esc(_("No verified hours yet.")), body))
    t = Table(data, colWidths=[22 * mm, 62 * mm, 17 * mm, 17 * mm, 14 * mm, 42 * mm], repeatRows=1)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [t, Spacer(1, 8 * mm),
              Paragraph(_esc(_("Hours are credited only from confirmed check-in and check-out; a "
                               "correction by community staff is marked with its reason.")), body),
              Paragraph(_esc(_("Printed %(when)s.") % {"when": at(timezone.now(), "%Y-%m-%d %H:%M")}), body)]
    doc.build(story)
    return buf.getvalue()
