"""Finding products: ?search=, ?category=, ?is_active=, ?sku=, ?min_price=, ?max_price=, ?in_stock=, ?ordering=."""

import pytest

from orderservice.testing.factories import ProductFactory

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()]


@pytest.fixture
def catalogue():
    ProductFactory(
        name="Desk Lamp", sku="LAMP-1", description="Warm light", price="25.00", category="Lighting", stock_quantity=4
    )
    ProductFactory(
        name="Floor Lamp", sku="LAMP-2", description="Tall", price="80.00", category="Lighting", stock_quantity=0
    )
    ProductFactory(
        name="Oak Desk",
        sku="DESK-1",
        description="Solid oak, lamp hook",
        price="300.00",
        category="Furniture",
        stock_quantity=2,
        is_active=False,
    )


def test_search_matches_name_sku_and_description(api_client, catalogue):
    assert names(api_client.get("/api/products?search=lamp")) == ["Desk Lamp", "Floor Lamp", "Oak Desk"]
    assert names(api_client.get("/api/products?search=desk-1")) == ["Oak Desk"]
    assert names(api_client.get("/api/products?search=warm")) == ["Desk Lamp"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("category=lighting", ["Desk Lamp", "Floor Lamp"]),
        ("is_active=false", ["Oak Desk"]),
        ("is_active=true", ["Desk Lamp", "Floor Lamp"]),
        ("sku=lamp-2", ["Floor Lamp"]),
        ("min_price=80", ["Floor Lamp", "Oak Desk"]),
        ("max_price=80.00", ["Desk Lamp", "Floor Lamp"]),
        ("min_price=20&max_price=30", ["Desk Lamp"]),
        ("in_stock=true", ["Desk Lamp", "Oak Desk"]),
        ("in_stock=false", ["Floor Lamp"]),
        ("category=Lighting&in_stock=true", ["Desk Lamp"]),
        ("ordering=-price", ["Oak Desk", "Floor Lamp", "Desk Lamp"]),
        ("ordering=stock_quantity", ["Floor Lamp", "Oak Desk", "Desk Lamp"]),
    ],
)
def test_filters_and_ordering(api_client, catalogue, query, expected):
    assert names(api_client.get(f"/api/products?{query}")) == expected


@pytest.mark.parametrize(
    "query, parameter",
    [("min_price=cheap", "min_price"), ("is_active=maybe", "is_active"), ("in_stock=perhaps", "in_stock")],
)
def test_an_unusable_filter_value_is_a_400_naming_the_parameter(api_client, catalogue, query, parameter):
    response = api_client.get(f"/api/products?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == [parameter]
