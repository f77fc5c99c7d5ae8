"""Home visits given to samplers: the sampler's own list (their landing page shows it too,
`my_visits_context`) with each visit's phone (`audit.disclosure`: in clear for the visit
given to them, audited) and next step."""

from django.shortcuts import render

from fangkong.audit import disclosure
from fangkong.core.errors import NotFound
from fangkong.core.views import actor_of, page
from fangkong.registry import queries as reg_queries

from . import queries


def with_visit_phones(actor, visits, where: str) -> None:
    """Each visit's `.phone_text` and `.phone_clear`: the person's phone, or for someone
    without one the household's or a housemate's (`registry.queries.contact_phones`), in
    clear for the sampler the visit was given to (a task at this door now), audited once."""
    people = [v.resident for v in visits]
    contacts = reg_queries.contact_phones(people)
    shown, homes = [], []
    for v in visits:
        r = v.resident
        c = contacts.get(r.id)
        obj, value = (r, r.phone) if r.phone else ((c["of"], c["phone"]) if c else (r, ""))
        v.phone_of = "" if r.phone or not c else (c["name"] or None)
        v.phone_text, masked = disclosure.show_phone(actor, obj, value, assigned=True) if value else ("", True)
        v.phone_clear = bool(value) and not masked
        if value:
            (homes if obj is not r and not c["name"] else shown).append(obj)
    people_shown = [o for o in shown if o.phone]
    if people_shown or homes:
        disclosure.record_phones(actor, people_shown, where, homes, assigned=True)


def my_visits_context(request) -> list:
    """The sampler's visits to make, with phones (for the landing page and the list)."""
    visits = queries.my_home_visits(request.scope)
    if visits:
        with_visit_phones(actor_of(request), visits, "screening.home.mine")
    return visits


@page
def my_home_visits(request):
    """The home visits given to the user as a sampler; anyone not sampling in a round not
    closed gets a 404."""
    if not queries.my_sampling(request.scope, limit=1):
        raise NotFound()
    return render(request, "screening/my_home_visits.html", {"visits": my_visits_context(request)})
