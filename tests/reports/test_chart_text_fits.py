"""Every text of a chart is drawn whole and inside its drawing, in both languages (walked
2026-12-07, English at 390×844: "Volunteer hours by day" topped its scale with ".9.0 h" for
19.0 h, the zones legend read "Sealed area■Controlled ar…", the coverage rows "Not in …" —
margins and a legend sized for short Chinese labels). The SVG is parsed: each <text>'s full
string is there, and its box (`charts.text_width`, erring wide, and its anchor) lies inside
the viewBox."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.utils import translation

from fangkong.core.figures import Chart
from fangkong.reports import charts
from fangkong.zones.models import ZoneKind

NS = "{http://www.w3.org/2000/svg}"


def _boxes(svg: str):
    """(text, left, right, top, bottom) of each <text>, and the viewBox's width and height."""
    root = ET.fromstring(svg)
    _x, _y, w, h = (float(v) for v in root.get("viewBox").split())
    out = []
    for t in root.iter(f"{NS}text"):
        s, size = t.text or "", float(t.get("font-size"))
        x, y, width = float(t.get("x")), float(t.get("y")), charts.text_width(t.text or "", size)
        left = {"start": x, "middle": x - width / 2, "end": x - width}[t.get("text-anchor")]
        out.append((s, left, left + width, y - size, y + size * 0.25))
    return out, w, h


def _assert_fits(svg: str, must: list[str]):
    boxes, w, h = _boxes(svg)
    texts = [b[0] for b in boxes]
    for s in must:
        assert s in texts, (s, texts)
    for s, left, right, top, bottom in boxes:
        assert 0 <= left and right <= w, (s, left, right, w)
        assert 0 <= top and bottom <= h, (s, top, bottom, h)
    # texts on one line never overlap (the legend's entries, the columns' labels)
    rows = {}
    for s, left, right, top, _b in boxes:
        rows.setdefault(round(top), []).append((left, right, s))
    for line in rows.values():
        line.sort()
        for (_l1, r1, s1), (l2, _r2, s2) in zip(line, line[1:], strict=False):
            assert r1 <= l2, (s1, s2, r1, l2)


def _walkers_charts():
    days = [datetime.date(2026, 12, 1) + datetime.timedelta(days=i) for i in range(7)]
    from fangkong.core.when import short_day

    hours = Chart("hours", "Volunteer hours by day",
                  [(short_day(d), m, f"{m / 60:.1f} h") for d, m in zip(days, [0, 60, 1140, 30, 0, 600, 90], strict=True)],
                  horizontal=False)
    zones = Chart("zones", "People in sealed and controlled areas by day",
                  [(short_day(d), 3 + i, f"{3} sealed · {i} controlled") for i, d in enumerate(days)],
                  horizontal=False, stacks=[(3, i) for i in range(7)],
                  legend=((ZoneKind.SEALED.label, "#b3261e"), (ZoneKind.CONTROLLED.label, "#8a5300")))
    from django.utils.translation import gettext

    cover = charts.coverage_by_child([(type("P", (), {"name": gettext("Not in a grid")})(),
                                       {"coverage": 29, "sampled": 299, "to_sample": 1000}),
                                      (type("P", (), {"name": "光明社区第一网格"})(),
                                       {"coverage": 95, "sampled": 19, "to_sample": 20})])
    return hours, zones, cover


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_every_label_of_a_chart_is_whole_and_inside_it(lang):
    with translation.override(lang):
        hours, zones, cover = _walkers_charts()
        _assert_fits(charts.svg(hours), ["19.0 h", *[r[0] for r in hours.rows]])
        _assert_fits(charts.svg(zones), [str(ZoneKind.SEALED.label), str(ZoneKind.CONTROLLED.label),
                                         *[r[0] for r in zones.rows]])
        _assert_fits(charts.svg(cover), [r[0] for r in cover.rows] + [r[2] for r in cover.rows])
    if lang == "en":
        assert hours.rows[0][0] == "1 Dec"  # the month in letters, never "12-01"
        assert "Not in a grid" in [r[0] for r in cover.rows]


def test_a_fortnight_of_days_labels_every_other_column_or_so():
    """Fourteen English day labels do not fit under fourteen columns: every few are drawn,
    none touching (the overlap check above)."""
    with translation.override("en"):
        from fangkong.core.when import short_day

        days = [datetime.date(2026, 11, 24) + datetime.timedelta(days=i) for i in range(14)]
        c = Chart("cases", "Positive cases by day", [(short_day(d), i, str(i)) for i, d in enumerate(days)],
                  horizontal=False)
        _assert_fits(charts.svg(c), ["24 Nov"])


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_dashboards_charts_fit_in_both_languages(day, lang):
    """The community's dashboard as the walker saw it (its own data: the day's tests, cases,
    zones, hours): every chart's every text is inside its drawing."""
    w = day
    c = Client()
    c.force_login(w.users.staff)
    c.cookies["django_language"] = lang
    page = c.get(f"/reports/places/{w.community.id}/").content.decode()
    svgs = ["<svg" + s.split("</svg>")[0] + "</svg>" for s in page.split("<svg")[1:]]
    svgs = [s for s in svgs if 'class="chart"' in s]
    assert svgs
    for s in svgs:
        _assert_fits(s, [])
        if lang == "en":  # a day on an axis says its month ("6 Dec"), never "12-06"
            assert not re.search(r">\d\d-\d\d", s), s
