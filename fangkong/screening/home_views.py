"""Home visits given to samplers: the sampler's own list (their landing page shows it too,
`my_visits_context`) with each visit's phone (`audit.disclosure`: in clear for the visit
given to them, audited) and next step."""

from django.shortcuts import render

from fangkong.audit import disclosure
from fangkong.core.errors import NotFound
from fangkong.core.views import actor_of, page
from fangkong.registry import queries as reg_queries

from . import queries


def with_reach(actor, people, where: str, assigned=()) -> None:
    """How to reach each person, as every list of people to visit shows it: `.phone_text`,
    `.phone_clear` and `.phone_of` (the person's phone, or for someone without one the
    household's — `None` — or a housemate's — their name — `registry.queries.contact_phones`).
    ONE rule for clear or masked (`audit.disclosure.show_phone`): in clear where the user
    holds VIEW_PHONE on it, or where a visit at this door is given to the user now
    (`assigned`: resident ids, `queries.visits_given_to`) — the sampler's own list and the
    follow-up page alike; the phones shown in clear audited once."""
    contacts = reg_queries.contact_phones(people)
    shown, homes = [], []
    for r in people:
        c = contacts.get(r.id)
        obj, value = (r, r.phone) if r.phone else ((c["of"], c["phone"]) if c else (r, ""))
        r.phone_of = "" if r.phone or not c else (c["name"] or None)
        r.phone_text, masked = (disclosure.show_phone(actor, obj, value, assigned=r.id in assigned)
                                if value else ("", True))
        r.phone_clear = bool(value) and not masked
        if r.phone_clear:
            (homes if obj is not r and not c["name"] else shown).append(obj)
    people_shown = [o for o in shown if o.phone]
    if people_shown or homes:
        disclosure.record_phones(actor, people_shown, where, homes, assigned=bool(assigned))


def with_visit_phones(actor, visits, where: str) -> None:
    """Each visit's `.phone_text`, `.phone_clear` and `.phone_of` (`with_reach`): the visits
    given to the sampler, so in clear (a task at this door now), audited once."""
    people = [v.resident for v in visits]
    with_reach(actor, people, where, {r.id for r in people})
    for v in visits:
        v.phone_text, v.phone_clear, v.phone_of = v.resident.phone_text, v.resident.phone_clear, v.resident.phone_of


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
