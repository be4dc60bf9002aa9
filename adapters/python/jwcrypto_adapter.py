"""docs/PROTOCOL.md adapter for jwcrypto (see README.md).

jwcrypto compares exp/nbf with time.time() itself: `now` is ignored
(clock = "system").

Key selection is jwcrypto's own: the policy's JWK Set is loaded with
`jwk.JWKSet.from_json` and handed to `JWT.deserialize` as the key; JWS._verify
takes the keys whose kid equals the header's kid when there is one, else every
key of the set, and tries them in turn (jwcrypto/jws.py lines 300-323).
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jwcrypto import jwk, jws, jwt  # noqa: E402
from jwcrypto.common import JWException, JWKeyNotFound  # noqa: E402

from _protocol import (  # noqa: E402
    Policy,
    check_supported,
    check_typ,
    serve,
)

SUPPORTED = frozenset(jws.default_allowed_algs)


def _alg_refused(entry):
    return "Algorithm not allowed" in entry or "InvalidJWAAlgorithm" in entry or 'No "alg"' in entry


def key_set_reason(log):
    """Reason for a JWKeyNotFound raised while verifying with a JWKSet.

    jwcrypto reports every failure against a key set as JWKeyNotFound
    (jwcrypto/jws.py lines 303-306: the kid names no key; line 323: no key
    verified); what each tried key failed with is only in its log, one
    "Key [<kid>] failed: [<exception>]" entry per key (line 319-321).
    """
    tried = [e for e in log if isinstance(e, str) and e.startswith("Key [")]
    if not tried:
        return "key"  # the kid named no key of the set
    if all(_alg_refused(e) for e in tried):
        return "algorithm"  # the allowlist refused the alg, whatever the key
    if all("InvalidJWSSignature('Verification failed')" in e for e in tried):
        return "signature"
    return "key"


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
        # validate() attaches the JWT's deserializelog (jwt.py lines 660-665).
        return key_set_reason(getattr(exc, "jwcrypto_log", []))
    if isinstance(exc, (jwk.InvalidJWKValue, jwk.InvalidJWKType, jwk.InvalidJWKUsage, jwk.InvalidJWKOperation)):
        return "key"
    if isinstance(exc, (jws.InvalidJWSSignature, jws.InvalidJWSOperation)):
        # jwcrypto folds every per-signature failure into "Verification failed
        # for all signatures[<log>]"; the log names the underlying error.
        if _alg_refused(msg):
            return "algorithm"
        if "InvalidJWSObject(" in msg:
            return "malformed"  # header checks (crit) made inside verify
        if "TypeError(" in msg:
            return "other"  # a crit that is not a list
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

    # jwcrypto's unverified view of the token, for its raw payload.
    unverified = jws.JWS()
    unverified.deserialize(token)

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

    # JWKSet.import_keyset (jwcrypto/jwk.py lines 1492-1512) builds a JWK per
    # member, skipping those of an unknown kty (InvalidJWKType); any other
    # failure is InvalidJWKValue (reason key) for the whole set.
    key_set = jwk.JWKSet.from_json(json.dumps(policy.jwks))
    token_obj = jwt.JWT(
        algs=list(policy.algorithms),
        check_claims=check_claims,
        expected_type="JWS",
        strict_serialization=True,
    )
    token_obj.leeway = policy.leeway
    # JWS._verify with a JWKSet (jwcrypto/jws.py lines 300-323): a header kid
    # narrows the candidates to get_keys(kid) (jwk.py line 1550, kid ==) and
    # names no key: JWKeyNotFound; then each candidate is tried with the
    # header's alg and the first that verifies wins; none: JWKeyNotFound("No
    # working key found in key set").  JWT.validate turns JWKeyNotFound into
    # JWTMissingKey (jwt.py lines 666-667).
    try:
        token_obj.deserialize(token, key_set)
    except JWKeyNotFound as exc:
        exc.jwcrypto_log = list(getattr(token_obj, "deserializelog", None) or [])
        raise

    check_typ(policy, token_obj.header if isinstance(token_obj.header, dict) else json.loads(token_obj.header))
    return {"verdict": "accept", "claims": json.loads(token_obj.claims)}


if __name__ == "__main__":
    serve(validate, reason_of)
