"""Settings come from the environment: production refuses to start without its secrets,
and a malformed URL stops start-up with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_var_dir = Path(os.environ.get("TMPDIR", "/tmp")) / "antifraud-settings-test"

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": "k9#Vq2!mZr8@Lp4$Wx7^Nt1&Bh6*Jd3(Fs5)Gc0_Ye-Ua+Oi=Pl~Ek[",
    "DJANGO_ALLOWED_HOSTS": "antifraud.example.kz",
    "INDICATOR_DIGEST_KEY": "digest-key-for-the-test-deployment",
    "SECRETS_ENCRYPTION_KEY": "encryption-key-for-the-test-deployment",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k not in ("DATABASE_URL", "REDIS_URL")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "ANTIFRAUD_VAR_DIR": str(_var_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "INDICATOR_DIGEST_KEY", "SECRETS_ENCRYPTION_KEY"],
)
def test_production_refuses_to_start_without_a_secret(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"antifraud: configuration error: {missing} must be set when DJANGO_DEBUG=0"
    ]


def test_check_deploy_reports_nothing_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("DATABASE_URL", "mysql://root@localhost/antifraud", "DATABASE_URL must start with"),
        ("DATABASE_URL", "postgres://u:p@db:port/antifraud", "DATABASE_URL is malformed"),
        ("DATABASE_URL", "postgres://", "DATABASE_URL names no host"),
        ("REDIS_URL", "http://localhost:6379", "REDIS_URL must start with"),
        ("REDIS_URL", "redis://localhost:six/0", "REDIS_URL is malformed"),
    ],
)
def test_malformed_url_stops_start_up_with_one_line(name, value, says):
    result = manage("check", **{name: value})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert says in lines[0]
    # The line never repeats a password from the URL.
    assert ":p@" not in lines[0]


def test_no_model_change_lacks_a_migration():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
