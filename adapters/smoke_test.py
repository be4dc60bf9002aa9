#!/usr/bin/env python3
"""Smoke test for the external validator adapters (docs/PROTOCOL.md v1).

Run from the repository root with the adapters' venv (it needs `cryptography`):

    target/adapters/venv/bin/python adapters/smoke_test.py            # every adapter
    target/adapters/venv/bin/python adapters/smoke_test.py pyjwt jose  # some of them

For each adapter it starts ONE process, writes every request before reading
any answer (the harness may pipeline), closes stdin, then checks that there is
exactly one JSON line per request, in order, with the right id and the expected
verdict/reason, and that the process exited 0 by itself.  Garbage requests check
that the adapter survives anything; a final valid request checks it is still
answering afterwards.  Ends with a line `N passed, N failed`; exit 1 on failure.
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

# name -> (command, clock); commands run from the repository root.
ADAPTERS = {
    "pyjwt": (["target/adapters/venv/bin/python", "adapters/python/pyjwt_adapter.py"], "system"),
    "python-jose": (["target/adapters/venv/bin/python", "adapters/python/python_jose_adapter.py"], "system"),
    "authlib": (["target/adapters/venv/bin/python", "adapters/python/authlib_adapter.py"], "request"),
    "joserfc": (["target/adapters/venv/bin/python", "adapters/python/joserfc_adapter.py"], "request"),
    "jwcrypto": (["target/adapters/venv/bin/python", "adapters/python/jwcrypto_adapter.py"], "system"),
    "node-jose": (["node", "adapters/node/jose_adapter.mjs"], "request"),
    "jsonwebtoken": (["node", "adapters/node/jsonwebtoken_adapter.js"], "request"),
    "fast-jwt": (["node", "adapters/node/fast_jwt_adapter.js"], "request"),
    "golang-jwt": (["target/adapters/bin/golang-jwt"], "request"),
    "jwskate": (["target/adapters/venv/bin/python", "adapters/python/jwskate_adapter.py"], "system"),
    "cryptojwt": (["target/adapters/venv/bin/python", "adapters/python/cryptojwt_adapter.py"], "request"),
    "google-auth": (["target/adapters/venv/bin/python", "adapters/python/google_auth_adapter.py"], "system"),
    "hono-jwt": (["node", "adapters/node/hono_jwt_adapter.js"], "system"),
    "jsrsasign": (["node", "adapters/node/jsrsasign_adapter.js"], "request"),
    "aws-jwt-verify": (["node", "adapters/node/aws_jwt_verify_adapter.js"], "system"),
    "hapi-jwt": (["node", "adapters/node/hapi_jwt_adapter.js"], "request"),
    "njwt": (["node", "adapters/node/njwt_adapter.js"], "system"),
    "crypt-jwt": (["perl", "adapters/perl/crypt_jwt_adapter.pl"], "system"),
    "ruby-jwt": (["ruby", "adapters/ruby/ruby_jwt_adapter.rb"], "system"),
    "json-jwt": (["ruby", "adapters/ruby/json_jwt_adapter.rb"], "request"),
    "cjose": (["target/adapters/bin/cjose"], "request"),
    "rhonabwy": (["target/adapters/bin/rhonabwy"], "request"),
    "golang-jwt-v5": (["target/adapters/bin/golang-jwt-v5"], "request"),
    "go-jose": (["target/adapters/bin/go-jose"], "request"),
    "jwx": (["target/adapters/bin/jwx"], "request"),
    "libjwt": (["target/adapters/bin/libjwt"], "request"),
    **{
        name: (["java", "-XX:+UseSerialGC", "-Xms32m", "-Xmn16m", "-jar",
                "target/adapters/java/jwt-harness-adapters.jar", name], "request")
        for name in ("nimbus", "jjwt", "java-jwt", "jose4j")
    },
}

TIMEOUT = 60

# Verdicts that differ from the strict expectation because of the LIBRARY, not
# the adapter (the adapters pass tokens through unchanged and do not patch
# library gaps the harness is meant to find).  Checked as listed, so a change
# in a library's behaviour shows up here too.
KNOWN = {
    # int("1795...") accepts a numeric string exp; PyJWKClient's lookup (mirrored by the adapter)
    # matches kids only, so a token without kid finds no key, whatever its alg.
    "pyjwt": {"time/exp-string": "accept", "valid/rs256-no-kid": "reject", "alg-none": "reject"},
    # python-jose tries every key of the set with the token's alg and never reads the kid.
    "python-jose": {
        "time/exp-string": "accept",
        "header/crit-unknown": "accept",
        "key/unknown-kid": "accept",
        "kid/names-ec-key": "accept",
        "kid/number": "accept",
    },
    "jsonwebtoken": {"header/crit-unknown": "accept"},
    "golang-jwt": {"header/crit-unknown": "accept"},
    # golang-jwt v5 implements no crit; go-jose refuses a token without kid even with one key
    # (jwk.go); jwx ignores crit on the key-set path and takes numeric strings as dates.
    "golang-jwt-v5": {"header/crit-unknown": "accept"},
    "go-jose": {"valid/rs256-no-kid": "reject"},
    "jwx": {"header/crit-unknown": "accept", "time/exp-string": "accept"},
    # jwskate tries each allowed alg and checks nbf only on request; cryptojwt int()s the dates
    # and finds keys by iss; google-auth verifies RS256/ES256/ES384 only and compares a whole aud
    # array; hono's verifyWithJwks needs a kid and refuses alg none before any lookup.
    "jwskate": {"time/nbf-future": "accept", "header/crit-unknown": "accept"},
    "cryptojwt": {"claims/wrong-iss": "reject", "claims/wrong-aud": "accept", "header/crit-unknown": "accept", "time/exp-string": "accept"},
    "google-auth": {"valid/hs256": "unsupported", "signature/hs256-bad": "unsupported", "confusion/hs256-rsa-pem-mixed": "unsupported", "confusion/hs256-rsa-pem-nokid": "unsupported", "kid/path": "unsupported", "time/nbf-future": "accept", "valid/aud-array": "reject", "header/crit-unknown": "accept"},
    "hono-jwt": {"valid/rs256-no-kid": "reject", "alg-none": "reject", "alg-none/kid": "reject", "key/unknown-kid": "reject"},
    # Crypt::JWT, ruby-jwt and json-jwt refuse a token without kid even with one key; ruby-jwt
    # and json-jwt key HMAC with the base64url text of k; json-jwt checks no claim; rhonabwy's
    # aud check takes a string only and falls back to the only key for a non-string kid.
    "crypt-jwt": {"valid/rs256-no-kid": "reject", "header/crit-unknown": "accept", "time/exp-string": "accept"},
    "ruby-jwt": {"valid/hs256": "reject", "valid/rs256-no-kid": "reject", "header/crit-unknown": "accept",
                 "time/exp-string": "accept"},
    "json-jwt": {"valid/hs256": "reject", "valid/rs256-no-kid": "reject", "time/expired": "accept",
                 "time/nbf-future": "accept", "claims/wrong-iss": "accept", "claims/wrong-aud": "accept",
                 "claims/missing-sub": "accept", "header/crit-unknown": "accept", "header/typ-required": "accept",
                 "time/exp-string": "accept", "time/exp-missing": "accept", "claims/aud-missing": "accept"},
    "cjose": {"header/crit-unknown": "accept"},
    "rhonabwy": {"valid/aud-array": "reject", "kid/number": "accept", "header/crit-unknown": "accept"},
    # jsrsasign's verifyJWT wants every aud member accepted and ignores a non-number exp;
    # aws-jwt-verify has no HS*, needs a kid, ignores crit; @hapi/jwt ignores crit; njwt checks
    # no iss/aud, ignores crit, coerces a string exp.
    "jsrsasign": {"valid/aud-array": "reject", "time/exp-string": "accept"},
    "aws-jwt-verify": {"valid/hs256": "unsupported", "signature/hs256-bad": "unsupported", "confusion/hs256-rsa-pem-mixed": "unsupported",
                       "confusion/hs256-rsa-pem-nokid": "unsupported", "kid/path": "unsupported", "valid/rs256-no-kid": "reject",
                       "alg-none": "reject", "alg-none/kid": "reject", "header/crit-unknown": "accept"},
    "hapi-jwt": {"header/crit-unknown": "accept"},
    "njwt": {"claims/wrong-iss": "accept", "claims/wrong-aud": "accept", "header/crit-unknown": "accept", "time/exp-string": "accept"},
    # jjwt's JwtDateConverter takes numeric strings as dates; java-jwt implements no crit.
    "jjwt": {"time/exp-string": "accept"},
    "java-jwt": {"header/crit-unknown": "accept"},
    # jwt_verify_head refuses every typ but JWT, so a policy requiring at+jwt is unsupported.
    "libjwt": {"header/crit-unknown": "accept", "header/typ-required": "unsupported"},
}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_int(n):
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def segment(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


class Keys:
    def __init__(self):
        self.secret = os.urandom(32)
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.ed = ed25519.Ed25519PrivateKey.generate()
        pub = self.rsa.public_key().public_numbers()
        ecpub = self.ec.public_key().public_numbers()
        edpub = self.ed.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.rsa_pem = self.rsa.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.attacker_jwk = {
            "kty": "RSA",
            "n": b64u_int(self.attacker.public_key().public_numbers().n),
            "e": b64u_int(self.attacker.public_key().public_numbers().e),
        }
        self.jwks = {
            "keys": [
                {"kty": "oct", "kid": "hs-1", "alg": "HS256", "use": "sig", "k": b64u(self.secret)},
                {"kty": "RSA", "kid": "rs-1", "alg": "RS256", "use": "sig", "n": b64u_int(pub.n), "e": b64u_int(pub.e)},
                {"kty": "EC", "kid": "es-1", "alg": "ES256", "use": "sig", "crv": "P-256",
                 "x": b64u(ecpub.x.to_bytes(32, "big")), "y": b64u(ecpub.y.to_bytes(32, "big"))},
                {"kty": "OKP", "kid": "ed-1", "alg": "EdDSA", "use": "sig", "crv": "Ed25519", "x": b64u(edpub)},
            ]
        }

    def sign(self, header, claims, alg=None, key=None):
        alg = alg or header.get("alg")
        signing_input = f"{segment(header)}.{b64u(claims) if isinstance(claims, bytes) else segment(claims)}"
        data = signing_input.encode("ascii")
        if alg == "HS256":
            # `key` may be b"" (an empty secret): only None means the trusted one.
            sig = hmac.new(self.secret if key is None else key, data, hashlib.sha256).digest()
        elif alg == "RS256":
            sig = (self.rsa if key is None else key).sign(data, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "ES256":
            r, s_ = decode_dss_signature(self.ec.sign(data, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s_.to_bytes(32, "big")
        elif alg == "EdDSA":
            sig = self.ed.sign(data)
        elif alg == "none":
            sig = b""
        else:
            raise ValueError(alg)
        return f"{signing_input}.{b64u(sig)}"


ISS = "https://auth.example.com"
AUD = "https://api.example.com"


def build_cases(keys, clock):
    now = int(time.time())
    base = {"iss": ISS, "aud": AUD, "sub": "user-1", "iat": now - 60, "exp": now + 3600}

    # Each policy trusts the keys of its algorithms only, as the default policies do: the
    # adapters hand the whole set to the library's own resolver, and some (python-jose) try
    # every key of a set.
    alg_kty = {"HS256": "oct", "RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}

    def policy(algs):
        ktys = {alg_kty.get(a) for a in algs}
        return {
            "algorithms": algs,
            "jwks": {"keys": [k for k in keys.jwks["keys"] if k["kty"] in ktys]},
            "issuer": ISS,
            "audience": [AUD],
            "leeway": 60,
            "required_claims": ["exp", "iss", "aud", "sub"],
        }

    rs = policy(["RS256"])
    hs = policy(["HS256"])
    rs_h = {"alg": "RS256", "typ": "JWT", "kid": "rs-1"}
    hs_h = {"alg": "HS256", "typ": "JWT", "kid": "hs-1"}
    good_rs = keys.sign(rs_h, base)
    flipped = good_rs[:-6] + ("A" if good_rs[-6] != "A" else "B") + good_rs[-5:]

    cases = [
        # (id, request, expected verdict, expected reason: None = any, a str, or a tuple of acceptable ones)
        ("valid/rs256", {"token": good_rs, "policy": rs}, "accept", None),
        ("valid/hs256", {"token": keys.sign(hs_h, base), "policy": hs}, "accept", None),
        ("valid/rs256-no-kid", {"token": keys.sign({"alg": "RS256", "typ": "JWT"}, base), "policy": rs}, "accept", None),
        ("time/expired", {"token": keys.sign(rs_h, {**base, "exp": now - 3600}), "policy": rs}, "reject", "expired"),
        ("time/nbf-future", {"token": keys.sign(rs_h, {**base, "nbf": now + 3600}), "policy": rs}, "reject", "not_yet_valid"),
        # jsonwebtoken and fast-jwt report the missing signature before the
        # algorithm; fast-jwt refuses the HMAC key for an RS256-only allowlist
        # before it looks at the token.  Both are the libraries' own words.
        ("alg-none", {"token": keys.sign({"alg": "none", "typ": "JWT"}, base), "policy": rs}, "reject", ("algorithm", "signature")),
        ("alg-none/kid", {"token": keys.sign({"alg": "none", "kid": "rs-1"}, base), "policy": rs}, "reject", ("algorithm", "signature")),
        ("alg/hs256-under-rs256-policy", {"token": keys.sign(hs_h, base), "policy": rs}, "reject", ("algorithm", "key")),
        ("signature/flipped", {"token": flipped, "policy": rs}, "reject", "signature"),
        ("signature/attacker-key", {"token": keys.sign(rs_h, base, key=keys.attacker), "policy": rs}, "reject", "signature"),
        ("signature/hs256-bad", {"token": keys.sign(hs_h, base, key=b"x" * 32), "policy": hs}, "reject", "signature"),
        ("claims/wrong-iss", {"token": keys.sign(rs_h, {**base, "iss": ISS + ".evil.example"}), "policy": rs}, "reject", "issuer"),
        ("claims/wrong-aud", {"token": keys.sign(rs_h, {**base, "aud": "https://other.example.com"}), "policy": rs}, "reject", "audience"),
        ("claims/missing-sub", {"token": keys.sign(rs_h, {k: v for k, v in base.items() if k != "sub"}), "policy": rs}, "reject", "missing_claim"),
        ("key/unknown-kid", {"token": keys.sign({**rs_h, "kid": "rs-rotated-out"}, base), "policy": rs}, "reject", "key"),
        ("encoding/garbage", {"token": "abc", "policy": rs}, "reject", "malformed"),
        ("encoding/dots", {"token": "...", "policy": rs}, "reject", None),
        ("encoding/empty", {"token": "", "policy": rs}, "reject", None),
        ("encoding/two-segments", {"token": good_rs.rsplit(".", 1)[0], "policy": rs}, "reject", None),
        ("encoding/header-not-json", {"token": b64u(b"{not json") + "." + segment(base) + ".AAAA", "policy": rs}, "reject", None),
        ("encoding/deep-nesting", {"token": b64u(b"[" * 10000 + b"]" * 10000) + "." + segment(base) + ".AAAA", "policy": rs}, "reject", None),
        ("encoding/100k-dots", {"token": "." * 100000, "policy": rs}, "reject", None),
        ("encoding/1mib", {"token": "eyJ" + "A" * (1 << 20), "policy": rs}, "reject", None),
        ("encoding/token-not-string", {"token": 12345, "policy": rs}, "reject", None),
        ("request/no-policy", {"token": good_rs}, "reject", None),
        ("request/unknown-fields", {"token": good_rs, "policy": {**rs, "future_field": [1, 2]}, "extra": {"x": 1}}, "accept", None),
        ("unsupported/alg", {"token": good_rs, "policy": {**rs, "algorithms": ["RS256", "XS999"]}}, "unsupported", None),
    ]
    # Robustness beyond the basics: other algorithms, and attacks from
    # docs/ATTACKS.md that every adapter must refuse (any reason) without breaking.
    es = policy(["ES256"])
    ed = policy(["EdDSA"])
    mixed = policy(["RS256", "HS256"])
    rs_typ = {**rs, "typ": "at+jwt"}
    confusion_h = {"alg": "HS256", "typ": "JWT", "kid": "rs-1"}
    cases += [
        ("valid/es256", {"token": keys.sign({"alg": "ES256", "kid": "es-1"}, base), "policy": es}, "accept", None),
        ("valid/eddsa", {"token": keys.sign({"alg": "EdDSA", "kid": "ed-1"}, base), "policy": ed}, ("accept", "unsupported"), None),
        ("valid/aud-array", {"token": keys.sign(rs_h, {**base, "aud": ["x", AUD]}), "policy": rs}, "accept", None),
        ("confusion/hs256-rsa-pem", {"token": keys.sign(confusion_h, base, key=keys.rsa_pem), "policy": rs}, "reject", None),
        ("confusion/hs256-rsa-pem-mixed", {"token": keys.sign(confusion_h, base, key=keys.rsa_pem), "policy": mixed}, "reject", None),
        ("confusion/hs256-rsa-pem-nokid", {"token": keys.sign({"alg": "HS256"}, base, key=keys.rsa_pem), "policy": mixed}, "reject", None),
        ("kid/names-ec-key", {"token": keys.sign({**rs_h, "kid": "es-1"}, base), "policy": rs}, "reject", None),
        ("kid/number", {"token": keys.sign({**rs_h, "kid": 1}, base), "policy": rs}, "reject", None),
        ("kid/path", {"token": keys.sign({"alg": "HS256", "kid": "../../../../dev/null"}, base, key=b""), "policy": hs}, "reject", None),
        ("header/embedded-jwk", {"token": keys.sign({"alg": "RS256", "jwk": keys.attacker_jwk}, base, key=keys.attacker), "policy": rs}, "reject", None),
        ("header/jku", {"token": keys.sign({"alg": "RS256", "jku": "http://127.0.0.1:9/jwks.json", "kid": "evil"}, base, key=keys.attacker), "policy": rs}, "reject", None),
        ("header/crit-unknown", {"token": keys.sign({**rs_h, "crit": ["x-unknown"], "x-unknown": 1}, base), "policy": rs}, "reject", None),
        ("header/typ-required", {"token": good_rs, "policy": rs_typ}, "reject", None),
        ("time/exp-string", {"token": keys.sign(rs_h, {**base, "exp": str(now + 3600)}), "policy": rs}, "reject", None),
        ("time/exp-missing", {"token": keys.sign(rs_h, {k: v for k, v in base.items() if k != "exp"}), "policy": rs}, "reject", None),
        ("claims/aud-missing", {"token": keys.sign(rs_h, {k: v for k, v in base.items() if k != "aud"}), "policy": {**rs, "required_claims": ["exp"]}}, "reject", None),
        ("claims/payload-array", {"token": keys.sign(rs_h, b"[1,2]"), "policy": rs}, "reject", None),
        ("claims/payload-deep", {"token": keys.sign(rs_h, b"[" * 10000 + b"]" * 10000), "policy": rs}, "reject", None),
        ("signature/empty", {"token": good_rs.rsplit(".", 1)[0] + ".", "policy": rs}, "reject", None),
        ("jwe/five-parts", {"token": "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..AAAA.AAAA.AAAA", "policy": rs}, "reject", None),
    ]
    if clock == "request":
        # Valid at the request's `now`, expired by the real clock.
        old = {**base, "iat": now - 20000, "exp": now - 7200}
        cases.append(("clock/request-now-honoured", {"token": keys.sign(rs_h, old), "policy": rs, "now_offset": -10000}, "accept", None))
    cases.append(("valid/still-alive", {"token": good_rs, "policy": rs}, "accept", None))

    requests = []
    for cid, body, verdict, reason in cases:
        offset = body.pop("now_offset", 0)
        requests.append(({"id": cid, "now": now + offset, **body}, verdict, reason))
    return requests


def run_adapter(name, command, clock, keys, root):
    cases = build_cases(keys, clock)
    known = KNOWN.get(name, {})
    cases = [(req, known.get(req["id"], verdict), reason if req["id"] not in known else None) for req, verdict, reason in cases]
    lines = [json.dumps(req) for req, _, _ in cases]
    # A request line that is not JSON at all: the adapter must answer (id null) and go on.
    lines.insert(len(lines) - 1, "this is not json")
    expected = [(req["id"], verdict, reason) for req, verdict, reason in cases]
    expected.insert(len(expected) - 1, (None, "reject", None))
    stdin = ("\n".join(lines) + "\n").encode("utf-8")

    failures = []
    started = time.monotonic()
    try:
        proc = subprocess.run(command, input=stdin, capture_output=True, cwd=root, timeout=TIMEOUT)
    except FileNotFoundError as exc:
        return 0, [f"cannot start {command}: {exc}"], 0.0
    except subprocess.TimeoutExpired:
        return 0, [f"no exit within {TIMEOUT}s after stdin closed"], float(TIMEOUT)
    elapsed = time.monotonic() - started

    out_lines = proc.stdout.decode("utf-8", errors="replace").splitlines()
    if proc.returncode != 0:
        failures.append(f"exit code {proc.returncode}; stderr tail: {proc.stderr.decode(errors='replace')[-500:]}")
    if len(out_lines) != len(expected):
        failures.append(f"{len(out_lines)} response lines for {len(expected)} requests")
    passed = 0
    for i, (rid, verdict, reason) in enumerate(expected):
        if i >= len(out_lines):
            failures.append(f"{rid}: no response")
            continue
        try:
            resp = json.loads(out_lines[i])
        except ValueError:
            failures.append(f"{rid}: response is not JSON: {out_lines[i][:200]!r}")
            continue
        problems = []
        if not isinstance(resp, dict) or resp.get("id") != rid:
            problems.append(f"wrong id {resp.get('id') if isinstance(resp, dict) else resp!r}")
        elif resp.get("verdict") not in ((verdict,) if isinstance(verdict, str) else verdict):
            problems.append(f"verdict {resp.get('verdict')!r} (reason {resp.get('reason')!r}), expected {verdict!r}")
        elif reason is not None and resp.get("reason") not in ((reason,) if isinstance(reason, str) else reason):
            problems.append(f"reason {resp.get('reason')!r}, expected {reason!r}")
        if isinstance(resp, dict) and resp.get("verdict") == "reject":
            allowed = {
                "malformed", "algorithm", "key", "signature", "expired", "not_yet_valid",
                "issuer", "audience", "missing_claim", "claim_type", "other",
            }
            if "reason" in resp and resp["reason"] not in allowed:
                problems.append(f"reason {resp['reason']!r} is not a protocol word")
        if isinstance(resp, dict) and len(str(resp.get("detail", ""))) > 300:
            problems.append("detail longer than 300 characters")
        if problems:
            failures.append(f"{rid}: {'; '.join(problems)} (detail: {str(resp.get('detail', ''))[:120] if isinstance(resp, dict) else ''})")
        else:
            passed += 1
    return passed, failures, elapsed


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = argv[1:] or list(ADAPTERS)
    unknown = [n for n in names if n not in ADAPTERS]
    if unknown:
        print(f"unknown adapter(s): {', '.join(unknown)}; known: {', '.join(ADAPTERS)}", file=sys.stderr)
        return 2
    keys = Keys()
    total_pass = total_fail = 0
    for name in names:
        command, clock = ADAPTERS[name]
        passed, failures, elapsed = run_adapter(name, command, clock, keys, root)
        status = "ok  " if not failures else "FAIL"
        print(f"{status} {name:13} clock={clock:7} {passed} checks passed, {len(failures)} failed ({elapsed:.2f}s)")
        for cid, verdict in KNOWN.get(name, {}).items():
            print(f"     known library behaviour: {cid} -> {verdict}")
        for f in failures:
            print(f"     - {f}")
        total_pass += passed
        total_fail += len(failures)
    print(f"{total_pass} passed, {total_fail} failed")
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
