"""No input reaches a 500 (issue 14, "fail closed"): bodies nested too deep, NUL and lone surrogates, control
characters and bidirectional overrides in text, numbers beyond what a column holds in filters, path ids and
forged cursors. Each is a clear 4xx problem, and leaves the database as it was. Order totals and the number of
lines are in orders/tests/test_bounds.py; a property-based fuzz of every list and path id in test_input_fuzz.py."""

import base64
import json
from urllib.parse import quote, urlencode

import pytest

from customers.models import Customer
from orderservice.api.middleware import NUL_DETAIL
from orderservice.domain.limits import MAX_ID
from orderservice.testing.api import assert_invalid, assert_problem
from orderservice.testing.factories import CustomerFactory, ProductFactory, place_order
from orderservice.testing.resources import CUSTOMERS, ORDERS, PRODUCTS, RESOURCES
from orderservice.testing.state import database_state

pytestmark = pytest.mark.django_db

TOO_DEEP = "JSON parse error - nested deeper than 32 levels"
ONE_LINE = "Must be one line of text without control characters or bidirectional overrides (found U+{:04X})."
MULTI_LINE = (
    "Must be text without control characters (line breaks and tabs are fine) or bidirectional overrides "
    "(found U+{:04X})."
)
INVALID_CURSOR = "Invalid cursor: follow the Link header."
ONE_LINE_FIELDS = [
    (CUSTOMERS, "first_name"),
    (CUSTOMERS, "last_name"),
    (CUSTOMERS, "phone"),
    (PRODUCTS, "name"),
    (PRODUCTS, "sku"),
    (PRODUCTS, "category"),
]
MULTI_LINE_FIELDS = [(CUSTOMERS, "address"), (PRODUCTS, "description"), (ORDERS, "notes"), (ORDERS, "shipping_address")]


def unstorable(where: str) -> str:
    return f"JSON parse error - text at {where} contains the NUL character or a lone surrogate, which cannot be stored"


def forged_cursor(**tokens) -> str:
    """A cursor as DRF's CursorPagination writes one (base64 of o=…&r=…&p=…), with whatever it is given."""
    return quote(base64.b64encode(urlencode(tokens).encode()).decode())


@pytest.fixture
def shop():
    """A row of each resource, so that every list has something to page through."""
    return place_order(CustomerFactory(), [(ProductFactory(), 1)])


# --- Bodies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [33, 100_000])
@pytest.mark.parametrize("shape", ["[{}]", '{{"a": {}}}'], ids=["arrays", "objects"])
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_body_nested_deeper_than_32_levels_is_refused_unparsed(api_client, resource, shape, depth):
    opening, closing = shape.split("{}")
    body = opening * depth + "1" + closing * depth
    before = database_state()

    response = api_client.post(f"/api/{resource}", body, content_type="application/json")

    assert_problem(response, 400, TOO_DEEP)
    assert database_state() == before


def test_a_body_32_levels_deep_is_parsed_and_validated(api_client):
    body = '{"first_name": ' + "[" * 31 + "]" * 31 + ', "last_name": "Doe", "email": "deep@example.com"}'
    before = database_state()

    response = api_client.post("/api/customers", body, content_type="application/json")

    assert_invalid(response, "first_name", "Not a valid string.")
    assert database_state() == before


def test_brackets_inside_strings_do_not_count_as_nesting(api_client):
    response = api_client.post(
        "/api/customers",
        {"first_name": "[" * 40, "last_name": "{" * 40, "email": "brackets@example.com"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["first_name"] == "[" * 40


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"], ids=["NUL", "lone surrogate"])
@pytest.mark.parametrize(
    ("resource", "field"),
    [pytest.param(resource, field, id=f"{resource}.{field}") for resource in RESOURCES for field in resource.limits],
)
def test_nul_or_a_lone_surrogate_in_a_body_field_is_refused(api_client, resource, field, escape):
    raw = json.dumps({**resource.new(), field: "a<here>b"}).replace("<here>", escape)
    before = database_state()

    response = api_client.post(f"/api/{resource}", raw, content_type="application/json")

    assert_problem(response, 400, unstorable(field))
    assert database_state() == before


def test_nul_in_a_nested_value_or_a_key_is_refused_and_named(api_client, shop):
    before = database_state()
    nested = api_client.post(
        "/api/orders",
        '{"customer_id": 1, "order_items": [{"product_id": "1\\u0000"}]}',
        content_type="application/json",
    )
    key = api_client.patch(f"/api/customers/{shop.customer_id}", '{"a\\u0000b": 1}', content_type="application/json")

    assert_problem(nested, 400, unstorable("order_items.0.product_id"))
    assert_problem(key, 400, unstorable("a\\x00b"))
    assert database_state() == before


ONE_LINE_REFUSED = ["\u202e", "\u2066", "\n", "\t", "\x07", "\x1b", "\x7f", "\x85"]
MULTI_LINE_REFUSED = ["\u202a", "\u2069", "\x07", "\x0b", "\x1b", "\x7f"]


# (resource, field, a character it refuses, the message): one-line fields refuse line breaks and tabs too.
REFUSED_CHARACTERS = [
    *[(resource, field, character, ONE_LINE) for resource, field in ONE_LINE_FIELDS for character in ONE_LINE_REFUSED],
    *[
        (resource, field, character, MULTI_LINE)
        for resource, field in MULTI_LINE_FIELDS
        for character in MULTI_LINE_REFUSED
    ],
]


@pytest.mark.parametrize(
    ("resource", "field", "character", "message"),
    [pytest.param(*case, id=f"{case[0]}.{case[1]}-U+{ord(case[2]):04X}") for case in REFUSED_CHARACTERS],
)
def test_a_text_field_refuses_control_characters_and_bidi_overrides(api_client, resource, field, character, message):
    row, body = resource.make(), {**resource.new(), field: f"ab{character}c"}
    before = database_state()

    created = api_client.post(f"/api/{resource}", body, format="json")
    patched = api_client.patch(f"/api/{resource}/{row.pk}", {field: f"ab{character}c"}, format="json")

    assert_invalid(created, field, message.format(ord(character)))
    assert_invalid(patched, field, message.format(ord(character)))
    assert database_state() == before


def test_an_email_with_a_bidi_override_is_refused(api_client):
    before = database_state()
    response = api_client.post("/api/customers", {**CUSTOMERS.new(), "email": "ann@exa\u202emple.com"}, format="json")
    assert_invalid(response, "email", ONE_LINE.format(0x202E))
    assert database_state() == before


@pytest.mark.parametrize(
    ("resource", "field"),
    [pytest.param(resource, field, id=f"{resource}.{field}") for resource, field in MULTI_LINE_FIELDS],
)
def test_a_multi_line_field_keeps_line_breaks_and_tabs(api_client, resource, field):
    row = resource.make()
    text = "Line 1\r\nLine 2\n\tindented"
    response = api_client.patch(f"/api/{resource}/{row.pk}", {field: text}, format="json")
    assert (response.status_code, response.json()[field]) == (200, text)


def test_the_models_carry_the_rule_so_the_admin_refuses_it_too():
    customer = Customer(first_name="Ann\u202e", last_name="Lee", email="ann@example.com", address="a\x07")
    with pytest.raises(Exception) as refused:
        customer.full_clean()
    assert refused.value.message_dict == {"first_name": [ONE_LINE.format(0x202E)], "address": [MULTI_LINE.format(0x07)]}


# --- Query parameters and paths -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/products?category=a%00",
        "/api/customers?email=%00",
        "/api/orders?status=Pending%00",
        "/api/products?search=lap%00top",
        "/api/products?ordering=price%00",
        "/api/orders?limit=1%00",
        "/api/orders?cursor=%00",
        "/api/orders?unknown%00=1",
        "/api/customers/1/orders?search=%00",
        "/api/orders/1%00",
        "/api/customers/%00/orders",
        "/api/v1/products/%00",
        "/api/nowhere%00",
    ],
)
def test_nul_in_the_query_or_the_path_is_a_400(api_client, shop, url):
    before = database_state()
    response = api_client.get(url)
    assert_problem(response, 400, NUL_DETAIL)
    assert database_state() == before


@pytest.mark.parametrize(
    ("url", "field", "message"),
    [
        ("/api/orders?customer_id=0", "customer_id", "Ensure this value is greater than or equal to 1."),
        ("/api/orders?customer_id=-5", "customer_id", "Ensure this value is greater than or equal to 1."),
        (
            f"/api/orders?customer_id={MAX_ID + 1}",
            "customer_id",
            f"Ensure this value is less than or equal to {MAX_ID}.",
        ),
        (
            f"/api/customers/{{customer}}/orders?customer_id={10**30}",
            "customer_id",
            f"Ensure this value is less than or equal to {MAX_ID}.",
        ),
        (
            "/api/products?min_price=12345678901234567",
            "min_price",
            "Ensure that there are no more than 16 digits before the decimal point.",
        ),
        ("/api/products?max_price=1.001", "max_price", "Ensure that there are no more than 2 decimal places."),
        ("/api/products?max_price=NaN", "max_price", "Enter a number."),
        (
            "/api/products?limit=%C2%B2",
            "limit",
            "Must be a whole number from 1 to 1000.",
        ),  # "²" is a digit to isdigit()
        ("/api/products?limit=%D9%A3", "limit", "Must be a whole number from 1 to 1000."),  # Arabic-Indic 3
        ("/api/products?limit=" + "9" * 5000, "limit", "Must be a whole number from 1 to 1000."),
        ("/api/products?search=" + "+".join(["a"] * 11), "search", "At most 10 words and 200 characters."),
        ("/api/orders?search=" + "x" * 201, "search", "At most 10 words and 200 characters."),
    ],
)
def test_a_number_or_a_search_beyond_its_bounds_is_a_400_naming_the_parameter(api_client, shop, url, field, message):
    before = database_state()
    response = api_client.get(url.replace("{customer}", str(shop.customer_id)))
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {field: [message]}
    assert database_state() == before


def test_the_largest_bounds_are_accepted(api_client, shop):
    assert api_client.get(f"/api/orders?customer_id={MAX_ID}").json() == []
    widest = api_client.get("/api/products?min_price=-9999999999999999.99&max_price=9999999999999999.99")
    assert widest.status_code == 200
    assert api_client.get("/api/products?search=" + "+".join(["a"] * 10)).status_code == 200


@pytest.mark.parametrize("customer_id", ["0", str(MAX_ID + 1), "9" * 40])
def test_a_customer_id_in_the_path_no_row_can_have_is_a_404(api_client, shop, customer_id):
    assert_problem(api_client.get(f"/api/customers/{customer_id}/orders"), 404, "Customer not found")


# --- Forged cursors -------------------------------------------------------------------------------

# Every ordering the lists allow, with positions no row of that column can have: beyond the column's range,
# another type, NUL, a date-time without an offset or beyond year 9999 in UTC.
FORGED = {
    "/api/products?ordering=stock_quantity": ["2147483648", "-2147483649", "1.5", "ten", ""],
    "/api/products?ordering=-price": ["1e999999", "12345678901234567.00", "0.001", "NaN", "Infinity", "x"],
    "/api/products?ordering=id": [str(MAX_ID + 1), "-" + str(MAX_ID + 2), "1e3"],
    "/api/products": ["a\x00b", "n" * 201],
    "/api/products?ordering=created_at": ["2026-01-01T00:00:00", "9999-12-31T23:59:59-15:00", "tomorrow"],
    "/api/customers": ["Doe\x00"],
    "/api/customers?ordering=email": ["a\x00@example.com", "e" * 256],
    "/api/customers?ordering=-first_name": ["\x00"],
    "/api/orders": ["0001-01-01T00:00:00+15:00", "2026-13-01T00:00:00Z", "1", "\x00"],
    "/api/orders?ordering=total_amount": ["1e999999", "-1E+400", "99999999999999999"],
    "/api/customers/{customer}/orders?ordering=-id": ["99999999999999999999"],
}


@pytest.mark.parametrize(
    ("url", "position"),
    [
        pytest.param(url, position, id=f"{url} p={position[:24]!r}")
        for url, positions in FORGED.items()
        for position in positions
    ],
)
def test_a_forged_cursor_position_is_a_400_invalid_cursor(api_client, shop, url, position):
    url = url.format(customer=shop.customer_id)
    before = database_state()

    response = api_client.get(f"{url}{'&' if '?' in url else '?'}cursor={forged_cursor(p=position)}")

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"cursor": [INVALID_CURSOR]}
    assert database_state() == before


@pytest.mark.parametrize("tokens", [{"o": "-1"}, {"o": "1.5"}, {"r": "x"}, {"r": "9" * 5000}])
def test_a_forged_offset_or_direction_is_a_400_invalid_cursor(api_client, shop, tokens):
    response = api_client.get(f"/api/orders?cursor={forged_cursor(**tokens)}")
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"cursor": [INVALID_CURSOR]}
