"""docs/PROTOCOL.md adapter for joserfc (see README.md).

joserfc's JWTClaimsRegistry(now=...) takes the current time from the caller:
the request's `now` is used (clock = "request").

Key selection is joserfc's own: the policy's JWK Set is imported with
`KeySet.import_key_set` and the KeySet goes to `jwt.decode`, which resolves it
with guess_key (joserfc/jwk.py lines 84-101): KeySet.get_by_kid(kid, {"alg":
header alg, "use": "sig"}) (joserfc/_keys.py lines 143-153).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from joserfc import errors as E  # noqa: E402
from joserfc import jwt  # noqa: E402
from joserfc.jwk import KeySet  # noqa: E402
from joserfc.jws import JWSRegistry  # noqa: E402

from _protocol import (  # noqa: E402
    Policy,
    check_supported,
    check_typ,
    request_now,
    serve,
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

    options = {claim: {"essential": True} for claim in policy.required_with_expectations()}
    if policy.issuer is not None:
        options["iss"]["value"] = policy.issuer
    if policy.audience is not None:
        options["aud"]["values"] = list(policy.audience)
    registry = jwt.JWTClaimsRegistry(now=request_now(req), leeway=policy.leeway, **options)

    # KeySet.import_key_set (joserfc/_keys.py lines 170-185) imports every JWK
    # with its kty's class, skipping an unknown kty (InvalidKeyTypeError); no
    # key left: MissingKeyError.  A key without kid gets its thumbprint as kid
    # (KeySet.__init__, lines 118-121).
    key_set = KeySet.import_key_set(policy.jwks)
    # jwt.decode -> jws.deserialize_compact -> validate_compact ->
    # guess_key(key_set, obj, use="sig")
    # (joserfc/jws.py line 153; joserfc/jwk.py lines 84-101) ->
    # KeySet.get_by_kid(header kid, {"alg": header alg, "use": "sig"})
    # (_keys.py lines 143-153): with no kid and a single key, that key;
    # otherwise the keys whose kid == the header's, less those whose own "alg"
    # or "use" differs (lines 204-217), the first of them; none:
    # InvalidKeyIdError.  Then alg.check_key refuses a key of the wrong type
    # (jws.py line 154).
    token_obj = jwt.decode(token, key_set, algorithms=list(policy.algorithms))
    registry.validate(token_obj.claims)

    check_typ(policy, token_obj.header)
    return {"verdict": "accept", "claims": token_obj.claims}


if __name__ == "__main__":
    serve(validate, reason_of)
