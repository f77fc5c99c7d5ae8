"""Outbound channels. Settings name them (`NOTIFY_CHANNELS`), each with a BACKEND class
here (or anywhere importable) and its options. A channel's `send(delivery)` returns on
success and raises `SendError` (or any exception) on failure; the sender retries.

- console: writes the message to the log (the default, nothing to configure);
- webhook: POSTs a JSON document to the target address (a group's URL);
- sms: POSTs {"phone", "text"} to an SMS gateway's HTTP API (URL and TOKEN in settings);
- wecom: a WeCom group robot (企业微信群机器人) webhook, in its `text` message format.
"""

import json
import logging
import urllib.error
import urllib.request
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

log = logging.getLogger("fangkong.notify")


class SendError(Exception):
    pass


class Channel:
    personal = False  # targets are people's phones (True) or group addresses (False)
    label = ""

    def __init__(self, name, options):
        self.name = name
        self.options = options

    def send(self, delivery):  # pragma: no cover - interface
        raise NotImplementedError

    def check_target(self, target: str) -> str:
        """Normalise a group target entered by staff; raise ValueError with a message."""
        return target.strip()

    @staticmethod
    def text(delivery) -> str:
        """Title, body and the link — only a link a phone can open (`absolute_url`): a
        path of the site without FANGKONG_PUBLIC_URL is left out (and so are the words
        pointing to it: `links_absolute`; `manage.py check --deploy` warns, W002)."""
        parts = [delivery.title, delivery.body, absolute_url(delivery.url)]
        return "\n".join(p for p in parts if p)


def links_absolute() -> bool:
    """Can a text carry a link to a page of the site (FANGKONG_PUBLIC_URL is set)? A
    message says "at the link below" only then."""
    return bool(getattr(settings, "FANGKONG_PUBLIC_URL", "").strip())


def absolute_url(url: str) -> str:
    """`url` as a text carries it: a path made absolute with FANGKONG_PUBLIC_URL, a full
    address as it is; "" for a path when there is no public address to put before it."""
    if not url or not url.startswith("/"):
        return url or ""
    base = getattr(settings, "FANGKONG_PUBLIC_URL", "").strip().rstrip("/")
    return base + url if base else ""


class Console(Channel):
    personal = True
    label = gettext_lazy("Test console (not sent to any phone)")

    def send(self, delivery):
        log.info("notify %s → %s: %s", delivery.kind, delivery.target, self.text(delivery))


class _Http(Channel):
    def post(self, url: str, document: dict, headers: dict | None = None) -> bytes:
        data = json.dumps(document, ensure_ascii=False).encode()
        req = urllib.request.Request(url, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", **(headers or {})})
        timeout = self.options.get("TIMEOUT", 10)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (checked)  # the address is checked to be http(s) (check_target) or comes from settings  # nosec B310
                return resp.read()
        except urllib.error.HTTPError as e:
            raise SendError(f"HTTP {e.code} {e.reason}") from e
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise SendError(str(getattr(e, "reason", e))) from e

    def check_target(self, target: str) -> str:
        target = target.strip()
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(_("Enter a web address starting with https://"))
        return target


class Webhook(_Http):
    """A generic JSON webhook: {"kind", "title", "body", "url", "target"}."""

    label = gettext_lazy("Webhook (JSON)")

    def send(self, delivery):
        self.post(delivery.target, {"kind": delivery.kind, "title": delivery.title,
                                    "body": delivery.body, "url": delivery.url,
                                    "text": self.text(delivery)})


class SmsHttp(_Http):
    """An SMS gateway behind a plain HTTP API: POST {"phone", "text"} to URL."""

    personal = True
    label = gettext_lazy("SMS")

    def send(self, delivery):
        headers = {"Authorization": f"Bearer {self.options['TOKEN']}"} if self.options.get(
            "TOKEN") else {}
        self.post(self.options["URL"], {"phone": delivery.target, "text": self.text(delivery)},
                  headers)


class WeComRobot(_Http):
    """企业微信群机器人: POST {"msgtype": "text", "text": {"content": …}} to the robot's
    webhook address; it answers {"errcode": 0, "errmsg": "ok"} when the message went out."""

    label = gettext_lazy("WeCom group robot")

    def send(self, delivery):
        answer = self.post(delivery.target, {"msgtype": "text", "text": {
            "content": self.text(delivery)}})
        try:
            doc = json.loads(answer or b"{}")
        except ValueError as e:
            raise SendError("WeCom answered with something that is not JSON") from e
        if doc.get("errcode", 0) != 0:
            raise SendError(f"WeCom errcode {doc.get('errcode')}: {doc.get('errmsg', '')}")


@cache
def _build(name: str, backend: str, options_json: str) -> Channel:
    return import_string(backend)(name, json.loads(options_json))


def get(name: str) -> Channel | None:
    conf = settings.NOTIFY_CHANNELS.get(name)
    if conf is None:
        return None
    options = {k: v for k, v in conf.items() if k != "BACKEND"}
    return _build(name, conf["BACKEND"], json.dumps(options, sort_keys=True))


def personal_channels() -> list[str]:
    return [n for n in settings.NOTIFY_PERSONAL_CHANNELS if n in settings.NOTIFY_CHANNELS]


def label(name: str) -> str:
    """What a channel is called on pages ("短信", "企业微信群机器人"); its name if unknown."""
    ch = get(name)
    return str(ch.label) if ch is not None and ch.label else name


def group_channels() -> list[tuple[str, str]]:
    return [(name, label(name)) for name in settings.NOTIFY_CHANNELS if not get(name).personal]
