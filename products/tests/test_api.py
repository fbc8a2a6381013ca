"""The products endpoints: /api/products and /api/v1/products (CONTRACT.md sections 3 and 6)."""
from decimal import Decimal

import pytest
from rest_framework.validators import UniqueValidator

from orders.models import Order, OrderItem
from orderservice.domain.money import largest_amount
from orderservice.testing.api import absent_id, assert_invalid, assert_problem, make_stale, without_timestamps
from orderservice.testing.factories import ProductFactory, place_order
from orderservice.testing.state import database_state
from products.models import Product

pytestmark = pytest.mark.django_db

DUPLICATE_SKU = "Product with this SKU already exists"
LAPTOP = {"name": "Laptop Computer", "description": "High-performance laptop for business and gaming",
          "price": "1299.99", "sku": "LAPTOP-001", "stock_quantity": 50, "category": "Electronics",
          "is_active": True}


# --- Helpers ------------------------------------------------------------------------------------

def product_json(product: Product) -> dict:
    """A product as the API shows it, timestamps left out; the price is a string with two decimals."""
    return {"id": product.pk, "name": product.name, "description": product.description,
            "price": f"{product.price:.2f}", "sku": product.sku, "stock_quantity": product.stock_quantity,
            "category": product.category, "is_active": product.is_active}


# --- Authentication -----------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
@pytest.mark.parametrize("method, path", [
    ("get", "/products"),
    ("post", "/products"),
    ("get", "/products/{id}"),
    ("put", "/products/{id}"),
    ("patch", "/products/{id}"),
    ("delete", "/products/{id}"),
])
def test_every_endpoint_needs_a_bearer_token(anonymous_client, prefix, method, path):
    product = ProductFactory()
    before = database_state()

    response = getattr(anonymous_client, method)(prefix + path.format(id=product.pk), LAPTOP, format="json")

    assert_problem(response, 401, "Authentication credentials were not provided.")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert database_state() == before


# --- List ---------------------------------------------------------------------------------------

def test_list_is_an_empty_array_without_products(api_client):
    response = api_client.get("/api/products")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == []


def test_list_orders_by_name(api_client):
    mouse = ProductFactory(name="Wireless Mouse")
    laptop = ProductFactory(name="Laptop Computer")
    chair = ProductFactory(name="Office Chair", is_active=False)
    desk = ProductFactory(name="Desk Lamp", sku=None, description=None, category=None)

    response = api_client.get("/api/products")

    assert response.status_code == 200
    assert [without_timestamps(product) for product in response.json()] == [
        product_json(product) for product in (desk, laptop, chair, mouse)]


@pytest.mark.parametrize("path", ["/api/products", "/api/products/", "/api/v1/products", "/api/v1/products/"])
def test_list_is_served_at_both_prefixes_with_or_without_trailing_slash(api_client, path):
    product = ProductFactory()

    response = api_client.get(path)

    assert response.status_code == 200
    assert [without_timestamps(body) for body in response.json()] == [product_json(product)]


# --- Retrieve -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/products/{id}", "/api/products/{id}/",
                                  "/api/v1/products/{id}", "/api/v1/products/{id}/"])
def test_retrieve_returns_every_field_with_price_as_a_two_decimal_string(api_client, path):
    product = ProductFactory(**{**LAPTOP, "price": Decimal("1299.99")})

    response = api_client.get(path.format(id=product.pk))

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["id", "name", "description", "price", "sku", "stock_quantity", "category", "is_active",
                          "created_at", "updated_at"]
    assert without_timestamps(body) == {"id": product.pk, **LAPTOP}


def test_retrieve_shows_whole_prices_with_two_decimals_and_null_for_empty_fields(api_client):
    product = ProductFactory(name="Cable", price=Decimal("5"), description=None, sku=None, category=None,
                             stock_quantity=0)

    response = api_client.get(f"/api/products/{product.pk}")

    assert response.status_code == 200
    assert without_timestamps(response.json()) == {
        "id": product.pk, "name": "Cable", "description": None, "price": "5.00", "sku": None,
        "stock_quantity": 0, "category": None, "is_active": True}


@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
def test_retrieve_absent_product_is_404(api_client, prefix):
    ProductFactory()

    response = api_client.get(f"{prefix}/products/{absent_id(Product)}")

    assert_problem(response, 404, "Product not found")


def test_retrieve_non_numeric_id_is_404(api_client):
    response = api_client.get("/api/products/abc")

    assert_problem(response, 404, "Product not found")


# --- Create -------------------------------------------------------------------------------------

def test_create_answers_201_with_location_and_the_product(api_client):
    response = api_client.post("/api/products", LAPTOP, format="json")

    assert response.status_code == 201
    product = Product.objects.get()
    assert response["Location"] == f"http://testserver/api/products/{product.pk}"
    assert without_timestamps(response.json()) == {"id": product.pk, **LAPTOP}
    assert product_json(product) == {"id": product.pk, **LAPTOP}


@pytest.mark.parametrize("path, location", [
    ("/api/products/", "http://testserver/api/products/{id}"),
    ("/api/v1/products", "http://testserver/api/v1/products/{id}"),
    ("/api/v1/products/", "http://testserver/api/v1/products/{id}"),
])
def test_create_location_follows_the_path_posted_to(api_client, path, location):
    response = api_client.post(path, LAPTOP, format="json")

    assert response.status_code == 201
    assert response["Location"] == location.format(id=Product.objects.get().pk)


def test_create_with_only_name_and_price_uses_the_defaults(api_client):
    response = api_client.post("/api/products", {"name": "Cable", "price": "5"}, format="json")

    assert response.status_code == 201
    product = Product.objects.get()
    expected = {"id": product.pk, "name": "Cable", "description": None, "price": "5.00", "sku": None,
                "stock_quantity": 0, "category": None, "is_active": True}
    assert without_timestamps(response.json()) == expected
    assert product_json(product) == expected


def test_create_accepts_a_price_sent_as_a_json_number(api_client):
    response = api_client.post("/api/products", {**LAPTOP, "price": 1299.99}, format="json")

    assert response.status_code == 201
    assert response.json()["price"] == "1299.99"
    assert Product.objects.get().price == Decimal("1299.99")


def test_create_may_make_an_inactive_product(api_client):
    response = api_client.post("/api/products", {**LAPTOP, "is_active": False}, format="json")

    assert response.status_code == 201
    assert response.json()["is_active"] is False
    assert Product.objects.get().is_active is False


def test_create_accepts_the_longest_allowed_values_and_the_smallest_price(api_client):
    payload = {"name": "N" * 200, "description": "D" * 1000, "price": "0.01", "sku": "S" * 50,
               "stock_quantity": 0, "category": "C" * 100, "is_active": True}

    response = api_client.post("/api/products", payload, format="json")

    assert response.status_code == 201
    assert product_json(Product.objects.get()) == {"id": Product.objects.get().pk, **payload}


def test_create_requires_name_and_price(api_client):
    response = api_client.post("/api/products", {"sku": "X-1"}, format="json")

    required = "This field is required."
    assert_problem(response, 400, f"name: {required}; price: {required}",
                   {"name": [required], "price": [required]})
    assert Product.objects.count() == 0


@pytest.mark.parametrize("name, message", [
    ("", "This field may not be blank."),
    ("   ", "This field may not be blank."),
    (None, "This field may not be null."),
])
def test_create_refuses_an_empty_name(api_client, name, message):
    response = api_client.post("/api/products", {**LAPTOP, "name": name}, format="json")

    assert_invalid(response, "name", message)
    assert Product.objects.count() == 0


@pytest.mark.parametrize("field, limit", [("name", 200), ("description", 1000), ("sku", 50), ("category", 100)])
def test_create_refuses_a_value_over_its_length_limit(api_client, field, limit):
    response = api_client.post("/api/products", {**LAPTOP, field: "x" * (limit + 1)}, format="json")

    assert_invalid(response, field, f"Ensure this field has no more than {limit} characters.")
    assert Product.objects.count() == 0


@pytest.mark.parametrize("price, message", [
    ("0", "Ensure this value is greater than 0."),
    ("0.00", "Ensure this value is greater than 0."),
    ("-1.00", "Ensure this value is greater than 0."),
    ("1.005", "Ensure that there are no more than 2 decimal places."),
    ("12345678901234567", "Ensure that there are no more than 16 digits before the decimal point."),
    ("cheap", "A valid number is required."),
    (None, "This field may not be null."),
])
def test_create_refuses_an_invalid_price(api_client, price, message):
    response = api_client.post("/api/products", {**LAPTOP, "price": price}, format="json")

    assert_invalid(response, "price", message)
    assert Product.objects.count() == 0


@pytest.mark.parametrize("stock, message", [
    (-1, "Ensure this value is greater than or equal to 0."),
    ("many", "A valid integer is required."),
    (1.5, "A valid integer is required."),
])
def test_create_refuses_an_invalid_stock_quantity(api_client, stock, message):
    response = api_client.post("/api/products", {**LAPTOP, "stock_quantity": stock}, format="json")

    assert_invalid(response, "stock_quantity", message)
    assert Product.objects.count() == 0


def test_the_largest_storable_price_is_kept_exactly_and_a_larger_one_refused(api_client):
    largest = largest_amount()  # 13 digits before the point on SQLite, 16 on PostgreSQL

    created = api_client.post("/api/products", {**LAPTOP, "price": str(largest)}, format="json")
    assert created.status_code == 201
    assert api_client.get(created["Location"]).json()["price"] == str(largest)
    assert api_client.get("/api/products").status_code == 200

    too_large = api_client.post("/api/products", {**LAPTOP, "sku": "X", "price": str(largest + Decimal("0.01"))},
                                format="json")
    assert too_large.status_code == 400
    assert list(too_large.json()["errors"]) == ["price"]  # SQLite: "less than or equal"; PostgreSQL: "18 digits"
    assert Product.objects.count() == 1


def test_create_refuses_a_stock_quantity_beyond_the_column(api_client):
    response = api_client.post("/api/products", {**LAPTOP, "stock_quantity": 2**31}, format="json")

    assert_invalid(response, "stock_quantity", "Ensure this value is less than or equal to 2147483647.")
    assert Product.objects.count() == 0


def test_an_empty_sku_is_stored_as_null_and_many_products_may_have_none(api_client):
    first = api_client.post("/api/products", {**LAPTOP, "sku": ""}, format="json")
    second = api_client.post("/api/products", {**LAPTOP, "sku": ""}, format="json")
    third = api_client.post("/api/products", {key: value for key, value in LAPTOP.items() if key != "sku"},
                            format="json")
    fourth = api_client.post("/api/products", {**LAPTOP, "sku": None}, format="json")

    assert [response.status_code for response in (first, second, third, fourth)] == [201, 201, 201, 201]
    assert [response.json()["sku"] for response in (first, second, third, fourth)] == [None, None, None, None]
    assert list(Product.objects.values_list("sku", flat=True)) == [None, None, None, None]


def test_create_refuses_a_sku_already_taken(api_client):
    ProductFactory(sku="LAPTOP-001")
    before = database_state()

    response = api_client.post("/api/products", LAPTOP, format="json")

    assert_problem(response, 400, DUPLICATE_SKU, {"sku": [DUPLICATE_SKU]})
    assert database_state() == before


def test_database_refuses_a_duplicate_sku_the_check_missed(api_client, monkeypatch):
    """Two requests racing for one SKU both pass the check; the unique index refuses the second."""
    ProductFactory(sku="LAPTOP-001")
    before = database_state()
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, serializer_field: None)

    response = api_client.post("/api/products", LAPTOP, format="json")

    assert_problem(response, 400, DUPLICATE_SKU, {"sku": [DUPLICATE_SKU]})
    assert database_state() == before


# --- Update -------------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["/api", "/api/v1"])
def test_put_replaces_the_product(api_client, prefix):
    product = ProductFactory()
    created_at = product.created_at
    stale = make_stale(product)
    payload = {**LAPTOP, "is_active": False}

    response = api_client.put(f"{prefix}/products/{product.pk}", payload, format="json")

    assert response.status_code == 200
    assert without_timestamps(response.json()) == {"id": product.pk, **payload}
    product.refresh_from_db()
    assert product_json(product) == {"id": product.pk, **payload}
    assert product.created_at == created_at
    assert product.updated_at > stale


def test_put_resets_what_it_leaves_out_to_the_defaults(api_client):
    product = ProductFactory(is_active=False, description="Old", sku="OLD-1", category="Old")

    response = api_client.put(f"/api/products/{product.pk}",
                              {"name": "Bare", "price": "5.00", "stock_quantity": 3}, format="json")

    assert response.status_code == 200
    product.refresh_from_db()
    assert product_json(product) == {"id": product.pk, "name": "Bare", "description": None, "price": "5.00",
                                     "sku": None, "stock_quantity": 3, "category": None, "is_active": True}


def test_put_requires_stock_quantity(api_client):
    product = ProductFactory()
    before = database_state()
    payload = {key: value for key, value in LAPTOP.items() if key != "stock_quantity"}

    response = api_client.put(f"/api/products/{product.pk}", payload, format="json")

    assert_invalid(response, "stock_quantity", "This field is required.")
    assert database_state() == before


def test_put_requires_name_and_price(api_client):
    product = ProductFactory()
    before = database_state()

    response = api_client.put(f"/api/products/{product.pk}", {"stock_quantity": 5}, format="json")

    required = "This field is required."
    assert_problem(response, 400, f"name: {required}; price: {required}",
                   {"name": [required], "price": [required]})
    assert database_state() == before


def test_put_may_keep_the_products_own_sku(api_client):
    product = ProductFactory(sku="LAPTOP-001")

    response = api_client.put(f"/api/products/{product.pk}", {**LAPTOP, "stock_quantity": 7}, format="json")

    assert response.status_code == 200
    product.refresh_from_db()
    assert (product.sku, product.stock_quantity) == ("LAPTOP-001", 7)


def test_put_refuses_another_products_sku(api_client):
    ProductFactory(sku="LAPTOP-001")
    product = ProductFactory(sku="OTHER-001")
    before = database_state()

    response = api_client.put(f"/api/products/{product.pk}", LAPTOP, format="json")

    assert_problem(response, 400, DUPLICATE_SKU, {"sku": [DUPLICATE_SKU]})
    assert database_state() == before


@pytest.mark.parametrize("payload, field, message", [
    ({"price": "0"}, "price", "Ensure this value is greater than 0."),
    ({"price": "-5.00"}, "price", "Ensure this value is greater than 0."),
    ({"price": "9.999"}, "price", "Ensure that there are no more than 2 decimal places."),
    ({"stock_quantity": -1}, "stock_quantity", "Ensure this value is greater than or equal to 0."),
    ({"name": ""}, "name", "This field may not be blank."),
    ({"description": "x" * 1001}, "description", "Ensure this field has no more than 1000 characters."),
    ({"category": "x" * 101}, "category", "Ensure this field has no more than 100 characters."),
])
def test_put_refuses_an_invalid_field(api_client, payload, field, message):
    product = ProductFactory()
    before = database_state()

    response = api_client.put(f"/api/products/{product.pk}", {**LAPTOP, **payload}, format="json")

    assert_invalid(response, field, message)
    assert database_state() == before


def test_patch_changes_only_the_fields_sent_and_needs_no_stock_quantity(api_client):
    product = ProductFactory(**{**LAPTOP, "price": Decimal("1299.99")})
    stale = make_stale(product)

    response = api_client.patch(f"/api/products/{product.pk}", {"price": "1199.50", "is_active": False},
                                format="json")

    expected = {"id": product.pk, **LAPTOP, "price": "1199.50", "is_active": False}
    assert response.status_code == 200
    assert without_timestamps(response.json()) == expected
    product.refresh_from_db()
    assert product_json(product) == expected
    assert product.updated_at > stale


def test_patch_with_an_empty_sku_clears_it(api_client):
    product = ProductFactory(sku="LAPTOP-001")

    response = api_client.patch(f"/api/v1/products/{product.pk}/", {"sku": ""}, format="json")

    assert response.status_code == 200
    assert response.json()["sku"] is None
    product.refresh_from_db()
    assert product.sku is None


def test_patch_refuses_another_products_sku(api_client):
    ProductFactory(sku="LAPTOP-001")
    product = ProductFactory()
    before = database_state()

    response = api_client.patch(f"/api/products/{product.pk}", {"sku": "LAPTOP-001"}, format="json")

    assert_problem(response, 400, DUPLICATE_SKU, {"sku": [DUPLICATE_SKU]})
    assert database_state() == before


@pytest.mark.parametrize("payload, field, message", [
    ({"price": "0"}, "price", "Ensure this value is greater than 0."),
    ({"stock_quantity": -1}, "stock_quantity", "Ensure this value is greater than or equal to 0."),
    ({"sku": "x" * 51}, "sku", "Ensure this field has no more than 50 characters."),
    ({"name": "x" * 201}, "name", "Ensure this field has no more than 200 characters."),
])
def test_patch_refuses_an_invalid_field(api_client, payload, field, message):
    product = ProductFactory()
    before = database_state()

    response = api_client.patch(f"/api/products/{product.pk}", payload, format="json")

    assert_invalid(response, field, message)
    assert database_state() == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_of_an_absent_product_is_404(api_client, method):
    ProductFactory()
    before = database_state()

    response = getattr(api_client, method)(f"/api/products/{absent_id(Product)}", LAPTOP, format="json")

    assert_problem(response, 404, "Product not found")
    assert database_state() == before


# --- Delete -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/products/{id}", "/api/v1/products/{id}/"])
def test_delete_answers_204_and_removes_the_product(api_client, path):
    product, other = ProductFactory.create_batch(2)

    response = api_client.delete(path.format(id=product.pk))

    assert response.status_code == 204
    assert response.content == b""
    assert list(Product.objects.values_list("pk", flat=True)) == [other.pk]


def test_delete_is_refused_for_a_product_with_order_items(api_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 3)])
    before = database_state()

    response = api_client.delete(f"/api/products/{product.pk}")

    assert_problem(response, 400, "Cannot delete product with existing order items")
    assert database_state() == before
    assert Product.objects.get(pk=product.pk).stock_quantity == 7
    assert list(Order.objects.values_list("pk", flat=True)) == [order.pk]
    assert list(OrderItem.objects.values_list("product_id", "quantity")) == [(product.pk, 3)]


def test_delete_of_an_absent_product_is_404(api_client):
    ProductFactory()
    before = database_state()

    response = api_client.delete(f"/api/products/{absent_id(Product)}")

    assert_problem(response, 404, "Product not found")
    assert database_state() == before
