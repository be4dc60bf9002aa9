"""docs/PROTOCOL.md adapter for jwskate (see README.md).

jwskate's high-level validator is `JwtVerifier` ("A helper class to validate
JWTs tokens in a real application", jwskate/jwt/verifier.py line 16): it takes
the JWK Set, the expected issuer and audience, the allowed algs and a leeway,
and checks "the token signature, issuer, audience and expiration date, plus any
custom verification" (`verify`, lines 80-119).  Custom checks are its documented
`verifiers` / `custom_verifier` hook (the docstring's `must_contain_claim_foo`
example): the adapter registers one for the policy's required claims and one
for `typ`.  Nothing else is added: jwskate has no nbf/iat/sub check.

Clock: `SignedJwt.is_expired` calls `datetime.now(timezone.utc)` (signed.py
line 156), with no way to pass a time: `now` is ignored (clock = "system").

Key selection is jwskate's own: the policy's JWK Set goes to JwtVerifier, which
looks the key up by the header's kid (`JwkSet.get_jwk_by_kid`, jwk/jwks.py
line 73) or, without a kid, tries every asymmetric public key with use "sig"
(`JwkSet.verification_keys`, line 155).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jwskate import InvalidJwt, InvalidSignature, JwkSet, JwtVerifier, UnsupportedAlg  # noqa: E402
from jwskate.jwk.jwks import NoKeyFoundWithThisKid  # noqa: E402
from jwskate.jwt.signed import ExpiredJwt, InvalidClaim, SignedJwt  # noqa: E402

from _redact import redacting  # noqa: E402
from _protocol import Policy, Reject, Unsupported, check_required_present, check_supported, check_typ, serve  # noqa: E402

SUPPORTED = frozenset(
    ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
)


def reason_of(exc):
    if isinstance(exc, InvalidSignature):
        return "signature"
    if isinstance(exc, ExpiredJwt):
        return "expired"
    if isinstance(exc, InvalidClaim):
        what = str(exc.args[0]) if exc.args else ""
        if "issuer" in what:
            return "issuer"
        if "audience" in what:
            return "audience"
        return "other"
    if isinstance(exc, NoKeyFoundWithThisKid):
        return "key"
    if isinstance(exc, UnsupportedAlg):
        return "key"  # an allowlisted alg that does not fit the chosen key's type
    if isinstance(exc, InvalidJwt):
        return "malformed"
    if isinstance(exc, AttributeError):
        # SignedJwt.issuer / .audiences / .expires_at raise AttributeError for
        # a claim of the wrong type ("iss has an unexpected type", "invalid
        # `exp `claim"), signed.py lines 174-176, 238, 261.
        return "claim_type"
    if isinstance(exc, UnicodeError):
        return "malformed"  # Jwt() encodes the token as ASCII (jwt/base.py line 39)
    if isinstance(exc, (ValueError, TypeError)):
        return "malformed"
    return "other"


def require_claims(names):
    def verifier(jwt):
        check_required_present(jwt.claims, names)

    return verifier


def key_algs(jwk, algs):
    """The allowlisted algs a key may verify under: only its own alg when it has
    one (RFC 8725 §3.1).  Given an algs list, jwskate uses it whatever the key's
    alg says and only warns (jwk/alg.py lines 82-92); without one it takes the
    key's alg (line 94), so the list is narrowed here to what it would pick.
    This also keeps Jwk.verify (jwk/base.py lines 709-712) from trying an
    allowed alg of another key type first: select_alg_class raises
    UnsupportedAlg there (alg.py lines 104-108) instead of moving on, which
    refused valid RS256 and ES256 tokens under the mixed allowlist."""
    own = jwk.get("alg")
    return [a for a in algs if own is None or a == own]


def verify_with_secrets(token, jwkset, issuer, audience, algs, leeway, verifiers):
    """JwtVerifier.verify (jwskate/jwt/verifier.py lines 93-119), step for step,
    for a JWK Set holding a secret: the constructor refuses such a set
    (line 65: JwkSet.is_private, true for an oct key), and jwskate documents
    SignedJwt.verify / verify_signature with a key or a JwkSet for HMAC."""
    jwt = SignedJwt(token)
    if issuer and jwt.issuer != issuer:
        raise InvalidClaim("Mismatching issuer", issuer, jwt.issuer)
    if audience and audience not in jwt.audiences:
        raise InvalidClaim("Mismatching audience", audience, jwt.audiences)
    if "kid" in jwt.headers:
        jwk = jwkset.get_jwk_by_kid(jwt.kid)
        usable = key_algs(jwk, algs)
        if not usable:
            raise Reject("key", "the key the kid names is pinned to an algorithm the policy does not allow")
        jwt.verify(jwk, algs=usable)
    else:
        for jwk in jwkset.verification_keys():
            usable = key_algs(jwk, algs)
            if usable and jwt.verify_signature(jwk, algs=usable):
                break
        else:
            raise InvalidSignature(data=jwt, key=jwkset, alg=None, algs=algs)
    if jwt.is_expired(leeway):
        raise ExpiredJwt(f"Jwt token expired at {jwt.expires_at}")
    for verifier in verifiers:
        verifier(jwt)


def validate(req):
    policy = Policy(req.get("policy"))
    check_supported(policy, SUPPORTED)
    if policy.audience is not None and len(policy.audience) > 1:
        # JwtVerifier takes one expected audience (verifier.py lines 55, 100).
        raise Unsupported("JwtVerifier takes a single expected audience")
    token = req.get("token")
    try:
        jwkset = JwkSet(policy.jwks)
    except Exception as exc:  # noqa: BLE001
        raise Reject("key", f"JwkSet: {exc}") from None
    args = {
        "issuer": policy.issuer,
        "audience": policy.audience[0] if policy.audience else None,
        "algs": policy.algorithms,
        "leeway": int(policy.leeway),
        "verifiers": [
            require_claims(policy.required_with_expectations()),
            lambda jwt: check_typ(policy, jwt.headers),
        ],
    }
    if jwkset.is_private:
        verify_with_secrets(token, jwkset, **args)
    else:
        JwtVerifier(jwkset, **args).verify(token)
    return {"verdict": "accept"}


if __name__ == "__main__":
    serve(redacting(validate, reason_of), reason_of)
