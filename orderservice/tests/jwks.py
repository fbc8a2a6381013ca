"""A stand-in User Service for the tests: a real JWKS endpoint on loopback, and tokens signed with its keys."""
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
    """An RSA key pair with its key id, as the User Service would publish it."""

    def __init__(self, kid: str | None = None):
        self.kid = kid or uuid.uuid4().hex[:12]
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_jwk(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def sign(self, claims: dict, headers: dict | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid, **(headers or {})})


class JWKSServer:
    """Serves `/.well-known/jwks.json` with the public halves of `keys`, and counts the requests it gets."""

    def __init__(self):
        self.keys = [SigningKey()]
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                body = json.dumps({"keys": [key.public_jwk() for key in server.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/.well-known/jwks.json"

    def start(self) -> "JWKSServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def token(self, subject: str = "test-user", key: SigningKey | None = None, **claims) -> str:
        """A token as the User Service issues it: RS256, `kid`, sub/aud/iss/iat/exp; `claims` override or add."""
        now = int(time.time())
        payload = {"sub": subject, "aud": AUDIENCE, "iss": ISSUER, "iat": now, "exp": now + 600, **claims}
        return (key or self.keys[0]).sign({name: value for name, value in payload.items() if value is not None})
