"""The API's "start here": the introduction of the OpenAPI document (`info.description`,
shown at the top of /api/v1/docs), in the reader's language and with this site's real
figures (page sizes, time zone, addresses) — never a setting's name."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _


def intro() -> str:
    """Markdown: how to get a token and send it, the one error shape (400 and 422), paging,
    unknown parameters, "outside your places is not found", times."""
    api = reverse("api:openapi-json").removesuffix("openapi.json")  # /api/v1/
    values = {"tokens": reverse("tokens"), "api": api, "size": settings.FANGKONG_PAGE_SIZE,
              "max": settings.FANGKONG_API_MAX_PAGE, "tz": settings.TIME_ZONE}
    parts = [
        _("This API is the same system as the pages: every answer holds only what your role "
          "may see at your places, and every write goes through the same checks as the page "
          "and is written to the audit log."),
        "### " + _("1. Get a token"),
        _("Sign in on the site and open **API tokens** in the menu ([%(tokens)s](%(tokens)s)). "
          "Name the token after the device or system it is for and create it. The token "
          "(`fk_…`) is shown only once: copy it then. It acts as you — your role and your "
          "places as they are at each request, so when they change, so does what the token "
          "reaches. It does not expire: revoke it on the same page when the device is lost "
          "or the system is retired."),
        "### " + _("2. Send it"),
        _("Put it in the `Authorization` header of every request:"),
        f'    curl -H "Authorization: Bearer fk_…" https://…{api}me',
        _("`GET %(api)sme` answers who the token is and where it works. Without a valid token "
          "(or a signed-in browser session, which “Try it out” on this page uses) the answer "
          "is 401."),
        "### " + _("3. Errors"),
        _("Every error has one shape:"),
        '    {"error": {"code": "invalid", "message": "…", "fields": {"category": ["…"]}, "rows": []}}',
        _("`message` and the messages in `fields` are in the request's language "
          "(`Accept-Language`: Chinese by default, or `en`). `fields` is keyed by the plain "
          "name of the query parameter or body field (`__all__`: the request as a whole); "
          "`rows` lists the errors of a file or a batch by row."),
        "- " + _("**400** (`invalid`): the values have the right type but are not accepted — "
                 "an unknown category, a time in the past, a query parameter the operation "
                 "does not take."),
        "- " + _("**422** (`invalid`): the request does not have the documented shape — a "
                 "field missing, of the wrong type or unknown; the message names the fields."),
        "- " + _("401 `unauthenticated`, 403 `forbidden` (your role may see this but not do "
                 "it), 404 `not_found`, 409 `conflict`, 413 (too large), 429 `rate_limited` "
                 "and 503 `overloaded` (both with `Retry-After` in seconds), 500 "
                 "`server_error`."),
        "### " + _("4. Outside your places is “not found”"),
        _("A place, household, person or any other row outside your places answers 404, "
          "exactly as one that does not exist: the API never tells that something exists "
          "where you may not look."),
        "### " + _("5. Query parameters and pages"),
        _("Each operation takes only the query parameters it documents: any other answers "
          "400 naming it and listing the ones it takes, so a misspelt filter never returns "
          "everything. Lists with `page` and `page_size` answer `count`, `page`, `page_size` "
          "and `results`: %(size)d rows a page unless you ask for another size, at most "
          "%(max)d (more is a 400); `page` counts from 1. A few lists take `limit` instead, "
          "as documented on them."),
        "### " + _("6. Times"),
        _("Times are ISO 8601. Answers give them in UTC (`2022-04-06T06:30:00Z`). Send them "
          "with `Z` or an offset (`2022-04-06T14:30:00+08:00`); a time with neither is read "
          "on the community's clock (%(tz)s). Days are `YYYY-MM-DD`."),
    ]
    return "\n\n".join(p % values if "%(" in p else p for p in parts)
