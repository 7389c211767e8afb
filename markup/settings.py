"""Settings for markup.

Everything that differs between deployments comes from the environment (see the table
in README.md). A git-ignored ``.env`` file in the project folder is read too, so local
development needs no exported variables; real environment variables win over it.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.urls import reverse

from markup.environment import (
    BASE_DIR,
    behind_proxy,
    debug,
    env_bool,
    env_int,
    env_list,
    env_str,
    load_local_dotenv,
    secret_key,
)

load_local_dotenv()

# Core

DEBUG = debug()

# No fallback key, in development either: a key in the code would end up in production.
# Outside debug mode a weak key stops every entry point with a short message.
SECRET_KEY = secret_key()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "posts",
]

MIDDLEWARE = [
    # The security headers come first, so static files served by WhiteNoise carry them too.
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "markup.middleware.CrossOriginResourcePolicyMiddleware",
    "markup.health.HealthProbeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "markup.middleware.HeadWithoutBodyMiddleware",
    # ETag on every answer and 304 for a matching If-None-Match, cached pages included.
    "django.middleware.http.ConditionalGetMiddleware",
    # This process's copies of cached pages are answered from here, skipping what follows.
    "posts.caching.PageCopyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "markup.middleware.RejectNulCharactersMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "markup.urls"
WSGI_APPLICATION = "markup.wsgi.application"

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
                "markup.context_processors.site",
            ],
        },
    },
]

# Data

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's, keeping the query planner's statistics up to date (markup/sqlite3).
    DATABASES["default"]["ENGINE"] = "markup.sqlite3"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when the server is away, rather than hang a worker until gunicorn kills it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Authors' pages, so the admin's "View on site", feeds and sitemaps find them.
ABSOLUTE_URL_OVERRIDES = {
    "auth.user": lambda user: reverse("posts:author", kwargs={"username": user.username})
}

# One cache shared by every app server when REDIS_URL is set; otherwise per process.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, keeping one Redis client per process rather than one per call.
            "BACKEND": "posts.caching.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "markup",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Accounts

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Password guessing: after this many failed logins for one username from one address,
# further attempts answer 429 until the cool-off has passed. Counted in the database,
# so every app server sees the same count.
AXES_FAILURE_LIMIT = env_int("MARKUP_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("MARKUP_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "429.html"
AXES_VERBOSE = False

# Security: production defaults unless DEBUG is on or the operator opts out.

HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
BEHIND_PROXY = behind_proxy()

if BEHIND_PROXY:
    # Only a proxy we put in front may say the request came over HTTPS or from whom;
    # without one, a client could claim either.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The client's address as the proxy saw it, in a header the proxy always overwrites
    # (deploy/nginx/markup.conf). Not X-Forwarded-For: the client writes its start.
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_REAL_IP", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

SECURE_SSL_REDIRECT = HTTPS
# Load balancers probe the app servers over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = HTTPS
# Nothing in markup's pages or the admin reads the CSRF cookie from JavaScript.
CSRF_COOKIE_HTTPONLY = True

SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    # Preloading is a promise to browser vendors that is slow to undo: the operator
    # opts in with DJANGO_HSTS_PRELOAD=1 once HTTPS works on every subdomain.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# Media: uploaded images in MEDIA_ROOT, or in an S3-compatible bucket shared by every app server
# when MARKUP_S3_BUCKET is set (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
MEDIA_ORIGINS = []  # where pages load images from besides this site, for the CSP
MARKUP_S3_BUCKET = env_str("MARKUP_S3_BUCKET")
if MARKUP_S3_BUCKET:
    s3_scheme = "https:" if env_bool("MARKUP_S3_HTTPS", True) else "http:"
    s3_domain = env_str("MARKUP_S3_CUSTOM_DOMAIN")
    s3_endpoint = env_str("MARKUP_S3_ENDPOINT_URL")
    MEDIA_ORIGINS = [
        f"{s3_scheme}//{s3_domain}" if s3_domain else s3_endpoint or "https://*.amazonaws.com"
    ]
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MARKUP_S3_BUCKET,
            "endpoint_url": s3_endpoint or None,
            "region_name": env_str("MARKUP_S3_REGION") or None,
            "custom_domain": s3_domain or None,
            "url_protocol": s3_scheme,
            # Pages link to images for good: plain URLs, not signed ones that expire.
            "querystring_auth": False,
            "file_overwrite": False,
            # Names are content hashes: a name never gets other content.
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }

# Content-Security-Policy: everything from this origin, nothing inline, nothing framed.
# MARKUP_CSP_IMAGE_SOURCES adds image hosts (e.g. "https://images.example.com") for
# pictures that posts link from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", *env_list("MARKUP_CSP_IMAGE_SOURCES"), *MEDIA_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
    },
}
if HTTPS:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
if DEBUG:
    # Django's debug pages are styled and scripted inline: in development the policy
    # only reports (in the browser's console) instead of blocking.
    CONTENT_SECURITY_POLICY_REPORT_ONLY = CONTENT_SECURITY_POLICY
    CONTENT_SECURITY_POLICY = None

PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Internationalization

LANGUAGE_CODE = env_str("DJANGO_LANGUAGE_CODE", "en-us")
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static files: collected into STATIC_ROOT and served with hashed names, by nginx in
# production and by WhiteNoise wherever nothing sits in front.

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Logging: one line per record on stderr (tracebacks folded in), for the process manager
# to collect; gunicorn.conf.py uses the same format.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"()": "markup.log_format.OneLineFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}

# markup

# First values only: migrate copies these three into the site settings row once; from then
# on editors change them in the admin (posts.SiteSettings), and these stand in for the row
# only if it is deleted.
MARKUP_SITE_TITLE = env_str("MARKUP_SITE_TITLE", "markup")
MARKUP_SITE_DESCRIPTION = env_str(
    "MARKUP_SITE_DESCRIPTION", "Writing published with markup, a Markdown publishing platform."
)
MARKUP_POSTS_PER_PAGE = env_int("MARKUP_POSTS_PER_PAGE", 10)
MARKUP_FEED_ITEMS = env_int("MARKUP_FEED_ITEMS", 20)
# Public pages are cached whole in the shared cache (posts/caching.py); a per-process
# cache cannot be told of changes made through another process, so no caching without one.
MARKUP_PAGE_CACHE_SECONDS = env_int("MARKUP_PAGE_CACHE_SECONDS", 300 if REDIS_URL else 0)
# Each process also keeps copies of the pages it served, this many bytes at most, for as
# long as Redis tells it of every change (posts/near_cache.py); 0 keeps none.
MARKUP_NEAR_CACHE_BYTES = env_int("MARKUP_NEAR_CACHE_BYTES", 4 * 1024 * 1024)
# Uploads larger than this, or images with more pixels (decompression bombs), are refused.
MARKUP_IMAGE_MAX_BYTES = env_int("MARKUP_IMAGE_MAX_BYTES", 10_000_000)
MARKUP_IMAGE_MAX_PIXELS = env_int("MARKUP_IMAGE_MAX_PIXELS", 40_000_000)
