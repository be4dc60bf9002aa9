"""docs/PROTOCOL.md adapter for PyJWT (see README.md).

PyJWT reads the system clock itself: `now` is ignored (clock = "system").

Key selection is PyJWT's own: the policy's JWK Set becomes a `PyJWKSet` and the
key is picked from it exactly as `PyJWKClient.get_signing_key_from_jwt` picks
from the set it fetched (PyJWT's documented JWKS path; the client itself only
adds the HTTP fetch and caching).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jwt  # noqa: E402
from jwt import exceptions as E  # noqa: E402

from jwt.jwks_client import PyJWKClient  # noqa: E402

from _protocol import (  # noqa: E402
    Policy,
    check_supported,
    check_typ,
    key_text,
    lookup_by_kid,
    profile,
    serve,
)

# `--profile advisory` (pinned releases of fixtures/cve, CVE-2022-29217):
# algorithms=jwt.algorithms.get_default_algorithms() and the key, looked up by
# kid, handed over as its OpenSSH public key line, as the advisory describes.
PROFILE = profile()

SUPPORTED = frozenset(jwt.algorithms.get_default_algorithms().keys())

# jwt.decode_complete is exported at the package level since 2.4.0; 2.3.0
# (pinned for fixtures/cve) has it in jwt.api_jwt only.
decode_complete = getattr(jwt, "decode_complete", None) or jwt.api_jwt.decode_complete


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
    if isinstance(exc, (E.InvalidKeyError, E.PyJWKError, E.PyJWKSetError, E.PyJWKClientError)):
        return "key"
    if isinstance(exc, E.DecodeError):
        # PyJWT raises a plain DecodeError for an exp/nbf of the wrong type.
        if "must be an integer" in str(exc):
            return "claim_type"
        return "malformed"
    if isinstance(exc, E.InvalidTokenError):
        return "malformed"  # crit, kid type, b64 rules
    return "other"


def signing_key(token, jwks):
    """The PyJWK that PyJWKClient.get_signing_key_from_jwt would return had it
    fetched `jwks` (jwt/jwks_client.py of PyJWT 2.15.1, line numbers below)."""
    # get_jwk_set, line 216: the fetched JSON object becomes a PyJWKSet
    # (jwt/api_jwk.py line 168 from_dict, line 141 __init__: every JWK is bound
    # to its own "alg", else to a default for its kty/crv, line 37-66; keys
    # PyJWK cannot load are skipped, line 159; no usable key is PyJWKSetError).
    jwk_set = jwt.PyJWKSet.from_dict(jwks)
    # get_signing_key_from_jwt, lines 311-313: the kid of the header as an
    # unverified decode_complete returns it (a non-string kid already fails
    # there: api_jws.py _validate_kid, line 459); no kid gives None.
    header = decode_complete(token, options={"verify_signature": False})["header"]
    kid = header.get("kid")
    # get_signing_key, lines 278-279: the signing keys (use "sig" or absent,
    # and a non-empty kid: _get_signing_keys_from_jwk_set, lines 251-261), then
    # the first whose kid == the token's (match_kid, lines 316-333).  So a token
    # without kid matches no key.  The client's refresh-and-retry on a miss
    # (lines 281-291) would fetch the same set again: it cannot change the result.
    key = PyJWKClient.match_kid(signing_keys(jwk_set), kid)
    if key is None:
        # lines 293-296
        raise E.PyJWKClientError(f'Unable to find a signing key that matches: "{kid}"')
    return key


def signing_keys(jwk_set):
    """PyJWKClient's filter of a fetched set: keys for signatures with a kid.

    2.15.1 has it as _get_signing_keys_from_jwk_set; older releases (2.11.0,
    pinned for fixtures/cve) inline the same list in get_signing_keys
    (jwks_client.py lines 84-95 there), which fetches: the bridge repeats it.
    """
    if hasattr(PyJWKClient, "_get_signing_keys_from_jwk_set"):
        return PyJWKClient._get_signing_keys_from_jwk_set(jwk_set)
    keys = [k for k in jwk_set.keys if k.public_key_use in ["sig", None] and k.key_id]
    if not keys:
        raise E.PyJWKClientError("The JWKS endpoint did not contain any signing keys")
    return keys


def validate(req):
    policy = Policy(req.get("policy"))
    check_supported(policy, SUPPORTED)
    token = req.get("token")
    # The PyJWK is bound to one algorithm (its JWK's "alg"): decode refuses a
    # token whose alg differs (api_jws.py _verify_signature, lines 418-425),
    # after checking the allowlist (line 415).
    if PROFILE == "advisory":
        key = key_text(lookup_by_kid(policy, token), fmt="openssh")
        algorithms = list(jwt.algorithms.get_default_algorithms())
    else:
        key = signing_key(token, policy.jwks)
        algorithms = policy.algorithms
    decoded = decode_complete(
        token,
        key,
        algorithms=algorithms,
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
    check_typ(policy, decoded["header"])
    return {"verdict": "accept", "claims": decoded["payload"]}


if __name__ == "__main__":
    serve(validate, reason_of)
