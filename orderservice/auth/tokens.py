"""Bearer tokens from the User Service, verified with simplejwt against the User Service's JWKS.

The service is a resource server: no user rows, no tokens issued (but for `manage.py devtoken` in
development). simplejwt's token and authentication classes are extended, not replaced: its TokenBackend
gets our key lookup (`orderservice.auth.keys`) and stricter header checks, its TokenUser learns the .NET claim
names, and its authentication class says why a token failed (RFC 6750) and answers 503 while the keys
cannot be fetched.
"""

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property, lru_cache
from pathlib import Path

import jwt
import structlog
from django.conf import settings
from django.test.signals import setting_changed
from rest_framework import exceptions, status
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.tokens import Token

from orderservice.auth.devkeys import development_public_keys
from orderservice.auth.keys import KeySet, KeySetSettings, PublishedKey, SigningKeysUnavailable, UnknownSigningKey
from orderservice.auth.permissions import permissions_of

logger = logging.getLogger("orderservice.auth")

SUBJECT_CLAIMS = ("sub", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier")
ROLE_CLAIMS = ("role", "roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")
SCOPE_CLAIMS = ("scope", "scp")  # OAuth's space-separated string, or Microsoft's string or array
# Header parameters that name a key or where to fetch one: trusting them would let a token choose its own key.
SELF_KEYING_HEADERS = ("jku", "x5u", "jwk", "x5c")
TIME_CLAIMS = ("exp", "nbf", "iat")
# The last second a datetime can hold (9999-12-31T23:59:59Z): simplejwt turns `exp` into one.
LATEST_NUMERIC_DATE = 253402300799

INVALID = "The access token is invalid"


class TokenRefused(exceptions.AuthenticationFailed):
    """A token was sent and fails verification: `reason` is logged, `detail` is what the client reads."""

    def __init__(self, reason: str, detail: str = INVALID):
        super().__init__(detail, code="invalid_token")
        self.reason = reason


class SigningKeyUnavailable(exceptions.APIException):
    """The token may be fine, but its key cannot be fetched right now: retry, do not log the user out."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The User Service's signing keys cannot be fetched right now; retry shortly"
    default_code = "signing_keys_unavailable"

    def __init__(self, retry_after: int):
        super().__init__()
        self.wait = retry_after  # DRF turns `wait` into a Retry-After header


class UserServiceTokenBackend(TokenBackend):
    """simplejwt's backend with the User Service's key set, configured algorithms only, `exp` required."""

    def __init__(self, *, algorithms: list[str], key_set: KeySet, development_key_file: Path | None, **options):
        super().__init__(algorithm=algorithms[0], **options)
        self.algorithms = algorithms
        self.key_set = key_set
        self.development_key_file = development_key_file
        self.recently_verified = RecentlyVerifiedTokens()

    def decode(self, token, verify: bool = True) -> dict:
        """The token's verified claims. A client sends the same token with every request, and the RSA check
        is much of a small request's cost, so a token verified in the last minute is not checked again while
        its key is still the one published under its kid (its expiry still is checked): a withdrawn key
        stops the tokens it signed at once, remembered or not."""
        remembered = self.recently_verified.get(token, leeway=self.get_leeway().total_seconds())
        if remembered is not None and self.public_key(remembered.kid) == remembered.key:
            return dict(remembered.claims)
        verification = self.verify(token)
        self.recently_verified.add(token, verification)
        return dict(verification.claims)

    def verify(self, token) -> "Verification":
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise TokenRefused(f"malformed token: {error}") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in self.algorithms:
            raise TokenRefused(f"algorithm {algorithm!r} not allowed (allowed: {', '.join(self.algorithms)})")
        if named := [name for name in SELF_KEYING_HEADERS if name in header]:
            raise TokenRefused(f"token names its own key in its header ({', '.join(named)})")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused("token header has no kid")
        key = self.public_key(kid)
        if not key.verifies(algorithm):
            raise TokenRefused(f"key {kid!r} is not published for {algorithm}")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                # The times are checked below, once they are known to be numbers a clock can hold.
                options={"require": ["exp"], "verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidTokenError as error:  # bad signature, audience, issuer, missing exp, bad claim types …
            raise TokenRefused(f"{type(error).__name__}: {error}") from None
        check_times(claims, leeway=self.get_leeway().total_seconds())
        return Verification(claims, kid, key)

    def public_key(self, kid: str) -> PublishedKey:
        if self.development_key_file is not None:
            development_key = development_public_keys(self.development_key_file).get(kid)
            if development_key is not None:
                return PublishedKey(development_key, "RS256")  # what devtoken signs with
        try:
            return self.key_set.key_for(kid)
        except UnknownSigningKey:
            raise TokenRefused(f"unknown signing key kid={kid!r}") from None
        except SigningKeysUnavailable as unavailable:
            logger.warning("auth: signing key kid=%r unknown and the JWKS is unreachable; answering 503", kid)
            raise SigningKeyUnavailable(retry_after=unavailable.retry_after) from None


def check_times(claims: dict, leeway: float) -> None:
    """`exp`, `nbf` and `iat` are NumericDates (RFC 7519): seconds since 1970 as a JSON number. Anything else (a
    string, a boolean, a negative or far-future number, NaN) makes the token invalid rather than reach a clock."""
    for name in TIME_CLAIMS:
        value = claims.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= LATEST_NUMERIC_DATE:
            raise TokenRefused(f"{name} is not a NumericDate within 1970..9999: {str(value)[:40]!r}")
    now = time.time()
    if claims["exp"] <= now - leeway:
        raise TokenRefused("expired", "The access token expired")
    if any(claims.get(name, 0) > now + leeway for name in ("nbf", "iat")):
        raise TokenRefused("not valid yet (nbf or iat in the future)", "The access token is not valid yet")


@dataclass(frozen=True)
class Verification:
    """A token's verified claims and the key that verified them."""

    claims: dict
    kid: str
    key: PublishedKey


class RecentlyVerifiedTokens:
    """Tokens verified in the last `seconds`, at most `size` of them (least recently used go)."""

    def __init__(self, size: int = 4096, seconds: float = 60):
        self.size, self.seconds = size, seconds
        self._claims: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token, leeway: float) -> Verification | None:
        now = time.time()
        with self._lock:
            entry = self._claims.get(token)
            if entry is None:
                return None
            verification, verified_at = entry
            if now - verified_at >= self.seconds or now > verification.claims["exp"] + leeway:
                del self._claims[token]
                return None
            self._claims.move_to_end(token)
        return verification

    def add(self, token, verification: Verification) -> None:
        with self._lock:
            self._claims[token] = (verification, time.time())
            self._claims.move_to_end(token)
            while len(self._claims) > self.size:
                self._claims.popitem(last=False)


@lru_cache(maxsize=1)
def user_service_token_backend() -> UserServiceTokenBackend:
    """One backend (and one key cache) per process, built from the settings in force."""
    jwt_settings = simplejwt_settings.api_settings
    return UserServiceTokenBackend(
        algorithms=settings.JWT_ALGORITHMS,
        key_set=KeySet(
            KeySetSettings(
                url=jwt_settings.JWK_URL,
                cache_seconds=settings.JWKS_CACHE_SECONDS,
                refresh_cooldown_seconds=settings.JWKS_REFRESH_COOLDOWN_SECONDS,
                fetch_timeout_seconds=settings.JWKS_FETCH_TIMEOUT_SECONDS,
                stale_max_seconds=settings.JWKS_STALE_MAX_SECONDS,
            )
        ),
        development_key_file=settings.JWT_DEV_KEY_FILE,
        audience=jwt_settings.AUDIENCE,
        issuer=jwt_settings.ISSUER,
        leeway=jwt_settings.LEEWAY,
    )


def _forget_backend(*, setting, **kwargs):
    if setting == "SIMPLE_JWT" or setting.startswith(("JWT_", "JWKS_")):
        user_service_token_backend.cache_clear()


setting_changed.connect(_forget_backend)


class UserServiceToken(Token):
    """An access token issued by the User Service: verified here, never minted (devtoken signs its own)."""

    token_type = "access"
    lifetime = timedelta(0)  # simplejwt requires one; it only matters for minting

    def get_token_backend(self) -> TokenBackend:
        return user_service_token_backend()


def _claim_values(token, names) -> list[str]:
    values = []
    for name in names:
        value = token.get(name)
        values.extend(value if isinstance(value, list) else [value] if value is not None else [])
    return [str(value) for value in values]


class ServiceUser(TokenUser):
    """The caller, as the token describes them: `id` from `sub` or .NET's nameidentifier, `roles`, `scopes`,
    `permissions`."""

    @cached_property
    def id(self) -> str:
        return _claim_values(self.token, SUBJECT_CLAIMS)[0]

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(_claim_values(self.token, ROLE_CLAIMS))

    @cached_property
    def scopes(self) -> frozenset[str]:
        return frozenset(name for value in _claim_values(self.token, SCOPE_CLAIMS) for name in value.split())

    @cached_property
    def permissions(self) -> frozenset[str]:
        """What this token may do (orderservice.auth.permissions): its scopes and its roles' grants."""
        return permissions_of(self.scopes, self.roles)


class BearerTokenAuthentication(JWTStatelessUserAuthentication):
    """`Authorization: Bearer <JWT>`; `request.user` is a ServiceUser. Refusals are logged with their reason;
    the subject of an accepted token goes into every later log line of the request."""

    www_authenticate_realm = "order-service"

    def authenticate(self, request):
        try:
            authenticated = super().authenticate(request)
        except exceptions.AuthenticationFailed as refusal:
            reason = getattr(refusal, "reason", None) or _plain_detail(refusal.detail)
            request.bearer_error_description = refusal.detail if isinstance(refusal, TokenRefused) else INVALID
            logger.warning("auth: token refused: %s (%s %s)", reason, request.method, request.path)
            raise TokenRefused(reason, request.bearer_error_description) from None
        if authenticated is not None:
            user, _token = authenticated
            assert isinstance(user, ServiceUser)  # what get_user below makes (simplejwt's annotation is wider)
            structlog.contextvars.bind_contextvars(subject=user.id)
        return authenticated

    def get_user(self, validated_token):
        if not _claim_values(validated_token, SUBJECT_CLAIMS):
            raise TokenRefused("no subject claim (sub or nameidentifier)")
        return ServiceUser(validated_token)

    def authenticate_header(self, request) -> str:
        header = f'Bearer realm="{self.www_authenticate_realm}"'
        description = getattr(request, "bearer_error_description", None)
        if description:  # a token was sent and refused (RFC 6750 section 3)
            header += f', error="invalid_token", error_description="{description}"'
        return header


def _plain_detail(detail) -> str:
    """simplejwt's refusal reasons come nested: {"detail": …, "messages": [{"message": …}]}."""
    if isinstance(detail, dict):
        messages = [str(message.get("message")) for message in detail.get("messages", []) if isinstance(message, dict)]
        return "; ".join(messages) or str(detail.get("detail", detail))
    return str(detail)
