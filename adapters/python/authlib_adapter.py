"""PROTOCOL.md adapter for Authlib's authlib.jose (see README.md).

Authlib's JWTClaims.validate(now=...) takes the current time from the caller:
the request's `now` is used (clock = "request").
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import authlib.deprecate  # noqa: E402,F401 - installs its own warning filter first

with warnings.catch_warnings():
    # authlib.jose announces its move to joserfc (Authlib 2.0) on import.
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebSignature, JsonWebToken  # noqa: E402
    from authlib.jose import errors as E  # noqa: E402
    from authlib.jose.util import extract_header  # noqa: E402

from _protocol import (  # noqa: E402
    Policy,
    candidate_keys,
    check_supported,
    check_typ,
    request_now,
    serve,
    verify_with_candidates,
)

SUPPORTED = frozenset(JsonWebSignature.ALGORITHMS_REGISTRY.keys())


def reason_of(exc):
    if isinstance(exc, E.BadSignatureError):
        return "signature"
    if isinstance(exc, (E.MissingAlgorithmError, E.UnsupportedAlgorithmError)):
        return "algorithm"
    if isinstance(exc, E.ExpiredTokenError):
        return "expired"
    if isinstance(exc, E.InvalidTokenError):
        return "not_yet_valid"  # nbf (and iat) in the future
    if isinstance(exc, E.MissingClaimError):
        return "missing_claim"
    if isinstance(exc, E.InvalidClaimError):
        name = getattr(exc, "claim_name", None)
        if name == "iss":
            return "issuer"
        if name == "aud":
            return "audience"
        if name in ("exp", "nbf", "iat"):
            return "claim_type"  # only raised for a non-numeric value
        return "other"
    if isinstance(exc, (E.KeyMismatchError, E.InvalidUseError)):
        return "key"
    if isinstance(
        exc, (E.DecodeError, E.InvalidCritHeaderParameterNameError, E.InvalidHeaderParameterNameError)
    ):
        return "malformed"
    if isinstance(exc, ValueError):
        # Authlib raises ValueError for an oversized token, and from key
        # import (a JWK of the wrong kty/curve, missing members).
        return "malformed" if "too long" in str(exc) else "key"
    return "other"


def validate(req):
    policy = Policy(req.get("policy"))
    check_supported(policy, SUPPORTED)
    token = req.get("token")
    if isinstance(token, str):
        token_bytes = token.encode("utf-8")
    else:
        raise E.DecodeError("token is not a string")
    header = extract_header(token_bytes.split(b".", 1)[0], E.DecodeError)

    claims_options = {}
    for claim in policy.required_with_expectations():
        claims_options[claim] = {"essential": True}
    if policy.issuer is not None:
        claims_options["iss"]["value"] = policy.issuer
    if policy.audience is not None:
        claims_options["aud"]["values"] = list(policy.audience)

    jwt = JsonWebToken(list(policy.algorithms))
    now = request_now(req)

    def verify(jwk):
        # The JWK goes in as a dict: each algorithm imports it with its own
        # key class (prepare_key), which refuses a JWK of another kty.
        claims = jwt.decode(token_bytes, dict(jwk), claims_options=claims_options)
        claims.validate(now=now, leeway=policy.leeway)
        return claims

    claims = verify_with_candidates(candidate_keys(policy, header), verify, reason_of)
    check_typ(policy, claims.header)
    return {"verdict": "accept", "claims": dict(claims)}


if __name__ == "__main__":
    serve(validate, reason_of)
