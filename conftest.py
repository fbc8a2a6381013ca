"""Fixtures every test can use: a real JWKS server on loopback, and API clients with or without a token."""
import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from orderservice.tests.jwks import AUDIENCE, ISSUER, JWKSServer


@pytest.fixture(scope="session")
def jwks_server():
    server = JWKSServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def _tokens_verified_by_jwks_server(jwks_server):
    """The service verifies every token against the loopback JWKS server, exactly as in production."""
    jwt_settings = {**settings.SIMPLE_JWT, "JWK_URL": jwks_server.url, "AUDIENCE": AUDIENCE, "ISSUER": ISSUER}
    with override_settings(SIMPLE_JWT=jwt_settings):
        yield


@pytest.fixture
def anonymous_client():
    return APIClient()


@pytest.fixture
def api_client(jwks_server):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {jwks_server.token()}")
    return client
