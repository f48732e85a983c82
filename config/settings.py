"""Hromada settings: one module, configured only by environment variables.

Development defaults are safe to run locally (SQLite, console e-mail, tasks in-process);
production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, EMAIL_URL.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me" if DEBUG else environ.Env.NOTSET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Content in every UI language (grants/translation.py): one column per language on the same
    # row, so list pages read translations with no join or extra query. Must precede admin.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "djmoney",
    "import_export",
    "csp",
    "django_htmx",
    "accounts",
    "audit",
    "grants",
    "applications",
    "reporting",
    "config",  # the demo seeder (manage.py seed_demo) that calls every part's own
    "workers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "workers.context_processors.notifications",
                "applications.conversations.context_processors.threads",
            ],
            # `{{ value|bdi }}` on every page: user-supplied names shown isolated; `|when`, `|money`, `|number`:
            # moments, amounts and figures the language's way (core/templatetags).
            "builtins": ["core.templatetags.isolation", "core.templatetags.formatting", "core.templatetags.languages"],
            # `{% load pagination %}`: the shared pager's links keep the search and filters;
            # `{% load sorting %}`: column headers that sort a list (core/sorting.py).
            "libraries": {"pagination": "core.templatetags.pagination", "sorting": "core.templatetags.sorting"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
# No health check before each request: it is a round trip on every request (a sixth of an
# autosave's). After a database restart, each thread's stale connection fails one request and is
# then replaced (Django closes a connection that raised at the end of the request); the form keeps
# the text and saves again. CONN_HEALTH_CHECKS=true trades that round trip for no failed request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DB_PREPARED_STATEMENTS", default=True
):
    # Parameters travel apart from the SQL and a statement run five times on a connection is
    # prepared once: PostgreSQL parses and plans the requests' same few queries once per connection
    # (about 60% less database CPU per autosave). Set false behind a transaction-mode pooler.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN, so two writers queue instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Hromada] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupExtraForm"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Hromada"
# When true, programme managers and finance officers must enrol TOTP before using the site.
HROMADA_MFA_REQUIRED_FOR_MONEY_ROLES = env.bool("MFA_REQUIRED_FOR_MONEY_ROLES", default=not DEBUG)

# Sign-in throttling is allauth's own (its rate limits live in the shared cache, so every web node
# counts the same failures). Failed attempts count per client address (a spray from one address
# stops after ten a minute and fifty an hour) and per account (five in five minutes, then a short
# cool-off). Accounts a stranger must not be able to lock out (staff, programme managers, finance
# officers, anyone with a second factor) count per account *and* address instead, so failures
# from elsewhere never block their owner. See accounts/signin.py.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip,50/h/ip,5/5m/key"),
}
# The real client address: the Nth address from the right of X-Forwarded-For, where N is the
# number of reverse proxies in front of the app (docker-compose ships one: TRUSTED_PROXY_COUNT=1).
# 0 (the default, no proxy) uses the connection's address and ignores the header, which a client
# could forge.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The Eastern Partnership's languages: Ukrainian, Armenian, Georgian, Romanian (as written in
# Moldova), Azerbaijani (Latin script) and Russian (used by many CSOs in Belarus, Moldova and
# Azerbaijan), with English.
LANGUAGES = [
    ("en", _("English")),
    ("uk", _("Ukrainian")),
    ("hy", _("Armenian")),
    ("ka", _("Georgian")),
    ("ro", _("Romanian")),
    ("az", _("Azerbaijani")),
    ("ru", _("Russian")),
]
# Translated content (call texts, questions, criteria…): `title_en`, `title_uk`… per language in
# LANGUAGES; a new language is a setting here plus `makemigrations`. English is every text's main
# language: a missing translation shows the English text, marked as such (core.templatetags).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
# locale_vendor/ holds our translations of third-party apps that ship none for our languages (allauth: hy).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Europe/Kyiv"
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True
# Dates, times and numbers per language (config/formats/: en `4 Dec 2026`, uk/hy day-month-year,
# grouped thousands). Plain `{{ number }}` stays ungrouped (ids, years, form values); amounts use
# `floatformat:"2g"` or `|money`.

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it, even before collectstatic
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "var" / "private")))

# --- Files: where uploads and generated files are kept (core/storage.py) ---------------------
# Every web node and worker must see the same files. STORAGE_BACKEND=filesystem (the default)
# keeps them in folders: PRIVATE_STORAGE_ROOT (attachments, signed agreements, report documents,
# generated PDFs and exports, import previews) and MEDIA_ROOT; with several machines these are a
# shared volume. STORAGE_BACKEND=s3 keeps them in S3-compatible object storage (AWS S3, MinIO,
# Ceph, Garage…), under "private/" and "media/" in S3_BUCKET; downloads, still checked by the app,
# then redirect to a signed URL valid for PRIVATE_STORAGE_URL_SECONDS (the default, 60).
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="filesystem")
if STORAGE_BACKEND not in ("filesystem", "s3"):
    raise ImproperlyConfigured(f"STORAGE_BACKEND is {STORAGE_BACKEND!r}: say filesystem or s3.")
PRIVATE_STORAGE_URL_SECONDS = env.int("PRIVATE_STORAGE_URL_SECONDS", default=60)
# Serve S3 downloads by redirecting to a signed URL (false: the app streams them itself).
PRIVATE_STORAGE_REDIRECT = STORAGE_BACKEND == "s3" and env.bool("PRIVATE_STORAGE_REDIRECT", default=True)
if STORAGE_BACKEND == "s3":
    if not env.str("S3_BUCKET", default=""):
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs S3_BUCKET.")
    _S3_OPTIONS = {
        "bucket_name": env.str("S3_BUCKET"),
        # Empty: AWS itself; MinIO and others: their address, e.g. http://minio:9000.
        "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
        # Empty: boto3 finds credentials itself (AWS_* variables, an instance role).
        "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
        "region_name": env.str("S3_REGION", default="") or None,
        # "path" for servers that do not answer at <bucket>.<host> (MinIO's default).
        "addressing_style": env.str("S3_ADDRESSING_STYLE", default="") or None,
        "signature_version": "s3v4",
        "default_acl": None,  # the bucket's own (private)
        "querystring_auth": True,
        "querystring_expire": PRIVATE_STORAGE_URL_SECONDS,
        "file_overwrite": True,  # names are generated; a job's finish replaces its own file on purpose
    }
    _PRIVATE_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**_S3_OPTIONS, "location": "private"}}
    _MEDIA_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**_S3_OPTIONS, "location": "media"}}
else:
    _PRIVATE_STORAGE = {"BACKEND": "core.storage.PrivateFileSystemStorage"}
    _MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _MEDIA_STORAGE,
    "private": _PRIVATE_STORAGE,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Hromada <no-reply@hromada.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Open data ------------------------------------------------------------------------------
# The 360Giving prefix registered for the publisher (Identifiers read 360G-<prefix>-<grant>),
# the IATI reporting organisation (the publisher's org-id) and the publisher's name.
# In production all three are required: the prefix is assigned to the publisher by 360Giving (the
# development default "hromada" never was), and the IATI reporting organisation is the publisher's
# own org-id (an IATI organisation identifier), never a donor's.
_OPENDATA_REQUIRED = environ.Env.NOTSET if not DEBUG else None
HROMADA_360G_PREFIX = env.str("OPENDATA_360G_PREFIX", default=_OPENDATA_REQUIRED or "hromada")
HROMADA_IATI_REPORTING_ORG = env.str("OPENDATA_IATI_REPORTING_ORG", default=_OPENDATA_REQUIRED or "")
HROMADA_PUBLISHER_NAME = env.str("OPENDATA_PUBLISHER_NAME", default=_OPENDATA_REQUIRED or "")
# The publisher's IATI organisation type (OrganisationType codelist: 21 international NGO, 22
# national NGO, 80 academic/training/research, ...).
HROMADA_PUBLISHER_ORG_TYPE = env.str("OPENDATA_PUBLISHER_ORG_TYPE", default="21")

# The Ed25519 key that signs the audit chain's head every day (audit/signing.py): the path of a PEM
# file, or the PEM itself. It lives outside the database, so a database superuser who rewrites the
# chain cannot sign the rewritten head. Make one with `manage.py audit_signing_key`.
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default="")

# --- Cache (sessions read from it) -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Redis when there is one (shared by every web node), the process's memory on the embedded
# default. Keys are prefixed so the broker's keys and other test runs sharing a Redis stay apart.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hromada") + os.environ.get("PYTEST_XDIST_WORKER", ""),
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# No broker configured: the same task code runs in-process (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task killed by its hard limit is acknowledged (not redelivered forever); tasks set tighter
# limits of their own. The visibility timeout (when Redis hands an unacknowledged task to another
# worker) stays above the longest limit, so a running task is never delivered twice.
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks running when the broker connection drops are cancelled and redelivered (late acks).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# How many relays a big batch of new outbox rows (a reminder sweep) starts at once.
HROMADA_RELAY_PARALLEL = env.int("RELAY_PARALLEL", default=4)
# Background jobs (donor reports, exports): a job queued or running with no sign of life for this
# long (above CELERY_TASK_TIME_LIMIT) is queued again by the sweep, and its page offers a retry.
HROMADA_JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=20 * 60)
# An export of more rows than this is built by a worker (its page shows the progress); a smaller one
# is answered in the request. Both are written in constant memory (reporting/data/exports.py).
HROMADA_EXPORT_BACKGROUND_ROWS = env.int("EXPORT_BACKGROUND_ROWS", default=5000)
# Generated donor-report and export files are deleted this many days after they were made; the
# rows stay as history.
HROMADA_GENERATED_FILE_RETENTION_DAYS = env.int("GENERATED_FILE_RETENTION_DAYS", default=30)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_METADATA_CLASS": "core.api.metadata.Metadata",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hromada API",
    "DESCRIPTION": "Grant programmes end to end: calls, applications, reviews, grants, tranches, reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -------------------------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # read from the cache, kept in the database
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- Uploads --------------------------------------------------------------------------------
# The largest file any upload accepts, in MB; a call's own limit (max_file_mb) may not exceed it.
# The reverse proxy refuses bodies above UPLOAD_MAX_MB + 1 MB (the rest of the form) before they
# reach the app: deploy/nginx/hromada.conf's client_max_body_size (51m) says the same, and
# tests/config/test_reverse_proxy.py compares the two.
UPLOAD_MAX_MB = 50
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024  # the form fields and JSON around files, below the proxy's limit
# An uploaded PNG/JPEG whose header declares more pixels than this is refused before it is decoded
# by anyone (40 megapixels: a 7,500 × 5,300 photo; a decompression bomb declares far more).
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=40_000_000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
