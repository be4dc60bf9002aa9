"""PROTOCOL.md adapter for joserfc (see README.md).

joserfc's JWTClaimsRegistry(now=...) takes the current time from the caller:
the request's `now` is used (clock = "request").
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from joserfc import errors as E  # noqa: E402
from joserfc import jwk, jws, jwt  # noqa: E402
from joserfc.jws import JWSRegistry  # noqa: E402

from _protocol import (  # noqa: E402
    Policy,
    Reject,
    candidate_keys,
    check_supported,
    check_typ,
    describe,
    request_now,
    serve,
    verify_with_candidates,
)

SUPPORTED = frozenset(JWSRegistry.algorithms.keys())


def reason_of(exc):
    if isinstance(exc, E.BadSignatureError):
        return "signature"
    if isinstance(exc, (E.MissingAlgorithmError, E.UnsupportedAlgorithmError, E.ConflictAlgorithmError)):
        return "algorithm"
    if isinstance(exc, E.ExpiredTokenError):
        return "expired"
    if isinstance(exc, E.MissingClaimError):
        return "missing_claim"
    if isinstance(exc, E.InvalidClaimError):
        name = getattr(exc, "claim", None)
        desc = str(exc)
        if "must be" in desc:
            return "claim_type"
        if name in ("nbf", "iat"):
            return "not_yet_valid"  # "not yet valid" / "issued in the future"
        if name == "iss":
            return "issuer"
        if name == "aud":
            return "audience"
        return "other"
    if isinstance(
        exc,
        (
            E.KeyParameterError,
            E.MissingKeyError,
            E.InvalidKeyIdError,
            E.InvalidKeyCurveError,
            E.InvalidKeyLengthError,
        ),
    ):
        return "key"
    if isinstance(
        exc,
        (
            E.DecodeError,
            E.InvalidPayloadError,
            E.MissingCritHeaderError,
            E.UnsupportedHeaderError,
            E.InvalidHeaderValueError,
            E.MissingHeaderError,
            E.ExceededSizeError,
        ),
    ):
        return "malformed"
    return "other"


def validate(req):
    policy = Policy(req.get("policy"))
    check_supported(policy, SUPPORTED)
    token = req.get("token")
    if not isinstance(token, str):
        raise E.DecodeError("token is not a string")
    header = jws.extract_compact(token.encode("utf-8")).headers()

    options = {claim: {"essential": True} for claim in policy.required_with_expectations()}
    if policy.issuer is not None:
        options["iss"]["value"] = policy.issuer
    if policy.audience is not None:
        options["aud"]["values"] = list(policy.audience)
    registry = jwt.JWTClaimsRegistry(now=request_now(req), leeway=policy.leeway, **options)

    def verify(data):
        try:
            key = jwk.import_key(data)
        except Exception as exc:  # noqa: BLE001 - a JWK joserfc cannot load
            raise Reject("key", describe(exc)) from exc
        token_obj = jwt.decode(token, key, algorithms=list(policy.algorithms))
        registry.validate(token_obj.claims)
        return token_obj

    token_obj = verify_with_candidates(candidate_keys(policy, header), verify, reason_of)
    check_typ(policy, token_obj.header)
    return {"verdict": "accept", "claims": token_obj.claims}


if __name__ == "__main__":
    serve(validate, reason_of)
