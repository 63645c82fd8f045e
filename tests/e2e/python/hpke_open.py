"""Opens Weir's encrypted payloads with pyhpke (RFC 9180), independently of
Weir's own HPKE code.

    hpke_open.py keygen
        prints {"private_key": b64, "public_key": b64}: a fresh X25519 pair
    hpke_open.py open PRIVATE_KEY_B64 REQUEST.json...
        prints a JSON array with, per file, {"file", "envelope", "plaintext_base64", "error"}

The envelope (documented in engine/src/crypto/envelope.rs) is the request
body: {"encryption": "hpke-base-x25519-sha256-aes256gcm", "key_id",
"enc", "ciphertext", "content_type"}; it is opened in base mode with
info = b"weir webhook payload v1" and aad = the request's webhook-id.
REQUEST.json is a saved request: {"headers": {...}, "body_base64": "..."}.
"""

import base64
import json
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey

INFO = b"weir webhook payload v1"
SUITE = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)


def keygen():
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    print(json.dumps({
        "private_key": base64.b64encode(raw_private).decode(),
        "public_key": base64.b64encode(raw_public).decode(),
    }))


def open_all(private_b64, paths):
    private = X25519PrivateKey.from_private_bytes(base64.b64decode(private_b64))
    key = KEMKey.from_pyca_cryptography_key(private)
    results = []
    for path in paths:
        with open(path, encoding="utf-8") as file:
            request = json.load(file)
        body = base64.b64decode(request["body_base64"])
        result = {"file": path, "envelope": None, "plaintext_base64": None, "error": None}
        try:
            envelope = json.loads(body)
            result["envelope"] = envelope
            aad = request["headers"]["webhook-id"].encode()
            context = SUITE.create_recipient_context(base64.b64decode(envelope["enc"]), key, info=INFO)
            plaintext = context.open(base64.b64decode(envelope["ciphertext"]), aad=aad)
            result["plaintext_base64"] = base64.b64encode(plaintext).decode()
        except Exception as error:  # reported to the test, which judges it
            result["error"] = f"{type(error).__name__}: {error}"
        results.append(result)
    print(json.dumps(results))


def main(argv):
    if len(argv) == 2 and argv[1] == "keygen":
        keygen()
        return 0
    if len(argv) >= 4 and argv[1] == "open":
        open_all(argv[2], argv[3:])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
