"""Settings for the benchmark server: the project's, plus a minimal view to compare with."""

from antifraud.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
# The benchmark measures the application, not the throttle.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
