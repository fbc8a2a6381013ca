"""?search= means DRF's icontains (every word contained, in any case, in one of the list's search fields), whatever
way the page is found: on PostgreSQL a searched page walks its ordering only so far and otherwise sorts every match
(orderservice.api.read_path), and a whole order number is looked up by equality (orderservice.api.filters); SQLite
runs DRF's query as it is. Each list below is compared with the plain icontains query, and on PostgreSQL every page
of it, forwards and back, with the page DRF's own query gives."""

import operator
import re
from functools import reduce

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from orders.models import Order
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from products.models import Product

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<([^>]+)>; rel="(next|prev)"')
on_postgresql = connection.vendor == "postgresql"


def icontains(model, fields: list[str], search: str, ordering: list[str], **filters) -> list[int]:
    """The ids DRF's SearchFilter finds, in the list's ordering: the reference the API must match."""
    q = reduce(
        operator.and_,
        (reduce(operator.or_, (Q(**{f"{field}__icontains": term}) for field in fields)) for term in search.split()),
    )
    return list(model.objects.filter(q, **filters).order_by(*ordering).values_list("id", flat=True))


def links(response) -> dict[str, str]:
    return {rel: link for link, rel in LINK.findall(response.headers.get("Link", ""))}


def page_through(client, url: str) -> tuple[list[int], dict[str, list[int]]]:
    """Every id from `url` on, following rel="next"; then back from the last page along rel="prev". Returns the ids
    forwards and {url: its page's ids} for every page visited either way."""
    seen, forwards, last = {}, [], None
    while url:
        assert url not in seen, f"the pages go round: {url}"
        last = client.get(url)
        assert last.status_code == 200, last.content
        seen[url] = [row["id"] for row in last.json()]
        forwards += seen[url]
        url = links(last).get("next")
    url, back = links(last).get("prev"), set()
    while url:
        assert url not in back, f"the pages go round: {url}"
        back.add(url)
        response = client.get(url)
        seen[url] = [row["id"] for row in response.json()]
        url = links(response).get("prev")
    return forwards, seen


@pytest.fixture
def same_as_plain(api_client, monkeypatch):
    """`check(url)`: on PostgreSQL, every page visited from `url` (forwards and back) holds what DRF's plain query
    gives for that page; returns the ids forwards."""
    from orderservice.api import read_path

    def check(url: str) -> list[int]:
        forwards, seen = page_through(api_client, url)
        if on_postgresql:
            with monkeypatch.context() as plain:
                plain.setattr(read_path, "_searched_page_sql", lambda *args: None)
                for page_url, ids in seen.items():
                    assert [row["id"] for row in api_client.get(page_url).json()] == ids, page_url
        return forwards

    return check


def answered_by(sql: str) -> str:
    """Which part of a searched page's statement gave its rows: "walk" (the first rows of the ordering held the
    page), "further" (the further walk did), or "matches" (every match, sorted)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    if "CTE Scan on search_walk (actual" in plan:
        return "walk"
    if "CTE Scan on search_walk_further (actual" in plan:
        return "further"
    assert "CTE Scan on search_walk (never executed)" in plan, plan
    return "matches"


def page_sql(client, url: str) -> str:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return captured.captured_queries[0]["sql"]


@pytest.fixture
def catalogue():
    """Products whose matches cluster at the end of the name order ("Wireless …" after 40 "Alpha …"), some found by
    their SKU or description only, some sharing a name (ties the cursor steps over by offset), and % and _ in text."""
    for n in range(40):
        ProductFactory(
            name=f"Alpha {n:02d}",
            description="a plain thing",
            price=f"{10 + n % 7}.00",
            category="Audio" if n % 2 else "Office",
        )
    for n in range(9):
        ProductFactory(
            name=f"Wireless {n}", description="no cable", price=f"{5 + n}.00", category="Audio" if n % 3 else "Office"
        )
    for _ in range(4):
        ProductFactory(name="Wireless Twin", description="the same name", price="7.00", category="Audio")
    ProductFactory(name="Zebra Hub", sku="HUB-WIRELESS", description="wired")
    ProductFactory(name="Zulu Dock", description="Its WiReLeSs charging, 50% off", category="Audio")
    ProductFactory(name="Wire Less", description="not the word: a space between", category="Audio")
    ProductFactory(name="Widget_1", description="100% plain", category="Office")


FIELDS = ["name", "sku", "description"]


@pytest.mark.parametrize(
    "search, ordering, filters",
    [
        ("wireless", ["name", "id"], {}),  # every match after the first rows of the ordering
        ("WIRELESS", ["-name", "-id"], {}),  # the matches first
        ("wireless", ["price", "id"], {}),
        ("wireless", ["-created_at", "-id"], {}),
        ("wireless", ["name", "id"], {"category__iexact": "audio"}),
        ("wireless twin", ["name", "id"], {}),  # two words, both in the row
        ("alpha", ["name", "id"], {}),  # the first rows of the ordering all match
        ("plain", ["-price", "-id"], {}),
        ("a", ["name", "id"], {}),  # too short for a trigram
        ("50%", ["name", "id"], {}),  # % and _ are characters, not wildcards
        ("t_1", ["name", "id"], {}),
        ("nothing-like-this", ["name", "id"], {}),
    ],
)
def test_a_searched_product_list_is_icontains_page_after_page(same_as_plain, catalogue, search, ordering, filters):
    query = f"search={search}&limit=3"
    if ordering != ["name", "id"]:
        query += f"&ordering={ordering[0]}"
    if filters:
        query += "&category=audio"
    assert same_as_plain(f"/api/products?{query}") == icontains(Product, FIELDS, search, ordering, **filters)


def test_a_searched_page_deep_in_the_list_and_with_a_large_limit(same_as_plain, catalogue):
    expected = icontains(Product, FIELDS, "wireless", ["name", "id"])
    assert same_as_plain("/api/products?search=wireless&limit=1") == expected
    assert same_as_plain("/api/products?search=wireless&limit=1000") == expected


def test_a_searched_customer_list_is_icontains_on_names_and_email(same_as_plain):
    for n in range(30):
        CustomerFactory(first_name="Ann", last_name=f"Adams{n:02d}", email=f"ann{n}@adams.example")
    for n in range(6):
        CustomerFactory(first_name="John", last_name=f"Young{n}", email=f"jy{n}@young.example")
    CustomerFactory(first_name="Mary", last_name="Johnson", email="mary@zed.example")
    CustomerFactory(first_name="Zed", last_name="Zulu", email="JOHN.zulu@zed.example")
    fields = ["first_name", "last_name", "email"]
    for search, ordering in [
        ("john", ["last_name", "first_name", "id"]),
        ("john", ["-email", "-id"]),
        ("adams", ["last_name", "first_name", "id"]),
        ("example", ["first_name", "id"]),
    ]:
        query = f"search={search}&limit=2" + ("" if ordering[0] == "last_name" else f"&ordering={ordering[0]}")
        assert same_as_plain(f"/api/customers?{query}") == icontains(Customer, fields, search, ordering), query


def test_a_whole_order_number_finds_exactly_the_orders_that_contain_it(same_as_plain):
    """The order number is also looked up as `equal or longer` (on PostgreSQL, its B-tree): a number contained in a
    longer one, or given in lower case, is found exactly as icontains finds it."""
    first, second, third = place_order(), place_order(), place_order()
    Order.objects.filter(pk=second.pk).update(order_number=f"X{first.order_number}")  # holds the first's number
    Order.objects.filter(pk=third.pk).update(order_number="ORD-1")  # shorter than the others
    numbers = [
        first.order_number,
        f"X{first.order_number}",
        first.order_number.lower(),
        f"{first.order_number}X",
        "ORD-1",
        "ord-1",
        "ORD-1X",
        first.order_number[:-1],
        first.order_number[-8:],
        "X" * 50,
    ]
    for number in numbers:
        expected = icontains(Order, ["order_number"], number, ["-order_date", "-id"])
        assert same_as_plain(f"/api/orders?search={number}") == expected, number
    assert same_as_plain(f"/api/orders?search={first.order_number.lower()}") == [second.pk, first.pk]
    assert same_as_plain("/api/orders?search=ord-1") == [third.pk]


def test_a_searched_list_of_one_customers_orders(same_as_plain):
    customer = CustomerFactory()
    mine = [place_order(customer) for _ in range(5)]
    place_order()
    expected = [order.pk for order in sorted(mine, key=lambda order: (order.order_date, order.pk), reverse=True)]
    assert same_as_plain(f"/api/customers/{customer.pk}/orders?search=ord-&limit=2") == expected


@pytest.mark.skipif(not on_postgresql, reason="the searched page's statement is PostgreSQL's; SQLite runs DRF's")
def test_on_postgresql_the_page_walks_the_ordering_only_so_far_then_takes_the_matches(api_client, catalogue):
    # A page of 3 wants 4 rows: the first walk reads 16 rows of the ordering, the further one 100.
    # "wireless": 40 "Alpha …" come first in name order, and the first 16 rows hold no match: every match, sorted.
    assert answered_by(page_sql(api_client, "/api/products?search=wireless&limit=3")) == "matches"
    # The other way round, and "alpha", the first rows hold the page.
    assert answered_by(page_sql(api_client, "/api/products?search=wireless&limit=3&ordering=-name")) == "walk"
    assert answered_by(page_sql(api_client, "/api/products?search=alpha&limit=3")) == "walk"
    # A word with no trigram is DRF's plain query, as the planner plans it.
    assert "search_walk" not in page_sql(api_client, "/api/products?search=a&limit=3")


@pytest.mark.skipif(not on_postgresql, reason="the searched page's statement is PostgreSQL's; SQLite runs DRF's")
def test_on_postgresql_a_word_spread_along_the_ordering_is_walked_further(api_client, same_as_plain):
    """A page of 3 wants 4 rows: the first walk reads 16 rows of the ordering, the further one up to 400. 1 product in
    8 is blue, spread along the name order: the first walk finds 2, which says that the further walk will find the
    page, and it does. 1 in 40 is red, and the first 16 rows hold none: every match, sorted. Green are the first 2
    and the last 10: the first walk's 2 say that the further walk will find the page, but it does not: every match.
    Here the table was never analyzed: its size is unknown, and only the bound on the further walk decides."""

    def colour(n):
        return "blue" if n % 8 == 0 else "red" if n % 40 == 39 else "green" if n < 2 or n >= 590 else "-"

    for n in range(600):
        ProductFactory(name=f"Item {n:03d}", description=colour(n))
    assert answered_by(page_sql(api_client, "/api/products?search=blue&limit=3")) == "further"
    assert answered_by(page_sql(api_client, "/api/products?search=red&limit=3")) == "matches"
    assert answered_by(page_sql(api_client, "/api/products?search=green&limit=3")) == "matches"
    for word in ("blue", "red", "green"):
        assert same_as_plain(f"/api/products?search={word}&limit=3") == icontains(Product, FIELDS, word, ["name", "id"])


@pytest.mark.skipif(not on_postgresql, reason="the searched page's statement is PostgreSQL's; SQLite runs DRF's")
def test_on_postgresql_the_further_walk_is_not_taken_when_the_matches_are_fewer_than_it_would_read(api_client):
    """Once the table is analyzed, its size says how many matches there are to sort: of 60 products, 1 in 8 is blue;
    the first walk's 2 blue in 16 rows say that a walk needs 32 rows for the page of 3 but that there are only ~8
    matches: every match, sorted (of 600, ~75 matches, and the walk goes on, as above)."""
    for n in range(60):
        ProductFactory(name=f"Item {n:03d}", description="blue" if n % 8 == 0 else "-")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE products_product")
    assert answered_by(page_sql(api_client, "/api/products?search=blue&limit=3")) == "matches"


@pytest.mark.skipif(on_postgresql, reason="SQLite's case")
def test_on_sqlite_the_searched_page_is_drfs_plain_query(api_client, catalogue):
    assert "search_walk" not in page_sql(api_client, "/api/products?search=wireless&limit=3")
