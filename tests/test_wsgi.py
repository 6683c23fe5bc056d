"""The application as gunicorn loads it: a fresh process importing antifraud.wsgi first,
before anything a test run would have imported, catches an import cycle that only that
order reveals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = """
from antifraud.wsgi import application
from django.test import RequestFactory
response = application.get_response(RequestFactory().get("/healthz"))
print(response.status_code)
"""


def test_the_wsgi_application_loads_in_a_fresh_process_and_answers():
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] in {"200", "503"}
