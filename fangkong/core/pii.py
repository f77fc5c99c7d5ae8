"""Personal identifiers: normalise, validate, encrypt, hash and mask.

One place for the rules on ID numbers (居民身份证, GB 11643) and phone numbers, used by
forms, the API, the importer and the demo alike.
"""

import datetime
import functools
import hashlib
import hmac
import logging
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric

from fangkong.core.errors import FangkongError
from fangkong.core.said import define, said

log = logging.getLogger(__name__)

_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９ｘＸ　－（）＋",
    "0123456789xX -()+",
)
_SPACES = re.compile(r"[\s\u00a0\u200b\u3000\-]+")


def to_halfwidth(value: str) -> str:
    return value.translate(_FULLWIDTH)


def normalize_id_number(raw) -> str:
    """Strip spaces and dashes, turn full-width digits half-width, upper-case the X.

    Does not validate. Numbers (an Excel cell stored as a number) are refused by
    `validate_id_number`, since their last digits are already lost.
    """
    if raw is None:
        return ""
    return _SPACES.sub("", to_halfwidth(str(raw))).upper()


# The ID number's and the phone's messages, kept by code where they are stored (an
# import's row errors: `core.said`).
ID_NUMERIC = define("id_numeric", gettext_noop(
    "The ID number was stored by Excel as a number, so its last digits are lost. "
    "Format the column as text and type the number again."))
ID_REQUIRED = define("id_required", gettext_noop("ID number is required."))
ID_SCIENTIFIC = define("id_scientific", gettext_noop(
    "The ID number is in scientific notation (%(value)s): Excel stored it as a "
    "number and its last digits are lost. Format the column as text and type it again."))
ID_LENGTH = define("id_length", gettext_noop("An ID number has 18 characters; this one has %(n)d."))
ID_FORMAT = define("id_format", gettext_noop("An ID number is 17 digits followed by a digit or X."))
ID_BIRTH = define("id_birth", gettext_noop("The birth date inside the ID number is not a real date."))
ID_CHECKSUM = define("id_checksum", gettext_noop(
    "The check digit of the ID number is wrong: please check every digit."))
ID_REGION = define("id_region", gettext_noop(
    "The first six digits of the ID number are not a known region code."))
PHONE_REQUIRED = define("phone_required", gettext_noop("Phone number is required."))
PHONE_INVALID = define("phone_invalid", gettext_noop(
    "“%(value)s” is not a phone number: a mobile number has 11 digits starting with 1, "
    "a landline starts with its area code."))


def validate_id_number(raw) -> str:
    """Return the normalised 18-character ID number or raise ValidationError (its message
    a `core.said` message)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raise ValidationError(said(ID_NUMERIC), code="id_numeric")
    value = normalize_id_number(raw)
    if not value:
        raise ValidationError(said(ID_REQUIRED), code="required")
    if re.fullmatch(r"\d(\.\d+)?E\+?\d+", value):
        raise ValidationError(said(ID_SCIENTIFIC, value=value), code="id_numeric")
    if len(value) != 18:
        raise ValidationError(said(ID_LENGTH, n=len(value)), code="id_length")
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValidationError(said(ID_FORMAT), code="id_format")
    try:
        ric.get_birth_date(value)
    except stdnum_exc.ValidationError:
        raise ValidationError(said(ID_BIRTH), code="id_birth") from None
    if value[-1] != ric.calc_check_digit(value):
        raise ValidationError(said(ID_CHECKSUM), code="id_checksum")
    if not _region_known(value[:6]):
        raise ValidationError(said(ID_REGION), code="id_region")
    return value


@functools.lru_cache(maxsize=4096)
def _region_known(code: str) -> bool:
    from stdnum import numdb

    info = numdb.get("cn/loc").info(code)
    return bool(info) and all(props for _part, props in info)


def id_birth_date(id_number: str) -> datetime.date:
    return ric.get_birth_date(id_number)


def id_sex(id_number: str) -> str:
    """'M' or 'F' from the 17th digit (odd: male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def make_id_number(region: str, birth: datetime.date, seq: int) -> str:
    """A well-formed ID number (for demo data and tests): region, birth date, 3-digit seq."""
    body = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


# --- phones ------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")


def normalize_phone(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    value = re.sub(r"[\s\u00a0\u3000\-()（）]+", "", to_halfwidth(str(raw)))
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix):]
    return value


def validate_phone(raw, required=False) -> str:
    value = normalize_phone(raw)
    if not value:
        if required:
            raise ValidationError(said(PHONE_REQUIRED), code="required")
        return ""
    if _MOBILE.fullmatch(value) or _LANDLINE.fullmatch(value):
        return value
    raise ValidationError(said(PHONE_INVALID, value=str(raw)[:30]), code="phone")


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) == 11:
        return phone[:3] + "****" + phone[-4:]
    return phone[:4] + "*" * max(len(phone) - 6, 1) + phone[-2:]


def mask_id_number(id_number: str) -> str:
    if not id_number:
        return ""
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


# --- encryption at rest and keyed look-up hash -------------------------------

@functools.lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in settings.FANGKONG_FIELD_KEYS])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


class Undecryptable(FangkongError):
    """Stored with a key this server does not hold (FANGKONG_FIELD_KEY differs from the
    one it was written with): a fault of the installation, not of the request."""

    status = 503
    code = "undecryptable"
    default_message = _("This ID number cannot be read with this server's keys, so nothing "
                        "was shown or recorded. Tell your system administrator: the "
                        "encryption key (FANGKONG_FIELD_KEY) is not the one it was stored with.")


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        log.error("a personal field cannot be decrypted with FANGKONG_FIELD_KEY: the key is "
                  "not the one it was written with (see fangkong/core/deploy.py)")
        raise Undecryptable() from None


def lookup_hash(value: str) -> str:
    """Keyed hash for exact look-up of an identifier without storing it in clear."""
    return hmac.new(settings.FANGKONG_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
