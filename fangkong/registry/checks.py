"""Validation of registry input: one set of rules for forms, the API and the importer.

`check_*` functions take raw values (strings from a form or a spreadsheet cell, JSON
values) and return clean values or raise Invalid with messages per field, in the user's
language. They never touch the database.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_noop

from fangkong.core import pii
from fangkong.core.clean import clean
from fangkong.core.errors import Invalid
from fangkong.core.said import define, messages, said

from .models import KeyGroup, Presence, Relation, Sex, Tag

MAX_NAME = 50
MAX_NOTES = 500
UNKNOWN_WORDS = ("未知", "不详", "unknown")  # a smartphone not known (the export's "未知")

# The messages, kept by code where they are stored (an import's row errors: `core.said`)
# and said again in the language of whoever reads them.
REQUIRED = define("required", gettext_noop("%(field)s is required."))
UNKNOWN_CHOICE = define("unknown_choice", gettext_noop("“%(value)s” is not a known %(field)s."))
FIELD_SEX = define("field_sex", gettext_noop("sex"))
FIELD_RELATION = define("field_relation", gettext_noop("relation to the head of household"))
FIELD_PRESENCE = define("field_presence", gettext_noop("presence"))
SEX_LABEL = {"M": define("sex_m", gettext_noop("Male")), "F": define("sex_f", gettext_noop("Female"))}
UNKNOWN_TAGS = define("unknown_tags", gettext_noop(
    "Unknown vulnerability tag(s): %(bad)s. Known tags: %(known)s."))
UNKNOWN_KEY_GROUP = define("unknown_key_group", gettext_noop(
    "“%(value)s” is not a known key group. Known: %(known)s."))
BIRTH_FUTURE = define("birth_future", gettext_noop("The birth date is in the future: check the year."))
BIRTH_1900 = define("birth_before_1900", gettext_noop("The birth date is before 1900: check the year."))
BIRTH_NOT_ID = define("birth_not_id", gettext_noop(
    "The birth date does not match the ID number (%(date)s)."))
SEX_NOT_ID = define("sex_not_id", gettext_noop(
    "The sex does not match the ID number (which says %(sex)s)."))
NAME_REQUIRED = define("name_required", gettext_noop("Name is required."))
NAME_TOO_LONG = define("name_too_long", gettext_noop("A name has at most %(n)d characters."))
BIRTH_FORMAT = define("birth_format", gettext_noop("Write the birth date as YYYY-MM-DD."))
NOTES_TOO_LONG = define("notes_too_long", gettext_noop("Notes have at most %(n)d characters."))
YES_OR_NO = define("yes_or_no", gettext_noop("Answer yes or no."))
DOOR_REQUIRED = define("door_required", gettext_noop("Door number is required."))
DOOR_TOO_LONG = define("door_too_long", gettext_noop("A door number has at most 20 characters."))
DOOR_CHARACTERS = define("door_characters", gettext_noop(
    "A door number is written with letters, digits and Chinese characters, such as 101, "
    "1-101 or B201."))
PLACE_NAME_REQUIRED = define("place_name_required", gettext_noop("Give the place a name."))
PLACE_NAME_TOO_LONG = define("place_name_too_long", gettext_noop(
    "A place name has at most 80 characters."))
SECOND_HEAD = define("second_head", gettext_noop(
    "This household already has a head: %(name)s. Change %(name)s's relation first, or "
    "choose another relation."))

# Labels a roster may use, in Chinese and English, for each stored value.
RELATION_WORDS = {
    Relation.HEAD: ["户主", "本人", "head", "self"],
    Relation.SPOUSE: ["配偶", "妻", "夫", "妻子", "丈夫", "spouse", "wife", "husband"],
    Relation.CHILD: ["子女", "子", "女", "儿子", "女儿", "长子", "长女", "次子", "次女", "child", "son", "daughter"],
    Relation.PARENT: ["父母", "父亲", "母亲", "父", "母", "parent", "father", "mother"],
    Relation.GRANDCHILD: ["孙子女", "孙子", "孙女", "外孙", "外孙女", "grandchild"],
    Relation.SIBLING: ["兄弟姐妹", "兄", "弟", "姐", "妹", "sibling"],
    Relation.TENANT: ["租户", "租客", "tenant"],
    Relation.OTHER: ["其他", "其它", "other"],
}
PRESENCE_WORDS = {
    Presence.HOME: ["在家", "居家", "在住", "home", "at home"],
    Presence.QUARANTINE: ["集中隔离", "隔离", "quarantine", "centralized quarantine"],
    Presence.HOSPITAL: ["住院", "医院", "hospital", "in hospital"],
    Presence.AWAY: ["外出", "不在", "外地", "away"],
    Presence.MOVED_OUT: ["迁出", "搬离", "已搬走", "moved out", "moved_out"],
}
TAG_WORDS = {
    Tag.ELDERLY_ALONE: ["独居老人", "独居", "elderly living alone", "elderly_alone"],
    Tag.LIMITED_MOBILITY: ["行动不便", "limited mobility", "limited_mobility"],
    Tag.BEDRIDDEN: ["卧床", "长期卧床", "bedridden"],
    Tag.PREGNANT: ["孕妇", "pregnant"],
    Tag.DIALYSIS: ["透析", "血透", "dialysis"],
    Tag.CHRONIC: ["慢病", "慢性病", "chronic", "chronic illness"],
    Tag.INFANT: ["婴幼儿", "婴儿", "infant"],
    Tag.DISABILITY: ["残疾", "残疾人", "disability"],
}
KEY_GROUP_WORDS = {
    KeyGroup.MEDICAL: ["医务人员", "医护人员", "医护", "医生", "护士", "medical", "medical staff"],
    KeyGroup.QUARANTINE: ["隔离场所工作人员", "隔离点工作人员", "隔离酒店工作人员", "quarantine"],
    KeyGroup.COLD_CHAIN: ["口岸及冷链从业人员", "冷链从业人员", "冷链", "口岸", "进口冷链", "cold_chain"],
    KeyGroup.TRANSPORT: ["交通运输及快递外卖人员", "快递外卖", "快递员", "外卖员", "司机", "货车司机",
                         "快递", "外卖", "transport"],
    KeyGroup.SERVICE: ["商超及公共服务人员", "商超", "超市", "农贸市场", "保安", "保洁", "service"],
    KeyGroup.OTHER: ["其他重点人群", "其他重点", "重点人员", "other"],
}
NOT_KEY_WORDS = ["无", "否", "不是", "none", "no"]
SEX_WORDS = {Sex.MALE: ["男", "m", "male"], Sex.FEMALE: ["女", "f", "female"]}


def _lookup(table):
    out = {}
    for value, words in table.items():
        out[str(value)] = value
        out[str(value.label).lower()] = value
        for w in words:
            out[w.lower()] = value
    return out


_RELATION = _lookup(RELATION_WORDS)
_PRESENCE = _lookup(PRESENCE_WORDS)
_TAG = _lookup(TAG_WORDS)
_SEX = _lookup(SEX_WORDS)
_KEY_GROUP = {k: v for k, v in _lookup(KEY_GROUP_WORDS).items() if k} | {w: KeyGroup.NONE for w in NOT_KEY_WORDS}
TAG_SEPARATORS = "、,，;；/|｜ "


def text(value) -> str:
    """A cell or form value as clean text: full-width digits to half-width, spaces trimmed,
    control and bidi characters removed (`core.clean`)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(pii.to_halfwidth(str(value))).strip()


def check_choice(value, table, field_label, required=False):
    v = text(value).lower()
    if not v:
        if required:
            raise ValidationError(said(REQUIRED, field=field_label))
        return None
    if v in table:
        return table[v]
    raise ValidationError(said(UNKNOWN_CHOICE, value=text(value)[:30], field=field_label))


def check_tags(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        parts = [text(p) for p in value]
    else:
        raw = text(value)
        for sep in TAG_SEPARATORS:
            raw = raw.replace(sep, "、")
        parts = [p for p in raw.split("、")]
    tags, bad = [], []
    for p in parts:
        if not p:
            continue
        tag = _TAG.get(p.lower())
        (tags if tag else bad).append(tag or p)
    if bad:
        raise ValidationError(said(UNKNOWN_TAGS, bad=[b[:30] for b in bad[:5]],
                                   known=[w[0] for w in TAG_WORDS.values()]))
    return [str(t) for t in tags]


def check_key_group(value) -> str:
    """A key group (重点人群 for testing: 医务人员, 冷链从业人员, 快递外卖…) by its code or
    word; empty (or 无) for none."""
    v = text(value).lower()
    if not v:
        return KeyGroup.NONE.value
    if v in _KEY_GROUP:
        return str(_KEY_GROUP[v].value)
    raise ValidationError(said(UNKNOWN_KEY_GROUP, value=text(value)[:30],
                               known=[w[0] for w in KEY_GROUP_WORDS.values()]))


def plausible_birth_date(d: datetime.date) -> datetime.date:
    """A birth date no later than today and no earlier than 1900 (an age feeds the elderly
    and vulnerability lists: 2099 showed "-73 years", 1800 "226")."""
    if d > datetime.date.today():
        raise ValidationError(said(BIRTH_FUTURE))
    if d.year < 1900:
        raise ValidationError(said(BIRTH_1900))
    return d


def check_against_stored_id(r, clean: dict):
    """An edit that changes the birth date or the sex of a resident whose ID number is
    stored, without a new ID number: both were read from the ID number when it was given,
    so a different one contradicts it (the form and the API never see the number itself)."""
    if not r.id_hash or clean.get("id_number"):
        return
    errors = {}
    if clean.get("birth_date") and r.birth_date and clean["birth_date"] != r.birth_date:
        errors["birth_date"] = [said(BIRTH_NOT_ID, date=str(r.birth_date))]
    if clean.get("sex") and r.sex and clean["sex"] != r.sex:
        errors["sex"] = [said(SEX_NOT_ID, sex=said(SEX_LABEL[Sex(r.sex).value]))]
    if errors:
        raise Invalid(fields=errors)


def check_resident(data: dict, *, partial=False) -> dict:
    """Clean resident fields. Keys: name, id_number, sex, birth_date, phone, relation,
    presence, has_smartphone, tags, notes. With partial=True only given keys are checked."""
    errors: dict[str, list[str]] = {}
    out: dict = {}

    def run(key, fn):
        if partial and key not in data:
            return
        try:
            out[key] = fn(data.get(key))
        except ValidationError as e:
            errors.setdefault(key, []).extend(messages(e))

    def name(v):
        v = " ".join(text(v).split())
        if not v:
            raise ValidationError(said(NAME_REQUIRED))
        if len(v) > MAX_NAME:
            raise ValidationError(said(NAME_TOO_LONG, n=MAX_NAME))
        return v

    def id_number(v):
        if v is None or (isinstance(v, str) and not v.strip()):
            return ""
        return pii.validate_id_number(v)

    def birth_date(v):
        if v in (None, ""):
            return None
        if isinstance(v, datetime.datetime):
            return plausible_birth_date(v.date())
        if isinstance(v, datetime.date):
            return plausible_birth_date(v)
        try:
            d = datetime.date.fromisoformat(text(v).replace("/", "-").replace(".", "-"))
        except ValueError:
            raise ValidationError(said(BIRTH_FORMAT)) from None
        return plausible_birth_date(d)

    def notes(v):
        v = text(v)
        if len(v) > MAX_NOTES:
            raise ValidationError(said(NOTES_TOO_LONG, n=MAX_NOTES))
        return v

    def boolean(v):
        if isinstance(v, bool):
            return v
        t = text(v).lower()
        if t in ("", "1", "true", "yes", "on", "是", "有"):
            return True
        if t in ("0", "false", "no", "off", "否", "无", "没有"):
            return False
        raise ValidationError(said(YES_OR_NO))

    run("name", name)
    run("id_number", id_number)
    run("sex", lambda v: check_choice(v, _SEX, said(FIELD_SEX)))
    run("birth_date", birth_date)
    run("phone", lambda v: pii.validate_phone(v))
    run("relation", lambda v: check_choice(v, _RELATION, said(FIELD_RELATION)))
    run("presence", lambda v: check_choice(v, _PRESENCE, said(FIELD_PRESENCE)))
    run("has_smartphone", lambda v: None if text(v).lower() in UNKNOWN_WORDS else boolean(v))
    run("tags", check_tags)
    run("key_group", check_key_group)
    run("notes", notes)

    # The ID number knows the birth date and the sex; a contradiction is an error.
    idn = out.get("id_number")
    if idn:
        born, sex = pii.id_birth_date(idn), pii.id_sex(idn)
        if out.get("sex") and out["sex"] != sex:
            errors.setdefault("sex", []).append(said(SEX_NOT_ID, sex=said(SEX_LABEL[sex])))
        if out.get("birth_date") and out["birth_date"] != born:
            errors.setdefault("birth_date", []).append(said(BIRTH_NOT_ID, date=str(born)))
        out["sex"], out["birth_date"] = sex, born
    if not partial:
        out.setdefault("relation", None)
        out["relation"] = out["relation"] or Relation.OTHER
        out["presence"] = out.get("presence") or Presence.HOME
        out.setdefault("sex", None)
        out["sex"] = out["sex"] or ""
    else:
        for key in ("relation", "presence"):
            if key in out and out[key] is None:
                del out[key]
        if "sex" in out and out["sex"] is None:
            out["sex"] = ""
    if errors:
        raise Invalid(fields=errors)
    return out


def check_door(value) -> str:
    v = text(value).replace(" ", "")
    for suffix in ("室", "号", "户"):
        if v.endswith(suffix) and len(v) > 1:
            v = v[: -len(suffix)]
    if not v:
        raise ValidationError(said(DOOR_REQUIRED))
    if len(v) > 20:
        raise ValidationError(said(DOOR_TOO_LONG))
    # As doors are written on a roster and on the door: 101, 1-101, B201, 101A, 地下室1,
    # 3楼西. Letters, digits and Chinese characters, joined by - # / . ( ); no sign in front
    # ("-5") and no emoji or other symbols, which no door has and no worker can type back.
    if any(not (ch.isalnum() or ch in DOOR_JOINERS) for ch in v) \
            or v[0] in DOOR_JOINERS.replace("(", "").replace("（", "") \
            or v[-1] in DOOR_JOINERS.replace(")", "").replace("）", ""):
        raise ValidationError(said(DOOR_CHARACTERS))
    return v


DOOR_JOINERS = "-#/.()（）_·"


def check_place_name(value) -> str:
    v = " ".join(text(value).split())
    if not v:
        raise ValidationError(said(PLACE_NAME_REQUIRED))
    if len(v) > 80:
        raise ValidationError(said(PLACE_NAME_TOO_LONG))
    return v


def check_duty_phone(value) -> str:
    """A place's duty phone (值班电话): a mobile or a landline, by the residents' phone rule
    (`pii.validate_phone`); empty clears it."""
    return pii.validate_phone(value)


def is_head(r) -> bool:
    """Does this resident hold the household's one head place (a head who moved out does
    not)? The page's rule (`actions._one_head`) and the import's (`Plan._one_head`)."""
    return r.relation == Relation.HEAD and r.presence != Presence.MOVED_OUT


def second_head_message(name: str) -> str:
    return said(SECOND_HEAD, name=name)
