"""Settings for antifraud, all taken from environment variables.

With nothing set, the project runs embedded: a SQLite file, Celery on a broker that needs no
server (kombu's filesystem transport), debug on, e-mail printed to the console. `DATABASE_URL`
selects PostgreSQL, `REDIS_URL` selects Redis as broker and cache, and `DJANGO_DEBUG=0`
switches to production, which refuses to start without its secrets. `.env.example` lists
every variable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")


def _refuse(message: str) -> None:
    """Stop start-up with one line on stderr, not a traceback."""
    sys.exit(f"antifraud: configuration error: {message}")


def _check_url(name: str, value: str, schemes: set[str], *, needs_host: bool) -> None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        _refuse(f"{name} is malformed ({exc})")
    if parts.scheme not in schemes:
        expected = ", ".join(sorted(s + "://" for s in schemes))
        _refuse(f"{name} must start with one of {expected}, not {parts.scheme or 'nothing'!r}")
    if needs_host and not parts.hostname and not parts.path.strip("/"):
        _refuse(f"{name} names no host or database")


# --- mode -------------------------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=True)
PRODUCTION = not DEBUG

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        _refuse("SECRET_KEY must be set when DJANGO_DEBUG=0")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"  # noqa: S105
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS",
    default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"],
)
if PRODUCTION and not ALLOWED_HOSTS:
    _refuse("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG=0")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Where the embedded mode keeps its state (SQLite file, broker folders, uploaded files).
VAR_DIR = Path(env.str("ANTIFRAUD_VAR_DIR", default=str(BASE_DIR / "var")))

# Keyed digest for card numbers and other values that must never be stored in plain text.
# It must never change once indicators exist: every stored digest depends on it.
INDICATOR_DIGEST_KEY = env.str("INDICATOR_DIGEST_KEY", default="")
# Encrypts partner webhook secrets at rest; fallbacks let an old key be rotated out.
SECRETS_ENCRYPTION_KEY = env.str("SECRETS_ENCRYPTION_KEY", default="")
SECRETS_ENCRYPTION_KEY_FALLBACKS = env.list("SECRETS_ENCRYPTION_KEY_FALLBACKS", default=[])
for _name in ("INDICATOR_DIGEST_KEY", "SECRETS_ENCRYPTION_KEY"):
    if not globals()[_name]:
        if PRODUCTION:
            _refuse(f"{_name} must be set when DJANGO_DEBUG=0")
        globals()[_name] = f"development-only-{_name.lower()}"

# Absolute base of links that leave the site (appeal links in partner payloads, e-mails).
PUBLIC_BASE_URL = env.str("ANTIFRAUD_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- applications -----------------------------------------------------------------------

INSTALLED_APPS = [
    "antifraud.apps.AntifraudAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "accounts",
    "antifraud",
    "reviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in staff read the language saved on their account.
    "accounts.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "antifraud.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes requires: it turns locked-out sign-ins into its lockout response.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # Static files straight from gunicorn, compressed and with far-future cache headers.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "antifraud.urls"
WSGI_APPLICATION = "antifraud.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL", default="")
if DATABASE_URL:
    _check_url("DATABASE_URL", DATABASE_URL, {"postgres", "postgresql", "pgsql"}, needs_host=True)
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DB_CONNECT_TIMEOUT", default=5
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "antifraud.sqlite3",
            "OPTIONS": {
                # The web server, the worker and beat share the file: wait for locks rather
                # than fail, and take the write lock up front so transactions never deadlock.
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    _check_url("REDIS_URL", REDIS_URL, {"redis", "rediss", "unix"}, needs_host=False)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "antifraud",
            "OPTIONS": {"socket_connect_timeout": 3, "socket_timeout": 3},
        }
    }
else:
    # A file cache, so that the web server and the worker share rate limits and throttles.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery -----------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran, so a killed worker's task runs again; every
# task is written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = "Asia/Almaty"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# How often the sequencer chains newly committed audit events (antifraud.audit).
AUDIT_CHAIN_INTERVAL_SECONDS = env.float("AUDIT_CHAIN_INTERVAL_SECONDS", default=2.0)
# How often committed outbox rows get their place in the partners' event feed.
EVENTS_FEED_INTERVAL_SECONDS = env.float("EVENTS_FEED_INTERVAL_SECONDS", default=2.0)
# Reported photos known by URL are fetched by the worker, hashed (also mirrored and rotated)
# and stored like uploaded photos, within these limits. Private and loopback addresses are
# refused unless allowed.
PHOTO_FETCH_ENABLED = env.bool("PHOTO_FETCH_ENABLED", default=True)
PHOTO_FETCH_MAX_BYTES = env.int("PHOTO_FETCH_MAX_BYTES", default=5_000_000)
PHOTO_FETCH_TIMEOUT = env.float("PHOTO_FETCH_TIMEOUT", default=10.0)
PHOTO_FETCH_ALLOW_PRIVATE = env.bool("PHOTO_FETCH_ALLOW_PRIVATE", default=False)
# How often beat re-enqueues deliveries that are due and not in flight.
DELIVERIES_SWEEP_INTERVAL_SECONDS = env.float("DELIVERIES_SWEEP_INTERVAL_SECONDS", default=15.0)
# How often beat lifts the time-limited blocks that have come to their end
# (reviews.services.block_ends).
BLOCK_ENDS_INTERVAL_SECONDS = env.float("BLOCK_ENDS_INTERVAL_SECONDS", default=300.0)
# The public pages' monthly figures are recomputed this often (reviews.transparency); a
# figure resting on fewer records than TRANSPARENCY_MIN_COUNT is never published.
TRANSPARENCY_INTERVAL_SECONDS = env.float("TRANSPARENCY_INTERVAL_SECONDS", default=3600.0)
TRANSPARENCY_MIN_COUNT = env.int("TRANSPARENCY_MIN_COUNT", default=5)
CELERY_BEAT_SCHEDULE = {
    "feed-extend": {
        "task": "antifraud.tasks.feed_extend",
        "schedule": EVENTS_FEED_INTERVAL_SECONDS,
    },
    "audit-chain-extend": {
        "task": "antifraud.tasks.audit_chain_extend",
        "schedule": AUDIT_CHAIN_INTERVAL_SECONDS,
    },
    "indicators-expire": {"task": "antifraud.tasks.indicators_expire", "schedule": 3600.0},
    "market-prices-refresh": {"task": "antifraud.tasks.market_prices_refresh", "schedule": 3600.0},
    "case-leases-sweep": {"task": "reviews.tasks.case_leases_sweep", "schedule": 60.0},
    "appeal-leases-sweep": {"task": "reviews.tasks.appeal_leases_sweep", "schedule": 60.0},
    # Time-limited blocks past their end are lifted, and partners told (subject.unblocked).
    "block-ends-lift": {
        "task": "reviews.tasks.block_ends_lift",
        "schedule": BLOCK_ENDS_INTERVAL_SECONDS,
    },
    # The current and the previous month's public figures (reviews.transparency).
    "transparency-figures-refresh": {
        "task": "reviews.tasks.transparency_figures_refresh",
        "schedule": TRANSPARENCY_INTERVAL_SECONDS,
    },
    # Appeal e-mails whose enqueueing failed (the broker was down) are enqueued again.
    "appeal-emails-resend-lost": {
        "task": "reviews.tasks.appeal_emails_resend_lost",
        "schedule": 600.0,
    },
    # Re-enqueues deliveries that are due but not in flight: a lost broker message, a Redis
    # restart or a killed worker only delays an event, never loses it.
    "deliveries-redeliver-due": {
        "task": "antifraud.tasks.deliveries_redeliver_due",
        "schedule": DELIVERIES_SWEEP_INTERVAL_SECONDS,
    },
    # The whole audit chain verified every night (its outcome shows on the audit trail's
    # page), at 03:30 in CELERY_TIMEZONE, when few decisions are made.
    "audit-chain-check-daily": {
        "task": "antifraud.tasks.audit_chain_check_daily",
        "schedule": crontab(hour=3, minute=30),
    },
    # Each supervisor's daily digest, at 08:00 in CELERY_TIMEZONE (Asia/Almaty).
    "supervisor-digests-send": {
        "task": "reviews.tasks.supervisor_digests_send",
        "schedule": crontab(hour=8, minute=0),
    },
}

# --- authentication ---------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A sign-in lasts a working day at most and ends when the browser closes.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock a username from one address after repeated failures; success clears the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
AXES_VERBOSE = False
# Every failed sign-in is kept (who, from where, when) for the hub's administrators.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# --- internationalisation ---------------------------------------------------------------

LANGUAGE_CODE = "en"
# Each named in itself, as a language chooser shows them (accounts.languages reads this).
LANGUAGES = [("en", "English"), ("ru", "Русский"), ("kk", "Қазақша")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django ships no Kazakh formats: dates and numbers for kk come from antifraud/formats/kk.
FORMAT_MODULE_PATH = ["antifraud.formats"]
# The language a visitor chose on a public page (`?lang=`) is remembered for a year; the
# sign-in page and the public pages read it before the browser's Accept-Language.
LANGUAGE_COOKIE_NAME = "antifraud_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = PRODUCTION
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

# --- files ------------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files (photos, appeal attachments) are never served from a public
# URL: views check who may see them first.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- e-mail -----------------------------------------------------------------------------

EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    globals().update(env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="antifraud <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security ---------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
# Only behind a proxy that sets these headers itself; otherwise clients could forge them.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No inline script or style anywhere: every script is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- the partner API ---------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["antifraud.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["antifraud.api.permissions.PolicyPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["antifraud.api.throttling.ApiKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("API_RATE", default="600/min")},
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["antifraud.api.parsers.ApiJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "antifraud.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "antifraud partner API",
    "DESCRIPTION": (
        "Report flagged accounts and listings, look indicators up, follow your cases and the "
        "event feed, propose gray-list entries. Authenticate with `Authorization: Api-Key <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("kind", "status") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "IndicatorKindEnum": "antifraud.models.IndicatorKind",
        "SubjectKindEnum": "antifraud.models.Subject.Kind",
        "CaseStatusEnum": "reviews.models.Case.Status",
        "AppealStatusEnum": "reviews.models.Appeal.Status",
        "ItemStatusEnum": "antifraud.api.registry_serializers.ItemStatus",
    },
}
# Partner API limits.
API_MAX_REPORTS = 1000
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=10 * 1024 * 1024)
API_MAX_LOOKUP_VALUES = 100
API_EVENTS_PAGE_MAX = 1000

# Webhooks: seconds to wait before each retry (with jitter), then the delivery is dead.
WEBHOOK_RETRY_SCHEDULE = [
    float(s)
    for s in env.list(
        "WEBHOOK_RETRY_SCHEDULE", default=["30", "120", "600", "3600", "21600", "86400"]
    )
]
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=5.0)
WEBHOOK_READ_TIMEOUT = env.float("WEBHOOK_READ_TIMEOUT", default=10.0)
# Attempts in flight to one partner at once: a slow partner holds at most this many worker
# threads, whatever its backlog.
WEBHOOK_PARTNER_CONCURRENCY = env.int("WEBHOOK_PARTNER_CONCURRENCY", default=2)
# After this many failed attempts in a row, a partner's circuit opens: no attempt for
# WEBHOOK_CIRCUIT_PAUSE seconds, doubling with each further failure, at most 30 minutes.
WEBHOOK_CIRCUIT_FAILURES = env.int("WEBHOOK_CIRCUIT_FAILURES", default=5)
WEBHOOK_CIRCUIT_PAUSE = env.float("WEBHOOK_CIRCUIT_PAUSE", default=30.0)
# A delivery handed to the broker this many seconds ago and still not attempted is handed
# over again by the sweep (its message was lost); until then it is not queued twice.
WEBHOOK_REQUEUE_AFTER = env.float("WEBHOOK_REQUEUE_AFTER", default=60.0)

# --- the domain's own settings ----------------------------------------------------------

# A moderator's claim on a case lasts this long, renewed while they work on it.
CASE_LEASE_MINUTES = env.int("CASE_LEASE_MINUTES", default=15)
# A case a moderator skipped comes back to them only after every other waiting case, for
# this many minutes.
CASE_SKIP_MINUTES = env.int("CASE_SKIP_MINUTES", default=60)
# A case should be decided within this many hours of opening.
CASE_DEADLINE_HOURS = env.int("CASE_DEADLINE_HOURS", default=24)
# An appeal should be resolved within this many hours of filing.
APPEAL_DEADLINE_HOURS = env.int("APPEAL_DEADLINE_HOURS", default=72)
# A case or appeal whose deadline is this close is marked "due soon" on the queue, the
# appeals page and the supervisors' dashboard (reviews.deadlines); past it, "breached".
CASE_DEADLINE_WARN_HOURS = env.int("CASE_DEADLINE_WARN_HOURS", default=4)
APPEAL_DEADLINE_WARN_HOURS = env.int("APPEAL_DEADLINE_WARN_HOURS", default=12)
# How long an appeal link stays valid (the DSA's six-month complaint window).
APPEAL_LINK_MAX_AGE_DAYS = env.int("APPEAL_LINK_MAX_AGE_DAYS", default=182)
# Appeals: statements, files, and how often one address or one link may post.
APPEAL_MAX_ATTACHMENTS = 3
APPEAL_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
APPEAL_RATE_PER_ADDRESS = env.str("APPEAL_RATE_PER_ADDRESS", default="20/h")
APPEAL_RATE_PER_LINK = env.str("APPEAL_RATE_PER_LINK", default="10/h")
# Appeal posts larger than this are refused before they are read (three files and a form).
APPEAL_REQUEST_MAX_BYTES = 3 * APPEAL_ATTACHMENT_MAX_BYTES + 1024 * 1024
# Gray-list entries expire after this many days unless renewed.
GRAY_LIST_DAYS = env.int("GRAY_LIST_DAYS", default=90)
# The registry (README, "The lists"). A gray entry waits for a senior moderator's promotion
# to black once this many partners of at least this many different kinds support it.
LIST_QUORUM_PARTNERS = env.int("LIST_QUORUM_PARTNERS", default=2)
LIST_QUORUM_KINDS = env.int("LIST_QUORUM_KINDS", default=2)
# A gray entry's weight in risk: full for GRAY_FRESH_DAYS after its last listing,
# corroboration or hit, then halving every GRAY_HALF_LIFE_DAYS, never below GRAY_WEIGHT_FLOOR.
GRAY_FRESH_DAYS = env.int("GRAY_FRESH_DAYS", default=14)
GRAY_HALF_LIFE_DAYS = env.int("GRAY_HALF_LIFE_DAYS", default=30)
GRAY_WEIGHT_FLOOR = env.float("GRAY_WEIGHT_FLOOR", default=0.1)
# Signals that rest on a value vetted as honest (the cleared list) count this much.
CLEARED_SIGNAL_WEIGHT = env.float("CLEARED_SIGNAL_WEIGHT", default=0.3)
# An entry is quarantined when its hits in a day reach QUARANTINE_FACTOR times its mean
# over the QUARANTINE_BASELINE_DAYS before, and at least QUARANTINE_MIN_HITS.
QUARANTINE_FACTOR = env.float("QUARANTINE_FACTOR", default=10.0)
QUARANTINE_MIN_HITS = env.int("QUARANTINE_MIN_HITS", default=50)
QUARANTINE_BASELINE_DAYS = env.int("QUARANTINE_BASELINE_DAYS", default=14)
# Look-ups: values a partner may look up a day (Partner.lookup_quota overrides it), the
# purposes each kind of partner may name, and the walk detector: this many misses of phone
# numbers within one block of LOOKUP_WALK_BLOCK consecutive numbers in a day slow the
# partner to LOOKUP_SLOWED_RATE for LOOKUP_SLOWED_HOURS and alert the hub.
LOOKUP_DAILY_QUOTA = env.int("LOOKUP_DAILY_QUOTA", default=20000)
LOOKUP_PURPOSES = {
    "classifieds": ["listing", "onboarding", "payment"],
    "fintech": ["payment", "onboarding", "investigation"],
    "bank": ["payment", "onboarding", "investigation"],
    "telecom": ["onboarding", "investigation"],
    "law_enforcement": ["investigation"],
}
LOOKUP_WALK_BLOCK = env.int("LOOKUP_WALK_BLOCK", default=1000)
LOOKUP_WALK_MISSES = env.int("LOOKUP_WALK_MISSES", default=100)
LOOKUP_SLOWED_RATE = env.str("LOOKUP_SLOWED_RATE", default="10/min")
LOOKUP_SLOWED_HOURS = env.int("LOOKUP_SLOWED_HOURS", default=24)
# A partner's reliability: (confirmed + PRIOR) / (confirmed + refuted + PRIOR) over other
# partners' feedback on its proposals.
PARTNER_RELIABILITY_PRIOR = env.int("PARTNER_RELIABILITY_PRIOR", default=4)
# High-impact decisions wait for a second moderator: rings larger than this many subjects,
# and blocks of accounts older than this many days.
SECOND_APPROVAL_RING_SIZE = env.int("SECOND_APPROVAL_RING_SIZE", default=10)
SECOND_APPROVAL_ACCOUNT_AGE_DAYS = env.int("SECOND_APPROVAL_ACCOUNT_AGE_DAYS", default=365)
# Cases listed per page in a queue.
QUEUE_PAGE_SIZE = env.int("QUEUE_PAGE_SIZE", default=50)
# Quality sampling: the share of each moderator's decisions drawn for a supervisor's second
# look, and how many days from a moderator's first decision every decision of theirs is.
QUALITY_SAMPLE_RATE = env.float("QUALITY_SAMPLE_RATE", default=0.05)
QUALITY_NEW_MODERATOR_DAYS = env.int("QUALITY_NEW_MODERATOR_DAYS", default=14)

# --- logging ----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusals": {"()": "antifraud.log_filters.RefusalsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # A 403 or 404 is one line in the log, without a traceback.
    "loggers": {"django.request": {"filters": ["refusals"]}},
}
