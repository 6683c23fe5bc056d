"""The OpenAPI document and its offline docs pages, under the site's strict CSP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

CHROMIUM = "/usr/bin/chromium"
OPERATIONS = {
    ("/api/v1/reports/", "post"),
    ("/api/v1/lookup/", "post"),
    ("/api/v1/indicators/", "post"),
    ("/api/v1/indicators/{id}/withdraw/", "post"),
    ("/api/v1/indicators/{id}/disputes/", "post"),
    ("/api/v1/indicators/feedback/", "post"),
    ("/api/v1/indicators/reassignments/", "post"),
    ("/api/v1/events/", "get"),
    ("/api/v1/cases/", "get"),
    ("/api/v1/cases/{id}/", "get"),
}


@pytest.fixture
def schema(client) -> dict:
    GENERATOR_STATS.reset()
    response = client.get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert not GENERATOR_STATS, "drf-spectacular warned while generating the schema"
    return document


def test_the_schema_is_valid_openapi_and_complete(schema):
    validate_schema(schema)
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert operations == OPERATIONS
    assert schema["components"]["securitySchemes"]["Api-Key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Your partner API key, sent as `Authorization: Api-Key afk_…`.",
    }
    for path, method in OPERATIONS:
        operation = schema["paths"][path][method]
        assert operation["security"] == [{"Api-Key": []}], path
        assert operation["summary"] and operation["description"], path
        assert {"200", "201"} & set(operation["responses"]), path
        for status in ("401", "429"):
            assert status in operation["responses"], (path, status)
        for status, response in operation["responses"].items():
            if status >= "400":
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (path, status)
    for path in ("/api/v1/reports/", "/api/v1/lookup/", "/api/v1/indicators/"):
        assert {"400", "413", "415"} <= set(schema["paths"][path]["post"]["responses"])
    assert "404" in schema["paths"]["/api/v1/cases/{id}/"]["get"]["responses"]
    assert "409" in schema["paths"]["/api/v1/indicators/"]["post"]["responses"]
    assert "201" in schema["paths"]["/api/v1/indicators/"]["post"]["responses"]


def test_the_registry_endpoints_document_their_refusals(schema):
    paths = schema["paths"]
    lookup = paths["/api/v1/lookup/"]["post"]
    assert {"403", "429"} <= set(lookup["responses"])
    assert "quota_exceeded" in lookup["responses"]["429"]["description"]
    assert lookup["tags"] == ["lookup"]
    expected = {
        "/api/v1/indicators/{id}/withdraw/": {"403", "404", "409"},
        "/api/v1/indicators/{id}/disputes/": {"201", "400", "404", "409"},
        "/api/v1/indicators/feedback/": {"200", "400", "413"},
        "/api/v1/indicators/reassignments/": {"200", "400", "403", "413"},
    }
    for path, statuses in expected.items():
        operation = paths[path]["post"]
        assert statuses <= set(operation["responses"]), path
        assert operation["tags"] == ["indicators"], path
    components = schema["components"]["schemas"]
    assert "purpose" in components["LookupRequest"]["required"]
    assert {"id", "handling"} <= set(components["ListMatch"]["properties"])
    assert {"id", "supporters", "awaiting_promotion"} <= set(
        components["IndicatorListing"]["properties"]
    )
    assert components["FeedbackBatchRequest"]["properties"]["items"]["maxItems"] == 100


def test_reports_are_documented_item_by_item(schema):
    components = schema["components"]["schemas"]
    report = components["ReportRequest"]
    assert set(report["required"]) == {"report_id", "subject", "signal"}
    assert set(report["properties"]) == {
        "report_id",
        "subject",
        "account",
        "contacts",
        "photos",
        "signal",
    }
    batch = components["ReportBatchRequest"]["properties"]["reports"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 1000)
    result = components["ReportResult"]
    assert result["discriminator"]["propertyName"] == "status"
    assert set(result["discriminator"]["mapping"]) == {"accepted", "rejected"}


def test_the_json_form(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert json.loads(response.content)["info"]["title"] == "antifraud partner API"


def csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_swagger_ui_is_served_offline_under_a_strict_policy(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html and "/static/drf_spectacular_sidecar/" in html
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html  # the init script is a file of its own
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    # Only the template's one inline style block, by its hash.
    [style_hash] = [v for v in policy["style-src"] if v.startswith("'sha256-")]
    assert policy["style-src"] == ["'self'", style_hash]
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_redoc_is_served_offline_under_a_strict_policy(client):
    response = client.get("/api/docs/redoc/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    bundle = client.get("/api/docs/redoc/redoc.js")
    assert bundle.status_code == 200
    content = bundle.content
    assert len(content) > 500_000 and b"cdn.redoc.ly/redoc/logo-mini.svg" not in content


def test_the_rest_of_the_site_keeps_its_policy(client, api):
    for response in (client.get("/login/"), api.get("/api/v1/events/")):
        policy = csp(response)
        assert policy["style-src"] == ["'self'"] and policy["script-src"] == ["'self'"]
        assert "worker-src" not in policy


BROWSER_CHECK = textwrap.dedent(
    """
    import json, sys
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=sys.argv[1], args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        for name, url, selector in (
            ("swagger", sys.argv[2] + "/api/docs/", ".opblock"),
            ("redoc", sys.argv[2] + "/api/docs/redoc/", "[data-section-id]"),
        ):
            page = browser.new_page()
            problems, elsewhere = [], []
            page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: r.url.startswith(sys.argv[2]) or r.url.startswith("blob:")
                    or elsewhere.append(r.url))
            page.goto(url)
            page.wait_for_selector(selector, timeout=20000)
            page.wait_for_timeout(500)
            results[name] = {"problems": problems, "elsewhere": elsewhere,
                             "found": page.locator(selector).count()}
            page.close()
        browser.close()
    print(json.dumps(results))
    """
)


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium at /usr/bin/chromium")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_both_pages_render_in_chromium_without_csp_errors(live_server):
    # Playwright runs in a child process: its event loop stays out of this one.
    completed = subprocess.run(
        [sys.executable, "-c", BROWSER_CHECK, CHROMIUM, live_server.url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    for name, seen in results.items():
        assert seen["found"] >= 6, (name, seen)
        assert seen["problems"] == [], (name, seen["problems"])
        assert seen["elsewhere"] == [], (name, seen["elsewhere"])
