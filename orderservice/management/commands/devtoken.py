import time

import jwt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orderservice.auth.devkeys import key_id, load_or_create_private_key
from orderservice.auth.permissions import ALL_PERMISSIONS


class Command(BaseCommand):
    help = (
        "Print a development access token (RS256) that this service accepts while ENVIRONMENT is not "
        "production. Makes the development signing key on first use (JWT_DEV_KEY_FILE, git-ignored)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sub", default="developer", help="the subject (user id) of the token")
        parser.add_argument(
            "--role",
            action="append",
            default=[],
            help="a role, e.g. Admin (all permissions by default AUTHZ_ROLES); repeat for several",
        )
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            choices=sorted(ALL_PERMISSIONS),
            help="a permission the token carries in its scope claim; repeat for several. Without "
            "--scope and --role the token acts as the customer whose user_id is --sub",
        )
        parser.add_argument("--minutes", type=int, default=60, help="how long the token is valid (default 60)")

    def handle(self, *args, sub, role, scope, minutes, **options):
        if settings.JWT_DEV_KEY_FILE is None:
            raise CommandError("devtoken is for development only: ENVIRONMENT=production never trusts its key")
        if minutes < 1:
            raise CommandError("--minutes must be at least 1")
        key = load_or_create_private_key(settings.JWT_DEV_KEY_FILE)
        now = int(time.time())
        claims = {
            "sub": sub,
            "aud": settings.JWT_AUDIENCE,
            "iss": settings.JWT_ISSUER,
            "iat": now,
            "nbf": now,
            "exp": now + 60 * minutes,
        }
        if role:
            claims["roles"] = role
        if scope:
            claims["scope"] = " ".join(dict.fromkeys(scope))
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": key_id(key.public_key())})
        self.stdout.write(token)
