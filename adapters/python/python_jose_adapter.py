"""docs/PROTOCOL.md adapter for python-jose (see README.md).

python-jose reads the system clock itself: `now` is ignored (clock = "system").

Key selection is python-jose's own: `jwt.decode` gets the policy's whole JWK
Set (the documented `{'keys': [...]}` form of its `key` argument) and tries
every key of it with the token's alg, never reading kid (jose/jws.py
_get_keys, lines 230-233, and _sig_matches_keys, lines 209-218).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jose import jwt  # noqa: E402
from jose.constants import ALGORITHMS  # noqa: E402
from jose.exceptions import (  # noqa: E402
    ExpiredSignatureError,
    JWKError,
    JWSAlgorithmError,
    JWSError,
    JWSSignatureError,
    JWTClaimsError,
    JWTError,
)

from _protocol import (  # noqa: E402
    Policy,
    Unsupported,
    check_required_present,
    check_supported,
    check_typ,
    key_text,
    lookup_by_kid,
    profile,
    serve,
)

# `--profile advisory` (pinned releases of fixtures/cve, CVE-2024-33663): no
# algorithm list (algorithms=None lets any alg through) and the key, looked up
# by kid, handed over as its OpenSSH public key line, as the advisory describes.
PROFILE = profile()

SUPPORTED = frozenset(ALGORITHMS.HMAC | ALGORITHMS.RSA_DS | ALGORITHMS.EC_DS)
# Claims python-jose can require itself (options "require_<claim>").
REQUIRABLE = ("aud", "iat", "exp", "nbf", "iss", "sub", "jti", "at_hash")


def reason_of(exc):
    # python-jose wraps every JWS failure into JWTError(JWSError(message)), so
    # beyond the exception class the only signal is the library's message.
    msg = str(exc)
    if isinstance(exc, ExpiredSignatureError):
        return "expired"
    if isinstance(exc, JWKError):
        return "key"
    if isinstance(exc, JWSSignatureError):
        return "signature"
    if isinstance(exc, JWSAlgorithmError):
        return "algorithm"
    if isinstance(exc, JWTClaimsError):
        if "audience" in msg:
            return "audience"
        if "issuer" in msg:
            return "issuer"
        if "not yet valid" in msg:
            return "not_yet_valid"
        if "must be an integer" in msg or "must be a string" in msg or "claim format" in msg:
            return "claim_type"
        return "other"
    if isinstance(exc, (JWTError, JWSError)):
        if "Signature verification failed" in msg:
            return "signature"
        if "alg value is not allowed" in msg or "unsupported algorithm" in msg or "No algorithm" in msg:
            return "algorithm"
        if "missing required key" in msg:
            return "missing_claim"
        if "must be an integer" in msg:
            return "claim_type"
        if (
            "segments" in msg
            or "padding" in msg
            or "Invalid header string" in msg
            or "Invalid payload string" in msg
            or "Error decoding token" in msg
        ):
            return "malformed"
        return "other"
    if isinstance(exc, (ValueError, TypeError)):
        # python-jose wraps parsing errors itself; a bare ValueError/TypeError
        # escapes from its crypto backend while building a key from the JWK.
        return "key"
    return "other"


def validate(req):
    policy = Policy(req.get("policy"))
    check_supported(policy, SUPPORTED)
    if policy.audience is not None and len(policy.audience) > 1:
        raise Unsupported("python-jose checks a single expected audience, the policy lists several")
    token = req.get("token")

    required = policy.required_with_expectations()
    options = {
        "verify_signature": True,
        "verify_aud": True,
        "verify_iat": True,
        "verify_exp": True,
        "verify_nbf": True,
        "verify_iss": True,
        "verify_sub": True,
        "verify_jti": True,
        "verify_at_hash": True,
        "leeway": policy.leeway,
    }
    for claim in REQUIRABLE:
        options["require_" + claim] = claim in required

    # The JWK Set as a dict: jose/jws.py _get_keys returns key["keys"] (lines
    # 230-233) and _sig_matches_keys (lines 209-218) builds each JWK for the
    # token's alg (jwk.construct, line 212, outside its try: a JWK of another
    # kty raises JWKError there and ends the search) and returns on the first
    # key that verifies.  kid is not read anywhere in jose/jws.py.
    key, algorithms = policy.jwks, policy.algorithms
    if PROFILE == "advisory":
        key, algorithms = key_text(lookup_by_kid(policy, token), fmt="openssh"), None
    claims = jwt.decode(
        token,
        key,
        algorithms=algorithms,
        options=dict(options),
        audience=policy.audience[0] if policy.audience else None,
        issuer=policy.issuer,
    )
    # Claims python-jose cannot require, and the typ header: checked here.
    check_required_present(claims, [c for c in required if c not in REQUIRABLE])
    check_typ(policy, jwt.get_unverified_header(token))
    return {"verdict": "accept", "claims": claims}


if __name__ == "__main__":
    serve(validate, reason_of)
