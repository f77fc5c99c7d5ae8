"""One rule for the API's pages: at most FANGKONG_API_MAX_PAGE rows a page."""

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import Invalid


def page_size(requested: int | None) -> int:
    """The rows a page: the request's (checked) or FANGKONG_PAGE_SIZE."""
    limit = settings.FANGKONG_API_MAX_PAGE
    size = requested or settings.FANGKONG_PAGE_SIZE
    if size > limit:
        raise Invalid(fields={"page_size": [_("At most %(n)d rows a page.") % {"n": limit}]})
    return size


def page_of(qs, page: int, requested: int | None):
    """(total count, page size, rows of page `page`, 1-based) of a queryset."""
    size = page_size(requested)
    start = (page - 1) * size
    return qs.count(), size, list(qs[start:start + size])
