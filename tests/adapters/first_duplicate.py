#!/usr/bin/env python3
"""A deliberately flawed HS256/384/512 validator for the claims tests (tests/claims.rs).

It speaks docs/PROTOCOL.md v1 and checks what a careful validator checks (the algorithm against
the policy's list, the HMAC against the policy's oct keys, exp and nbf with the leeway, iss, aud,
the required claims, typ) with one flaw: it reads the payload keeping the FIRST of duplicate
members, where RFC 7519 section 4 allows only rejecting the token or keeping the last one. The
claims it reports with an accept are the ones it read, as a library would return them to the
application. Test code only: it is not a validator to use.
"""
import base64
import hashlib
import hmac
import json
import math
import sys

HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64(segment):
    if "=" in segment or any(c in segment for c in "+/ \t\r\n"):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def first_wins(pairs):
    out = {}
    for k, v in pairs:
        out.setdefault(k, v)
    return out


def strict(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError("duplicate header member")
        out[k] = v
    return out


def check(token, now, policy):
    parts = token.split(".")
    if len(parts) != 3:
        return "malformed", "not three segments"
    try:
        header = json.loads(b64(parts[0]), object_pairs_hook=strict)
        claims = json.loads(b64(parts[1]), object_pairs_hook=first_wins)
        sig = b64(parts[2])
    except Exception as e:  # noqa: BLE001 - any decoding error is a malformed token
        return "malformed", str(e)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return "malformed", "not an object"
    alg = header.get("alg")
    if alg not in policy["algorithms"] or alg not in HASHES:
        return "algorithm", "alg %r not allowed" % (alg,)
    if header.get("crit") is not None or header.get("b64") is not None:
        return "other", "crit and b64 are not understood"
    if policy.get("typ") and header.get("typ") != policy["typ"]:
        return "other", "typ differs"
    signed = (parts[0] + "." + parts[1]).encode()
    keys = [k for k in policy["jwks"].get("keys", []) if k.get("kty") == "oct"]
    if "kid" in header:
        keys = [k for k in keys if k.get("kid") == header["kid"]]
    if not any(
        hmac.compare_digest(hmac.new(b64(k["k"]), signed, HASHES[alg]).digest(), sig)
        for k in keys
    ):
        return "signature", "no key verifies"
    for name in policy.get("required_claims", []):
        if name not in claims:
            return "missing_claim", "%s missing" % name
    leeway = policy.get("leeway", 0)
    for name in ("exp", "nbf", "iat"):
        v = claims.get(name)
        if name in claims and (
            isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
        ):
            return "claim_type", "%s is not a number" % name
    if "exp" in claims and now >= claims["exp"] + leeway:
        return "expired", "expired"
    if "nbf" in claims and now < claims["nbf"] - leeway:
        return "not_yet_valid", "nbf in the future"
    if policy.get("issuer") is not None and claims.get("iss") != policy["issuer"]:
        return "issuer", "iss differs"
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if policy.get("audience") and not any(a in policy["audience"] for a in auds):
        return "audience", "aud differs"
    return None, claims


def main():
    for line in sys.stdin:
        req = json.loads(line)
        reason, what = check(req["token"], req["now"], req["policy"])
        if reason is None:
            answer = {"id": req["id"], "verdict": "accept", "claims": what}
        else:
            answer = {"id": req["id"], "verdict": "reject", "reason": reason, "detail": what}
        try:
            text = json.dumps(answer, allow_nan=False)
        except ValueError:
            answer.pop("claims", None)
            text = json.dumps(answer)
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


main()
