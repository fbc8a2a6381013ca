"""EXPLAIN ANALYZE of every SQL statement a request runs: `python bench/explain.py [--database NAME] PATH …`.

Runs each GET in-process (Django's test client, a token verified by a loopback JWKS server, as the tests do)
against a PostgreSQL database the scale benchmark kept (`bash bench/scale.sh --keep`; default
`scale_1000000`), captures its queries and prints each with its plan, so that a slow list can be traced to
a Seq Scan or a Sort. Needs nothing else running.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="scale_1000000")
    parser.add_argument("--all", action="store_true", help="also the queries that are not the page's (e.g. exists)")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="e.g. '/api/orders?ordering=total_amount'")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orderservice.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from rest_framework.test import APIClient

    from orderservice.testing.jwks import AUDIENCE, ISSUER, JWKSServer

    jwks = JWKSServer().start()
    try:
        jwt = {**settings.SIMPLE_JWT, "JWK_URL": jwks.url, "AUDIENCE": AUDIENCE, "ISSUER": ISSUER}
        with override_settings(SIMPLE_JWT=jwt, ALLOWED_HOSTS=["*"]):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks.token(roles=['Admin'])}")
            for path in args.paths:
                client.get(path)  # warm: compiled queries, buffers
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(path)
                print(f"=== GET {path}: HTTP {response.status_code}, {len(captured)} queries")
                for query in captured.captured_queries:
                    sql = query["sql"]
                    if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                        continue
                    print(f"--- {sql}")
                    with connection.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
                        print("\n".join(row[0] for row in cursor.fetchall()))
                    if not args.all:
                        break  # the page's own query; the rest fetch its rows' customers, items, products by id
    finally:
        jwks.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
