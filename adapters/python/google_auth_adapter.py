"""docs/PROTOCOL.md adapter for google-auth (google.auth.jwt), see README.md.

google-auth's general-purpose verifier is `google.oauth2.id_token.verify_token`
(its module docstring: "A general purpose ID Token verifier"): it fetches the
issuer's certificates and, for the Google-style `{"key id": "PEM"}` format,
calls `google.auth.jwt.decode(token, certs=..., audience=...,
clock_skew_in_seconds=...)` (google/oauth2/id_token.py lines 171-176).  The
adapter makes that same call with the policy's keys as that mapping (kid ->
SubjectPublicKeyInfo PEM; a key without kid is listed under its RFC 7638
thumbprint), so nothing is fetched.  (verify_token hands a JWK Set to PyJWT
instead, lines 139-169, and then drops the clock skew; that path is PyJWT's.)

`decode` picks the verifier from the header's alg among RS256, ES256 and ES384
(google/auth/jwt.py lines 70-75, 271) and has no allowlist: as for libjwt, the
adapter refuses an alg outside the policy's list before verifying (reason
`algorithm`).  Any policy algorithm outside those three makes the policy
`unsupported`.

Clock: `_verify_iat_and_exp` reads `_helpers.utcnow()` (jwt.py line 204): `now`
is ignored (clock = "system").  decode checks iat/exp and aud; it never reads
iss, nbf or sub.  The issuer is compared by the adapter after decode, as the
Google-specific wrappers do (verify_oauth2_token, id_token.py lines 206-211);
required claims and typ are checked by the adapter too.
"""

import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from google.auth import exceptions as GE  # noqa: E402
from google.auth import jwt as gjwt  # noqa: E402

from _redact import redacting  # noqa: E402
from _protocol import (  # noqa: E402
    Policy,
    Reject,
    check_required_present,
    check_supported,
    check_typ,
    key_text,
    serve,
)

SUPPORTED = frozenset(["RS256", "ES256", "ES384"])
KTY = {"RS256": "RSA", "ES256": "EC", "ES384": "EC"}


def reason_of(exc):
    msg = str(exc)
    if isinstance(exc, GE.MalformedError):
        if msg.startswith("Could not verify token signature"):
            return "signature"
        if msg.startswith("Certificate for key id"):
            return "key"
        if msg.startswith("Token does not contain required claim"):
            return "missing_claim"
        return "malformed"
    if isinstance(exc, GE.InvalidValue):
        if msg.startswith("Token expired"):
            return "expired"
        if msg.startswith("Token used too early"):
            return "not_yet_valid"
        if msg.startswith("Token has wrong audience"):
            return "audience"
        if msg.startswith("Unsupported signature algorithm"):
            return "algorithm"
        if msg.startswith("Certificate key type does not match"):
            return "key"
        return "other"
    if isinstance(exc, TypeError):
        # iat/exp arithmetic on a claim that is not a number (jwt.py lines 217, 229)
        return "claim_type"
    if isinstance(exc, (ValueError, UnicodeError)):
        # padded_urlsafe_b64decode (binascii.Error) or a PEM the verifier refuses
        return "malformed"
    return "other"


def thumbprint(jwk):
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}.get(jwk.get("kty"), ("kty",))
    canonical = json.dumps({m: jwk.get(m) for m in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def certs_of(policy):
    """The Google-style certificate mapping, key id -> PEM, of the policy's keys."""
    certs = {}
    for jwk in policy.jwks["keys"]:
        if jwk.get("kty") not in ("RSA", "EC"):
            continue  # no verifier in google-auth for oct or OKP keys
        try:
            pem = key_text(jwk)
        except Exception:  # noqa: BLE001 - an unusable JWK is left out, as a fetch would carry none
            continue
        kid = jwk.get("kid") if isinstance(jwk.get("kid"), str) else thumbprint(jwk)
        certs.setdefault(kid, pem)
    return certs


def validate(req):
    policy = Policy(req.get("policy"))
    check_supported(policy, SUPPORTED)
    token = req.get("token")
    # The allowlist, which decode lacks: the header's alg must be on it.
    header = gjwt.decode_header(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in policy.algorithms:
        raise Reject("algorithm", f"alg {alg!r} is not allowed" if isinstance(alg, str) else "alg is not a string")
    claims = gjwt.decode(
        token,
        certs=certs_of(policy),
        audience=policy.audience,
        clock_skew_in_seconds=int(policy.leeway),
    )
    check_required_present(claims, policy.required_with_expectations())
    # The issuer, compared after decode as verify_oauth2_token and
    # verify_firebase_token do for Google's issuers (id_token.py lines 206-211).
    if policy.issuer is not None and claims.get("iss") != policy.issuer:
        raise Reject("issuer", "Wrong issuer: 'iss' is not the expected issuer")
    check_typ(policy, header)
    return {"verdict": "accept", "claims": dict(claims)}


if __name__ == "__main__":
    serve(redacting(validate, reason_of), reason_of)
