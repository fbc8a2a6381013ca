"""Lists are plain arrays in bounded pages, walked through RFC 8288 Link headers; order pages use keysets."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order
from orderservice.testing.api import assert_invalid
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from products.models import Product

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<([^>]+)>; rel="(next|prev)"')


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("Link", ""))}


def walk(client, url) -> tuple[list[dict], list]:
    """Follow rel="next" from `url` to the end: every row seen, and each page's response."""
    rows, pages = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        assert isinstance(response.json(), list)
        rows += response.json()
        pages.append(response)
        url = links(response).get("next")
    return rows, pages


def test_a_short_list_is_one_plain_array_without_links(api_client):
    ProductFactory.create_batch(3)
    response = api_client.get("/api/products")
    assert [row["name"] for row in response.json()] == sorted(row["name"] for row in response.json())
    assert len(response.json()) == 3
    assert "Link" not in response.headers


def test_the_default_page_holds_100_rows(api_client):
    ProductFactory.create_batch(101)
    response = api_client.get("/api/products")
    assert len(response.json()) == 100
    assert set(links(response)) == {"next"}


def test_the_plain_first_page_leads_through_every_row_once(api_client):
    # Without query parameters the first page comes from SQL compiled once (orderservice.api.viewsets); with them,
    # through the ORM. Both must give the same page and the same way on.
    ProductFactory.create_batch(205)
    rows, pages = walk(api_client, "/api/products")
    assert [len(page.json()) for page in pages] == [100, 100, 5]
    assert [row["id"] for row in rows] == list(Product.objects.order_by("name", "id").values_list("id", flat=True))
    plain, through_the_orm = api_client.get("/api/products"), api_client.get("/api/products?limit=100")
    assert plain.content == through_the_orm.content
    cursor = [parse_qs(urlsplit(links(response)["next"]).query)["cursor"] for response in (plain, through_the_orm)]
    assert cursor[0] == cursor[1]


def test_the_plain_first_page_of_orders_is_the_one_the_orm_path_gives(api_client):
    customer = CustomerFactory()
    for _ in range(4):
        place_order(customer, [(ProductFactory(), 2), (ProductFactory(), 1)])
    plain = api_client.get("/api/orders")
    assert len(plain.json()) == 4
    assert plain.content == api_client.get("/api/orders?limit=100").content
    assert plain.content == api_client.get(f"/api/customers/{customer.pk}/orders").content


def test_paging_visits_every_row_exactly_once_in_order_and_back(api_client):
    ProductFactory.create_batch(23)
    rows, pages = walk(api_client, "/api/products?limit=5")
    assert len(pages) == 5
    assert [row["id"] for row in rows] == list(Product.objects.order_by("name", "id").values_list("id", flat=True))
    last = pages[-1]
    previous = api_client.get(links(last)["prev"])
    assert [row["id"] for row in previous.json()] == [row["id"] for row in rows[15:20]]


def test_paging_with_a_sort_order_and_ties_visits_every_row_once(api_client):
    ProductFactory.create_batch(12, price="5.00")
    ProductFactory.create_batch(9, price="7.50")
    rows, _pages = walk(api_client, "/api/products?ordering=-price&limit=4")
    assert len(rows) == 21 and len({row["id"] for row in rows}) == 21
    assert [row["price"] for row in rows] == ["7.50"] * 9 + ["5.00"] * 12


def test_paging_through_orders_visits_every_order_once_newest_first(api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=1000)
    for _ in range(25):
        place_order(customer=customer, items=[(product, 1)])
    rows, pages = walk(api_client, "/api/orders?limit=10")
    assert len(pages) == 3
    assert [row["id"] for row in rows] == list(
        Order.objects.order_by("-order_date", "-id").values_list("id", flat=True)
    )


def test_a_deep_page_of_orders_is_found_by_key_not_by_offset(api_client):
    customer, product = CustomerFactory(), ProductFactory(stock_quantity=1000)
    start = timezone.now() - timedelta(days=1)
    for minute in range(60):
        order = place_order(customer=customer, items=[(product, 1)])
        Order.objects.filter(pk=order.pk).update(order_date=start + timedelta(minutes=minute))
    url = "/api/orders?limit=5"
    for _ in range(10):  # ten pages deep
        url = links(api_client.get(url))["next"]

    with CaptureQueriesContext(connection) as queries:
        deep_page = api_client.get(url)

    assert [row["order_date"] for row in deep_page.json()] == sorted(
        (row["order_date"] for row in deep_page.json()), reverse=True
    )
    order_query = next(query["sql"] for query in queries.captured_queries if 'FROM "orders_order"' in query["sql"])
    assert "OFFSET" not in order_query.upper()
    assert '"orders_order"."order_date" <' in order_query


@pytest.mark.parametrize("limit", ["0", "-1", "1001", "ten", "1.5"])
def test_an_unusable_limit_is_a_400(api_client, limit):
    response = api_client.get(f"/api/products?limit={limit}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {"limit": ["Must be a whole number from 1 to 1000."]}


def test_the_largest_limit_is_1000(api_client):
    ProductFactory.create_batch(3)
    assert len(api_client.get("/api/products?limit=1000").json()) == 3


@pytest.mark.parametrize("cursor", ["garbage", "cD1hYmM=", "cj14"])
def test_a_cursor_not_made_here_is_a_400(api_client, cursor):
    place_order()
    response = api_client.get(f"/api/orders?cursor={cursor}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


ORDERINGS = {
    "/api/customers": "last_name, first_name, email, created_at, id",
    "/api/products": "name, price, stock_quantity, created_at, id",
    "/api/v1/orders": "order_date, total_amount, created_at, id",
    "/api/customers/{customer}/orders": "order_date, total_amount, created_at, id",
}


@pytest.mark.parametrize("path", ORDERINGS)
@pytest.mark.parametrize(
    ("ordering", "named"), [("description", "'description'"), ("-id,nope", "'nope'"), ("--id", "'--id'")]
)
def test_an_ordering_the_list_cannot_use_is_a_400_naming_the_allowed_ones(api_client, path, ordering, named):
    customer = CustomerFactory()
    place_order(customer)
    response = api_client.get(path.format(customer=customer.pk), {"ordering": ordering, "limit": 5})
    assert_invalid(
        response, "ordering", f"Cannot order by {named}; use one of {ORDERINGS[path]} (prefix - for descending)."
    )


def test_a_products_stock_movements_take_no_ordering_and_ignore_one(api_client):
    product = ProductFactory(stock_quantity=3)
    response = api_client.get(f"/api/products/{product.pk}/stock-movements?ordering=nope")
    assert response.status_code == 200
    assert len(response.json()) == 1
