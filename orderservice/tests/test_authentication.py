"""Every /api/ route needs a token the User Service signed; the public pages need none.

Tokens are verified against the real JWKS server that conftest.py starts on loopback.
"""
import time

import jwt
import pytest

from orderservice.tests.jwks import SigningKey

pytestmark = pytest.mark.django_db

API_ROUTES = ["/api/customers", "/api/products", "/api/orders", "/api/v1/customers", "/api/customers/1",
              "/api/orders/1/status"]


def get_with_token(client, token, path="/api/customers"):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_refused(response, error_description=None):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith('Bearer realm="order-service"')
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"
    assert body["detail"]


@pytest.mark.parametrize("path", API_ROUTES)
def test_a_request_without_token_is_refused(anonymous_client, path):
    response = anonymous_client.get(path)
    assert_refused(response)
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_a_valid_token_is_accepted(anonymous_client, jwks_server):
    response = get_with_token(anonymous_client, jwks_server.token())
    assert response.status_code == 200
    assert response.json() == []


def test_a_token_without_simplejwt_token_type_or_jti_is_accepted(anonymous_client, jwks_server):
    token = jwks_server.token(subject="user-42")
    assert set(jwt.decode(token, options={"verify_signature": False})) == {"sub", "aud", "iss", "iat", "exp"}
    assert get_with_token(anonymous_client, token).status_code == 200


def test_an_expired_token_is_refused(anonymous_client, jwks_server):
    expired_an_hour_ago = int(time.time()) - 3600
    assert_refused(get_with_token(anonymous_client, jwks_server.token(exp=expired_an_hour_ago)))


def test_a_token_signed_with_another_key_under_a_published_kid_is_refused(anonymous_client, jwks_server):
    forger = SigningKey(kid=jwks_server.keys[0].kid)  # same kid, different private key
    assert_refused(get_with_token(anonymous_client, jwks_server.token(key=forger)))


def test_a_token_with_a_tampered_payload_is_refused(anonymous_client, jwks_server):
    header, payload, signature = jwks_server.token().split(".")
    other_payload = jwks_server.token(subject="admin").split(".")[1]
    assert_refused(get_with_token(anonymous_client, f"{header}.{other_payload}.{signature}"))
    assert other_payload != payload


def test_a_token_for_another_audience_or_issuer_is_refused(anonymous_client, jwks_server):
    assert_refused(get_with_token(anonymous_client, jwks_server.token(aud="another-service")))
    assert_refused(get_with_token(anonymous_client, jwks_server.token(iss="https://attacker.example")))


def test_a_token_without_exp_is_refused(anonymous_client, jwks_server):
    assert_refused(get_with_token(anonymous_client, jwks_server.token(exp=None)))


def test_garbage_in_the_authorization_header_is_refused(anonymous_client):
    assert_refused(get_with_token(anonymous_client, "not-a-jwt"))


@pytest.mark.parametrize("path", ["/health", "/openapi.json", "/docs", "/redoc"])
def test_public_pages_need_no_token(anonymous_client, path):
    assert anonymous_client.get(path).status_code == 200
