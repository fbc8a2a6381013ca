"""The orders API over HTTP: exact status codes and bodies; every refused request leaves the database as it was."""
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.test import override_settings

from orders.models import Order, OrderItem
from orderservice.domain.money import largest_amount
from orderservice.testing.factories import CustomerFactory, ProductFactory, order_in, place_order
from orderservice.testing.lifecycle import ALLOWED, PATH_TO, REFUSED_MESSAGES, VALID_STATUSES
from orderservice.testing.state import database_state
from products.models import Product

pytestmark = pytest.mark.django_db

D = Decimal
REFUSED = [(current, wanted) for current in PATH_TO for wanted in PATH_TO
           if current != wanted and (current, wanted) not in ALLOWED]


# --- Helpers -----------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def customer_body(customer) -> dict:
    return {
        "id": customer.pk, "first_name": customer.first_name, "last_name": customer.last_name,
        "email": customer.email, "phone": customer.phone, "address": customer.address,
        "created_at": iso(customer.created_at), "updated_at": iso(customer.updated_at),
    }


def product_body(product) -> dict:
    product = Product.objects.get(pk=product.pk)
    return {
        "id": product.pk, "name": product.name, "description": product.description, "price": str(product.price),
        "sku": product.sku, "stock_quantity": product.stock_quantity, "category": product.category,
        "is_active": product.is_active, "created_at": iso(product.created_at), "updated_at": iso(product.updated_at),
    }


def order_body(order) -> dict:
    """The order as the contract shapes it, read from the database."""
    order = Order.objects.get(pk=order.pk)
    return {
        "id": order.pk, "customer_id": order.customer_id, "order_number": order.order_number,
        "order_date": iso(order.order_date), "status": order.status,
        "sub_total": str(order.sub_total), "tax_amount": str(order.tax_amount),
        "shipping_amount": str(order.shipping_amount), "total_amount": str(order.total_amount),
        "notes": order.notes, "shipping_address": order.shipping_address,
        "created_at": iso(order.created_at), "updated_at": iso(order.updated_at),
        "customer": customer_body(order.customer),
        "order_items": [
            {
                "id": item.pk, "order_id": order.pk, "product_id": item.product_id, "quantity": item.quantity,
                "unit_price": str(item.unit_price), "total_price": str(item.total_price),
                "created_at": iso(item.created_at), "updated_at": iso(item.updated_at),
                "product": product_body(item.product),
            }
            for item in OrderItem.objects.filter(order=order).order_by("pk")
        ],
    }


def assert_problem(response, status, detail, instance, errors=None):
    expected = {
        "type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        expected["errors"] = errors
    assert (response.status_code, response["Content-Type"]) == (status, "application/problem+json")
    assert response.json() == expected


def order_request(customer, *lines, **fields) -> dict:
    return {
        "customer_id": customer.pk if hasattr(customer, "pk") else customer,
        "order_items": [{"product_id": product.pk if hasattr(product, "pk") else product, "quantity": quantity}
                        for product, quantity in lines],
        **fields,
    }


def stock_of(product) -> int:
    return Product.objects.get(pk=product.pk).stock_quantity


# --- POST /api/orders --------------------------------------------------------------------------


def test_create_order_answers_201_with_location_and_the_full_order(api_client):
    customer = CustomerFactory()
    mouse = ProductFactory(name="Wireless Mouse", price=D("29.99"), stock_quantity=200)
    chair = ProductFactory(name="Office Chair", price=D("199.99"), stock_quantity=75)
    today = {datetime.now(UTC).strftime("%Y%m%d")}

    response = api_client.post("/api/orders", order_request(
        customer, (mouse, 2), (chair, 1), notes="Ring twice", shipping_address="1 Main St"), format="json")

    today.add(datetime.now(UTC).strftime("%Y%m%d"))
    assert response.status_code == 201
    order = Order.objects.get()
    assert response["Location"] == f"http://testserver/api/orders/{order.pk}"
    body = response.json()
    assert body == order_body(order)
    match = re.fullmatch(r"ORD-(\d{8})-[0-9A-F]{8}", body["order_number"])
    assert match is not None and match.group(1) in today
    assert {key: body[key] for key in (
        "customer_id", "status", "sub_total", "tax_amount", "shipping_amount", "total_amount", "notes",
        "shipping_address")} == {
        # 2 × 29.99 + 199.99 = 259.97; × 0.08 = 20.7976 → 20.80; free shipping from 100.00
        "customer_id": customer.pk, "status": "Pending", "sub_total": "259.97", "tax_amount": "20.80",
        "shipping_amount": "0.00", "total_amount": "280.77", "notes": "Ring twice", "shipping_address": "1 Main St",
    }
    assert body["customer"]["email"] == customer.email
    assert [(item["product"]["name"], item["quantity"], item["unit_price"], item["total_price"])
            for item in body["order_items"]] == [
        ("Wireless Mouse", 2, "29.99", "59.98"), ("Office Chair", 1, "199.99", "199.99")]
    assert body["order_items"][0]["product"]["stock_quantity"] == 198
    assert (stock_of(mouse), stock_of(chair)) == (198, 74)


def test_create_order_without_notes_or_address_shows_them_as_null(api_client):
    response = api_client.post("/api/orders", order_request(CustomerFactory(), (ProductFactory(), 1)), format="json")

    assert response.status_code == 201
    assert (response.json()["notes"], response.json()["shipping_address"]) == (None, None)


@pytest.mark.parametrize(("path", "location_prefix"), [
    ("/api/orders", "http://testserver/api/orders/"),
    ("/api/orders/", "http://testserver/api/orders/"),
    ("/api/v1/orders", "http://testserver/api/v1/orders/"),
])
def test_location_names_the_new_order_under_the_path_used(api_client, path, location_prefix):
    response = api_client.post(path, order_request(CustomerFactory(), (ProductFactory(), 1)), format="json")

    assert response.status_code == 201
    assert response["Location"] == f"{location_prefix}{Order.objects.get().pk}"
    assert api_client.get(response["Location"]).json() == response.json()


def test_an_order_keeps_the_price_it_was_placed_at(api_client):
    product = ProductFactory(price=D("29.99"))
    created = api_client.post("/api/orders", order_request(CustomerFactory(), (product, 2)), format="json").json()

    product.price = D("49.99")
    product.save()

    body = api_client.get(f"/api/orders/{created['id']}").json()
    item = body["order_items"][0]
    assert (item["unit_price"], item["total_price"], item["product"]["price"]) == ("29.99", "59.98", "49.99")
    assert (body["sub_total"], body["total_amount"]) == ("59.98", created["total_amount"])


@pytest.mark.parametrize(("lines", "totals"), [
    # 29.99 × 0.08 = 2.3992 → 2.40; shipping below 100.00
    ([("29.99", 1)], ("29.99", "2.40", "10.00", "42.39")),
    # 1299.99 × 0.08 = 103.9992 → 104.00; free shipping
    ([("1299.99", 1)], ("1299.99", "104.00", "0.00", "1403.99")),
    # exactly 100.00: no shipping
    ([("25.00", 4)], ("100.00", "8.00", "0.00", "108.00")),
    # 99.99: shipping; 7.9992 → 8.00
    ([("33.33", 3)], ("99.99", "8.00", "10.00", "117.99")),
    # 29.99 × 3 + 199.99 = 289.96; × 0.08 = 23.1968 → 23.20
    ([("29.99", 3), ("199.99", 1)], ("289.96", "23.20", "0.00", "313.16")),
    # 31.19 × 0.08 = 2.4952 → 2.50
    ([("31.19", 1)], ("31.19", "2.50", "10.00", "43.69")),
])
def test_create_order_totals(api_client, lines, totals):
    customer = CustomerFactory()
    request = order_request(customer, *[(ProductFactory(price=D(price)), quantity) for price, quantity in lines])

    body = api_client.post("/api/orders", request, format="json").json()

    assert (body["sub_total"], body["tax_amount"], body["shipping_amount"], body["total_amount"]) == totals


# At 0.08 no whole-cent sub_total has a tax of exactly half a cent, so half-up is shown at 0.10.
@override_settings(ORDER_TAX_RATE=D("0.10"))
def test_create_order_rounds_tax_half_up(api_client):
    product = ProductFactory(price=D("10.05"))

    body = api_client.post("/api/orders", order_request(CustomerFactory(), (product, 1)), format="json").json()

    # 10.05 × 0.10 = 1.005 → 1.01 (half-even would say 1.00)
    assert (body["sub_total"], body["tax_amount"], body["shipping_amount"], body["total_amount"]) == (
        "10.05", "1.01", "10.00", "21.06")


def test_create_order_adds_lines_of_the_same_product(api_client):
    product = ProductFactory(price=D("10.00"), stock_quantity=10)

    body = api_client.post("/api/orders", order_request(CustomerFactory(), (product, 4), (product, 6)),
                           format="json").json()

    assert [(item["product_id"], item["quantity"]) for item in body["order_items"]] == [
        (product.pk, 4), (product.pk, 6)]
    assert body["sub_total"] == "100.00"
    assert stock_of(product) == 0


# --- POST /api/orders: the rules ---------------------------------------------------------------


def assert_refused_with(api_client, request, detail, errors=None):
    before = database_state()

    response = api_client.post("/api/orders", request, format="json")

    assert_problem(response, 400, detail, "/api/orders", errors)
    assert database_state() == before


@pytest.mark.parametrize("customer_id", [987654, 0, -1])
def test_create_order_for_an_unknown_customer_is_refused(api_client, customer_id):
    product = ProductFactory()

    assert_refused_with(api_client, order_request(customer_id, (product, 1)), "Customer not found",
                        {"customer_id": ["Customer not found"]})


@pytest.mark.parametrize("field", ["customer_id", "product_id"])
def test_ids_beyond_64_bits_are_refused_as_invalid_input(api_client, field):
    customer, product = CustomerFactory(), ProductFactory()
    body = order_request(customer, (product, 1))
    if field == "customer_id":
        body["customer_id"] = 10**20
        path = "customer_id"
    else:
        body["order_items"][0]["product_id"] = 10**20
        path = "order_items.0.product_id"
    message = "Ensure this value is less than or equal to 9223372036854775807."
    assert_refused_with(api_client, body, f"{path}: {message}", {path: [message]})


def test_create_order_for_an_unknown_product_is_refused(api_client):
    customer = CustomerFactory()
    product = ProductFactory()

    assert_refused_with(api_client, order_request(customer, (product, 1), (987654, 1)),
                        "Product with ID 987654 not found")


def test_create_order_whose_total_the_database_cannot_store_is_refused(api_client):
    customer = CustomerFactory()
    product = ProductFactory(price=largest_amount() / 2, stock_quantity=10)

    assert_refused_with(api_client, order_request(customer, (product, 3)),
                        f"Order total exceeds the largest amount the service can store ({largest_amount()})")


def test_create_order_for_an_inactive_product_is_refused(api_client):
    customer = CustomerFactory()
    product = ProductFactory(name="Old Lamp", is_active=False)

    assert_refused_with(api_client, order_request(customer, (product, 1)), "Product Old Lamp is not active")


def test_create_order_for_more_than_the_stock_is_refused(api_client):
    customer = CustomerFactory()
    product = ProductFactory(name="Office Chair", stock_quantity=3)

    assert_refused_with(api_client, order_request(customer, (product, 4)),
                        "Insufficient stock for product Office Chair")


def test_create_order_checks_the_stock_for_the_total_across_lines(api_client):
    customer = CustomerFactory()
    product = ProductFactory(name="Office Chair", stock_quantity=5)

    # each line alone fits (3 ≤ 5); together they do not (6 > 5)
    assert_refused_with(api_client, order_request(customer, (product, 3), (product, 3)),
                        "Insufficient stock for product Office Chair")


@pytest.mark.parametrize(("second", "detail"), [
    (lambda: 987654, "Product with ID 987654 not found"),
    (lambda: ProductFactory(name="Second", is_active=False), "Product Second is not active"),
    (lambda: ProductFactory(name="Second", stock_quantity=1), "Insufficient stock for product Second"),
])
def test_create_order_is_all_or_nothing(api_client, second, detail):
    customer = CustomerFactory()
    first = ProductFactory(stock_quantity=10)

    assert_refused_with(api_client, order_request(customer, (first, 2), (second(), 2)), detail)
    assert stock_of(first) == 10


# --- POST /api/orders: validation --------------------------------------------------------------


def valid_request():
    return order_request(CustomerFactory(), (ProductFactory(), 1))


@pytest.mark.parametrize(("change", "errors"), [
    (lambda r: r.update(order_items=[]), {"order_items": ["This list may not be empty."]}),
    (lambda r: r.pop("order_items"), {"order_items": ["This field is required."]}),
    (lambda r: r.pop("customer_id"), {"customer_id": ["This field is required."]}),
    (lambda r: r.update(customer_id=None), {"customer_id": ["This field may not be null."]}),
    (lambda r: r.update(customer_id="abc"), {"customer_id": ["A valid integer is required."]}),
    (lambda r: r["order_items"][0].update(quantity=0),
     {"order_items.0.quantity": ["Ensure this value is greater than or equal to 1."]}),
    (lambda r: r["order_items"][0].update(quantity=-1),
     {"order_items.0.quantity": ["Ensure this value is greater than or equal to 1."]}),
    (lambda r: r["order_items"][0].update(quantity=1.5), {"order_items.0.quantity": ["A valid integer is required."]}),
    (lambda r: r["order_items"][0].update(quantity="two"),
     {"order_items.0.quantity": ["A valid integer is required."]}),
    (lambda r: r["order_items"][0].pop("quantity"), {"order_items.0.quantity": ["This field is required."]}),
    (lambda r: r["order_items"][0].pop("product_id"), {"order_items.0.product_id": ["This field is required."]}),
    (lambda r: r["order_items"][0].update(product_id="x"),
     {"order_items.0.product_id": ["A valid integer is required."]}),
    (lambda r: r.update(order_items="x"),
     {"order_items": ['Expected a list of items but got type "str".']}),
    (lambda r: r.update(order_items=[5]),
     {"order_items.0": ["Invalid data. Expected a dictionary, but got int."]}),
    (lambda r: r.update(notes="n" * 501), {"notes": ["Ensure this field has no more than 500 characters."]}),
    (lambda r: r.update(notes=["a"]), {"notes": ["Not a valid string."]}),
    (lambda r: r.update(shipping_address="a" * 201),
     {"shipping_address": ["Ensure this field has no more than 200 characters."]}),
])
def test_create_order_validates_the_request(api_client, change, errors):
    request = valid_request()
    change(request)
    [(field, [message])] = errors.items()

    assert_refused_with(api_client, request, f"{field}: {message}", errors)


def test_create_order_reports_every_invalid_field_with_its_path(api_client):
    request = valid_request()
    request["order_items"].append({"quantity": 0})
    request["customer_id"] = "abc"

    assert_refused_with(
        api_client, request,
        "customer_id: A valid integer is required.; order_items.1.product_id: This field is required.; "
        "order_items.1.quantity: Ensure this value is greater than or equal to 1.",
        {
            "customer_id": ["A valid integer is required."],
            "order_items.1.product_id": ["This field is required."],
            "order_items.1.quantity": ["Ensure this value is greater than or equal to 1."],
        })


def test_create_order_accepts_notes_and_address_at_their_maximum_length(api_client):
    request = valid_request() | {"notes": "n" * 500, "shipping_address": "a" * 200}

    response = api_client.post("/api/orders", request, format="json")

    assert response.status_code == 201
    assert (response.json()["notes"], response.json()["shipping_address"]) == ("n" * 500, "a" * 200)


def test_create_order_refuses_a_body_that_is_not_an_object(api_client):
    ProductFactory()

    assert_refused_with(api_client, [1, 2], "Invalid data. Expected a dictionary, but got list.")


def test_create_order_refuses_malformed_json(api_client):
    ProductFactory()
    before = database_state()

    response = api_client.post("/api/orders", '{"customer_id": 1,', content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"].startswith("JSON parse error")
    assert database_state() == before


def test_create_order_refuses_a_body_that_is_not_json(api_client):
    ProductFactory()
    before = database_state()

    response = api_client.post("/api/orders", "customer_id=1", content_type="text/plain")

    assert_problem(response, 415, 'Unsupported media type "text/plain" in request.', "/api/orders")
    assert database_state() == before


# --- GET /api/orders, GET /api/orders/{id} -----------------------------------------------------


def test_list_orders_is_empty_without_orders(api_client):
    response = api_client.get("/api/orders")

    assert (response.status_code, response.json()) == (200, [])


def test_list_orders_shows_every_order_newest_first_ties_by_id(api_client):
    oldest, tie_low, tie_high, newest = (place_order() for _ in range(4))
    moment = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    Order.objects.filter(pk=oldest.pk).update(order_date=moment - timedelta(days=1))
    Order.objects.filter(pk__in=[tie_low.pk, tie_high.pk]).update(order_date=moment)
    Order.objects.filter(pk=newest.pk).update(order_date=moment + timedelta(seconds=1))

    response = api_client.get("/api/orders")

    assert response.status_code == 200
    assert response.json() == [order_body(order) for order in (newest, tie_high, tie_low, oldest)]


def test_list_orders_answers_under_v1_too(api_client):
    order = place_order()

    assert api_client.get("/api/v1/orders").json() == [order_body(order)]


def test_get_order(api_client):
    order = place_order(items=[(ProductFactory(), 2), (ProductFactory(), 1)], notes="n")
    place_order()

    response = api_client.get(f"/api/orders/{order.pk}")

    assert (response.status_code, response.json()) == (200, order_body(order))


@pytest.mark.parametrize("order_id", ["987654", "99999999999999999999"])
def test_get_an_unknown_order_is_404(api_client, order_id):
    place_order()

    response = api_client.get(f"/api/orders/{order_id}")

    assert_problem(response, 404, "Order not found", f"/api/orders/{order_id}")


# --- PUT /api/orders/{id} ----------------------------------------------------------------------


def test_update_order_changes_notes_address_and_status(api_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 3)], notes="old", shipping_address="old address")

    response = api_client.put(f"/api/orders/{order.pk}",
                              {"notes": "new", "shipping_address": "2 New St", "status": "Processing"}, format="json")

    assert response.status_code == 200
    assert response.json() == order_body(order)
    assert {key: response.json()[key] for key in ("notes", "shipping_address", "status")} == {
        "notes": "new", "shipping_address": "2 New St", "status": "Processing"}
    assert stock_of(product) == 7


def test_update_order_changes_only_the_fields_sent(api_client):
    order = place_order(notes="keep", shipping_address="keep too")

    response = api_client.put(f"/api/orders/{order.pk}", {"notes": None}, format="json")

    assert response.status_code == 200
    assert (response.json()["notes"], response.json()["shipping_address"], response.json()["status"]) == (
        None, "keep too", "Pending")


def test_patch_order_changes_the_fields_sent(api_client):
    order = place_order(notes="keep", shipping_address="old")

    response = api_client.patch(f"/api/orders/{order.pk}", {"shipping_address": "new"}, format="json")

    assert response.status_code == 200
    assert (response.json()["notes"], response.json()["shipping_address"]) == ("keep", "new")


def test_update_order_to_cancelled_gives_the_stock_back(api_client):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 3)])

    response = api_client.put(f"/api/orders/{order.pk}", {"status": "Cancelled"}, format="json")

    assert (response.status_code, response.json()["status"]) == (200, "Cancelled")
    assert stock_of(product) == 10


@pytest.mark.parametrize(("body", "detail", "errors"), [
    ({"status": "Lost", "notes": "new"}, f"Invalid status 'Lost'. Valid values: {VALID_STATUSES}",
     {"status": [f"Invalid status 'Lost'. Valid values: {VALID_STATUSES}"]}),
    ({"status": "Delivered", "notes": "new"},
     "Cannot change status from Pending to Delivered; allowed: Processing, Cancelled",
     {"status": ["Cannot change status from Pending to Delivered; allowed: Processing, Cancelled"]}),
    ({"notes": "n" * 501, "status": "Cancelled"}, "notes: Ensure this field has no more than 500 characters.",
     {"notes": ["Ensure this field has no more than 500 characters."]}),
    ({"shipping_address": "a" * 201}, "shipping_address: Ensure this field has no more than 200 characters.",
     {"shipping_address": ["Ensure this field has no more than 200 characters."]}),
])
def test_update_order_refuses_bad_changes_and_changes_nothing(api_client, body, detail, errors):
    order = place_order(items=[(ProductFactory(stock_quantity=10), 2)], notes="old")
    before = database_state()

    response = api_client.put(f"/api/orders/{order.pk}", body, format="json")

    assert_problem(response, 400, detail, f"/api/orders/{order.pk}", errors)
    assert database_state() == before


def test_update_an_unknown_order_is_404(api_client):
    place_order()
    before = database_state()

    response = api_client.put("/api/orders/987654", {"notes": "x"}, format="json")

    assert_problem(response, 404, "Order not found", "/api/orders/987654")
    assert database_state() == before


# --- PUT /api/orders/{id}/status ---------------------------------------------------------------


@pytest.mark.parametrize(("current", "wanted"), sorted(ALLOWED))
def test_change_status_along_the_lifecycle(api_client, current, wanted):
    order = order_in(current)

    response = api_client.put(f"/api/orders/{order.pk}/status", {"status": wanted}, format="json")

    assert response.status_code == 200
    assert response.json() == order_body(order)
    assert response.json()["status"] == wanted


def test_change_status_under_v1(api_client):
    order = place_order()

    response = api_client.put(f"/api/v1/orders/{order.pk}/status", {"status": "Processing"}, format="json")

    assert (response.status_code, response.json()["status"]) == (200, "Processing")


@pytest.mark.parametrize(("current", "wanted"), REFUSED)
def test_change_status_refuses_every_other_move(api_client, current, wanted):
    order = order_in(current, items=[(ProductFactory(stock_quantity=10), 2)])
    before = database_state()
    message = REFUSED_MESSAGES[current].format(wanted=wanted)

    response = api_client.put(f"/api/orders/{order.pk}/status", {"status": wanted}, format="json")

    assert_problem(response, 400, message, f"/api/orders/{order.pk}/status", {"status": [message]})
    assert database_state() == before


@pytest.mark.parametrize("status", list(PATH_TO))
def test_change_status_to_the_current_status_is_a_no_op(api_client, status):
    order = order_in(status, items=[(ProductFactory(stock_quantity=10), 2)])
    before = database_state()

    response = api_client.put(f"/api/orders/{order.pk}/status", {"status": status}, format="json")

    assert (response.status_code, response.json()) == (200, order_body(order))
    assert database_state() == before


@pytest.mark.parametrize("status", ["Lost", "pending", "SHIPPED", "", 5])
def test_change_status_to_an_unknown_value_lists_the_valid_values(api_client, status):
    order = place_order()
    before = database_state()
    message = f"Invalid status '{status}'. Valid values: {VALID_STATUSES}"

    response = api_client.put(f"/api/orders/{order.pk}/status", {"status": status}, format="json")

    assert_problem(response, 400, message, f"/api/orders/{order.pk}/status", {"status": [message]})
    assert database_state() == before


@pytest.mark.parametrize(("body", "message"), [
    ({}, "This field is required."),
    ({"status": None}, "This field may not be null."),
])
def test_change_status_needs_a_status(api_client, body, message):
    order = place_order()
    before = database_state()

    response = api_client.put(f"/api/orders/{order.pk}/status", body, format="json")

    assert_problem(response, 400, f"status: {message}", f"/api/orders/{order.pk}/status", {"status": [message]})
    assert database_state() == before


def test_change_status_of_an_unknown_order_is_404(api_client):
    place_order()
    before = database_state()

    response = api_client.put("/api/orders/987654/status", {"status": "Processing"}, format="json")

    assert_problem(response, 404, "Order not found", "/api/orders/987654/status")
    assert database_state() == before


def test_cancelling_twice_gives_the_stock_back_once(api_client):
    mouse = ProductFactory(stock_quantity=10)
    chair = ProductFactory(stock_quantity=5)
    order = place_order(items=[(mouse, 4), (chair, 2), (mouse, 1)])
    assert (stock_of(mouse), stock_of(chair)) == (5, 3)

    first = api_client.put(f"/api/orders/{order.pk}/status", {"status": "Cancelled"}, format="json")
    second = api_client.put(f"/api/orders/{order.pk}/status", {"status": "Cancelled"}, format="json")

    assert (first.status_code, second.status_code) == (200, 200)
    assert (stock_of(mouse), stock_of(chair)) == (10, 5)


def test_cancelling_a_processing_order_gives_the_stock_back(api_client):
    product = ProductFactory(stock_quantity=10)
    order = order_in("Processing", items=[(product, 4)])

    api_client.put(f"/api/orders/{order.pk}/status", {"status": "Cancelled"}, format="json")

    assert stock_of(product) == 10


# --- DELETE /api/orders/{id} -------------------------------------------------------------------


def test_delete_a_pending_order_removes_it_and_gives_the_stock_back(api_client):
    product = ProductFactory(stock_quantity=10)
    kept = place_order(items=[(product, 1)])
    order = place_order(items=[(product, 2), (product, 3)])

    response = api_client.delete(f"/api/orders/{order.pk}")

    assert (response.status_code, response.content) == (204, b"")
    assert list(Order.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(OrderItem.objects.values_list("order_id", flat=True)) == [kept.pk]
    assert stock_of(product) == 9
    assert api_client.get(f"/api/orders/{order.pk}").status_code == 404


@pytest.mark.parametrize("status", ["Processing", "Shipped", "Delivered", "Cancelled"])
def test_delete_an_order_that_is_not_pending_is_refused(api_client, status):
    order = order_in(status, items=[(ProductFactory(stock_quantity=10), 2)])
    before = database_state()

    response = api_client.delete(f"/api/orders/{order.pk}")

    assert_problem(response, 400, "Cannot delete order that is not in Pending status", f"/api/orders/{order.pk}")
    assert database_state() == before


def test_delete_an_unknown_order_is_404(api_client):
    place_order()
    before = database_state()

    response = api_client.delete("/api/orders/987654")

    assert_problem(response, 404, "Order not found", "/api/orders/987654")
    assert database_state() == before


# --- Authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/api/orders", None),
    ("get", "/api/v1/orders", None),
    ("get", "/api/orders/{id}", None),
    ("post", "/api/orders", "new order"),
    ("put", "/api/orders/{id}", {"notes": "changed", "status": "Cancelled"}),
    ("patch", "/api/orders/{id}", {"notes": "changed"}),
    ("put", "/api/orders/{id}/status", {"status": "Cancelled"}),
    ("delete", "/api/orders/{id}", None),
])
def test_orders_need_a_token(anonymous_client, method, path, body):
    product = ProductFactory(stock_quantity=10)
    order = place_order(items=[(product, 2)])
    if body == "new order":
        body = order_request(order.customer, (product, 1))
    path = path.format(id=order.pk)
    before = database_state()

    response = getattr(anonymous_client, method)(path, body, format="json")

    assert_problem(response, 401, "Authentication credentials were not provided.", path)
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert database_state() == before


def test_an_invalid_token_is_refused(anonymous_client):
    place_order()
    anonymous_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    response = anonymous_client.get("/api/orders")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
