"""「提醒未报告的家庭」: the reminder said "见下方链接" (the link below) even where no link
follows it — a text to a phone carries the self-report page's link only when it can be made
absolute (FANGKONG_PUBLIC_URL; `notify.channels.absolute_url`), else the text ends without
one. Now the sentence pointing to the link is there only with the link; without it the
message says where to report (the menu's 抗原自测上报), in each reader's language."""

import pytest
from django.test import override_settings

from fangkong.core.actor import Actor
from fangkong.notify.channels import Channel
from fangkong.notify.models import Delivery, Notification
from fangkong.screening.actions import remind

from .test_antigen_remind import KIND, ag  # noqa: F401  (the antigen round, two families to remind)


def _remind(world, ag):  # noqa: F811
    remind.remind(Actor.system(world.users.staff, via="web"), ag, world.community, confirm=True)
    return {n.user_id: n for n in Notification.objects.filter(kind=KIND)}


@pytest.mark.django_db
@override_settings(FANGKONG_PUBLIC_URL="")
def test_no_link_in_the_text_then_no_words_pointing_to_one(world, ag):  # noqa: F811
    sent = _remind(world, ag)
    zh, en = sent[world.users.resident.id], sent[world.users.resident_b.id]
    assert "下方链接" not in zh.body and "登录后在菜单中点“抗原自测上报”" in zh.body
    assert "link below" not in en.body and "in the menu once logged in" in en.body
    # the text a phone gets: no link, and nothing saying there is one
    for d in Delivery.objects.filter(kind=KIND):
        text = Channel.text(d)
        assert "/screening/" not in text and "下方链接" not in text and "link below" not in text


@pytest.mark.django_db
@override_settings(FANGKONG_PUBLIC_URL="https://fk.example.gov.cn/")
def test_with_the_link_in_the_text_the_message_points_to_it(world, ag):  # noqa: F811
    sent = _remind(world, ag)
    zh, en = sent[world.users.resident.id], sent[world.users.resident_b.id]
    assert "见下方链接" in zh.body and "the link below" in en.body
    d = Delivery.objects.filter(kind=KIND, user=world.users.resident).first()
    if d is not None:  # on the personal channel: the link follows the words
        assert Channel.text(d).endswith("\nhttps://fk.example.gov.cn/screening/antigen/mine/")
