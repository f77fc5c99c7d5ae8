"""The registry's household panel says what is still to come as it will reach the door
(found on the gate walk: "Orders still to come" listed 蔬菜包 × 3, 鸡蛋 × 1 as ordered, while
the supplier's manifest sent 2 蔬菜包 and no eggs, and the gate had the 蔬菜包 substituted by
蔬菜包（6种）, price to be confirmed). The manifest's lines (`order_changes.with_sent`), then the
gate's check (`with_arriving`) with its notes — as the household's own page and the API say."""

import re
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fangkong.services import queries
from fangkong.services.actions import handoff, orders
from fangkong.services.actions.manifest import import_manifest
from tests.conftest import actor_for


def card_lines(client, w) -> list[str]:
    html = client.get(reverse("household", args=[w.hh101.id])).content.decode()
    card = html.split('id="open-orders"')[1].split("</section>")[0]
    return re.findall(r"<span data-line>([^<]+)</span>", card), card


def test_orders_still_to_come_are_listed_as_they_will_arrive(world, svc, login):
    w = world
    o = orders.place_order(actor_for(w.users.resident), w.hh101, svc.supplier,
                           [(svc.veg.id, 3), (svc.rice.id, 1), (svc.eggs.id, 1)], client_id=uuid.uuid4())
    staff = actor_for(w.users.staff)
    client = login(w.users.staff)
    card = card_lines(client, w)[1]
    assert "蔬菜包 × 3" in card and "鸡蛋 30枚 × 1" in card  # as ordered: nothing else yet

    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    csv = f"订单号,商品,数量,单价,金额\n{o.id},蔬菜包,2,39.90,\n{o.id},大米 5kg,1,35.00,\n".encode("gb18030")
    import_manifest(actor_for(w.users.supplier), batch, SimpleUploadedFile("m.csv", csv))
    got, card = card_lines(client, w)
    assert "蔬菜包 × 3" not in card and "鸡蛋 30枚" not in card  # the eggs removed by the supplier are not coming
    assert got == ["蔬菜包 × 2", "大米 5kg × 1"]
    assert "数量 3→2" in card and "改价 32.00→35.00" in card

    lines = {ln.name: ln for ln in queries.batch_lines(batch)}
    vol = actor_for(svc.vol_user)
    handoff.check_line(vol, lines["蔬菜包"], "substituted", substitute="蔬菜包（6种）")
    handoff.check_line(vol, lines["大米 5kg"], "damaged")
    got, card = card_lines(client, w)
    assert "蔬菜包（6种） × 2" in card and "大米 5kg × 1" not in card
    assert got == ["蔬菜包（6种） × 2"]  # what comes to the door; the rice came damaged
    assert "价格待定" in card and "破损" in card
