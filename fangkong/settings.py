"""Fangkong settings: everything from environment variables, with safe defaults.

SQLite under var/ unless DATABASE_URL is set; DEBUG off unless asked; secrets generated
once and kept in var/secrets.json for a local install only. Production passes them in the
environment or as *_FILE paths and refuses to start without them (see FANGKONG_ENV below
and fangkong/core/deploy.py).
"""

import base64
import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FANGKONG_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env(name, default=""):
    """A setting from NAME, or from the file named by NAME_FILE (docker/k8s secrets)."""
    if f"{name}_FILE" in os.environ:
        return Path(os.environ[f"{name}_FILE"]).read_text().strip()
    return os.environ.get(name, default)


def envbool(name, default="0"):
    return env(name, default).lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(env(name, str(default)))


def _local_secrets():
    """Generate-once secrets for a local install; never used when the env sets them."""
    path = Path(env("FANGKONG_SECRETS_FILE", str(VAR_DIR / "secrets.json")))
    data = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    for key, make in (
        ("SECRET_KEY", lambda: secrets.token_urlsafe(50)),
        ("FIELD_KEY", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()),
        ("HASH_KEY", lambda: secrets.token_urlsafe(32)),
    ):
        if key not in data:
            data[key] = make()
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        path.chmod(0o600)
    return data


# Local install or production? FANGKONG_ENV says so (`local` or `production`). Unset, it
# is production as soon as the data or the traffic leaves this machine (DATABASE_URL or
# HTTPS is set) and local otherwise: a fresh clone on SQLite in var/, whose generated keys
# sit beside the data they open. `python3 dev.py start|test` set it to local. Only a local
# install may generate its keys; production without them fails `manage.py check` (and so
# migrate, runserver, the worker) and the WSGI application refuses to load
# (fangkong/core/deploy.py), because keys made per machine or per replica cannot read
# what another one encrypted.
FANGKONG_ENV = env("FANGKONG_ENV", "").strip().lower() or (
    "production" if env("DATABASE_URL") or envbool("HTTPS") else "local")
FANGKONG_KEYS_MISSING = []  # names a production environment did not set (deploy.py says which)
FANGKONG_KEYS_GENERATED = False  # a local install using var/secrets.json

_secrets = None


def secret(name):
    global _secrets, FANGKONG_KEYS_GENERATED
    value = env(name)
    if value:
        return value
    if FANGKONG_ENV != "local":
        FANGKONG_KEYS_MISSING.append(name)
        return ""
    if _secrets is None:
        _secrets = _local_secrets()
    FANGKONG_KEYS_GENERATED = True
    return _secrets[name.removeprefix("FANGKONG_")]


SECRET_KEY = secret("SECRET_KEY")
# Fernet keys for personal fields at rest. Comma-separated: the first encrypts, all decrypt
# (rotation). The hash key makes the keyed look-up hash of ID numbers; it cannot rotate
# without re-hashing, so keep it safe.
FANGKONG_FIELD_KEYS = [k.strip() for k in secret("FANGKONG_FIELD_KEY").split(",") if k.strip()]
FANGKONG_HASH_KEY = secret("FANGKONG_HASH_KEY")

DEBUG = envbool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o]
SITE_NAME = env("SITE_NAME", "Fangkong")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "fangkong.ops",  # before django_tasks_db: its db_worker (heartbeat, recovery) wins
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "fangkong.core",
    "fangkong.accounts",
    "fangkong.audit",
    "fangkong.registry",
    "fangkong.notify",
    "fangkong.zones",
    "fangkong.services",
    "fangkong.volunteers",
    "fangkong.screening",
    "fangkong.reports",
    "fangkong.demo",  # the demo builder: its commands (no models)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "fangkong.core.middleware.TextHygieneMiddleware",  # before anything reads GET/POST/cookies
    "fangkong.core.shedding.LoadSheddingMiddleware",  # 503 + Retry-After past capacity
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fangkong.accounts.middleware.SessionIdleMiddleware",
    "fangkong.accounts.middleware.LanguageMemoryMiddleware",  # User.language: messages in it
    "fangkong.accounts.middleware.TwoStepEnrolMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "fangkong.accounts.middleware.ScopeMiddleware",
    "fangkong.core.middleware.ApiMethodNotAllowedMiddleware",
]

# core imports no app: it reaches the user's scope through these (core.actor).
FANGKONG_SCOPE_FOR_USER = "fangkong.accounts.scope.scope_for"
FANGKONG_SYSTEM_SCOPE = "fangkong.accounts.scope.SystemScope"

ROOT_URLCONF = "fangkong.urls"
WSGI_APPLICATION = "fangkong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "fangkong" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fangkong.core.context.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fangkong.sqlite3'}"),
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-65536; PRAGMA foreign_keys=ON;"
        ),
    }
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # PostgreSQL: Django binds parameters on the client and never prepares; the few hot
    # statements that ask for it (`prepare=True`: the scan, the volunteer's answer) are
    # prepared once per connection. Django's default prepare_threshold=None would silently
    # ignore even that; a huge threshold keeps psycopg from preparing anything else.
    # (Prepared statements need session pooling, not pgbouncer's transaction mode.)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 1 << 30)
# Behind pgbouncer in transaction mode (DATABASE_POOL_MODE=transaction) a server
# connection changes between transactions: no server-side cursors and no prepared
# statements (core/db.py then binds on the client; pgbouncer before 1.21 cannot keep them).
DATABASE_POOL_MODE = env("DATABASE_POOL_MODE", "session").strip().lower()
if DATABASE_POOL_MODE == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# A streaming replica for reads that may be a little stale (core/replica.py): only the read
# sites wrapped in `using_replica()` go there, and only while it is reachable and at most
# FANGKONG_REPLICA_MAX_LAG seconds behind (checked every FANGKONG_REPLICA_CHECK_SECONDS).
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        env("DATABASE_REPLICA_URL"), conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True)
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    # A read stuck behind WAL replay fails after this and is read again on the primary
    # (core/replica.py: on_replica).
    DATABASES["replica"]["OPTIONS"]["options"] = " ".join(filter(None, [
        DATABASES["replica"]["OPTIONS"].get("options", ""),
        f"-c statement_timeout={envint('FANGKONG_REPLICA_STATEMENT_TIMEOUT_MS', 5000)}"]))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["fangkong.core.replica.ReplicaRouter"]
FANGKONG_REPLICA_MAX_LAG = float(env("FANGKONG_REPLICA_MAX_LAG", "30"))
FANGKONG_REPLICA_CHECK_SECONDS = float(env("FANGKONG_REPLICA_CHECK_SECONDS", "5"))
# The round page's live part (polled every 15 s by each watching phone): its figures for a
# (round, place) are computed once and shared for this many seconds (0: every time).
FANGKONG_LIVE_CACHE_SECONDS = float(env("FANGKONG_LIVE_CACHE_SECONDS", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["fangkong.accounts.backends.PhoneOrUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Phones are shared: a session ends after this many hours without a request. Every use
# pushes the end back (accounts.middleware.SessionIdleMiddleware, at most one session write
# in 5 minutes rather than one per request).
SESSION_COOKIE_AGE = envint("FANGKONG_SESSION_IDLE_HOURS", 12) * 60 * 60
SESSION_COOKIE_HTTPONLY = True
HTTPS = envbool("HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_SSL_REDIRECT = envbool("FANGKONG_SSL_REDIRECT", "1")
    SECURE_HSTS_SECONDS = envint("FANGKONG_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("FANGKONG_HSTS_SUBDOMAINS", "1")
    SECURE_HSTS_PRELOAD = envbool("FANGKONG_HSTS_PRELOAD", "1")
    # TLS usually ends at a proxy (nginx, a load balancer): the header it sets to say the
    # visitor came over https. Empty when the app itself terminates TLS. The proxy must
    # overwrite the header a visitor sends.
    _proxy_header = env("FANGKONG_PROXY_SSL_HEADER", "X-Forwarded-Proto").strip()
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
# Password guessing (accounts/throttle.py; counted in the cache, shared through REDIS_URL).
FANGKONG_LOGIN_FAILS_PER_ACCOUNT = envint("FANGKONG_LOGIN_FAILS_PER_ACCOUNT", 5)
FANGKONG_LOGIN_FAILS_PER_ADDRESS = envint("FANGKONG_LOGIN_FAILS_PER_ADDRESS", 30)
FANGKONG_LOGIN_LOCK_MINUTES = envint("FANGKONG_LOGIN_LOCK_MINUTES", 15)
# A password the office set (a first one, a reset: User.must_change_password) works this many
# hours; after that the login says it has expired and to ask for a new one (accounts.backends).
FANGKONG_ONE_TIME_PASSWORD_HOURS = envint("FANGKONG_ONE_TIME_PASSWORD_HOURS", 72)
# Two-step login (accounts/twostep.py): anyone may turn it on; these roles must
# (comma-separated role names, e.g. "command,staff"; empty: nobody is made to).
FANGKONG_TOTP_REQUIRED_ROLES = [r.strip() for r in env("FANGKONG_TOTP_REQUIRED_ROLES").split(",")
                                if r.strip()]
OTP_TOTP_ISSUER = SITE_NAME
# Wrong codes are limited by accounts/throttle.py (per account and address, and it says
# until when); django-otp's own silent back-off would refuse a right code typed soon after
# a wrong one with "wrong code".
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# How many proxies in front of the app append to X-Forwarded-For: the client's address is
# that many entries from the right (login throttling, audit). 0: REMOTE_ADDR as it comes.
FANGKONG_PROXY_HOPS = envint("FANGKONG_PROXY_HOPS", 0)
CSRF_FAILURE_VIEW = "fangkong.core.views.csrf_failure"  # the API's shape under /api/
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: everything from our own origin, no inline script.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# The zones map draws buildings without any tile server; a tile layer can be configured
# (e.g. a city's own tile server: https://tiles.example/{z}/{x}/{y}.png) and is then allowed.
FANGKONG_MAP_TILES = env("FANGKONG_MAP_TILES", "")
if FANGKONG_MAP_TILES:
    from urllib.parse import urlsplit as _urlsplit

    _tiles = _urlsplit(FANGKONG_MAP_TILES)  # {s}.tile.example → *.tile.example
    SECURE_CSP["img-src"] = [*SECURE_CSP["img-src"],
                             f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}"]
# Where the zones map opens while a place has no outlines yet: "latitude,longitude" in
# degrees (WGS84), the installation's own town; default Taiyuan. A value that is not two
# numbers in range fails `manage.py check` (fangkong.E002, zones/map_center.py).
FANGKONG_MAP_CENTER = env("FANGKONG_MAP_CENTER", "37.87,112.55")
# Checkpoint: a temperature at or above this (°C) is refused.
FANGKONG_FEVER_C = env("FANGKONG_FEVER_C", "37.3")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
FORMAT_MODULE_PATH = ["fangkong.formats"]  # English dates as the Chinese pages write them (24 h, Y-m-d)
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("FANGKONG_STATIC_ROOT", str(VAR_DIR / "static")))  # the image bakes them in
STATICFILES_DIRS = [BASE_DIR / "fangkong" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Bigger uploads go to a temporary file holding at most the largest upload limit (+1 byte).
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "fangkong.core.uploads.BoundedUploadHandler"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FANGKONG_IMPORT_MAX_BYTES = envint("FANGKONG_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# Uploaded files (rosters, lab results, photos) are read within bounded memory and time
# (fangkong/core/uploads.py, core/xlsx.py); past a limit a file is refused (422) saying why.
FANGKONG_UPLOAD_MAX_UNPACKED_BYTES = envint("FANGKONG_UPLOAD_MAX_UNPACKED_BYTES",
                                            300 * 1024 * 1024)  # an .xlsx's parts, unpacked
FANGKONG_UPLOAD_MAX_RATIO = envint("FANGKONG_UPLOAD_MAX_RATIO", 100)  # unpacked ÷ packed part
FANGKONG_UPLOAD_MAX_ROWS = envint("FANGKONG_UPLOAD_MAX_ROWS", 500_000)  # sheet rows, CSV records
FANGKONG_UPLOAD_MAX_COLUMNS = envint("FANGKONG_UPLOAD_MAX_COLUMNS", 256)
FANGKONG_UPLOAD_MAX_CELL_CHARS = envint("FANGKONG_UPLOAD_MAX_CELL_CHARS", 32_767)  # Excel's own
FANGKONG_UPLOAD_MAX_PIXELS = envint("FANGKONG_UPLOAD_MAX_PIXELS", 50_000_000)  # a photo
FANGKONG_PHOTO_MAX_BYTES = envint("FANGKONG_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
FANGKONG_HANDOFF_TIME = env("FANGKONG_HANDOFF_TIME", "15:30")  # the daily checkpoint hand-off (local)
FANGKONG_LAB_FILE_MAX_BYTES = envint("FANGKONG_LAB_FILE_MAX_BYTES", 5 * 1024 * 1024)
# Someone held by a positive pool or antigen test whose single re-test is not sampled, or has
# no result, this many hours after the hold began is overdue (screening.figures.overdue_q): red
# on the follow-up page, counted on the round page and the staff's home, staff told once.
FANGKONG_HOLD_OVERDUE_HOURS = envint("FANGKONG_HOLD_OVERDUE_HOURS", 12)
# A tube received at the lab (its box signed for) with no result this many hours later is
# said on the round page and in the round's coverage API (screening.queries.at_lab_no_result):
# a tube lost, broken or forgotten at the lab no longer vanishes from the community's views.
FANGKONG_LAB_NO_RESULT_HOURS = envint("FANGKONG_LAB_NO_RESULT_HOURS", 6)
# Imports at or below this many rows run inside the request; larger ones in the worker.
FANGKONG_IMPORT_INLINE_ROWS = envint("FANGKONG_IMPORT_INLINE_ROWS", 2000)
# An uploaded roster (names, ID numbers, phones) is deleted when its import is written or
# discarded; one checked and not confirmed within this many hours is discarded and its file
# deleted by the worker's pass, as is any finished job's file kept that long
# (registry.importer.retention).
FANGKONG_IMPORT_UNCONFIRMED_HOURS = envint("FANGKONG_IMPORT_UNCONFIRMED_HOURS", 24)
# Panels of today's work shown on a place's page, from the apps that have some
# (registry.views.place_panels): (request, place) → HTML or None.
FANGKONG_PLACE_PANELS = [
    "fangkong.screening.panels.place_panel",
    "fangkong.volunteers.panels.place_panel",
    "fangkong.reports.panels.place_panel",
    "fangkong.services.panels.place_panel",
]
# The most people one PCR tube may pool. A sensitivity limit, not arithmetic: every added
# swab dilutes a positive one (10 in 1 was the usual rule in China in 2022). The
# pooling advisor's best size stays within it and shows the unconstrained optimum beside.
FANGKONG_MAX_POOL_SIZE = envint("FANGKONG_MAX_POOL_SIZE", 50)
# Alerts at the very top of a place's page, at every level (a building leader's home too):
# (request, place) → HTML or None. Positives nobody has re-sampled yet.
# The figures dashboards and nightly reports count (core.figures.Provider, one per app; a
# new app adds its provider here). Shown in this order.
FANGKONG_FIGURE_PROVIDERS = [
    "fangkong.registry.figures.PROVIDER",
    "fangkong.screening.node_figures.PROVIDER",
    "fangkong.volunteers.figures.PROVIDER",
    "fangkong.zones.figures.PROVIDER",
    "fangkong.services.figures.PROVIDER",
]
# At the top of a household's page (the family's landing page and the staff's), from the
# apps that have something to say there (registry.views.household_panels): (request,
# household) → HTML or None.
FANGKONG_HOUSEHOLD_PANELS = [
    "fangkong.zones.panels.household_panel",  # the zone now: since when, its notice, its rules
    "fangkong.screening.panels.household_panel",
    "fangkong.services.panels.household_panel",  # its open requests (老人探视…), for staff
]
# {household id: open service requests the user sees} for a list of households, one query
# (registry.views: the vulnerability list and its export count them per person).
FANGKONG_OPEN_REQUESTS = "fangkong.services.panels.open_requests"
# Home sampling asked for by a family (上门采样), between two apps that never import each other
# (the writes go through registry.signals): the open requests under a round's areas, which a
# round planned over them lists (keys → [{request, household, people, text}]); and where each
# person of some requests stands on the rounds' home-sampling lists (request ids → {id: [line]})
FANGKONG_HOME_SAMPLING_ASKED = "fangkong.services.home_sampling.asked_under"
FANGKONG_HOME_SAMPLING_LINES = "fangkong.screening.home_requests.lines"
# since when a household's building is sealed (or None): someone in it set away is asked
# whether they left before (registry.actions.away_while_sealed)
FANGKONG_SEALED_SINCE = "fangkong.zones.queries.sealed_since"
# the rounds of a kind already planned over some areas on a day (not closed): the zones'
# cadence marks that day planned, by the rule planning from it asks with (zones import no
# screening; zones.cadence.covered_by)
FANGKONG_ROUNDS_ON_DAY = "fangkong.screening.areas.planned_on"
# resident id → "held" | "held_antigen" | "": held now by a positive pooled tube or antigen
# test awaiting the re-test; the checkpoint keeps them in (zones import no screening;
# zones.gate_rules.holds)
FANGKONG_GATE_HOLD = "fangkong.screening.gate_hold.held"
# (resident, presence) → None, or Conflict: may the registry set this presence (someone held
# by a positive test, a case or a close contact is never away: screening.access.HELD_OUTCOMES;
# registry.actions.presence_allowed)
FANGKONG_PRESENCE_RULE = "fangkong.screening.access.presence_rule"
# households by the kind of zone they are in now (`choices()`, `q(kind)`, `names(ids)`): the
# resident and vulnerable lists' zone filter and the roster export's 区域 column (registry.queries.zone_q)
FANGKONG_HOUSEHOLD_ZONES = "fangkong.zones.household_kinds"
# The registry's part of the audit log (audit.present, audit.filters): find a resident to
# filter by, say who a resident or household id is — so the audit app imports no registry.
FANGKONG_AUDIT_PEOPLE = "fangkong.registry.audit_people"
FANGKONG_AUDIT_EXPORT_MAX = envint("FANGKONG_AUDIT_EXPORT_MAX", 50_000)  # events in one .xlsx
FANGKONG_PLACE_ALERTS = [
    "fangkong.screening.panels.positive_alert",
    "fangkong.screening.panels.building_panel",  # below a grid: the testing panel (no panels there)
    "fangkong.services.panels.building_alert",  # a compound's or building's services (no panels there)
    "fangkong.zones.panels.waiting_escalations",  # a case's escalation draft left unpublished
    "fangkong.zones.panels.failed_publications",  # a timed publication the worker refused
    "fangkong.zones.panels.awaiting_approval",  # a lift waiting for the street's approval
    "fangkong.reports.panels.tonight_alert",  # a street's or district's night: reports owed, to review
]
# An escalation drafted after a case and not published after this many hours stands out in
# red on the zones page and at the top of the place's page (zones.panels).
FANGKONG_ESCALATION_WAIT_HOURS = envint("FANGKONG_ESCALATION_WAIT_HOURS", 4)
# A supplier's batch still expected at the checkpoint this many minutes past its time (and not
# said to be there) is told of to the gate team, grid workers, staff, supplier and families
# (services.actions.batch_late); then, while it stays late and not at the gate, told again to
# the gate team, grid workers and staff (never the families again) every this many hours,
# with how long it has been late; 0: never again. Site-wide: no per-community services
# settings exist (request categories' answer times are site-wide too).
FANGKONG_BATCH_LATE_MINUTES = envint("FANGKONG_BATCH_LATE_MINUTES", 30)
FANGKONG_BATCH_LATE_AGAIN_HOURS = envint("FANGKONG_BATCH_LATE_AGAIN_HOURS", 2)
# ID numbers one user may have shown in clear in an hour (every reveal is audited; the
# limit stops a stolen session or token from reading the whole registry).
FANGKONG_REVEALS_PER_HOUR = envint("FANGKONG_REVEALS_PER_HOUR", 60)
# A volunteer's check-out less than this many minutes after their check-in is asked about
# first, on the page and in the API (an accidental second tap credited 0.0 h).
FANGKONG_CHECK_OUT_CONFIRM_MINUTES = envint("FANGKONG_CHECK_OUT_CONFIRM_MINUTES", 15)
# Code cards: a TrueType (glyf) font with Chinese to embed, e.g. Debian's fonts-droid-fallback
# /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf; empty: reportlab's built-in
# STSong-Light, not embedded (the viewer supplies a Song face). See registry/cards.py.
FANGKONG_CARD_FONT = env("FANGKONG_CARD_FONT", "")

TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": [],
    }
}

# Background work that outlives its process (fangkong/ops): each worker beats every
# BEAT seconds; a worker on another machine whose beat is older than LEASE is dead (on this
# machine a dead pid is seen at once); every RECOVER seconds the workers retry or fail what
# the dead left. A job (an import) is tried JOB_MAX_ATTEMPTS times in all.
FANGKONG_WORKER_BEAT_SECONDS = envint("FANGKONG_WORKER_BEAT_SECONDS", 10)
FANGKONG_WORKER_LEASE_SECONDS = envint("FANGKONG_WORKER_LEASE_SECONDS", 60)
FANGKONG_RECOVER_SECONDS = envint("FANGKONG_RECOVER_SECONDS", 30)
# Morning check-ins (services/actions/care.py) still open at this time of the site's day
# ("HH:MM", TIME_ZONE) are sent as one list per grid to its grid workers and the community
# staff, once a day (services/actions/care_late.py); the check-in page shows the time.
FANGKONG_CHECK_IN_BY = env("FANGKONG_CHECK_IN_BY", "10:00")
FANGKONG_JOB_MAX_ATTEMPTS = envint("FANGKONG_JOB_MAX_ATTEMPTS", 3)
# The operations page (/ops/) says something is wrong when a job due this many seconds has
# not started, or the newest archive in var/backups is older than this many hours
# (fangkong-backup.timer writes one every 6 hours).
FANGKONG_TASK_OVERDUE_SECONDS = envint("FANGKONG_TASK_OVERDUE_SECONDS", 300)
FANGKONG_BACKUP_MAX_AGE_HOURS = envint("FANGKONG_BACKUP_MAX_AGE_HOURS", 8)
# Each app's recovery of its own job rows: (ops.recovery.Liveness) -> {counter: n}.
# The name of the running process (`host|pid|start`) a job row keeps as its runner, for the
# recovery to judge (the registry reaches ops through this setting, not an import).
FANGKONG_RUNNER_IDENTITY = "fangkong.ops.processes.identity"
FANGKONG_RECOVERY = [
    "fangkong.registry.importer.recovery.recover_imports",
    "fangkong.registry.importer.retention.drop_roster_files",
    "fangkong.notify.tasks.recover_sender",
    "fangkong.zones.tasks.recover_publisher",
    "fangkong.services.tasks.recover_services",
    "fangkong.screening.tasks.recover_screening",
    "fangkong.reports.tasks.recover_tick",
]
# What a role carried, ended with it (accounts.actions_endings): each app's
# (user, scope, withdrawn=False) -> [Ending] of the tasks `scope` no longer carries.
FANGKONG_ROLE_ENDINGS = [
    "fangkong.screening.actions.planning.role_endings",
    "fangkong.volunteers.actions.endings.role_endings",
    "fangkong.services.actions.endings.role_endings",
]

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("REDIS_URL"):
    # Shared by every app server: the rate-limit and login-failure counters, and the
    # sessions (read from Redis, written through to the database: a Redis restart logs
    # nobody out, and deleting a user's sessions still works on the table).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": env("REDIS_URL"), "KEY_PREFIX": env("CACHE_KEY_PREFIX", "fk")}}
    SESSION_ENGINE = env("SESSION_ENGINE", "django.contrib.sessions.backends.cached_db")

# --- notifications (fangkong/notify/channels.py) --------------------------------
# Outbound channels by name. "console" writes to the log (the default: nothing to set up);
# "webhook" and "wecom" (WeCom group robot) post to the address of a group channel that
# staff add for their place; "sms" is an SMS gateway's HTTP API, used when configured.
NOTIFY_CHANNELS = {
    "console": {"BACKEND": "fangkong.notify.channels.Console"},
    "webhook": {"BACKEND": "fangkong.notify.channels.Webhook"},
    "wecom": {"BACKEND": "fangkong.notify.channels.WeComRobot"},
}
if env("FANGKONG_SMS_URL"):
    NOTIFY_CHANNELS["sms"] = {"BACKEND": "fangkong.notify.channels.SmsHttp",
                              "URL": env("FANGKONG_SMS_URL"), "TOKEN": env("FANGKONG_SMS_TOKEN")}
# Channels that reach each notified person at their phone number.
NOTIFY_PERSONAL_CHANNELS = [c for c in env(
    "FANGKONG_NOTIFY_PERSONAL", "sms" if env("FANGKONG_SMS_URL") else "console").split(",") if c]
NOTIFY_MAX_ATTEMPTS = envint("FANGKONG_NOTIFY_MAX_ATTEMPTS", 6)
NOTIFY_RETRY_SECONDS = envint("FANGKONG_NOTIFY_RETRY_SECONDS", 30)  # doubles each attempt
# A sender holds the messages it claimed this long (renewed while it sends); if it dies
# they are sent by the next sender once it ends.
NOTIFY_LEASE_SECONDS = envint("FANGKONG_NOTIFY_LEASE_SECONDS", 300)
FANGKONG_PUBLIC_URL = env("FANGKONG_PUBLIC_URL", "")  # links in SMS / group messages; unset: none (W002)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    # The console notification channel (one-time codes on a local install show here).
    "loggers": {"fangkong.notify": {"level": env("NOTIFY_LOG_LEVEL", "INFO")}},
}

# --- overload (core/shedding.py) ---------------------------------------------------
# Requests one server process runs at once, how many more may wait for a slot and for how
# long; past that: 503 with Retry-After. Serve with more blocking threads than
# MAX_ACTIVE + MAX_WAITING (granian --blocking-threads) so requests reach this queue.
FANGKONG_MAX_ACTIVE = envint("FANGKONG_MAX_ACTIVE", 4)
FANGKONG_MAX_WAITING = envint("FANGKONG_MAX_WAITING", 8)
FANGKONG_ADMIT_WAIT = float(env("FANGKONG_ADMIT_WAIT", "1.0"))  # seconds
FANGKONG_RETRY_AFTER = envint("FANGKONG_RETRY_AFTER", 2)  # seconds, sent with the 503
# The station's writes have their own lane of slots (0: as many as FANGKONG_MAX_ACTIVE).
FANGKONG_MAX_ACTIVE_PRIORITY = envint("FANGKONG_MAX_ACTIVE_PRIORITY", 0)
FANGKONG_PRIORITY_PATHS = env(
    "FANGKONG_PRIORITY_PATHS",
    r"^/api/v1/screening/rounds/\d+/(scan|sync|tubes|kits|antigen-results)(/|$)")
# Per-user limits on the most expensive reads ("N/s", "N/m", "N/h"; empty: no limit),
# counted in the cache (shared across processes with REDIS_URL).
FANGKONG_RATE_LIMITS = {
    "search": env("FANGKONG_RATE_SEARCH", "120/m"),
    "coverage": env("FANGKONG_RATE_COVERAGE", "60/m"),
    "export": env("FANGKONG_RATE_EXPORT", "20/m"),
}
RATELIMIT_FAIL_OPEN = True  # the cache unreachable: serve, do not refuse everyone

# Page sizes
FANGKONG_PAGE_SIZE = 50
FANGKONG_API_MAX_PAGE = 500

_("Fangkong")
