"""docs/PROTOCOL.md adapter for cryptojwt (IdentityPython), see README.md.

`cryptojwt.jwt.JWT(key_jar=..., iss=..., skew=..., allowed_sign_algs=[...])`
and `.unpack(token, timestamp=now)`, as cryptojwt's JWT documentation shows: the
receiver's KeyJar holds the trusted issuer's JWK Set under the issuer's id
(`KeyJar.import_jwks(jwks, issuer_id)`), `iss` is the receiver's own identifier
(its audience: cryptojwt/jwt.py line 97 "My identifier"), `skew` the allowed
clock skew and `allowed_sign_algs` the allowlist.  `unpack` takes the time to
evaluate at (`timestamp`, jwt.py line 315): the request's `now` is used
(clock = "request").

Key selection is cryptojwt's own: `KeyJar.get_jwt_verify_keys` (key_jar.py
line 555) takes the keys of the issuer named by the token's `iss` claim, of
the kty its alg needs, with its kid; `JWS.verify_compact` tries them.

`unpack` checks nbf/exp (jwt.py lines 394-403) and, only with a message class
(oidcmsg/idpyoidc `Message`), the claims of that profile; the plain JWT has no
audience check (`unchecked` aud) and no required-claims option (the adapter
checks presence; and typ, like the other adapters).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cryptojwt import exception as X  # noqa: E402
from cryptojwt.jws import exception as JX  # noqa: E402
from cryptojwt.jwt import JWT  # noqa: E402
from cryptojwt.key_jar import KeyJar  # noqa: E402

from _redact import redacting  # noqa: E402
from _protocol import (  # noqa: E402
    Policy,
    Reject,
    check_required_present,
    check_supported,
    check_typ,
    request_now,
    serve,
)

SUPPORTED = frozenset(
    ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
)


def reason_of(exc):
    if isinstance(exc, JX.SignerAlgError):
        return "algorithm"
    if isinstance(exc, (JX.NoSuitableSigningKeys, X.IssuerNotFound, X.KeyNotFound, X.MissingKey, JX.WrongTypeOfKey)):
        return "key"
    if isinstance(exc, (X.WrongKeyType, X.UnsupportedKeyType, X.UnsupportedECurve, X.UnsupportedOKPCurve)):
        return "key"
    if isinstance(exc, X.BadSignature):
        return "signature"
    if isinstance(exc, X.VerificationError):
        msg = str(exc)
        if "expired" in msg:
            return "expired"
        if "not yet valid" in msg:
            return "not_yet_valid"
        return "other"
    if isinstance(exc, (X.UnknownAlgorithm, JX.UnknownSignerAlg, X.UnsupportedAlgorithm)):
        return "algorithm"
    if isinstance(exc, (X.WrongNumberOfParts, X.BadSyntax, JX.FormatError, X.HeaderError, X.FormatError)):
        return "malformed"
    if isinstance(exc, X.Invalid):
        return "malformed"
    if isinstance(exc, (ValueError, TypeError)):
        # int() of a non-numeric exp/nbf/iat (jwt.py lines 394, 399, 406)
        return "claim_type" if "int()" in str(exc) else "malformed"
    if isinstance(exc, (KeyError, UnicodeError)):
        return "malformed"
    return "other"


def validate(req):
    policy = Policy(req.get("policy"))
    check_supported(policy, SUPPORTED)
    token = req.get("token")
    key_jar = KeyJar()
    try:
        key_jar.import_jwks(policy.jwks, policy.issuer or "")
    except Exception as exc:  # noqa: BLE001
        raise Reject("key", f"KeyJar.import_jwks: {exc}") from None
    jwt = JWT(
        key_jar=key_jar,
        iss=policy.audience[0] if policy.audience else "",
        skew=int(policy.leeway),
        allowed_sign_algs=policy.algorithms,
    )
    now = request_now(req)
    claims = jwt.unpack(token, timestamp=int(now) if now is not None else None)
    if not isinstance(claims, dict):
        raise Reject("malformed", "unpack did not return a JSON object")
    check_required_present(claims, policy.required_with_expectations())
    check_typ(policy, jwt_header(token))
    return {"verdict": "accept", "claims": claims}


def jwt_header(token):
    from cryptojwt.jws.jws import JWSig

    return JWSig().unpack(token).headers


if __name__ == "__main__":
    serve(redacting(validate, reason_of), reason_of)
