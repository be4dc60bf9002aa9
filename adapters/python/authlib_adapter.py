"""docs/PROTOCOL.md adapter for Authlib's authlib.jose (see README.md).

Authlib's JWTClaims.validate(now=...) takes the current time from the caller:
the request's `now` is used (clock = "request").

Key selection is Authlib's own: the policy's JWK Set is imported with
`JsonWebKey.import_key_set` and the resulting KeySet goes to `jwt.decode`, which
picks the key with `KeySet.find_by_kid(header.get("kid"))`
(authlib/jose/rfc7519/jwt.py create_load_key, lines 170-173;
authlib/jose/rfc7517/key_set.py find_by_kid, lines 19-37).
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import authlib.deprecate  # noqa: E402,F401 - installs its own warning filter first

with warnings.catch_warnings():
    # authlib.jose announces its move to joserfc (Authlib 2.0) on import.
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, JsonWebSignature, JsonWebToken  # noqa: E402
    from authlib.jose import errors as E  # noqa: E402

from _protocol import (  # noqa: E402
    Policy,
    check_supported,
    check_typ,
    key_text,
    lookup_by_kid,
    profile,
    request_now,
    serve,
)

# `--profile advisory` (pinned releases of fixtures/cve, CVE-2024-37568): the
# module-level `authlib.jose.jwt`, whose algorithms are every registered JWS
# algorithm (none specified), and the key looked up by kid and handed over as
# PEM text, as the advisory describes.
PROFILE = profile()

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
    if isinstance(exc, KeyError):
        # The KeySet hands the algorithm a Key object; an algorithm of another
        # key type re-imports it as raw bytes (prepare_key -> load_pem_key ->
        # to_bytes -> bytes(key)) and Key.__getitem__ raises KeyError(0)
        # (authlib/jose/rfc7517/base_key.py line 56): the kid named a key of
        # the wrong type.
        return "key"
    if isinstance(exc, ValueError):
        # Authlib raises ValueError for an oversized token, from key import
        # (a JWK of the wrong kty/curve, missing members), and from
        # KeySet.find_by_kid ("Key not found").
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

    claims_options = {}
    for claim in policy.required_with_expectations():
        claims_options[claim] = {"essential": True}
    if policy.issuer is not None:
        claims_options["iss"]["value"] = policy.issuer
    if policy.audience is not None:
        claims_options["aud"]["values"] = list(policy.audience)

    jwt = JsonWebToken(list(policy.algorithms))
    now = request_now(req)

    # KeySet of Key objects, one per JWK imported with its own kty class
    # (authlib/jose/rfc7517/jwk.py import_key_set, lines 47-56; a JWK it cannot
    # import raises there, ValueError).  JsonWebToken.decode wraps it in
    # create_load_key (rfc7519/jwt.py line 99): find_by_kid(header.get("kid"))
    # (line 173) returns the only key when there is no kid and the set holds
    # one key, else the first key whose kid == the header's, else raises
    # ValueError("Key not found") (rfc7517/key_set.py lines 28-37).  The
    # algorithm then re-imports that Key with its own key class
    # (rfc7515/jws.py _prepare_algorithm_key, line 277).
    if PROFILE == "advisory":
        from authlib.jose import jwt as jwt_unrestricted

        key = key_text(lookup_by_kid(policy, token))
        claims = jwt_unrestricted.decode(token_bytes, key, claims_options=claims_options)
    else:
        key_set = JsonWebKey.import_key_set(policy.jwks)
        claims = jwt.decode(token_bytes, key_set, claims_options=claims_options)
    claims.validate(now=now, leeway=policy.leeway)
    check_typ(policy, claims.header)
    return {"verdict": "accept", "claims": dict(claims)}


if __name__ == "__main__":
    serve(validate, reason_of)
