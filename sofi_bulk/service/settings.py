"""Django settings of the service, read from the environment so that ``sofi-bulk serveur``,
``sofi-bulk travailleur`` (or a test) set them before Django starts; their worker processes
inherit them. Importing this module writes nothing.

SOFI_WEB_DATA_DIR      data folder (the SQLite database lives there)
SOFI_WEB_DATABASE_URL  a database URL (postgresql://user:password@host:5432/name) instead
SOFI_WEB_SECRET_KEY    the signing key, the same on every machine (``sofi-bulk serveur`` reads
                       it from --cle or keeps one in the data folder)
SOFI_WEB_ALLOWED_HOSTS host names the server answers to, comma-separated
SOFI_WEB_PUBLIC_NAMES  the public names (--nom-public): their https:// origins are trusted
SOFI_WEB_TRUSTED_ORIGINS other trusted origins for forms, comma-separated (https://nom)
SOFI_WEB_PROXIES       addresses or networks of the trusted reverse proxies (--proxy):
                       X-Forwarded-For/-Proto/-Host are honoured from them only
SOFI_WEB_HTTPS         1 (default): cookies only over HTTPS, HSTS; 0 on a local trial
SOFI_WEB_LOGIN_ADDRESS_LIMIT failed logins from one address, whatever the user names, that
                       lock the address for 15 minutes (20)
SOFI_WEB_REFERENTIEL   the Région's référentiel (.xlsx or CSV folder); default: the example
SOFI_WEB_MAX_UPLOAD_MB upload size limit in Mio (default 20)
SOFI_WEB_CONTROLES_PAR_ADRESSE, SOFI_WEB_CONTROLES_PAR_COMPTE checks one client may have
                       waiting or running at once: anonymous, by address (3); logged in (6)
SOFI_WEB_FILE_MAX, SOFI_WEB_FILE_MAX_MO checks, and Mio of workbooks, waiting (200, 2048)
SOFI_WEB_ENVOIS_SIMULTANES uploads a web process reads at once (2)
SOFI_WEB_MEMOIRE_TRAVAILLEUR_MO memory bound of a worker process, in Mio (1024)
SOFI_WEB_REINITIALISATIONS_PAR_COURRIEL « Mot de passe oublié ? » e-mails to one address in
                       an hour (3); SOFI_WEB_REINITIALISATIONS_INTERVALLE minutes at least
                       between two of them (5); SOFI_WEB_REINITIALISATIONS_PAR_ADRESSE the
                       form's requests from one client address in an hour (10)
SOFI_WEB_JOURNAL_CONNEXIONS_JOURS days the logins journal (django-axes) is kept (90)
SOFI_WEB_EMAIL_HOST, _PORT (587), _USER, _PASSWORD, _TLS (1), _SSL (0), _FROM: the SMTP
                       server that sends invitations and password resets
SOFI_WEB_EMAIL_DIR     e-mails written as files there instead (tests); neither: on the console
SOFI_WEB_SITE          the service's address for the links of e-mails sent from the command
                       line (https://depot.exemple.fr); by default https:// and the first
                       public name, or http://127.0.0.1:8000
SOFI_WEB_PAGES         folder of the operator's texts of the pages « Mentions légales »,
                       « Données personnelles », « Accessibilité », « Contact »
                       (mentions-legales.txt, donnees-personnelles.txt, accessibilite.txt,
                       contact.txt; UTF-8); a page without its file shows the default
SOFI_WEB_ACCESSIBILITE the RGAA conformity said in every footer: « non conforme » (no
                       audit yet), « partiellement conforme » or « totalement conforme »
SOFI_WEB_WORKER_POLL   seconds between two looks at the queue by an idle worker (0.15)
SOFI_WEB_LOG_LEVEL     level of sofi_bulk's own log lines (INFO: one per request)
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "oui", "yes")


DATA_DIR = Path(os.environ.get("SOFI_WEB_DATA_DIR") or Path.cwd() / "sofi-bulk-donnees")
SECRET_KEY = os.environ.get("SOFI_WEB_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = _flag("SOFI_WEB_DEBUG", False)
HTTPS = _flag("SOFI_WEB_HTTPS", True)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SOFI_WEB_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
PUBLIC_NAMES = [n.strip() for n in os.environ.get("SOFI_WEB_PUBLIC_NAMES", "").split(",") if n]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("SOFI_WEB_TRUSTED_ORIGINS", "").split(",") if o.strip()
] + [f"{'https' if HTTPS else 'http'}://{name}" for name in PUBLIC_NAMES]
PROXIES = [p.strip() for p in os.environ.get("SOFI_WEB_PROXIES", "").split(",") if p.strip()]
REFERENTIEL = os.environ.get("SOFI_WEB_REFERENTIEL") or None
MAX_UPLOAD_BYTES = int(float(os.environ.get("SOFI_WEB_MAX_UPLOAD_MB", "20")) * 1024 * 1024)

# Persistent connections (each server thread keeps its own, on either database) are checked
# before each request reuses them: after a database outage the first request reconnects
# instead of failing on a dead connection.
CONN_AGE = 60  # seconds
_url = os.environ.get("SOFI_WEB_DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(_url, conn_max_age=CONN_AGE, conn_health_checks=True)
    if _url
    else {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(DATA_DIR / "sofi-bulk.sqlite3"),
        # not opened again (with its PRAGMAs) for every request, each poll of a progress
        # page included
        "CONN_MAX_AGE": CONN_AGE,
        "CONN_HEALTH_CHECKS": True,
        # WAL: the web processes read while a worker writes
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
if "postgresql" in DATABASES["default"].get("ENGINE", ""):
    # parameters sent apart from the query, a workbook's bytes as they are: bound in the
    # query's text, each upload was written out in hexadecimal by the web process and read
    # back by PostgreSQL (1.4 Mo of text for a 700 Kio workbook). The URL may say otherwise
    # (?server_side_binding=false).
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "sofi_bulk.web.apps.WebConfig",
]
if os.environ.get("SOFI_WEB_ROLE") == "travailleur":  # a worker process serves no page
    # (axes: its journal is purged by the workers' housekeeping, sofi_bulk.web.workers.purge)
    INSTALLED_APPS = [
        a
        for a in INSTALLED_APPS
        if a.startswith(("django.contrib.auth", "django.contrib.c")) or a == "axes"
    ] + ["django_tasks", "django_tasks_db", "sofi_bulk.web.apps.WebConfig"]
    # LOGGING alone, applied by the worker (sofi_bulk.service.worker.lighten says why)
    LOGGING_CONFIG = None
# Background work: Django's tasks API (the django-tasks backport) on the database backend,
# in the service's own database. Small workbooks have their own queue, which every worker
# also serves in a lane of its own (see sofi_bulk.web.jobs).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["petits", "gros"],
    }
}
WORKER_POLL = float(os.environ.get("SOFI_WEB_WORKER_POLL", "0.15"))
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "sofi_bulk.web.security.UploadLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sofi_bulk.web.limits.AbuseLimitMiddleware",  # before the CSRF check reads a body
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "sofi_bulk.service.urls"
WSGI_APPLICATION = "sofi_bulk.service.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sofi_bulk.web.views.site_context",
            ],
        },
    }
]

# --- French -----------------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- accounts ---------------------------------------------------------------------------------
LOGIN_URL = "connexion"
LOGIN_REDIRECT_URL = "depots"
LOGOUT_REDIRECT_URL = "accueil"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins (django-axes; see sofi_bulk.web.login): 5 failures for one user name from one
# address lock that name from that address, 20 from one address whatever the names lock the
# address (password spraying); 15 minutes, counted from the last failure before the lock
# (attempts during a lock are refused, not counted). The address is the client's as the WSGI
# layer established it: the forwarded one from a trusted proxy only (sofi_bulk.service.http).
AXES_HANDLER = "sofi_bulk.web.login.LoginHandler"
AXES_FAILURE_LIMIT = 5
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("SOFI_WEB_LOGIN_ADDRESS_LIMIT", "20"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True  # that user's own failures from that address only
AXES_CLIENT_IP_CALLABLE = "sofi_bulk.web.login.client_address"
AXES_LOCKOUT_CALLABLE = "sofi_bulk.web.login.lockout_response"
AXES_VERBOSE = False
# the journal of logins and logouts (axes' AccessLog, and its failure log if ever enabled):
# deleted after that many days by the workers' housekeeping (sofi_bulk.web.workers.purge)
LOGIN_JOURNAL_DAYS = max(1, int(os.environ.get("SOFI_WEB_JOURNAL_CONNEXIONS_JOURS", "90")))

# --- e-mail: invitations and password resets (Django's own views) -------------------------------
# SMTP when SOFI_WEB_EMAIL_HOST is set; into files in SOFI_WEB_EMAIL_DIR (tests); else on the
# console of the server (a local trial: the link shows in its terminal)
EMAIL_HOST = os.environ.get("SOFI_WEB_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("SOFI_WEB_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("SOFI_WEB_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SOFI_WEB_EMAIL_PASSWORD", "")
EMAIL_USE_SSL = _flag("SOFI_WEB_EMAIL_SSL", False)
EMAIL_USE_TLS = _flag("SOFI_WEB_EMAIL_TLS", not EMAIL_USE_SSL)
EMAIL_TIMEOUT = 30
EMAIL_FILE_PATH = os.environ.get("SOFI_WEB_EMAIL_DIR", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif EMAIL_FILE_PATH:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("SOFI_WEB_EMAIL_FROM", "ne-pas-repondre@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PASSWORD_RESET_TIMEOUT = 2 * 24 * 3600  # a reset link: two days
INVITATION_TIMEOUT = 30 * 24 * 3600  # an invitation: a month, to choose one's password
# « Mot de passe oublié ? » (sofi_bulk.web.limits): at most so many e-mails to one address in an
# hour, so many minutes apart (beyond, the page says the same and nothing leaves); at most so
# many requests from one client address in an hour (beyond, 429)
RESETS_PER_EMAIL = int(os.environ.get("SOFI_WEB_REINITIALISATIONS_PAR_COURRIEL", "3"))
RESET_INTERVAL_MINUTES = float(os.environ.get("SOFI_WEB_REINITIALISATIONS_INTERVALLE", "5"))
RESETS_PER_ADDRESS = int(os.environ.get("SOFI_WEB_REINITIALISATIONS_PAR_ADRESSE", "10"))
# the address the links of e-mails sent from the command line point to (invitations)
SITE_URL = os.environ.get("SOFI_WEB_SITE", "")
# the operator's texts of the legal pages (sofi_bulk.web.pages)
LEGAL_PAGES_DIR = os.environ.get("SOFI_WEB_PAGES", "")
# without an audit, a service declares itself « non conforme » (RGAA)
ACCESSIBILITY_STATUS = os.environ.get("SOFI_WEB_ACCESSIBILITE", "non conforme").strip()

# --- sessions, cookies, headers -----------------------------------------------------------------
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "sofi_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = HTTPS
CSRF_FAILURE_VIEW = "sofi_bulk.web.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:  # sent on HTTPS requests: direct ones, or forwarded as such by a trusted proxy
    SECURE_HSTS_SECONDS = 31536000
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- limits per client and on the queue (sofi_bulk.web.limits): beyond them, 429 ------------
CHECKS_PER_ADDRESS = int(os.environ.get("SOFI_WEB_CONTROLES_PAR_ADRESSE", "3"))
CHECKS_PER_ACCOUNT = int(os.environ.get("SOFI_WEB_CONTROLES_PAR_COMPTE", "6"))
QUEUE_MAX = int(os.environ.get("SOFI_WEB_FILE_MAX", "200"))
# Mio of workbooks one client's checks keep in the database (a check's file stays until it is
# forgotten, 30 minutes after it ended)
CLIENT_MAX_BYTES = int(float(os.environ.get("SOFI_WEB_VOLUME_PAR_CLIENT_MO", "200")) * 1024 * 1024)
QUEUE_MAX_BYTES = int(float(os.environ.get("SOFI_WEB_FILE_MAX_MO", "2048")) * 1024 * 1024)
UPLOADS_AT_ONCE = int(os.environ.get("SOFI_WEB_ENVOIS_SIMULTANES", "2"))  # per web process
REPRISES_AT_ONCE = int(os.environ.get("SOFI_WEB_REPRISES_SIMULTANEES", "1"))  # per web process
# a worker process's resident memory: the check that takes it beyond is refused (web.workers)
WORKER_MEMORY_MB = int(os.environ.get("SOFI_WEB_MEMOIRE_TRAVAILLEUR_MO", "1024"))

# --- uploads: kept in memory only, never written to disk; the limit is checked by the views ---
UPLOAD_ENVELOPE = 64 * 1024  # the multipart envelope and the form's other fields
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + UPLOAD_ENVELOPE  # the whole request body
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # the form fields besides the file

STATIC_URL = "/static/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
# no page or file of the service is readable from another site, but the add-in's wheel
# (sofi_bulk.web.complement): WhiteNoise's default would open the static files too
WHITENOISE_ALLOW_ALL_ORIGINS = False

# every line with its time; sofi_bulk's own lines (the access log, the workers) from INFO
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "horodate": {"format": "%(asctime)s %(levelname)s [%(process)d] %(name)s : %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "horodate"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"sofi_bulk": {"level": os.environ.get("SOFI_WEB_LOG_LEVEL", "INFO")}},
}
