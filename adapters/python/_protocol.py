"""Shared plumbing for the Python adapters (docs/PROTOCOL.md, version 1).

Everything library-specific lives in the adapter scripts: each one supplies
a `validate(request)` function and a `reason(exception)` mapping, and hands the
policy's whole JWK Set to its library's own JWK Set resolver (no key selection
happens here).  This module only does the line loop and a few policy helpers.

The loop never lets an exception escape: a failure inside an adapter becomes a
`reject` (reason taken from the adapter's mapping), a request that is not JSON
becomes a `reject` with reason `malformed`, and a response that cannot be
serialised loses its `claims` rather than breaking the line protocol.
"""

import json
import sys

DETAIL_MAX = 300

REASONS = frozenset(
    [
        "malformed",
        "algorithm",
        "key",
        "signature",
        "expired",
        "not_yet_valid",
        "issuer",
        "audience",
        "missing_claim",
        "claim_type",
        "other",
    ]
)


class Unsupported(Exception):
    """The library cannot express the policy: answer `unsupported`."""


class Reject(Exception):
    """A rejection decided by the adapter glue (not by the library)."""

    def __init__(self, reason, detail):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def truncate(text):
    text = str(text)
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 3] + "..."


def describe(exc):
    """`detail` for an exception: the library's message, else its class name."""
    msg = str(exc).strip().rstrip(":").rstrip()
    name = type(exc).__name__
    return truncate(f"{name}: {msg}" if msg else name)


# ---------------------------------------------------------------- policy


class Policy:
    def __init__(self, raw):
        if not isinstance(raw, dict):
            raw = {}
        algs = raw.get("algorithms")
        self.algorithms = [a for a in algs if isinstance(a, str)] if isinstance(algs, list) else []
        jwks = raw.get("jwks")
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        self.jwks = {"keys": [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []}
        iss = raw.get("issuer")
        self.issuer = iss if isinstance(iss, str) else None
        aud = raw.get("audience")
        if isinstance(aud, str):
            aud = [aud]
        self.audience = [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else None
        if self.audience == []:
            self.audience = None
        leeway = raw.get("leeway", 0)
        ok = isinstance(leeway, (int, float)) and not isinstance(leeway, bool) and 0 <= leeway < 1e12
        self.leeway = leeway if ok else 0
        req = raw.get("required_claims")
        self.required_claims = [c for c in req if isinstance(c, str)] if isinstance(req, list) else []
        typ = raw.get("typ")
        self.typ = typ if isinstance(typ, str) else None

    def required_with_expectations(self):
        """required_claims plus iss/aud when an expected value is configured.

        docs/PROTOCOL.md: `issuer` is "the exact expected iss" and the token's `aud`
        "must contain one of" `audience`, so a token lacking the claim cannot
        satisfy the policy; every adapter therefore asks its library to require
        the claim whenever the policy names an expected value.
        """
        out = list(self.required_claims)
        if self.issuer is not None and "iss" not in out:
            out.append("iss")
        if self.audience is not None and "aud" not in out:
            out.append("aud")
        return out


def request_now(req):
    now = req.get("now")
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        return None
    return now


def check_supported(policy, supported):
    missing = [a for a in policy.algorithms if a not in supported]
    if missing:
        raise Unsupported(f"algorithm(s) not implemented by this library: {', '.join(missing)}")


def reason_for(exc, reason_of):
    if isinstance(exc, Reject):
        return exc.reason
    if isinstance(exc, RecursionError):
        return "malformed"  # JSON nested too deeply for the parser
    try:
        reason = reason_of(exc)
    except Exception:  # noqa: BLE001
        return "other"
    return reason if reason in REASONS else "other"


def norm_typ(value):
    v = value.lower()
    return v[len("application/") :] if v.startswith("application/") else v


def check_typ(policy, header):
    """Explicit `typ` header check for libraries that have none (RFC 7515 §4.1.9
    comparison: case-insensitive, `application/` prefix optional)."""
    if policy.typ is None:
        return
    typ = header.get("typ") if isinstance(header, dict) else None
    if not isinstance(typ, str) or norm_typ(typ) != norm_typ(policy.typ):
        raise Reject("other", truncate(f"typ header {typ!r} is not {policy.typ!r}"))


def check_required_present(claims, names):
    """Explicit presence check for claims a library cannot require itself."""
    for name in names:
        if name not in claims:
            raise Reject("missing_claim", f"missing required claim {name!r}")


# ---------------------------------------------------------------- the loop


def _jsonable(claims):
    try:
        json.dumps(claims, allow_nan=False)
        return True
    except (TypeError, ValueError, RecursionError, OverflowError):
        return False


def _encode(resp):
    try:
        return json.dumps(resp, allow_nan=False, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError, OverflowError):
        resp = {k: v for k, v in resp.items() if k != "claims"}
        try:
            return json.dumps(resp, allow_nan=False, ensure_ascii=True, default=str)
        except Exception:  # noqa: BLE001
            return json.dumps({"id": None, "verdict": "reject", "reason": "other", "detail": "unencodable response"})


def profile():
    """The adapter's profile from `--profile NAME` on its command line:
    `recommended` (the default: configured as the library's documentation
    recommends today) or `advisory` (configured as a published advisory
    describes the vulnerable setup; pinned releases for fixtures/cve)."""
    args = sys.argv[1:]
    value = "recommended"
    if "--profile" in args:
        i = args.index("--profile")
        value = args[i + 1] if i + 1 < len(args) else ""
    if value not in ("recommended", "advisory"):
        sys.stderr.write(f"unknown --profile {value!r} (recommended, advisory)\n")
        sys.exit(2)
    return value


def _b64url(text):
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unverified_kid(token):
    """The `kid` of a compact token's header, read without verifying (None when
    absent or unreadable): what a key lookup of an advisory's setup keys on."""
    try:
        header = json.loads(_b64url(token.split(".")[0]))
    except Exception:  # noqa: BLE001 - an unreadable header has no kid
        return None
    return header.get("kid") if isinstance(header, dict) else None


def key_text(jwk, fmt="pem"):
    """A JWK as the key text older APIs took: the secret bytes of an oct key,
    else the SubjectPublicKeyInfo PEM (LF line ends, final newline), or with
    fmt="openssh" the OpenSSH public key line (`ssh-ed25519 AAAA...`)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    kty = jwk.get("kty")
    if kty == "oct":
        return _b64url(jwk["k"])
    if kty == "RSA":
        n = int.from_bytes(_b64url(jwk["n"]), "big")
        e = int.from_bytes(_b64url(jwk["e"]), "big")
        key = rsa.RSAPublicNumbers(e, n).public_key()
    elif kty == "EC":
        curve = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}[jwk["crv"]]
        x = int.from_bytes(_b64url(jwk["x"]), "big")
        y = int.from_bytes(_b64url(jwk["y"]), "big")
        key = ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    elif kty == "OKP" and jwk.get("crv") == "Ed25519":
        key = ed25519.Ed25519PublicKey.from_public_bytes(_b64url(jwk["x"]))
    else:
        raise Reject("key", f"no key text for a {kty} JWK")
    if fmt == "openssh":
        return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def lookup_by_kid(policy, token):
    """An advisory's key lookup: the JWK whose kid equals the token's, else the
    only key of a one-key set, else nothing."""
    keys = policy.jwks.get("keys", []) if isinstance(policy.jwks, dict) else []
    kid = unverified_kid(token)
    for k in keys:
        if kid is not None and k.get("kid") == kid:
            return k
    if len(keys) == 1:
        return keys[0]
    raise Reject("key", f"no key with kid {kid!r}")


def serve(validate, reason_of):
    """Run the docs/PROTOCOL.md loop.

    validate(request_dict) -> dict with at least `verdict` (and `claims`).
    reason_of(exception) -> one of REASONS.
    """
    out = sys.stdout
    for raw in sys.stdin.buffer:
        line = raw.strip()
        if not line:
            continue
        rid = None
        try:
            req = json.loads(line.decode("utf-8", errors="replace"))
            if not isinstance(req, dict):
                raise ValueError("request is not a JSON object")
            rid = req.get("id")
        except Exception as exc:  # noqa: BLE001
            resp = {"verdict": "reject", "reason": "malformed", "detail": truncate(f"bad request line: {exc}")}
        else:
            try:
                resp = validate(req)
                if resp.get("verdict") == "accept" and "claims" in resp and not _jsonable(resp["claims"]):
                    del resp["claims"]
            except Unsupported as exc:
                resp = {"verdict": "unsupported", "detail": truncate(str(exc))}
            except Reject as exc:
                resp = {"verdict": "reject", "reason": exc.reason, "detail": truncate(exc.detail)}
            except BaseException as exc:  # noqa: BLE001 - the adapter must never die
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                reason = reason_for(exc, reason_of)
                if reason == "other":
                    # Unmapped: leave a trace for whoever reads the stderr tail.
                    print(f"reason 'other' for {rid!r}: {describe(exc)}", file=sys.stderr, flush=True)
                resp = {"verdict": "reject", "reason": reason, "detail": describe(exc)}
        out.write(_encode({"id": rid, **resp}) + "\n")
        out.flush()
