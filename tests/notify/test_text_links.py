"""Links in texts (found walking the demo): without FANGKONG_PUBLIC_URL an SMS ended with a
bare path ("/volunteers/calls/4/") under "点击下方链接", and nothing warned. A text carries
a link only when it can be made absolute, and `check --deploy` warns (fangkong.W002) when
texts go to phones without the site's public address."""

from django.core import checks
from django.test import override_settings

from fangkong.core.deploy import check_public_url
from fangkong.notify.channels import Channel, absolute_url
from fangkong.notify.models import Delivery

SMS = {"console": {"BACKEND": "fangkong.notify.channels.Console"},
       "sms": {"BACKEND": "fangkong.notify.channels.SmsHttp", "URL": "https://sms.example/", "TOKEN": "t"}}


def ids(**kw):
    return [m.id for m in checks.run_checks(include_deployment_checks=True, **kw)]


@override_settings(NOTIFY_CHANNELS=SMS, NOTIFY_PERSONAL_CHANNELS=["sms"], FANGKONG_PUBLIC_URL="")
def test_an_sms_gateway_without_a_public_address_is_warned_of_at_deploy():
    (w,) = check_public_url()
    assert w.id == "fangkong.W002" and w.level == checks.WARNING
    assert "FANGKONG_PUBLIC_URL" in w.msg and "sms" in w.msg
    assert "fangkong.W002" in ids(tags=[checks.Tags.security])
    # a deploy check: not among the checks every command runs
    assert "fangkong.W002" not in [m.id for m in checks.run_checks(tags=[checks.Tags.security])]


@override_settings(NOTIFY_CHANNELS=SMS, NOTIFY_PERSONAL_CHANNELS=["sms"],
                   FANGKONG_PUBLIC_URL="https://fk.example.gov.cn/")
def test_with_a_public_address_there_is_nothing_to_warn_of():
    assert check_public_url() == []


@override_settings(NOTIFY_CHANNELS={"console": SMS["console"]}, NOTIFY_PERSONAL_CHANNELS=["console"],
                   FANGKONG_PUBLIC_URL="")
def test_the_console_alone_sends_no_text_to_warn_of():
    assert check_public_url() == []


def delivery(url):
    return Delivery(kind="volunteers.call", title="召集令：东门秩序维护", body="请报名。", url=url,
                    channel="sms", target="13900000001")


@override_settings(FANGKONG_PUBLIC_URL="")
def test_a_path_that_cannot_be_made_absolute_is_left_out_of_the_text():
    assert absolute_url("/volunteers/calls/4/") == ""
    assert Channel.text(delivery("/volunteers/calls/4/")) == "召集令：东门秩序维护\n请报名。"
    # a full address needs nothing before it
    assert Channel.text(delivery("https://x.example/a")).endswith("\nhttps://x.example/a")


@override_settings(FANGKONG_PUBLIC_URL="https://fk.example.gov.cn/")
def test_a_path_is_made_absolute_with_the_public_address():
    assert Channel.text(delivery("/volunteers/calls/4/")).endswith(
        "\nhttps://fk.example.gov.cn/volunteers/calls/4/")
