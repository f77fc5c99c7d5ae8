"""The registry's part of erasing a community (ops.erasure): anonymise in place.

Residents keep their row, household, levels, sex, relation and presence (what every
count and coverage figure reads) and lose everything that names or reaches them: name and
its search keys, phone, ID number (ciphertext, look-up hash, head and tail), birth date,
notes, vulnerability tags (health data) and their personal code (a new random token: old
cards stop working). Households keep their place and become "#1", "#2"… in it, without
phone or notes. Uploaded rosters are emptied (file, row errors, file name).
"""

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat

from .models import Household, ImportJob, Place, Resident, natural_key, new_token


def anonymise_community(e, community: Place):
    residents = Resident.objects.filter(community_id=community.id)
    households = Household.objects.filter(community_id=community.id)
    e.phones |= {p for p in residents.exclude(phone="").values_list("phone", flat=True)}
    e.phones |= {p for p in households.exclude(phone="").values_list("phone", flat=True)}
    ids = list(residents.values_list("id", flat=True))
    e.target_ids("resident", ids)
    e.add("residents_anonymised", residents.update(
        name="", pinyin="", initials="", pinyin_given="", phone="", phone_tail="", id_enc="",
        id_hash=None, id_head="", id_tail="", birth_date=None, notes="", tags=""))
    # a fresh personal code each (one statement per resident: the token is unique)
    for pk in ids:
        Resident.objects.filter(pk=pk).update(token=new_token())

    hh_ids = list(households.order_by("place_id", "sort_key", "id").values_list("id", "place_id"))
    e.target_ids("household", [h for h, _p in hh_ids])
    # doors become "#n" within each place; first out of the way (the door is unique per place)
    households.update(door=Concat(Value("~"), Cast(F("id"), output_field=CharField())))
    n, place = 0, None
    for pk, place_id in hh_ids:
        n = n + 1 if place_id == place else 1
        place = place_id
        door = f"#{n}"
        Household.objects.filter(pk=pk).update(door=door, sort_key=natural_key(door), phone="",
                                                notes="")
    e.add("households_anonymised", len(hh_ids))

    jobs = ImportJob.objects.filter(place__community_id=community.id) | \
        ImportJob.objects.filter(place_id=community.id)
    e.add("rosters_emptied", jobs.update(content=b"", errors=[], filename="", message=""))
