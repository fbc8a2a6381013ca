"""Lists stay fast as the tables grow (docs/performance.md, "At a million orders"): what a user sees is unchanged by
the indexes and the index-friendly filters, and, on PostgreSQL, the lists' queries read an index, not the table.

The timings themselves are the benchmark's (`bash bench/scale.sh`), not a test's: no test here depends on how fast
the machine is.
"""
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


def first_query_plan(api_client, path: str) -> str:
    """The plan PostgreSQL chooses for the first query GET `path` runs (the page's), with the statistics it has."""
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(path)
    assert response.status_code == 200 and response.json(), path
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + captured.captured_queries[0]["sql"])
        return "\n".join(row[0] for row in cursor.fetchall())


# (path, the index its page must be read from); {EMAIL} and {number} are one customer's and one order's. Not a
# search of the 5,000 customers or products: that few, reading the whole table is the planner's right choice.
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
]


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="the trigram indexes and these plans are PostgreSQL's; SQLite has no trigram index")
def test_on_a_large_database_each_list_reads_its_index_not_the_table(api_client):
    with connection.cursor() as cursor:
        for statement in fill_statements(50_000):  # 50,000 orders, 5,000 customers and products
            cursor.execute(statement)
        cursor.execute("ANALYZE")
        cursor.execute("SELECT email FROM customers_customer WHERE id = 1234")
        email = cursor.fetchone()[0]
        cursor.execute("SELECT order_number FROM orders_order WHERE id = 25000")
        number = cursor.fetchone()[0][-8:]  # its random part
    for path, index in PLANS:
        path = path.format(EMAIL=email.upper(), number=number)
        plan = first_query_plan(api_client, path)
        assert index in plan and "Seq Scan" not in plan, f"GET {path}:\n{plan}"
