"""The one page-size rule, for pages and the API alike: FANGKONG_PAGE_SIZE rows a page;
an API client may ask for another size, at most FANGKONG_API_MAX_PAGE (more is refused
with a clear error, never cut silently). Pages show the default size (their pager links
carry only the page number)."""

from django.conf import settings
from django.core.paginator import Paginator
from django.utils.translation import gettext as _

from .errors import Invalid


def page_size(requested: int | None = None) -> int:
    """The rows a page: the request's (checked) or FANGKONG_PAGE_SIZE."""
    limit = settings.FANGKONG_API_MAX_PAGE
    size = requested or settings.FANGKONG_PAGE_SIZE
    if size > limit:
        raise Invalid(fields={"page_size": [_("At most %(n)d rows a page.") % {"n": limit}]})
    return size


def page_of(qs, page: int, requested: int | None):
    """(total count, page size, rows of page `page`, 1-based) of a queryset (the API)."""
    size = page_size(requested)
    start = (page - 1) * size
    return qs.count(), size, list(qs[start:start + size])


def paginate(request, qs):
    """The page of `qs` a page view shows (`?page=`; a page number out of range or not a
    number shows the nearest page), as a Django Page for the templates' pager."""
    return Paginator(qs, page_size()).get_page(request.GET.get("page"))
