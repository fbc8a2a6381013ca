"""Finding customers: ?search= over names and email, ?email= exact, ?ordering=."""

import pytest

from orderservice.testing.api import assert_invalid
from orderservice.testing.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def emails(response) -> list[str]:
    assert response.status_code == 200
    return [row["email"] for row in response.json()]


def test_search_matches_parts_of_first_name_last_name_and_email(api_client):
    CustomerFactory(first_name="Ada", last_name="Lovelace", email="ada@engines.example")
    CustomerFactory(first_name="Grace", last_name="Hopper", email="grace@navy.example")
    CustomerFactory(first_name="Alan", last_name="Turing", email="alan@bletchley.example")
    assert emails(api_client.get("/api/customers?search=love")) == ["ada@engines.example"]
    assert emails(api_client.get("/api/customers?search=GRACE")) == ["grace@navy.example"]
    assert emails(api_client.get("/api/customers?search=bletchley")) == ["alan@bletchley.example"]
    assert emails(api_client.get("/api/customers?search=nobody")) == []


def test_email_matches_the_whole_address_in_any_case(api_client):
    CustomerFactory(email="ann@example.com")
    CustomerFactory(email="joann@example.com")
    assert emails(api_client.get("/api/customers?email=ANN@example.com")) == ["ann@example.com"]


def test_ordering_by_a_listed_field_and_the_default(api_client):
    CustomerFactory(first_name="B", last_name="Smith", email="b@example.com")
    CustomerFactory(first_name="A", last_name="Smith", email="z@example.com")
    CustomerFactory(first_name="C", last_name="Jones", email="c@example.com")
    assert emails(api_client.get("/api/customers")) == ["c@example.com", "z@example.com", "b@example.com"]
    assert emails(api_client.get("/api/customers?ordering=-email")) == [
        "z@example.com",
        "c@example.com",
        "b@example.com",
    ]


def test_ordering_by_an_unlisted_field_is_a_400_naming_the_allowed_ones(api_client):
    CustomerFactory(last_name="B")
    response = api_client.get("/api/customers?ordering=phone")
    assert_invalid(
        response,
        "ordering",
        "Cannot order by 'phone'; use one of last_name, first_name, email, created_at, id (prefix - for descending).",
    )


def test_an_unknown_parameter_name_is_still_ignored(api_client):
    CustomerFactory(last_name="B")
    CustomerFactory(last_name="A")
    response = api_client.get("/api/customers?order_by=phone&sort=-last_name")
    assert [row["last_name"] for row in response.json()] == ["A", "B"]
