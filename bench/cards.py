"""(e) cards: printable personal code cards (registry/cards.py), everyone in a place.

One building and the whole community of the benchmark city, `print_cards(everyone=True)`
end to end: the scoped query, the place names, one QR symbol per person (segno choosing
the best mask), the PDF (reportlab), the audit event. The QR cache is cleared before each
repeat so every repeat is a first print.
"""

import time

from django.db.models import Count

from fangkong.core.actor import Actor
from fangkong.registry import cards
from fangkong.registry.models import Place, Resident

from .harness import figure


def run(ctx):
    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    actor = Actor(user=None, scope=ctx.staff_scope(city.community), via="cli")
    biggest = (Resident.objects.filter(community_id=city.community.id).exclude(presence="moved_out")
               .values("building_id").annotate(n=Count("id")).order_by("-n").first())
    building = Place.objects.get(pk=biggest["building_id"])
    for label, place in (("building", building), ("community", city.community)):
        times, n, size = [], 0, 0
        for _rep in range(cfg.repeat):
            cards._matrix.cache_clear()
            t = time.perf_counter()
            pdf, _name, n = cards.print_cards(actor, place=place, everyone=True)
            times.append(time.perf_counter() - t)
            size = len(pdf)
        report.add(figure(f"cards.{label}", times, "s",
                          note=f"{place.name}: {n:,} cards, {-(-n // cards.PER_PAGE)} pages, "
                               f"{size / 1e6:.1f} MB",
                          extra={"cards": n, "bytes": size}))
        report.add(figure(f"cards.{label}.per_card", [t / max(n, 1) for t in times], "ms",
                          scale=1000))
