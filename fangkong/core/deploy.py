"""Production refuses to start without its keys.

A local install (FANGKONG_ENV=local, see settings.py) may generate its keys once into
var/secrets.json: they sit beside the SQLite database they open. Production must be given
them: keys generated per machine or per replica cannot decrypt what another one encrypted
(every ID number unreadable, ID matching broken). Without them:

- `manage.py check` (and so `migrate`, `runserver`, the task worker, `check --deploy`)
  stops with error fangkong.E001 naming the missing variables and how to make them;
- the WSGI application refuses to load (`refuse_to_start`, called by fangkong/wsgi.py).
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

KEY_NAMES = ("SECRET_KEY", "FANGKONG_FIELD_KEY", "FANGKONG_HASH_KEY")


def _fix():
    return _(
        "Set them in the environment (or as NAME_FILE paths to files holding them) of "
        "every app server and worker; the same values everywhere, kept safe: without "
        "FANGKONG_FIELD_KEY and FANGKONG_HASH_KEY the encrypted ID numbers cannot be read. "
        "`python manage.py generate_keys` prints new ones for a new installation. Moving an "
        "existing local install: take the values from its var/secrets.json. For a local "
        "trial only, set FANGKONG_ENV=local to generate them into var/secrets.json.")


def key_problems() -> list[str]:
    """What is wrong with the keys, in words ([] when nothing is)."""
    from cryptography.fernet import Fernet

    problems = []
    missing = list(getattr(settings, "FANGKONG_KEYS_MISSING", []))
    if missing:
        problems.append(_("Production (FANGKONG_ENV=%(env)s) was started without %(names)s.")
                        % {"env": settings.FANGKONG_ENV, "names": ", ".join(missing)})
    for i, key in enumerate(settings.FANGKONG_FIELD_KEYS, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(_("FANGKONG_FIELD_KEY number %(n)d is not a Fernet key (32 bytes "
                              "in URL-safe base64, 44 characters).") % {"n": i})
    if "FANGKONG_HASH_KEY" not in missing and len(settings.FANGKONG_HASH_KEY) < 32:
        problems.append(_("FANGKONG_HASH_KEY is shorter than 32 characters."))
    return problems


@checks.register(checks.Tags.security)
def check_keys(app_configs=None, **kwargs):
    problems = key_problems()
    if not problems:
        return []
    return [checks.Error(" ".join(problems), hint=_fix(), id="fangkong.E001")]


@checks.register(checks.Tags.security, deploy=True)
def check_generated_keys(app_configs=None, **kwargs):
    if getattr(settings, "FANGKONG_KEYS_GENERATED", False):
        return [checks.Warning(
            _("The keys come from var/secrets.json, generated for a local install "
              "(FANGKONG_ENV=local)."),
            hint=_("For production, set FANGKONG_ENV=production and pass SECRET_KEY, "
                   "FANGKONG_FIELD_KEY and FANGKONG_HASH_KEY in the environment: the values "
                   "in var/secrets.json if this data is to stay readable."),
            id="fangkong.W001")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_public_url(app_configs=None, **kwargs):
    """Texts to people's phones (an SMS gateway: FANGKONG_SMS_URL, or any personal channel
    but the console) carry links to the site's pages only when FANGKONG_PUBLIC_URL says
    where the site is; without it they go without the link (notify/channels.py)."""
    personal = [c for c in getattr(settings, "NOTIFY_PERSONAL_CHANNELS", []) if c != "console"]
    if "sms" in getattr(settings, "NOTIFY_CHANNELS", {}) and "sms" not in personal:
        personal.append("sms")
    if not personal or getattr(settings, "FANGKONG_PUBLIC_URL", "").strip() or _production():
        return []  # production: said by every `check` already (W003)
    return [checks.Warning(
        _("Text messages are sent (%(channels)s) but FANGKONG_PUBLIC_URL is not set: they "
          "cannot carry a link to a call or a page.") % {"channels": ", ".join(personal)},
        hint=_("Set FANGKONG_PUBLIC_URL to the address people open the site at, e.g. "
               "https://fangkong.example.org/."),
        id="fangkong.W002")]


def _production() -> bool:
    return getattr(settings, "FANGKONG_ENV", "") == "production"


@checks.register(checks.Tags.security)
def check_public_url_in_production(app_configs=None, **kwargs):
    """Production (FANGKONG_ENV=production) without FANGKONG_PUBLIC_URL: every message —
    a call at 23:00, an approval, a reminder — goes out without the link to its page
    (notify/channels.py), whatever the channel. Said by every `manage.py check` (and so by
    migrate and the worker's start), not only `check --deploy`; a local install and the
    tests (FANGKONG_ENV=local) are not told."""
    if not _production() or getattr(settings, "FANGKONG_PUBLIC_URL", "").strip():
        return []
    return [checks.Warning(
        _("FANGKONG_PUBLIC_URL is not set: messages to people (texts, group messages) carry no "
          "link to a call or a page."),
        hint=_("Set FANGKONG_PUBLIC_URL to the address people open the site at, e.g. "
               "https://fangkong.example.org/."),
        id="fangkong.W003")]


def refuse_to_start():
    """Called when the WSGI application loads: no serving without the keys."""
    problems = key_problems()
    if problems:
        raise ImproperlyConfigured(" ".join(problems) + " " + _fix())
