"""A property-based fuzz (Hypothesis) of what clients put in a URL: every list's query parameters (filters,
search, ordering, limit, cursor, forged cursors among them) and every path id. No input may answer a 5xx; each
refusal is a problem document. scripts/test.sh runs it on SQLite and on PostgreSQL; the examples are drawn
deterministically (derandomize), so CI runs the same cases each time. test_input_refusals.py pins each
refusal's exact answer."""

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from orderservice.domain.limits import MAX_ID, MAX_INTEGER
from orderservice.testing.factories import CustomerFactory, ProductFactory, order_in, place_order

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

EXAMPLES = 200
FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DATABASE = "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"

ORDER_LIST = {
    "filters": ["customer_id", "status", "order_date_after", "order_date_before"],
    "ordering": ["order_date", "total_amount", "created_at", "id"],
}
LISTS = {
    "/api/customers": {"filters": ["email"], "ordering": ["last_name", "first_name", "email", "created_at", "id"]},
    "/api/products": {
        "filters": ["category", "sku", "is_active", "in_stock", "min_price", "max_price"],
        "ordering": ["name", "price", "stock_quantity", "created_at", "id"],
    },
    "/api/orders": ORDER_LIST,
    "/api/customers/{customer}/orders": ORDER_LIST,
}

# Values at and beyond every bound a column or a parser has, and the spellings that fool int() and isdigit().
EDGES = [
    "",
    "0",
    "-0",
    "1",
    "-1",
    str(MAX_INTEGER),
    str(MAX_INTEGER + 1),
    str(-MAX_INTEGER - 2),
    str(MAX_ID),
    str(MAX_ID + 1),
    str(-MAX_ID - 2),
    "9" * 40,
    "9" * 5000,
    "1e999999",
    "-1E+400",
    "NaN",
    "-Infinity",
    "0.001",
    "9999999999999999.99",
    "99999999999999999.99",
    "1.5",
    "\u00b2",
    "\u0661\u0662",
    " 7",
    "0x1F",
    "1_000",
    "true",
    "false",
    "perhaps",
    "Pending",
    "Lost",
    "2026-01-01",
    "2026-01-01T00:00:00",
    "0001-01-01T00:00:00+15:00",
    "9999-12-31T23:59:59-15:00",
    "2026-13-45",
    "a\x00b",
    "\x00",
    "\u202e",
    "%",
    "'; DROP TABLE x; --",
    "a b c",
]
values = st.one_of(
    st.sampled_from(EDGES),
    st.text(max_size=40),  # any character but lone surrogates, which a URL cannot carry
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
)


def cursor_of(tokens: dict) -> str:
    return base64.b64encode(urlencode(tokens).encode()).decode()


# DRF's CursorPagination cursor is base64 of a query string: o (offset), r (reverse), p (position).
cursors = st.one_of(values, st.fixed_dictionaries({}, optional={"o": values, "r": values, "p": values}).map(cursor_of))


def orderings(fields: list[str]):
    one = st.one_of(st.sampled_from(fields), st.sampled_from(fields).map(lambda name: f"-{name}"), values)
    return st.lists(one, min_size=1, max_size=3).map(",".join)


def queries(fields: dict):
    parameter = st.one_of(
        st.tuples(st.sampled_from(fields["filters"]), values),
        st.tuples(st.just("search"), values),
        st.tuples(st.just("ordering"), orderings(fields["ordering"])),
        st.tuples(st.just("limit"), values),
        st.tuples(st.just("cursor"), cursors),
        st.tuples(st.text(max_size=10), values),
    )
    return st.lists(parameter, max_size=6)


@pytest.fixture
def shop():
    """Rows in every list and every status, with prices and stock at their bounds."""
    customer = CustomerFactory(last_name="O'Hara \u00e9", email="big@example.com")
    cheap = ProductFactory(price="0.01", stock_quantity=MAX_INTEGER)
    dear = ProductFactory(price="9999999.99", stock_quantity=1000)
    for status in ("Pending", "Processing", "Shipped", "Delivered", "Cancelled"):
        order_in(status, customer=customer, items=[(cheap, 3), (dear, 1)])
    place_order(CustomerFactory(), [(ProductFactory(), 1)])
    return customer


@pytest.fixture
def fuzzed(request, capsys):
    """Counts the requests a fuzz sends, and prints how many once it is done."""
    counts = {"requests": 0}
    yield counts
    with capsys.disabled():
        print(
            f"\n[hypothesis, {DATABASE}] {request.node.name}: {counts['requests']} requests (derandomized, "
            f"at most {EXAMPLES} examples), no 5xx"
        )


# What the API answers when the database itself refuses a value: input that got that far was not bounded first.
DATABASE_REFUSED = "A value is too long or out of the range the database can store"


def assert_answered(response) -> None:
    assert response.status_code < 500, (response.status_code, response.wsgi_request.get_full_path(), response.content)
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json", response.content
        assert response.json()["detail"] != DATABASE_REFUSED, response.wsgi_request.get_full_path()


@pytest.mark.parametrize("path", LISTS)
def test_no_query_on_any_list_is_a_server_error(api_client, shop, fuzzed, path):
    url = path.format(customer=shop.pk)

    @FUZZ
    @given(query=queries(LISTS[path]))
    def request_list(query):
        response = api_client.get(f"{url}?{urlencode(query)}")
        fuzzed["requests"] += 1
        assert_answered(response)

    request_list()


@pytest.mark.parametrize("path", LISTS)
def test_no_forged_cursor_for_any_ordering_is_a_server_error(api_client, shop, fuzzed, path):
    """Each ordering the list allows, ascending and descending, with a cursor whose position is drawn mostly from
    the edges: what a forged cursor can be for that column."""
    url = path.format(customer=shop.pk)
    fields = LISTS[path]["ordering"]
    positions = st.one_of(st.sampled_from(EDGES), values)

    @FUZZ
    @given(
        ordering=st.sampled_from(fields + [f"-{name}" for name in fields] + [""]),
        tokens=st.fixed_dictionaries({"p": positions}, optional={"o": values, "r": st.sampled_from(["0", "1"])}),
    )
    def request_page(ordering, tokens):
        query = {"cursor": cursor_of(tokens), **({"ordering": ordering} if ordering else {})}
        response = api_client.get(f"{url}?{urlencode(query)}")
        fuzzed["requests"] += 1
        assert_answered(response)

    request_page()


# Each write with a body it refuses, so that no fuzzed id changes a row (every product is on an order: no delete).
ITEM_ROUTES = [
    ("get", "/api/customers/{id}", None),
    ("get", "/api/products/{id}", None),
    ("get", "/api/orders/{id}", None),
    ("get", "/api/customers/{id}/orders", None),
    ("get", "/api/v1/orders/{id}", None),
    ("put", "/api/customers/{id}", {"email": "not an address"}),
    ("patch", "/api/products/{id}", {"price": "0"}),
    ("patch", "/api/orders/{id}", {"status": "Lost"}),
    ("put", "/api/orders/{id}/status", {"status": "Lost"}),
    ("delete", "/api/products/{id}", None),
]
ids = st.one_of(values, st.integers(min_value=-(2**70), max_value=2**70).map(str))


def test_no_path_id_is_a_server_error(api_client, shop, fuzzed):
    @FUZZ
    @given(route=st.sampled_from(ITEM_ROUTES), row_id=ids)
    def request_item(route, row_id):
        method, path, body = route
        url = path.format(id=quote(row_id, safe=""))
        response = getattr(api_client, method)(url, *([] if body is None else [body]), format="json")
        fuzzed["requests"] += 1
        assert_answered(response)

    request_item()


bodies_text = st.one_of(
    values, st.text(alphabet=st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zs", "Lu"]), max_size=30)
)  # controls, bidi overrides, lone surrogates, separators


def nested(children):
    return st.one_of(st.lists(children, max_size=3), st.dictionaries(bodies_text, children, max_size=3))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), bodies_text), nested, max_leaves=10
)

FIELDS = {
    "/api/customers": ["first_name", "last_name", "email", "phone", "address", "user_id"],
    "/api/products": ["name", "description", "price", "sku", "stock_quantity", "category", "is_active"],
    "/api/orders": ["customer_id", "order_items", "notes", "shipping_address"],
}


def test_no_body_field_is_a_server_error(api_client, shop, fuzzed):
    """Not a URL, but where most text enters: any JSON value (lone surrogates, NUL, bidi overrides, numbers
    beyond every column) in any field of a POST."""

    @FUZZ
    @given(path=st.sampled_from(list(FIELDS)), data=st.data())
    def post(path, data):
        body = data.draw(st.dictionaries(st.sampled_from(FIELDS[path]), json_values, max_size=len(FIELDS[path])))
        response = api_client.post(path, json.dumps(body), content_type="application/json")
        fuzzed["requests"] += 1
        assert_answered(response)

    post()
