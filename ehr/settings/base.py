"""Settings shared by every environment, read from the environment (django-environ).

Nothing here is secret or host-specific: every such value comes from an environment
variable (see README, "Configuration"). `local`, `test` and `production` adjust this base.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    "ehr.core.admin_site.EhrAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "guardian",
    "simple_history",
    "crispy_forms",
    "crispy_bootstrap5",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "csp",
    "django_htmx",
    "phonenumber_field",
    "django_tasks",
    "django_tasks_db",
    "import_export",
    # Project apps
    "ehr.core",
    "accounts",
    "patients",
    "scheduling",
    "clinical",
    "inpatient",
    "workflow",
    "laboratory",
    "pharmacy",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ehr.core.middleware.RefuseNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "ehr.core.middleware.SessionTimeoutMiddleware",
    "ehr.core.middleware.RequireMFAMiddleware",
    "ehr.core.middleware.NoStoreForAuthenticatedMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "ehr.urls"
WSGI_APPLICATION = "ehr.wsgi.application"
ASGI_APPLICATION = "ehr.asgi.application"

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
                "csp.context_processors.nonce",
                "ehr.core.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# The embedded default is a SQLite file; production and CI use PostgreSQL (DATABASE_URL).

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at
    # BEGIN, so two writers queue on `timeout` instead of failing with "database is locked"
    # half-way through a transaction that already read what it decided on.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
elif _db["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.postgis"):
    _db["ENGINE"] = "django.db.backends.postgresql"
    # Django's native psycopg 3 pool: one pool per process. A pool and persistent
    # connections exclude each other, so CONN_MAX_AGE stays 0. The pool options are set
    # here and not in the URL: django-environ would hand `pool=true` over as a string.
    _db["CONN_MAX_AGE"] = 0
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=4),
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -------------------------------------------------------------------
# `default` lives in the database: allauth keeps its rate-limit counters (and TOTP replay
# guard) there, and they must be shared by every worker and stay up whenever the database
# is up. A default cache on bare Redis would lock everyone out while Redis is down.
# `bulk` is the fast cache (Redis when REDIS_URL is set) for sessions and page data; it
# ignores Redis errors, so an outage degrades speed, never availability.

REDIS_URL = env("REDIS_URL", default="")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "ehr_cache",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    },
    "bulk": (
        {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="ehr"),
            "TIMEOUT": 300,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "IGNORE_EXCEPTIONS": True,
            },
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ehr-bulk"}
    ),
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "bulk"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 60 * 60  # absolute ceiling; idle timeouts are system parameters
SESSION_COOKIE_NAME = env("SESSION_COOKIE_NAME", default="ehr_sessionid")
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# --- Authentication -----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "account_login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "first_name", "last_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassValidator"},
]

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False  # shared ward PCs: never "remember me"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    # Hospital NAT puts a whole ward behind one address, so no limit counts an address on
    # its own except a flood guard (five sign-in posts a second). Wrong passwords follow
    # `accounts.lockout` (a growing lock per account, a limit per address and account);
    # `login_failed` here is allauth's limit on one-time codes: 5 wrong codes per user in
    # 5 minutes, on the sign-in page and the API alike.
    "login": "300/m/ip",
    "login_failed": "5/300s/key",
    "reset_password": "30/m/ip,5/m/key",
}
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="Hospital EHR")
MFA_TRUST_ENABLED = False  # shared ward PCs: never "trust this browser"
# Key that encrypts TOTP secrets at rest (allauth stores them in plain text otherwise).
# Derived from SECRET_KEY unless set; rotating it invalidates enrolled authenticators.
MFA_ENCRYPTION_KEY = env("MFA_ENCRYPTION_KEY", default="")

# --- Object permissions and history -------------------------------------------------------

ANONYMOUS_USER_NAME = None  # no anonymous object permissions
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = "en"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# The site's date and time formats ("7 Mar 2026, 14:05"), also in the Django admin.
FORMAT_MODULE_PATH = ["ehr.formats"]
PHONENUMBER_DEFAULT_REGION = env("PHONENUMBER_DEFAULT_REGION", default="US")
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# --- Static and media ---------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Email --------------------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Every email leaves through a background job (ehr.core.mail): a slow or failing mail
# server never slows or breaks a page. EMAIL_URL names the backend the job delivers with.
EMAIL_DELIVERY_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
EMAIL_BACKEND = "ehr.core.mail.JobEmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="EHR <no-reply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # a hung mail server must not hang pages
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Text messages (SMS) ------------------------------------------------------------------
# ehr.core.sms: with SMS_GATEWAY_URL set, texts go to an HTTP gateway speaking Twilio's
# Messages API (Twilio, or a provider with the same API); else to the console (the
# worker's output), or to files in SMS_FILE_PATH with SMS_BACKEND=ehr.core.sms.FileSmsBackend.
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")  # e.g. https://api.twilio.com
SMS_ACCOUNT = env("SMS_ACCOUNT", default="")
SMS_TOKEN = env("SMS_TOKEN", default="")  # also verifies the gateway's status callbacks
SMS_SENDER = env("SMS_SENDER", default="")  # the sending number in E.164, or a sender id
SMS_TIMEOUT = env.int("SMS_TIMEOUT", default=5)  # seconds; the delivery job retries
SMS_BACKEND = env(
    "SMS_BACKEND",
    default="ehr.core.sms.TwilioSmsBackend"
    if SMS_GATEWAY_URL
    else "ehr.core.sms.ConsoleSmsBackend",
)
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=BASE_DIR / "var" / "sms")
# The gateway posts delivery reports to SITE_URL + /sms/status/ (signed with SMS_TOKEN).
SMS_STATUS_CALLBACK = env.bool("SMS_STATUS_CALLBACK", default=bool(SMS_GATEWAY_URL))

# --- Background jobs ----------------------------------------------------------------------
# Django's tasks framework with the database backend: workers (`manage.py db_worker`) on
# any number of machines share one queue in the site's database. ehr.core.jobs adds the
# site's job record, retries and recovery on top; only the framework's API is used, so
# another backend (Celery, RQ) is a settings change (see the README).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "reports"],
    }
}

# --- Security headers ---------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Forms and UI -------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- API ----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.StampedJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ehr.core.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "ehr.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ehr.core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON nested deeper than 100 levels is refused (400) before parsing: Python's parser
    # recurses, and thousands of levels would end in RecursionError (500).
    "DEFAULT_PARSER_CLASSES": [
        "ehr.core.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # OPTIONS lists the actions the role permits without fetching the object.
    "DEFAULT_METADATA_CLASS": "ehr.core.api.metadata.EndpointMetadata",
    "UNAUTHENTICATED_USER": None,
}
SIMPLE_JWT = {
    # Tokens carry a stamp (revoked by password, MFA and account changes) and the sign-in
    # time (a refresh chain ends at the 12-hour session limit): see accounts.tokens.
    "ACCESS_TOKEN_LIFETIME": __import__("datetime").timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": __import__("datetime").timedelta(hours=8),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "USER_ID_FIELD": "id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hospital EHR API",
    "DESCRIPTION": "JSON API v1. Authenticate with POST /api/v1/auth/login, then send "
    "`Authorization: Bearer <access>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Deep links put a link inside each operation's toggle button (nested interactive
    # controls, a serious WCAG failure for screen readers); the page's own CSP and
    # styles are in templates/drf_spectacular/swagger_ui.html.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and docs are for signed-in staff (session or a token).
    "SERVE_PERMISSIONS": ["ehr.core.api.permissions.IsHospitalStaff"],
    "SERVE_AUTHENTICATION": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.tokens.StampedJWTAuthentication",
    ],
    # Several records have a "status"; name each choice set after its record.
    "ENUM_NAME_OVERRIDES": {
        "AppointmentStatusEnum": "scheduling.models.AppointmentStatus",
        "TaskStatusEnum": "workflow.models.TaskStatus",
        "LabPriorityEnum": "laboratory.models.Priority",
        "DocumentCategoryEnum": "laboratory.models.DocumentCategory",
    },
    # The enum hook is drf-spectacular's default; ours documents every error answer.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ehr.core.api.schema.add_error_responses",
    ],
}

# --- Logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django_redis": {"level": "WARNING"},
        # Scanners probing with foreign Host headers are not errors of ours.
        "django.security.DisallowedHost": {"handlers": [], "propagate": False},
    },
}

# --- Site ---------------------------------------------------------------------------------

SITE_NAME = env("SITE_NAME", default="Hospital EHR")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")  # for links in emails
