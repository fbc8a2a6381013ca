"""Token verification against a real JWKS server on loopback that each test starts and controls.

Nothing in the verifier is patched: the tests sign tokens, publish (or withhold) keys, and break the key
server the ways a real User Service breaks.
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from jwt.algorithms import ECAlgorithm
from jwt.warnings import InsecureKeyLengthWarning
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from orderservice.auth.keys import PublishedKey, public_keys_from_jwks
from orderservice.auth.tokens import BearerTokenAuthentication, RecentlyVerifiedTokens, Verification
from orderservice.testing.jwks import JWKSServer, SigningKey, claims

pytestmark = pytest.mark.django_db

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NET_NAME_ID = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
NET_ROLE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
REALM = 'Bearer realm="order-service"'


@pytest.fixture
def user_service(settings):
    """A User Service of this test's own, with short cache, cooldown and timeout so outages can be shown."""
    server = JWKSServer().start()
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "JWK_URL": server.url}
    settings.JWKS_CACHE_SECONDS = 1
    settings.JWKS_REFRESH_COOLDOWN_SECONDS = 1
    settings.JWKS_FETCH_TIMEOUT_SECONDS = 1
    yield server
    server.mode = "ok"
    server.stop()


def call_api(client, token=None, path="/api/customers"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.get(path, **headers)


def assert_refused(response, description="The access token is invalid"):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == f'{REALM}, error="invalid_token", error_description="{description}"'
    assert response.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": description,
        "instance": response.wsgi_request.path,
    }


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict, payload: dict, signature: bytes = b"") -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}.{b64url(signature)}"


# --- accepted ------------------------------------------------------------------------------------


def test_a_plain_sub_token_is_accepted(anonymous_client, user_service):
    response = call_api(anonymous_client, user_service.token())
    assert response.status_code == 200
    assert response.json() == []


def test_a_dotnet_shaped_token_is_accepted_with_its_subject_and_roles(anonymous_client, user_service):
    token = user_service.token(
        subject=None,
        roles=None,
        **{NET_NAME_ID: "user-7", NET_ROLE: ["Admin", "Clerk"], "aud": ["another-api", "shala"]},
    )
    assert call_api(anonymous_client, token).status_code == 200

    request = Request(APIRequestFactory().get("/api/customers", HTTP_AUTHORIZATION=f"Bearer {token}"))
    user, _token = BearerTokenAuthentication().authenticate(request)
    assert user.id == "user-7"
    assert user.roles == {"Admin", "Clerk"}


@pytest.mark.parametrize("role_claim", [{"role": "Admin"}, {"roles": ["Admin", "Viewer"]}, {NET_ROLE: "Admin"}])
def test_roles_are_read_from_any_claim_name_as_string_or_array(user_service, role_claim):
    token = user_service.token(**{"roles": None, **role_claim})  # only the claim under test
    request = Request(APIRequestFactory().get("/api/customers", HTTP_AUTHORIZATION=f"Bearer {token}"))
    user, _token = BearerTokenAuthentication().authenticate(request)
    assert user.id == "test-user"
    assert "Admin" in user.roles


def test_a_token_within_the_leeway_is_accepted(anonymous_client, user_service):
    expired_ten_seconds_ago = int(time.time()) - 10  # leeway is 30 s
    assert call_api(anonymous_client, user_service.token(exp=expired_ten_seconds_ago)).status_code == 200
    not_before_in_ten_seconds = int(time.time()) + 10
    assert call_api(anonymous_client, user_service.token(nbf=not_before_in_ten_seconds)).status_code == 200


def test_a_token_without_simplejwt_token_type_or_jti_is_accepted(anonymous_client, user_service):
    token = user_service.token()
    assert set(jwt.decode(token, options={"verify_signature": False})) == {"sub", "aud", "iss", "iat", "exp", "roles"}
    assert call_api(anonymous_client, token).status_code == 200


# --- refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/customers", "/api/products/1", "/api/v1/orders", "/api/orders/1/status"])
def test_a_request_without_a_token_is_refused_without_an_error_code(anonymous_client, path):
    response = anonymous_client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == REALM
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Authentication credentials were not provided."


@pytest.mark.parametrize("token", ["garbage", "two.segments", "a.b.c", "", "Bearer"])
def test_garbage_is_refused(anonymous_client, user_service, token):
    assert_refused(anonymous_client.get("/api/customers", HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_a_token_with_alg_none_is_refused(anonymous_client, user_service):
    token = unsigned_token({"alg": "none", "typ": "JWT", "kid": user_service.keys[0].kid}, claims())
    assert_refused(call_api(anonymous_client, token))


def test_hs256_signed_with_the_rsa_public_key_is_refused(anonymous_client, user_service):
    public_pem = (
        user_service.keys[0]
        .private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": user_service.keys[0].kid}
    signing_input = unsigned_token(header, claims()).rsplit(".", 1)[0]
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    assert_refused(call_api(anonymous_client, f"{signing_input}.{b64url(signature)}"))


def test_the_right_kid_with_another_key_is_refused(anonymous_client, user_service):
    forger = SigningKey(kid=user_service.keys[0].kid)
    assert_refused(call_api(anonymous_client, user_service.token(key=forger)))


def test_a_tampered_payload_is_refused(anonymous_client, user_service):
    header, _payload, signature = user_service.token().split(".")
    admin_payload = b64url(json.dumps(claims(subject="admin", roles=["Admin"])).encode())
    assert_refused(call_api(anonymous_client, f"{header}.{admin_payload}.{signature}"))


def test_an_expired_token_is_refused(anonymous_client, user_service):
    an_hour_ago = int(time.time()) - 3600
    assert_refused(call_api(anonymous_client, user_service.token(exp=an_hour_ago)), "The access token expired")


def test_a_token_not_valid_yet_is_refused(anonymous_client, user_service):
    in_an_hour = int(time.time()) + 3600
    assert_refused(call_api(anonymous_client, user_service.token(nbf=in_an_hour)), "The access token is not valid yet")


def test_a_token_without_exp_is_refused(anonymous_client, user_service):
    assert_refused(call_api(anonymous_client, user_service.token(exp=None)))


def signed_raw(user_service, payload: str) -> str:
    """A token whose payload is exactly `payload`: JSON a library would not write (NaN, 1e308, true)."""
    key = user_service.keys[0]
    return jwt.api_jws.encode(payload.encode(), key.private_key, algorithm="RS256", headers={"kid": key.kid})


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize(
    "value", ['"soon"', "true", "null", "[1]", "-1", "1e20", "1e308", "NaN", "Infinity", "-Infinity", str(2**64)]
)
def test_a_time_claim_that_is_not_a_numeric_date_in_range_is_refused_never_a_500(
    anonymous_client, user_service, claim, value
):
    now = int(time.time())
    times = {"iat": str(now), "exp": str(now + 600), claim: value}
    time_members = ", ".join(f'"{name}": {number}' for name, number in times.items())
    payload = '{"sub": "test-user", "aud": "shala", "iss": "shala", "roles": ["Admin"], ' + time_members + "}"
    assert_refused(call_api(anonymous_client, signed_raw(user_service, payload)))
    assert_refused(call_api(anonymous_client, signed_raw(user_service, payload)))  # nor from memory


def test_fractional_numeric_dates_are_accepted(anonymous_client, user_service):
    now = time.time()
    token = user_service.token(iat=now - 0.5, nbf=now - 0.5, exp=now + 60.5)
    assert call_api(anonymous_client, token).status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "another-service"},
        {"aud": None},
        {"aud": ["a", "b"]},
        {"iss": "https://attacker.example"},
        {"iss": None},
    ],
)
def test_a_wrong_or_missing_audience_or_issuer_is_refused(anonymous_client, user_service, overrides):
    assert_refused(call_api(anonymous_client, user_service.token(**overrides)))


def test_a_token_without_a_subject_is_refused(anonymous_client, user_service):
    assert_refused(call_api(anonymous_client, user_service.token(subject=None)))


@pytest.mark.parametrize("header_name", ["jku", "jwk", "x5u"])
def test_a_token_naming_its_own_key_is_refused_and_that_key_is_never_fetched(
    anonymous_client, user_service, header_name
):
    attacker = JWKSServer().start()
    try:
        attacker_key = attacker.keys[0]
        value = attacker_key.public_jwk() if header_name == "jwk" else attacker.url
        token = user_service.token(key=attacker_key, headers={header_name: value})
        assert_refused(call_api(anonymous_client, token))
        assert attacker.requests == 0
    finally:
        attacker.stop()


def test_an_ec_key_under_the_tokens_kid_is_refused(anonymous_client, user_service):
    ec_jwk = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()))
    user_service.extra_jwks = [{**ec_jwk, "kid": "shared-kid"}]
    token = user_service.token(key=SigningKey(kid="shared-kid"))
    assert_refused(call_api(anonymous_client, token))


def test_an_oct_key_under_the_tokens_kid_is_refused(anonymous_client, user_service):
    user_service.extra_jwks = [{"kty": "oct", "kid": "secret-kid", "k": b64url(b"shared secret")}]
    header = {"alg": "HS256", "typ": "JWT", "kid": "secret-kid"}
    signing_input = unsigned_token(header, claims()).rsplit(".", 1)[0]
    signature = hmac.new(b"shared secret", signing_input.encode(), hashlib.sha256).digest()
    assert_refused(call_api(anonymous_client, f"{signing_input}.{b64url(signature)}"))
    rs256_under_oct_kid = user_service.token(key=SigningKey(kid="secret-kid"))
    assert_refused(call_api(anonymous_client, rs256_under_oct_kid))


def test_refusals_are_logged_with_their_reason_and_never_the_token(anonymous_client, user_service, caplog):
    token = user_service.token(exp=int(time.time()) - 3600)
    with caplog.at_level(logging.WARNING, logger="orderservice.auth"):
        call_api(anonymous_client, token)
    assert "token refused: expired" in caplog.text
    assert token not in caplog.text and token.split(".")[1] not in caplog.text


# --- keys: rotation, outages, floods ------------------------------------------------------------------


def test_a_newly_published_key_is_accepted_without_restart(anonymous_client, user_service):
    assert call_api(anonymous_client, user_service.token()).status_code == 200
    rotated = SigningKey()
    user_service.keys.append(rotated)
    time.sleep(1.1)  # past the refresh cooldown
    assert call_api(anonymous_client, user_service.token(key=rotated)).status_code == 200


# "empty": a key set without keys is a User Service fault (it always publishes one), not a revocation.
@pytest.mark.parametrize("outage", ["down", "error", "html", "empty", "hang"])
def test_known_keys_keep_working_through_an_outage_and_unknown_kids_get_503(anonymous_client, user_service, outage):
    assert call_api(anonymous_client, user_service.token()).status_code == 200  # keys fetched
    if outage == "down":
        user_service.stop()
    else:
        user_service.mode = outage
        user_service.hang_seconds = 3
    time.sleep(1.1)  # past the cache lifetime and the cooldown: every request below would like to refetch

    started = time.monotonic()
    known = call_api(anonymous_client, user_service.token())
    known_took = time.monotonic() - started
    assert known.status_code == 200
    assert known_took < 1 + 0.5  # one fetch timeout (1 s) and a little

    time.sleep(1.1)
    started = time.monotonic()
    unknown = call_api(anonymous_client, user_service.token(key=SigningKey()))
    unknown_took = time.monotonic() - started
    assert unknown.status_code == 503
    assert unknown["Content-Type"] == "application/problem+json"
    assert unknown["Retry-After"] == "1"  # the refresh cooldown
    assert unknown.json()["status"] == 503
    assert unknown_took < 1 + 0.5

    assert call_api(anonymous_client, user_service.token()).status_code == 200


def test_an_unreachable_user_service_before_any_fetch_answers_503_not_401(anonymous_client, user_service):
    user_service.stop()
    response = call_api(anonymous_client, user_service.token())
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert "WWW-Authenticate" not in response


def test_random_kids_cause_at_most_one_fetch_per_cooldown(anonymous_client, user_service, settings):
    settings.JWKS_REFRESH_COOLDOWN_SECONDS = 2
    assert call_api(anonymous_client, user_service.token()).status_code == 200
    fetches_after_warm_up = user_service.requests
    time.sleep(2.1)  # a refresh is allowed again
    attacker = SigningKey()
    for _ in range(50):
        token = user_service.token(key=attacker, headers={"kid": uuid.uuid4().hex})
        assert_refused(call_api(anonymous_client, token))
    assert user_service.requests - fetches_after_warm_up == 1


# --- which published keys are trusted, and for how long ---------------------------------------------------


@pytest.mark.parametrize(
    "unfit",
    [
        {"key_size": 1024},  # RSA under 2048 bits
        {"published": {"use": "enc"}},  # published for encryption, not signatures
        {"published": {"alg": "RS512"}},  # published for another algorithm than the token's RS256
    ],
    ids=["rsa-1024", "use-enc", "alg-RS512"],
)
def test_a_published_key_unfit_for_the_token_is_not_used(anonymous_client, user_service, unfit):
    key = SigningKey(**unfit)
    user_service.keys.append(key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)  # PyJWT signs with a weak key, grudgingly
        token = user_service.token(key=key)
    assert_refused(call_api(anonymous_client, token))
    assert call_api(anonymous_client, user_service.token()).status_code == 200  # the rest of the key set is used


def test_a_published_key_without_use_or_alg_is_used(anonymous_client, user_service):
    key = SigningKey(published={"use": None, "alg": None})
    user_service.keys = [key]
    assert call_api(anonymous_client, user_service.token(key=key)).status_code == 200


def test_ec_keys_are_kept_only_on_the_curves_of_es256_es384_es512():
    published = {
        "keys": [
            {**ECAlgorithm.to_jwk(ec.generate_private_key(curve).public_key(), as_dict=True), "kid": kid}
            for kid, curve in [
                ("p256", ec.SECP256R1()),
                ("p384", ec.SECP384R1()),
                ("p521", ec.SECP521R1()),
                ("k256", ec.SECP256K1()),
            ]
        ]
    }
    assert set(public_keys_from_jwks(published)) == {"p256", "p384", "p521"}


def test_a_withdrawn_key_is_refused_at_once_after_the_next_fetch_also_for_a_token_verified_seconds_ago(
    anonymous_client, user_service, settings
):
    settings.JWKS_CACHE_SECONDS = 300  # the keys are fresh: only the fetch below changes them
    token = user_service.token()
    assert call_api(anonymous_client, token).status_code == 200  # verified, and remembered for a minute
    successor = SigningKey()
    user_service.keys = [successor]  # the User Service withdraws the key
    time.sleep(1.1)  # past the refresh cooldown

    assert call_api(anonymous_client, user_service.token(key=successor)).status_code == 200  # its kid fetches
    assert_refused(call_api(anonymous_client, token))


def test_known_keys_stop_serving_once_an_outage_outlasts_the_stale_limit(anonymous_client, user_service, settings):
    settings.JWKS_STALE_MAX_SECONDS = 1  # keys serve until 1 s (cache) + 1 s (stale limit) after their fetch
    token = user_service.token()
    assert call_api(anonymous_client, token).status_code == 200
    user_service.stop()
    time.sleep(1.1)
    assert call_api(anonymous_client, token).status_code == 200  # stale, within the limit

    time.sleep(1.1)
    response = call_api(anonymous_client, token)
    assert response.status_code == 503
    assert response["Retry-After"] == "1"  # the refresh cooldown
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize("target", ["another port", "another host name", "https"])
def test_a_jwks_redirect_to_another_origin_is_not_followed(anonymous_client, user_service, target):
    elsewhere = JWKSServer().start()  # publishes keys of its own, and would sign any token
    port = user_service.httpd.server_port
    try:
        user_service.mode = "redirect"
        user_service.redirect_to = {
            "another port": elsewhere.url,
            "another host name": f"http://localhost:{port}/keys",
            "https": f"https://127.0.0.1:{port}/keys",
        }[target]
        response = call_api(anonymous_client, elsewhere.token())
        assert response.status_code == 503  # no key set could be fetched
        assert elsewhere.requests == 0
    finally:
        elsewhere.stop()


def test_a_jwks_redirect_within_its_origin_is_followed(anonymous_client, user_service):
    user_service.mode = "redirect"
    user_service.redirect_to = user_service.url.replace("/.well-known/jwks.json", "/keys")
    assert call_api(anonymous_client, user_service.token()).status_code == 200
    assert user_service.requests == 2  # the redirect, then the keys


# --- the development key ---------------------------------------------------------------------------


@pytest.fixture
def development_key_file(settings, tmp_path):
    settings.JWT_DEV_KEY_FILE = tmp_path / "dev-key.pem"
    return settings.JWT_DEV_KEY_FILE


def devtoken(*arguments) -> str:
    from io import StringIO

    output = StringIO()
    call_command("devtoken", *arguments, stdout=output)
    return output.getvalue().strip()


def test_devtoken_mints_a_token_the_service_accepts_without_a_user_service(
    anonymous_client, user_service, development_key_file
):
    user_service.stop()  # no User Service at all
    token = devtoken("--sub", "alice", "--role", "Admin", "--minutes", "5")
    assert call_api(anonymous_client, token).status_code == 200
    assert development_key_file.stat().st_mode & 0o777 == 0o600
    payload = jwt.decode(token, options={"verify_signature": False})
    assert (payload["sub"], payload["roles"], payload["aud"]) == ("alice", ["Admin"], "shala")
    assert payload["exp"] - payload["iat"] == 300


def test_the_development_key_is_refused_under_production_settings(user_service, development_key_file):
    """In a process started with ENVIRONMENT=production, a devtoken token is refused like any unknown key."""
    token = devtoken()
    script = (
        "import django; django.setup()\n"
        "from rest_framework.request import Request\n"
        "from rest_framework.test import APIRequestFactory\n"
        "from orderservice.auth.tokens import BearerTokenAuthentication\n"
        f"request = Request(APIRequestFactory().get('/api/customers', HTTP_AUTHORIZATION='Bearer {token}'))\n"
        "try:\n"
        "    BearerTokenAuthentication().authenticate(request)\n"
        "    print('accepted')\n"
        "except Exception as refusal:\n"
        "    print('refused', type(refusal).__name__)\n"
    )
    base = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "orderservice.settings",
        "JWT_JWKS_URL": user_service.url,
        "JWT_DEV_KEY_FILE": str(development_key_file),
        "DATABASE_URL": "sqlite:///:memory:",
    }
    production = {
        **base,
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "testserver",
    }

    def verdict(environment):
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout.strip() or result.stderr

    assert verdict(base) == "accepted"  # the same token, the same key file, in development
    assert verdict(production) == "refused TokenRefused"


def test_devtoken_refuses_to_run_in_production(tmp_path):
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "orders.example.com",
        "JWT_AUTHORITY": "https://users.example.com",
        "JWT_DEV_KEY_FILE": str(tmp_path / "key.pem"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "devtoken"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "development only" in result.stderr, result.stderr
    assert not (tmp_path / "key.pem").exists()
    assert result.stdout == ""


# --- tokens verified recently ---------------------------------------------------------------------------


def test_a_token_accepted_a_moment_ago_is_refused_once_it_expires(anonymous_client, user_service, settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "LEEWAY": 0}
    token = user_service.token(exp=int(time.time()) + 2)
    assert call_api(anonymous_client, token).status_code == 200
    assert call_api(anonymous_client, token).status_code == 200  # from memory, no second RSA check
    time.sleep(2.5)
    assert_refused(call_api(anonymous_client, token), "The access token expired")


def test_recently_verified_tokens_are_bounded_and_forgotten_after_their_time():
    memory = RecentlyVerifiedTokens(size=2, seconds=0.5)
    far = time.time() + 3600
    key = PublishedKey(SigningKey().private_key.public_key(), "RS256")
    for token in (b"a", b"b", b"c"):
        memory.add(token, Verification({"sub": token.decode(), "exp": far}, "kid", key))
    assert memory.get(b"a", leeway=0) is None  # the least recently used went
    assert memory.get(b"c", leeway=0).claims == {"sub": "c", "exp": far}
    time.sleep(0.6)
    assert memory.get(b"c", leeway=0) is None
