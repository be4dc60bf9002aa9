"""PROTOCOL.md adapter for PyJWT (see README.md).

PyJWT reads the system clock itself: `now` is ignored (clock = "system").
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jwt  # noqa: E402
from jwt import exceptions as E  # noqa: E402

from _protocol import (  # noqa: E402
    Policy,
    candidate_keys,
    check_supported,
    check_typ,
    serve,
    verify_with_candidates,
)

SUPPORTED = frozenset(jwt.algorithms.get_default_algorithms().keys())


def reason_of(exc):
    # Most specific classes first: several are subclasses of DecodeError /
    # InvalidTokenError.
    if isinstance(exc, E.InvalidSignatureError):
        return "signature"
    if isinstance(exc, E.ExpiredSignatureError):
        return "expired"
    if isinstance(exc, E.ImmatureSignatureError):
        return "not_yet_valid"
    if isinstance(exc, E.InvalidAudienceError):
        return "audience"
    if isinstance(exc, E.InvalidIssuerError):
        return "issuer"
    if isinstance(exc, E.MissingRequiredClaimError):
        return "missing_claim"
    if isinstance(exc, (E.InvalidIssuedAtError, E.InvalidSubjectError, E.InvalidJTIError)):
        return "claim_type"
    if isinstance(exc, E.InvalidAlgorithmError):
        return "algorithm"
    if isinstance(exc, (E.InvalidKeyError, E.PyJWKError, E.PyJWKSetError)):
        return "key"
    if isinstance(exc, E.DecodeError):
        # PyJWT raises a plain DecodeError for an exp/nbf of the wrong type.
        if "must be an integer" in str(exc):
            return "claim_type"
        return "malformed"
    if isinstance(exc, E.InvalidTokenError):
        return "malformed"  # crit, kid type, b64 rules
    return "other"


def validate(req):
    policy = Policy(req.get("policy"))
    check_supported(policy, SUPPORTED)
    token = req.get("token")
    header = jwt.get_unverified_header(token)
    alg = header.get("alg")

    def verify(jwk):
        # A PyJWK is bound to one algorithm: the JWK's own "alg", else the
        # token's alg when (and only when) it is in the allowlist.
        bound = jwk.get("alg") or (alg if alg in policy.algorithms else None)
        key = jwt.PyJWK(jwk, algorithm=bound)
        return jwt.decode_complete(
            token,
            key,
            algorithms=policy.algorithms,
            audience=policy.audience,
            issuer=policy.issuer,
            leeway=policy.leeway,
            options={
                "verify_signature": True,
                "verify_exp": True,
                "verify_nbf": True,
                "verify_iat": True,
                "verify_aud": True,
                "verify_iss": True,
                "require": policy.required_with_expectations(),
                "enforce_minimum_key_length": True,
            },
        )

    decoded = verify_with_candidates(candidate_keys(policy, header), verify, reason_of)
    check_typ(policy, decoded["header"])
    return {"verdict": "accept", "claims": decoded["payload"]}


if __name__ == "__main__":
    serve(validate, reason_of)
