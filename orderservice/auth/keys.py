"""The User Service's signing keys, fetched from its JWKS and kept through its outages.

Written here rather than using PyJWKClient because an identity provider's outage must not log users out:
PyJWKClient forgets its keys when its cache expires, refetches on every unknown `kid` (so random kids flood
the User Service), and cannot tell "the key set is unreachable" (503, retry) from "no such key" (401).

Whoever answers the JWKS URL can sign any token, so the fetch follows no redirect to another origin, and a
published key is used only if it is strong enough and published for signing with the token's algorithm.
"""

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

logger = logging.getLogger("orderservice.auth")

MAX_JWKS_BYTES = 1_000_000

# The key type each family of asymmetric algorithms needs. Symmetric ("oct") keys are never accepted.
KEY_TYPES_BY_ALGORITHM_PREFIX = {
    "RS": (rsa.RSAPublicKey,),
    "PS": (rsa.RSAPublicKey,),
    "ES": (ec.EllipticCurvePublicKey,),
    "Ed": (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey),
}
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
MIN_RSA_KEY_BITS = 2048
EC_CURVES = ("secp256r1", "secp384r1", "secp521r1")  # P-256, P-384, P-521: the curves of ES256/384/512


class SigningKeysUnavailable(Exception):
    """The key for a token is not known and the key set cannot be fetched right now."""

    def __init__(self, retry_after: int):
        super().__init__(f"signing keys unavailable; retry after {retry_after} s")
        self.retry_after = retry_after


class UnknownSigningKey(Exception):
    """The key set was fetched and does not contain the token's `kid`."""


@dataclass(frozen=True)
class KeySetSettings:
    url: str
    cache_seconds: float = 300
    refresh_cooldown_seconds: float = 30
    fetch_timeout_seconds: float = 3
    stale_max_seconds: float = 86400  # how long past their refresh time keys serve while the JWKS is unreachable


@dataclass(frozen=True)
class PublishedKey:
    """A public key and the one algorithm its JWK allows (`alg`), if it names one."""

    key: PublicKey
    algorithm: str | None = None

    def verifies(self, algorithm: str) -> bool:
        return self.algorithm in (None, algorithm) and isinstance(
            self.key, KEY_TYPES_BY_ALGORITHM_PREFIX[algorithm[:2]]
        )


def public_keys_from_jwks(document: object) -> dict[str, PublishedKey]:
    """{kid: key} for every usable signing key in a JWKS document; anything else is skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (no 'keys' list)")
    keys = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str) or jwk.get("kty") == "oct":
            continue
        try:
            key = jwt.PyJWK(jwk).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError, KeyError):
            logger.warning("jwks: skipped an unusable key kid=%s kty=%s", jwk.get("kid"), jwk.get("kty"))
            continue
        if unusable := _why_unusable(jwk, key):
            logger.warning("jwks: skipped key kid=%s: %s", jwk["kid"], unusable)
            continue
        keys[jwk["kid"]] = PublishedKey(key, jwk.get("alg"))
    if not keys:  # a User Service always publishes a key; an empty set is a fault, not a revocation of all keys
        raise ValueError("the JWKS document has no usable signing keys")
    return keys


def _why_unusable(jwk: dict, key: object) -> str | None:
    if jwk.get("use", "sig") != "sig":
        return f"published for use {jwk.get('use')!r}, not for signatures"
    if "alg" in jwk and not isinstance(jwk["alg"], str):
        return "its alg is not a string"
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_KEY_BITS:
        return f"RSA key of {key.key_size} bits (at least {MIN_RSA_KEY_BITS})"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in EC_CURVES:
        return f"EC curve {key.curve.name} (only P-256, P-384, P-521)"
    if not isinstance(
        key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)
    ):
        return f"not a signing key type ({type(key).__name__})"
    return None


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())


class SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are followed within the JWKS URL's origin only (scheme, host and port): whoever answers
    another origin could publish keys of their own."""

    def redirect_request(self, request, fp, code, msg, headers, newurl):
        if _origin(newurl) != _origin(request.full_url):
            fp.close()
            raise urllib.error.HTTPError(
                request.full_url, code, f"redirect to another origin ({newurl}) refused", headers, None
            )
        return super().redirect_request(request, fp, code, msg, headers, newurl)


def _jwks_opener() -> urllib.request.OpenerDirector:
    """http(s) only: unlike urlopen's default opener, no file:, ftp: or data: URLs, and no cross-origin redirects."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        SameOriginRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


class KeySet:
    """Keys by `kid`: refreshed when the cache expires or an unknown kid arrives, at most once per cooldown.

    A failed refresh keeps the keys already known, up to `stale_max_seconds` past their refresh time: while
    the User Service is down, tokens signed with them keep working for that long. A successful refresh
    replaces them all, so a key the User Service withdrew stops working at once.
    """

    def __init__(self, settings: KeySetSettings):
        self.settings = settings
        self._keys: dict[str, PublishedKey] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._last_fetch_failed = False
        self._refresh_lock = threading.Lock()
        self._opener = _jwks_opener()

    def key_for(self, kid: str) -> PublishedKey:
        key = self._usable_keys().get(kid)
        if key is not None and not self._expired():
            return key
        if key is not None:
            # Expired but known: one thread refreshes, the others go on with the keys they have.
            if self._refresh_lock.acquire(blocking=False):
                try:
                    self._refresh_if_due()
                finally:
                    self._refresh_lock.release()
            return self._usable_keys().get(kid) or self._missing(kid)
        with self._refresh_lock:  # unknown kid: wait for the one refresh in flight rather than start another
            self._refresh_if_due()
        return self._usable_keys().get(kid) or self._missing(kid)

    def _usable_keys(self) -> dict[str, PublishedKey]:
        """The keys of the last successful fetch, unless they are more than `stale_max_seconds` past their
        refresh time: a User Service unreachable that long may have withdrawn any of them."""
        if self._fetched_at is None or time.monotonic() - self._fetched_at > (
            self.settings.cache_seconds + self.settings.stale_max_seconds
        ):
            return {}
        return self._keys

    def _expired(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at >= self.settings.cache_seconds

    def _cooldown_left(self) -> float:
        if self._attempted_at is None:
            return 0
        return max(0.0, self.settings.refresh_cooldown_seconds - (time.monotonic() - self._attempted_at))

    def _refresh_if_due(self) -> None:
        if self._cooldown_left() > 0:
            return
        self._attempted_at = time.monotonic()
        try:
            keys = public_keys_from_jwks(self._fetch())
        except (OSError, ValueError) as error:  # unreachable, timed out, HTTP error, not JSON, not a JWKS
            self._last_fetch_failed = True
            logger.warning(
                "jwks: fetch from %s failed (%s); keeping %d known key(s)", self.settings.url, error, len(self._keys)
            )
            return
        self._keys, self._fetched_at, self._last_fetch_failed = keys, time.monotonic(), False
        logger.info("jwks: fetched %d key(s) from %s", len(keys), self.settings.url)

    def _fetch(self) -> object:
        request = urllib.request.Request(self.settings.url, headers={"Accept": "application/json"})
        with self._opener.open(request, timeout=self.settings.fetch_timeout_seconds) as response:
            body = response.read(MAX_JWKS_BYTES + 1)
        if len(body) > MAX_JWKS_BYTES:
            raise ValueError("JWKS document too large")
        return json.loads(body)

    def _missing(self, kid: str):
        if self._last_fetch_failed:
            raise SigningKeysUnavailable(retry_after=max(1, round(self._cooldown_left())))
        raise UnknownSigningKey(f"no key with kid {kid!r} in the key set")
