"""PROTOCOL.md adapter for jwcrypto (see README.md).

jwcrypto compares exp/nbf with time.time() itself: `now` is ignored
(clock = "system").
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jwcrypto import jwk, jws, jwt  # noqa: E402
from jwcrypto.common import JWException, JWKeyNotFound  # noqa: E402

from _protocol import (  # noqa: E402
    Policy,
    Reject,
    candidate_keys,
    check_supported,
    check_typ,
    describe,
    serve,
    verify_with_candidates,
)

SUPPORTED = frozenset(jws.default_allowed_algs)


def reason_of(exc):
    msg = str(exc)
    if isinstance(exc, jwt.JWTExpired):
        return "expired"
    if isinstance(exc, jwt.JWTNotYetValid):
        return "not_yet_valid"
    if isinstance(exc, jwt.JWTMissingClaim):
        return "missing_claim"
    if isinstance(exc, jwt.JWTInvalidClaimValue):
        if "'iss'" in msg:
            return "issuer"
        if "'aud'" in msg:
            return "audience"
        return "other"
    if isinstance(exc, jwt.JWTInvalidClaimFormat):
        return "malformed" if "not a json dict" in msg else "claim_type"
    if isinstance(exc, JWKeyNotFound):  # includes JWTMissingKey
        return "key"
    if isinstance(exc, (jwk.InvalidJWKValue, jwk.InvalidJWKType, jwk.InvalidJWKUsage, jwk.InvalidJWKOperation)):
        return "key"
    if isinstance(exc, (jws.InvalidJWSSignature, jws.InvalidJWSOperation)):
        # jwcrypto folds every per-signature failure into "Verification failed
        # for all signatures[<log>]"; the log names the underlying error.
        if "Algorithm not allowed" in msg or "InvalidJWAAlgorithm" in msg or 'No "alg"' in msg:
            return "algorithm"
        return "signature"
    if isinstance(exc, jws.InvalidJWSObject):
        return "malformed"
    if isinstance(exc, JWException):
        return "other"
    if isinstance(exc, ValueError) and "Token format unrecognized" in msg:
        return "malformed"
    if isinstance(exc, TypeError) and "not supported between" in msg:
        return "claim_type"  # exp/nbf compared as a number
    return "other"


def validate(req):
    policy = Policy(req.get("policy"))
    check_supported(policy, SUPPORTED)
    token = req.get("token")
    if not isinstance(token, str):
        raise ValueError("Token format unrecognized (not a string)")

    # jwcrypto's unverified view of the token: header, and the raw payload.
    unverified = jws.JWS()
    unverified.deserialize(token)
    header = unverified.jose_header
    if isinstance(header, list):  # a JSON serialization with several signatures
        header = header[0] if header else {}

    check_claims = {claim: None for claim in policy.required_with_expectations()}
    if policy.issuer is not None:
        check_claims["iss"] = policy.issuer
    if policy.audience is not None:
        check_claims["aud"] = list(policy.audience)
    # As soon as check_claims is given, jwcrypto checks exp and nbf only when
    # they are listed there (and then requires them).  List them when the token
    # carries them, which keeps the library's default "check when present".
    try:
        raw_claims = json.loads(unverified.objects.get("payload", b"") or b"null")
    except (ValueError, RecursionError):
        raw_claims = None
    if isinstance(raw_claims, dict):
        for claim in ("exp", "nbf"):
            if claim in raw_claims:
                check_claims.setdefault(claim, None)

    def verify(data):
        try:
            key = jwk.JWK(**data)
        except Exception as exc:  # noqa: BLE001 - a JWK jwcrypto cannot load
            raise Reject("key", describe(exc)) from exc
        token_obj = jwt.JWT(
            algs=list(policy.algorithms),
            check_claims=check_claims,
            expected_type="JWS",
            strict_serialization=True,
        )
        token_obj.leeway = policy.leeway
        token_obj.deserialize(token, key)
        return token_obj

    token_obj = verify_with_candidates(candidate_keys(policy, header), verify, reason_of)
    check_typ(policy, token_obj.header if isinstance(token_obj.header, dict) else json.loads(token_obj.header))
    return {"verdict": "accept", "claims": json.loads(token_obj.claims)}


if __name__ == "__main__":
    serve(validate, reason_of)
