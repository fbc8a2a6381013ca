"""Bearer tokens from the User Service, verified by simplejwt against the User Service's JWKS.

The service is a resource server: no user rows, no tokens issued here. simplejwt builds its token backend
once at import; ours is built from the current SIMPLE_JWT settings on first use (and again when tests
change them), so the JWKS URL can point at whatever key server is running.
"""
from datetime import timedelta
from functools import lru_cache

from django.test.signals import setting_changed
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.tokens import Token


@lru_cache(maxsize=1)
def user_service_token_backend() -> TokenBackend:
    """The verifier: RS256 signatures checked with the key the token's `kid` names in the JWKS."""
    jwt = simplejwt_settings.api_settings
    return TokenBackend(
        algorithm=jwt.ALGORITHM,
        audience=jwt.AUDIENCE,
        issuer=jwt.ISSUER,
        jwk_url=jwt.JWK_URL,
        leeway=jwt.LEEWAY,
    )


def _forget_backend(*, setting, **kwargs):
    if setting == "SIMPLE_JWT":
        user_service_token_backend.cache_clear()


setting_changed.connect(_forget_backend)


class UserServiceToken(Token):
    """An access token issued by the User Service: verified, never minted here."""

    token_type = "access"
    lifetime = timedelta(0)  # simplejwt requires one; it only matters for minting

    def get_token_backend(self) -> TokenBackend:
        return user_service_token_backend()


class BearerTokenAuthentication(JWTStatelessUserAuthentication):
    """`Authorization: Bearer <JWT>`; `request.user` is a TokenUser carrying the token's claims."""

    www_authenticate_realm = "order-service"
