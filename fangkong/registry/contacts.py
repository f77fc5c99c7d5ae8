"""The phone to call for a person, as every list of people to call or visit shows it (the
round's missing and home-sampling lists, the morning check-ins): their own mobile, else —
for someone without one, a child, an old person without a mobile — the household's phone,
else a housemate's (`queries.contact_phones`: the one rule), saying whose. Shown with
`registry/_person_phone.html` (the `phone` tag: in clear or masked by the reader's right),
what a list shows in clear audited once (`audit.disclosure`)."""

from fangkong.audit import disclosure

from . import queries


def with_contact_phones(actor, people, where: str) -> None:
    """Each person's `.contact` (`queries.contact_phones`: the household's or a housemate's
    phone for those without their own; None otherwise), and one audit event for the phones
    the list shows in clear, theirs and those. The people come with their household."""
    contacts = queries.contact_phones(people)
    for r in people:
        r.contact = contacts.get(r.id)
    mates = [c["of"] for c in contacts.values() if c["name"]]
    homes = [c["of"] for c in contacts.values() if not c["name"]]
    disclosure.audit_phones(actor, [*people, *mates], where, homes)
