"""Lists stay fast as the tables grow (docs/performance.md, "At a million orders"): what a user sees is unchanged by
the indexes and the index-friendly filters, and, on PostgreSQL, the lists' queries read an index, not the table.

The timings themselves are the benchmark's (`bash bench/scale.sh`), not a test's: no test here depends on how fast
the machine is.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderservice.testing.bulk import fill_statements
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order

pytestmark = pytest.mark.django_db


def emails(response) -> list[str]:
    assert response.status_code == 200
    return [row["email"] for row in response.json()]


def test_email_filter_matches_the_whole_address_in_any_case_and_nothing_else(api_client):
    CustomerFactory(email="Ann.Lee@Example.com")
    CustomerFactory(email="annXlee@example.com")
    CustomerFactory(email="ann.lee@example.co")
    assert emails(api_client.get("/api/customers?email=aNN.lEE@example.COM")) == ["Ann.Lee@Example.com"]
    assert emails(api_client.get("/api/customers?email=ann.lee@example.com")) == ["Ann.Lee@Example.com"]
    # `_` and `%` are characters of an address, not wildcards; a part of an address is not the address.
    assert emails(api_client.get("/api/customers?email=ann_lee@example.com")) == []
    assert emails(api_client.get("/api/customers?email=ann%25@example.com")) == []
    assert emails(api_client.get("/api/customers?email=lee@example.com")) == []


def test_search_finds_parts_of_any_length_anywhere_in_a_field(api_client):
    """Trigram indexes (PostgreSQL) serve terms of 3 or more characters; shorter ones must still be found."""
    CustomerFactory(first_name="Ada", last_name="Lovelace", email="ada@engines.example")
    CustomerFactory(first_name="Grace", last_name="Hopper", email="grace@navy.example")
    assert emails(api_client.get("/api/customers?search=da")) == ["ada@engines.example"]
    assert emails(api_client.get("/api/customers?search=OPP")) == ["grace@navy.example"]
    assert emails(api_client.get("/api/customers?search=s.ex")) == ["ada@engines.example"]
    ProductFactory(name="Walnut Bookshelf", sku="WB-1", description="Five shelves, oiled")
    found = api_client.get("/api/products?search=nut%20OILED").json()
    assert [product["name"] for product in found] == ["Walnut Bookshelf"]
    order = place_order()
    middle = order.order_number[6:14].lower()  # part of the date and of the random part
    assert [row["id"] for row in api_client.get(f"/api/orders?search={middle}").json()] == [order.pk]
    assert api_client.get(f"/api/orders?search={order.order_number}x").json() == []


def first_query_plan(api_client, path: str, explain: str = "EXPLAIN") -> str:
    """The plan PostgreSQL chooses for the first query GET `path` runs (the page's), with the statistics it has;
    `explain` is the EXPLAIN command to prefix it with."""
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(path)
    assert response.status_code == 200 and response.json(), path
    with connection.cursor() as cursor:
        cursor.execute(f"{explain} {captured.captured_queries[0]['sql']}")
        return "\n".join(row[0] for row in cursor.fetchall())


# (path, the index its page must be read from); {EMAIL} and {number} are one customer's and one order's, {whole}
# that order's whole number. Not a search of the 5,000 customers or products: that few, reading the whole table is
# the planner's right choice. A searched page's statement (orderservice.api.read_path) holds two plans, the walk of
# the ordering and every match: both must read indexes.
PLANS = [
    ("/api/customers", "customer_by_name"),
    ("/api/customers?ordering=-email", "customer_by_email"),
    ("/api/customers?email={EMAIL}", "customer_email_unique_ci"),
    ("/api/products?ordering=-price", "product_by_price"),
    ("/api/products?category=audio", "product_category_by_name"),
    ("/api/orders?ordering=total_amount", "order_by_total_amount"),
    ("/api/orders?ordering=-created_at", "order_by_created_at"),
    ("/api/orders?status=Processing", "order_status_newest_first"),
    ("/api/orders?search={number}", "order_number_trgm"),
    ("/api/orders?search={number}", "order_newest_first"),
    ("/api/orders?search={whole}", "order_number_length_upper"),  # equality, not the trigrams every number shares
    ("/api/orders?search={whole}&ordering=total_amount", "order_number_length_upper"),
]


def fill_large() -> dict:
    """50,000 orders, 5,000 customers and products (orderservice.testing.bulk), analyzed; a customer's email and an
    order's number."""
    with connection.cursor() as cursor:
        for statement in fill_statements(50_000):
            cursor.execute(statement)
        cursor.execute("ANALYZE")
        cursor.execute("SELECT email FROM customers_customer WHERE id = 1234")
        email = cursor.fetchone()[0]
        cursor.execute("SELECT order_number FROM orders_order WHERE id = 25000")
        whole = cursor.fetchone()[0]
    return {"EMAIL": email.upper(), "number": whole[-8:], "whole": whole.lower()}


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the trigram indexes and these plans are PostgreSQL's; SQLite has no trigram index",
)


@on_postgresql
def test_on_a_large_database_each_list_reads_its_index_not_the_table(api_client):
    values = fill_large()
    for path, index in PLANS:
        path = path.format(**values)
        plan = first_query_plan(api_client, path)
        assert index in plan and "Seq Scan" not in plan, f"GET {path}:\n{plan}"


def executed_plan(api_client, path: str) -> str:
    """EXPLAIN ANALYZE of the page query GET `path` runs."""
    return first_query_plan(api_client, path, explain="EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)")


@on_postgresql
def test_on_a_large_database_a_search_walks_its_ordering_only_while_that_finds_the_page(api_client):
    """A searched page walks 4 rows of its ordering per row it shows; when those hold the page, nothing else runs;
    when their matches say that a further walk needs fewer rows than there are matches, it walks on; and when neither
    (every "Wireless …" product sorts late by name), every match is taken from the trigram indexes and sorted, never
    by walking the rest."""
    fill_large()
    walked = executed_plan(api_client, "/api/orders?search=ord-2")  # in every order number
    assert "CTE Scan on search_walk (actual" in walked and "Seq Scan on orders_order (never executed)" in walked, walked
    matched = executed_plan(api_client, "/api/products?search=wireless")  # 250 of 5,000, all under W
    assert "CTE Scan on search_walk (never executed)" in matched, matched  # the matches gave the page
    assert "CTE Scan on search_walk_further (never executed)" in matched, matched
    assert "Index Scan using product_by_name" in matched and "Rows Removed by Filter: 404" in matched, matched
    with connection.cursor() as cursor:
        cursor.execute("SELECT order_number FROM orders_order ORDER BY order_date LIMIT 1")
        oldest_day = cursor.fetchone()[0][:12]  # ORD-YYYYMMDD: the last orders newest first
    matched = executed_plan(api_client, f"/api/orders?search={oldest_day}")
    assert "CTE Scan on search_walk (never executed)" in matched, matched
    assert "CTE Scan on search_walk_further (never executed)" in matched, matched
    assert "Index Scan using order_newest_first" in matched and "Rows Removed by Filter: 404" in matched, matched
    assert "Bitmap Index Scan on order_number_trgm" in matched, matched
    with connection.cursor() as cursor:
        cursor.execute("SELECT extract(year FROM min(order_date))::int + 1 FROM orders_order")
        quarter = f"ord-{cursor.fetchone()[0]}1"  # October to December of a year: 1 order in 12, at any amount
    further = executed_plan(api_client, f"/api/orders?search={quarter}&ordering=total_amount")
    assert "CTE Scan on search_walk_further (actual" in further, further
    assert "Index Scan using order_by_total_amount" in further, further
    assert re.search(r"(Seq|Bitmap Heap) Scan on orders_order \(never executed\)", further), further
