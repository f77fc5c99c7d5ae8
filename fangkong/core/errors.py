"""Errors raised by actions and queries; the pages and the API render them the same way."""

from django.utils.translation import gettext_lazy as _


class FangkongError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message=None, *, fields=None, rows=None, code=None, retry_after=None,
                 status=None, extra=None, headers=None):
        self.message = message or self.default_message
        self.fields = fields or {}  # {"field": ["message", ...]}
        self.rows = rows or []  # [{"row": n, "column": "...", "message": "..."}]
        self.retry_after = retry_after  # seconds, sent as Retry-After (TooMany)
        self.extra = extra or {}  # more keys of the API's error object (e.g. an import's "job")
        self.headers = headers or {}  # more headers of the API's answer (e.g. Location)
        if code:
            self.code = code
        if status:
            self.status = status
        super().__init__(str(self.message))

    default_message = _("The request is not valid.")


class Invalid(FangkongError):
    status = 400
    code = "invalid"
    default_message = _("Please correct the errors below.")


class FileRefused(Invalid):
    """An uploaded file that arrived but cannot be used: empty, too large, damaged, of the
    wrong kind, or past a limit of `core.uploads` (a zip bomb, too many rows…). 422 on pages
    and the API alike; the message is the whole explanation, also given as the field's
    error; `row` and `column` (a letter, as Excel shows it) say where, when known."""

    status = 422
    code = "invalid_file"

    def __init__(self, message, *, field="file", row=None, column=""):
        super().__init__(message, fields={field: [message]})
        self.row, self.column = row, column


class FileRejected(Invalid):
    """A file that was read but whose rows have errors (every row error in `rows`): nothing
    of it was written. 422, like a file that cannot be used at all."""

    status = 422
    code = "file_rejected"


class NotFound(FangkongError):
    """Missing, or not visible to this user: the two must look the same."""

    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(FangkongError):
    """The user sees the object but their role may not do this to it."""

    status = 403
    code = "forbidden"
    default_message = _("Your role does not allow this.")


class TooMany(FangkongError):
    """A limit on how often something may be done (e.g. ID numbers shown in clear)."""

    status = 429
    code = "rate_limited"
    default_message = _("Too many requests; try again later.")


class Conflict(FangkongError):
    status = 409
    code = "conflict"
    default_message = _("This conflicts with existing data.")


def error_body(code, message, fields=None, rows=None) -> dict:
    """The API's one error shape: {"error": {"code", "message", "fields", "rows"}}."""
    return {"error": {"code": code, "message": str(message), "fields": fields or {},
                      "rows": rows or []}}


def json_error(status: int, code: str, message, headers=None):
    """A JSON response in the error shape, for code outside the API's own handlers
    (middleware, URL fallbacks)."""
    from django.http import JsonResponse

    return JsonResponse(error_body(code, message), status=status, headers=headers)


def validation_error_fields(exc) -> dict:
    """Django ValidationError → {"field": [messages]}."""
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}
