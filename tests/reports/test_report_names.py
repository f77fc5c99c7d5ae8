"""A level's report is named in the reader's language unless an administrator gave it a name of
its own (walked 2026-12-07: once the community cut-off was changed in /admin/, the saved
definition kept "社区日报" and English readers read "社区日报" / "街道日报" on the report page
and its PDF). Saving a cut-off leaves the name empty: the built-in name, in each reader's
language; a name saved as the built-in one (in Chinese or English) is still the built-in one."""

import datetime
import io

import pypdf
import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.utils import timezone, translation

from fangkong.accounts.models import User
from fangkong.core.actor import Actor
from fangkong.reports import actions, queries
from fangkong.reports.models import ReportDefinition

pytestmark = pytest.mark.django_db


def _page(user, url, lang):
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = lang
    return c.get(url, HTTP_ACCEPT_LANGUAGE=lang)


@pytest.fixture
def day(world):
    staff = Actor.system(world.users.staff)
    d = timezone.localdate() - datetime.timedelta(days=1)
    world.report = actions.prepare(staff, world.community, d)
    world.day = d
    return world


@pytest.mark.parametrize("saved", ["社区日报", "Community nightly report", ""])
def test_a_saved_definition_with_the_built_in_name_is_named_in_the_readers_language(day, saved):
    w = day
    ReportDefinition.objects.create(level="community", name=saved, cutoff=datetime.time(19, 30))
    url = f"/reports/places/{w.community.id}/days/{w.day}/"
    en = _page(w.users.staff, url, "en").content.decode()
    assert "<h1>Community nightly report " in en and "社区日报" not in en
    zh = _page(w.users.staff, url, "zh-hans").content.decode()
    assert "<h1>社区日报 " in zh
    pdf = _page(w.users.staff, f"/reports/{w.report.pk}/report.pdf", "en")
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Community nightly report" in text and "社区日报" not in text


def test_an_administrators_own_name_is_kept_in_every_language(day):
    w = day
    ReportDefinition.objects.create(level="community", name="光明片区夜报", cutoff=datetime.time(19, 30))
    url = f"/reports/places/{w.community.id}/days/{w.day}/"
    for lang in ("en", "zh-hans"):
        assert "<h1>光明片区夜报 " in _page(w.users.staff, url, lang).content.decode()


def test_the_admin_saves_a_cutoff_without_freezing_the_name(world):
    root = User.objects.create_superuser("root_admin", password="admin-pass-1234")
    request = RequestFactory().post("/admin/reports/reportdefinition/add/")
    request.user = root
    model_admin = admin.site._registry[ReportDefinition]
    form = model_admin.get_form(request)(data={
        "level": "street", "name": "", "cutoff": "21:30", "due_minutes": 60, "prepare_minutes": 30,
        "figures": "[]"})
    assert form.is_valid(), form.errors
    form.save()
    d = queries.definition("street")
    assert d.cutoff == datetime.time(21, 30) and d.name == ""
    for lang, said in (("en", "Street nightly report"), ("zh-hans", "街道日报")):
        with translation.override(lang):
            assert d.title == said and str(d) == said
