"""A stand-in User Service for the tests: a real JWKS endpoint on loopback, and tokens signed with its keys.

`mode` makes it misbehave the ways a real identity service does: "ok", "error" (HTTP 500), "html" (a login
page instead of JSON), "empty" (a key set without keys), "hang" (accepts, never answers in time),
"redirect" (302 from the JWKS path to `redirect_to`; any other path serves the keys).
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

AUDIENCE = "shala"
ISSUER = "shala"


class SigningKey:
    """An RSA key pair with its key id, as the User Service would publish it (`published` overrides or, as
    None, removes members of its JWK, e.g. {"use": "enc"})."""

    def __init__(self, kid: str | None = None, key_size: int = 2048, published: dict | None = None):
        self.kid = kid or uuid.uuid4().hex[:12]
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        self.published = published or {}

    def public_jwk(self) -> dict:
        jwk = {
            **json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key())),
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            **self.published,
        }
        return {name: value for name, value in jwk.items() if value is not None}

    def sign(self, claims: dict, headers: dict | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid, **(headers or {})})


def claims(subject: str | None = "test-user", **overrides) -> dict:
    """The claims the User Service puts in a staff member's token (role Admin: every permission); `overrides`
    replace or add claims, None removes one (`roles=None`: a token that acts as the customer `subject` is)."""
    now = int(time.time())
    payload = {
        "sub": subject,
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": now,
        "exp": now + 600,
        "roles": ["Admin"],
        **overrides,
    }
    return {name: value for name, value in payload.items() if value is not None}


class JWKSServer:
    """Serves `/.well-known/jwks.json` with the public halves of `keys` (plus any raw `extra_jwks`)."""

    def __init__(self):
        self.keys = [SigningKey()]
        self.extra_jwks: list[dict] = []
        self.mode = "ok"
        self.hang_seconds = 5.0
        self.redirect_to = ""
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                if server.mode == "hang":
                    time.sleep(server.hang_seconds)
                    return
                if server.mode == "redirect" and self.path == "/.well-known/jwks.json":
                    self.send_response(302)
                    self.send_header("Location", server.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, content_type, body = server.response()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/.well-known/jwks.json"

    def response(self) -> tuple[int, str, bytes]:
        if self.mode == "error":
            return 500, "text/plain", b"Internal Server Error"
        if self.mode == "html":
            return 200, "text/html", b"<html><body>Please sign in</body></html>"
        if self.mode == "empty":
            return 200, "application/json", b'{"keys": []}'
        jwks = {"keys": [key.public_jwk() for key in self.keys] + self.extra_jwks}
        return 200, "application/json", json.dumps(jwks).encode()

    def start(self) -> "JWKSServer":
        # `stop` waits for the serving loop to look up: every 0.5 s by default, half a second per test that
        # starts a server of its own.
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down for good: the port refuses connections from now on."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def token(
        self, subject: str | None = "test-user", key: SigningKey | None = None, headers: dict | None = None, **overrides
    ) -> str:
        """A token as the User Service issues it: RS256, `kid`, sub/aud/iss/iat/exp (see `claims`)."""
        return (key or self.keys[0]).sign(claims(subject, **overrides), headers)
