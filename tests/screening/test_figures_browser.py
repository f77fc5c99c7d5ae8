"""A round's figures at phone size, as the street's command and the community's staff see
them: the street round's page with its per-community list, the community page's panel and
the antigen overview show the figures counted by hand in test_figures. Screenshots in
test-output/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import log_in, switch_to

from .test_figures import ANTIGEN, PCR, day  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_command_and_staff_read_the_same_figures_on_their_phones(phone_page, day):  # noqa: F811
    page, w = phone_page, day.w
    log_in(page, "command_street")
    page.goto(f"{page.base}/screening/rounds/{day.pcr.id}/")
    c, s = PCR["community"], PCR["street"]
    expect(page.locator("#live .stats")).to_contain_text(f"已采 {s['done']} / {s['expected'] - s['exempt']}")
    row = page.locator(f"li[data-community='{w.community.id}']")
    expect(row).to_contain_text(f"光明社区 已采 {c['done']} / {c['expected'] - c['exempt']} · "
                                f"未检 {c['missing']} · 免检 {c['exempt']}")
    expect(page.get_by_text("未记录采样点")).to_be_visible()
    page.shot("figures-street-round-command")
    row.locator("a").click()  # the community's own figures, one tap from its row
    expect(page.locator("#live .stats")).to_contain_text(f"已采 {c['done']} / {c['expected'] - c['exempt']}")
    expect(page.locator("main")).to_contain_text("统计范围：光明社区")
    page.shot("figures-street-round-community")

    switch_to(page, "staff_a")
    page.goto(f"{page.base}/places/{w.community.id}/")
    panel = page.locator("section.panel", has_text="正在检测")
    a = ANTIGEN["community"]
    expect(panel).to_contain_text(f"需检测 {a['expected'] - a['exempt']} 人，已上报 {a['done']} 人 · 未检 {a['missing']} 人")
    expect(panel).to_contain_text(f"需采样 {c['expected'] - c['exempt']} 人，已采 {c['done']} 人 · 未采 {c['missing']} 人")
    expect(panel).to_contain_text("桥东街道")  # each round names its own place
    page.shot("figures-community-panel")
    page.goto(f"{page.base}/screening/rounds/{day.ag.id}/antigen/?place={w.community.id}")
    text = page.locator("main").inner_text()
    assert re.search(rf"已上报 {a['done']} / {a['expected'] - a['exempt']}", text), text
    expect(page.locator("main")).to_contain_text("光明小区 1号楼 2单元 已上报 1 / 1 · 未检 0 · 免检 2")
    page.shot("figures-antigen-overview")
    assert not page.problems, page.problems
