"""A home-sampling request (上门采样) done by itself once its people are sampled: screening tells
(`registry.signals.home_sampled`, connected in services.apps) who of the request was swabbed
at home and when; once that is everyone it asked for, the request is done with what was done
("已上门采样 08:12"; several people: "已上门采样：苏霞 08:12、于海涛 08:30") and the family is
asked to confirm as for any request done (`requests.finish`). Services never imports
screening: this is all it hears."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangkong.core.text import join_words
from fangkong.core.when import short_time

from ..home_sampling import CODE
from ..models import Request
from .requests import finish


def sampled(sender, request, sampled, actor, **kwargs) -> Request | None:
    """(the receiver) `request`: its id; `sampled`: {resident id: when swabbed} of its people
    sampled at home so far. Done when that is all of them, once: a request already done,
    confirmed or cancelled — by hand, or on an earlier pass — is left as it is (a second
    round's visit of the same person changes nothing). Returns the request when done now."""
    with transaction.atomic():
        req = (Request.objects.select_for_update().select_related("category", "household")
               .filter(pk=request, category__code=CODE).first())
        if req is None or req.state not in Request.OPEN:
            return None
        people = list(req.people.order_by("id").only("id", "name"))
        if not people or any(p.id not in sampled for p in people):
            return None  # someone still to sample: the request page says where each one is

        def words():
            if len(people) == 1:
                return _("Sampled at home %(time)s") % {"time": clock(sampled[people[0].id])}
            return _("Sampled at home: %(people)s") % {"people": join_words(
                f"{p.name} {clock(sampled[p.id])}" for p in people)}

        with translation.override(settings.LANGUAGE_CODE):  # kept as staff would have typed it
            result = words()[:300]
        return finish(actor, req, result, said=words,
                      audit={"residents": [p.id for p in people],
                             "at": max(sampled[p.id] for p in people).isoformat()})


def clock(at) -> str:
    """"08:12" for a swab of today; another day's with its day ("12-06 08:12")."""
    local = timezone.localtime(at)
    return local.strftime("%H:%M") if local.date() == timezone.localdate() else short_time(at)
