"""Schemathesis fuzzes every operation of the running service from its own OpenAPI schema, with a real
token: no 5xx, no status code the schema does not list, no body, header or content type that breaks it.

Business rules legitimately refuse some schema-valid input (an order for more than the stock), so the
checks that expect every schema-valid request to succeed are not run.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from orderservice.testing.live_service import Gunicorn, live_database, on_sqlite, service_environment

pytestmark = [pytest.mark.fuzz, pytest.mark.live]
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
MAX_EXAMPLES = 25  # per operation and phase: a fixed budget (about 1,700 requests, half a minute)
SEED = 20261130
ON_SQLITE = on_sqlite()


@pytest.fixture
def service(jwks_server, tmp_path):
    with live_database(tmp_path, seeded=True) as database_url:
        environment = service_environment(database_url, jwks_server.url)
        instance = Gunicorn(environment, workers=2)
        try:
            yield instance.url
        finally:
            instance.stop()


def test_fuzzing_every_operation_finds_no_failure(service, jwks_server, capsys, tmp_path):
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{service}/openapi.json",
            "--header",
            f"Authorization: Bearer {jwks_server.token()}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            # One worker: Python 3.11.7's AST validation is not thread-safe (gh-106905) and schemathesis's
            # threads once crashed on it with "SystemError: AST constructor recursion depth mismatch".
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--no-color",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )  # its working files stay out of the tree
    summary = result.stdout[result.stdout.find("SUMMARY") :]
    assert result.returncode == 0, result.stdout[-6000:]

    tested = re.search(r"Tested: (\d+)", summary)
    cases = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert tested and cases, summary
    assert int(tested.group(1)) == 23  # every operation the schema lists
    assert int(cases.group(1)) == int(cases.group(2)) > 500
    with capsys.disabled():
        print(
            f"\n[schemathesis, {'sqlite' if ON_SQLITE else 'postgresql'}] operations={tested.group(1)} "
            f"cases={cases.group(1)} passed={cases.group(2)} failures=0 seed={SEED}"
        )
