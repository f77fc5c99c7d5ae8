"""core.paging: one page-size rule for pages and the API."""

import pytest
from django.test import RequestFactory
from django.utils import translation

from fangkong.core import paging
from fangkong.core.errors import Invalid
from fangkong.registry.models import Resident


def test_page_size(settings):
    settings.FANGKONG_PAGE_SIZE, settings.FANGKONG_API_MAX_PAGE = 3, 5
    assert paging.page_size() == 3 and paging.page_size(None) == 3 and paging.page_size(5) == 5
    with translation.override("en"), pytest.raises(Invalid) as e:
        paging.page_size(6)
    assert e.value.fields == {"page_size": ["At most 5 rows a page."]}


@pytest.mark.django_db
def test_pages_and_api_cut_the_same_pages(world, settings):
    settings.FANGKONG_PAGE_SIZE = 2
    qs = Resident.objects.order_by("id")
    ids = list(qs.values_list("id", flat=True))
    count, size, rows = paging.page_of(qs, 2, None)
    assert (count, size, [r.id for r in rows]) == (len(ids), 2, ids[2:4])
    pg = paging.paginate(RequestFactory().get("/x/?page=2"), qs)
    assert [r.id for r in pg] == ids[2:4] and pg.paginator.per_page == 2
    assert paging.paginate(RequestFactory().get("/x/?page=abc"), qs).number == 1
    assert paging.paginate(RequestFactory().get("/x/?page=99"), qs).number == pg.paginator.num_pages
