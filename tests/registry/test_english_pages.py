"""The registry's pages and files in English, as a demo walker read them: the household
page says how many family logins there are in words ("Family login · none yet", not
"Family login(0)"); the resident export's headings are in English, each one the importer
reads with the template's Chinese name beside it (so it can be imported again:
test_export_language.py), and its title row says so in the reader's language."""

import io
import re

from openpyxl import load_workbook

from fangkong.accounts import actions as accounts
from tests.conftest import actor_for


def _logins_summary(client, hh):
    page = client.get(f"/households/{hh.id}/").content.decode()
    summary = page.split('id="logins">')[1].split("</summary>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary)).strip()


def test_the_family_login_count_is_said_in_words(world, client):
    client.force_login(world.users.staff)
    hh = world.hh102
    assert _logins_summary(client, hh) == "家庭登录 · 暂无"
    client.cookies["django_language"] = "en"
    assert _logins_summary(client, hh) == "Family login · none yet"
    accounts.household_login(actor_for(world.users.staff), hh, phone="13903517777")
    assert _logins_summary(client, hh) == "Family login · 1 login"


def test_the_resident_export_says_its_headings_are_the_importers(world, client):
    client.force_login(world.users.staff)
    client.cookies["django_language"] = "en"
    data = client.get(f"/places/{world.community.id}/export.xlsx").content
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    title, header = [r for r in ws.iter_rows(max_row=2, values_only=True)]
    assert title[0].endswith("(column headings and values as the import reads them; values in "
                             "the template's words: 男/女, 户主, 在家…)"), title[0]
    assert "Name (姓名)" in header and "ID number (身份证号)" in header  # what the importer reads
