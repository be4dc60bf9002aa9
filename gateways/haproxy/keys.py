#!/usr/bin/env python3
"""Derives HAProxy's key material from a JWK Set (python3 standard library only).

    python3 gateways/haproxy/keys.py JWKS_URL_OR_FILE OUT_DIR > key-rules.cfg

HAProxy 2.6's jwt_verify(<alg>,<key>) takes a PEM file, not a JWK Set, and every key file must be
named literally in the configuration (so it is loaded at start). For each RSA key of the set that
may verify RS256 (kty RSA; use absent or "sig"; alg absent or "RS256") and has a kid, this writes
OUT_DIR/keys/key-N.pem (a SubjectPublicKeyInfo PEM built from n and e) and prints the
http-request rule that verifies the token with that file when the token's kid is that kid. A
token whose kid names no such key leaves txn.sig unset and is denied by the rule after these. Keys
without a kid are skipped (the template requires a kid), and so are kids holding characters other
than letters, digits and ".-_", which the rules would have to quote.
"""
import base64
import json
import os
import re
import sys
import urllib.request


def b64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def der_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_uint(raw):
    raw = raw.lstrip(b"\0") or b"\0"
    if raw[0] & 0x80:
        raw = b"\0" + raw
    return der(0x02, raw)


RSA_ALGORITHM = der(0x30, der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")


def rsa_spki_pem(n, e):
    rsa_public_key = der(0x30, der_uint(n) + der_uint(e))
    spki = der(0x30, RSA_ALGORITHM + der(0x03, b"\0" + rsa_public_key))
    text = base64.b64encode(spki).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def load(source):
    if re.match(r"^https?://", source):
        with urllib.request.urlopen(source, timeout=10) as r:
            return json.load(r)
    with open(source) as f:
        return json.load(f)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: keys.py JWKS_URL_OR_FILE OUT_DIR")
    try:
        jwks = load(sys.argv[1])
    except (OSError, ValueError) as e:
        sys.exit(f"keys.py: cannot read the JWK Set {sys.argv[1]}: {e}")
    out = os.path.join(sys.argv[2], "keys")
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):
        os.remove(os.path.join(out, old))
    rules = []
    for i, jwk in enumerate(jwks.get("keys", [])):
        kid = jwk.get("kid")
        if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig" or jwk.get("alg", "RS256") != "RS256":
            continue
        if not isinstance(kid, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", kid):
            print(f"keys.py: skipping key {i}: kid {kid!r} is missing or needs quoting", file=sys.stderr)
            continue
        path = os.path.join(out, f"key-{i}.pem")
        with open(path, "w") as f:
            f.write(rsa_spki_pem(b64u(jwk["n"]), b64u(jwk["e"])))
        # A kid may name several keys (a set under rotation): the first that verifies wins.
        rules.append(
            f'    http-request set-var(txn.sig) var(txn.bearer),jwt_verify("RS256","{path}") '
            f"if {{ var(txn.kid) -m str {kid} }} !{{ var(txn.sig) -m int 1 }}"
        )
    if not rules:
        sys.exit("keys.py: the JWK Set holds no RSA key with a kid for RS256")
    print("\n".join(rules))


if __name__ == "__main__":
    main()
