"""The development signing key: lets `manage.py devtoken` mint tokens the service accepts without a User Service.

The private key lives in a git-ignored file (JWT_DEV_KEY_FILE, default `.dev-keys/jwt-signing-key.pem`).
The service trusts its public half only when ENVIRONMENT is not production.
"""

import base64
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """`dev-` and the start of the key's RFC 7638 thumbprint: a new key file gets a new kid."""
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    return "dev-" + base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).decode()[:16]


def load_private_key(path: Path) -> rsa.RSAPrivateKey | None:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    return key if isinstance(key, rsa.RSAPrivateKey) else None


def load_or_create_private_key(path: Path) -> rsa.RSAPrivateKey:
    key = load_private_key(path)
    if key is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
    return key


def development_public_keys(path: Path) -> dict[str, rsa.RSAPublicKey]:
    """{kid: public key} for the development key, if one has been made; a new key file is picked up at once."""
    try:
        modified = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _public_keys(path, modified)


@lru_cache(maxsize=4)
def _public_keys(path: Path, modified: int) -> dict[str, rsa.RSAPublicKey]:
    key = load_private_key(path)
    return {key_id(key.public_key()): key.public_key()} if key is not None else {}
