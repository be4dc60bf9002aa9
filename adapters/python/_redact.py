"""Token-free details for the adapters whose library quotes the token in its
messages (jwskate's InvalidJwt, cryptojwt's BadSyntax, google-auth's
MalformedError, ...): every run of 24 or more base64url characters, i.e. a
token, a segment or a signature, becomes `<redacted>`.  The reason mapping is
unchanged: the wrapped validate raises the _protocol.Reject the loop would have
built from the library's exception."""

import re
import sys

from _protocol import Reject, Unsupported, describe, reason_for

_B64URL_RUN = re.compile(r"[A-Za-z0-9_\-]{24,}={0,2}")


def redact(text):
    return _B64URL_RUN.sub("<redacted>", text)


def redacting(validate, reason_of):
    def wrapped(req):
        try:
            return validate(req)
        except (Unsupported, Reject, KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - mapped exactly as _protocol.serve does
            reason = reason_for(exc, reason_of)
            detail = redact(describe(exc))
            if reason == "other":
                print(f"reason 'other' for {req.get('id')!r}: {detail}", file=sys.stderr, flush=True)
            raise Reject(reason, detail) from None

    return wrapped
