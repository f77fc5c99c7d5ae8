"""The volunteers' part of erasing a community (ops.erasure): anonymise in place.

A volunteer keeps their row (status, skills, days, credited minutes: the roll of honour's
and the calls' figures) and loses name, phone, ID number, work unit, Party branch and the
staff's reason; their account is anonymised with the community's (ops.erasure). The
corrections' free-text reasons go; calls keep their title and figures but lose the
briefing (free text, often a name and a phone); the community's registration link gets a
new token (the printed poster stops working).
"""

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from .models import Assignment, Call, JoinLink, Volunteer, new_token


def anonymise_community(e, community):
    people = Volunteer.objects.filter(community_id=community.id)
    e.phones |= set(people.values_list("phone", flat=True))
    ids = list(people.values_list("id", flat=True))
    e.target_ids("volunteer", ids)
    # phone and ID hash are unique and required: an opaque value of the row's own id
    e.add("volunteers_anonymised", people.update(
        name="", phone=Concat(Value("x"), Cast(F("id"), output_field=CharField())),
        id_hash=Concat(Value("erased:"), Cast(F("id"), output_field=CharField())),
        id_enc="", id_head="", id_tail="", work_unit="", party_branch="", reason=""))
    answers = Assignment.objects.filter(volunteer_id__in=ids)
    e.target_ids("assignment", answers.values_list("id", flat=True))
    answers.exclude(correction_reason="").update(correction_reason="")
    e.add("call_briefings_cleared", Call.objects.filter(community_id=community.id)
          .exclude(briefing="").update(briefing=""))
    for pk in JoinLink.objects.filter(place_id=community.id).values_list("pk", flat=True):
        JoinLink.objects.filter(pk=pk).update(token=new_token())
