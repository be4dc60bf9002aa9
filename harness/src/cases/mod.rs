//! The attack catalog: loading case files and expanding them over policies.
//!
//! # The case file format
//!
//! The catalog is data. Each family of attacks is one TOML file in `fixtures/cases/`; the file stem
//! is the family name (`alg-none.toml` holds family `alg-none`). A file opens with a comment that
//! explains the family, then lists its cases as `[[case]]` tables. A case's id is
//! `family/name`; when it runs under a policy the instance id is `family/name@policy`. Duplicate
//! ids fail at load time, and so do unknown keys (a typo must not silently drop a mutation).
//!
//! ```toml
//! [[case]]
//! name = "payload-edited"                 # unique within the file: [a-z0-9-]+
//! description = "one claim edited after signing"
//! expect = "reject"                       # accept | reject | either
//! reason = "signature"                    # the reason a strict validator gives (reject only)
//! attacker = "anyone"                    # who can make the token: anyone | holder | issuer
//! impact = "forgery"                      # what an accept gives: forgery | replay | confusion | hygiene
//! refs = ["RFC 7519 §4.1.4"]              # what makes it so: "RFC NNNN §X.Y" or "CVE-YYYY-N" (required)
//! checks = ["iss"]                        # the claim checks that reject it: iss aud sub nbf iat typ jti
//! fixed_clock = false                     # true: needs `now` honoured exactly (skipped on system-clock backends)
//! uses_leeway = false                     # true: the expectation relies on the policy's leeway
//! tags = ["cve-2022-21449"]               # free text, shown in reports
//!
//! # --- what the forge builds (all optional) ---
//! alg = "RS384"                # the header alg and the signing algorithm; default: see "key selection"
//! key = "policy"               # which key signs: see "key selection"
//! header = '{"typ": "at+jwt"}' # JSON object merged over the default header (template, see below)
//! remove_header = ["kid"]      # members removed from the default header
//! header_raw = '{"alg":"${alg}"}'   # the whole header JSON text, replacing the default (template)
//! header_segment = "eyJhbGciOiJub25lIn0"  # the literal first segment, no encoding at all
//! claims = '{"exp": ${now-3600}}'    # JSON object merged over the default claims (template)
//! remove_claims = ["sub"]
//! claims_raw = '{"exp":1,"exp":2}'   # the whole claims JSON text (template)
//! claims_segment = "W10"             # the literal second segment
//! hmac_key = "pem-spki"        # sign with HMAC keyed by bytes derived from a public key (below)
//! signature = ["zero"]         # operations on the signature bytes, in order (below)
//! tamper_header = '{"kid": "x"}'     # merged into the header AFTER signing (signature kept)
//! tamper_claims = '{"sub": "admin"}' # merged into the claims AFTER signing
//! alter = ["pad"]              # operations on the compact token text, in order (below)
//! trust = "short-secret"       # run under a variant of the policy's key set (below)
//!
//! [case.requires]             # the case applies to a policy only when all of these hold
//! key_type = "rsa"            # rsa | ec | okp | oct | asymmetric: the policy trusts such a key for an allowed alg
//! keys_for_alg = 1            # exactly this many trusted keys fit the signing alg
//! min_keys_for_alg = 2        # at least this many
//! other_key_type = true       # the JWKS also holds a key of another type (key-type confusion)
//! issuer = true               # the policy sets an issuer
//! audience = true             # the policy sets an audience
//! required = ["exp"]          # the policy requires these claims
//! not_required = ["exp"]      # the policy does not require these claims
//! typ = true                  # the policy requires an explicit typ
//! retired_key = true          # the policy names a retired (rotated-out) key
//! min_leeway = 2              # the policy's leeway is at least this many seconds
//! not_token_location = "query"  # the policy does not declare this token location
//!
//! [case.transport]            # HTTP targets only: how the request carries the token
//! authorization = ["bearer ${token}"]  # Authorization header values, one header each
//! query = "access_token"      # the token in this query parameter
//! form = "access_token"       # the token in a form-encoded POST body
//! ```
//!
//! ## Attacker and impact
//!
//! Every `reject` and `either` case says who can make its token (`attacker`) and what an
//! unexpected accept gives that attacker (`impact`); `accept` cases have neither. The severity of a
//! finding is never written by hand: [`severity`] derives it from the two by one rule (a crash on
//! the token is rated by the attacker class alone).
//!
//! - `anyone`: no key and no valid token are needed (alg none, alg confusion, signature,
//!   embedded-key and kid-injection bypasses, guessable secrets);
//! - `holder`: one genuinely issued token is needed (expired, not yet valid, another audience or
//!   issuer, edited after signing, mangled in transport);
//! - `issuer`: only the trusted issuer could sign it (odd claim types, crit, duplicate members,
//!   bytes that are not JSON).
//!
//! `forgery`: the accepted token says what its maker wrote; `replay`: a genuine token outside its
//! lifetime, audience or issuer; `confusion`: a genuine token read otherwise than its issuer
//! meant; `hygiene`: a malformed or mangled token accepted with its meaning unchanged.
//!
//! `checks` names the claim checks that reject a token (`iss`, `aud`, `sub`, `nbf`, `iat`,
//! `typ`, `jti`). A library may document that it offers no such check (its backend file's
//! `[[unchecked]]`, with the documentation's words): an accept of a reject case every one of whose
//! checks the library lacks is `unchecked` ("the library leaves this to you"), not `unsafe`.
//!
//! ## Defaults
//!
//! Without any of the forge keys a case is a correctly signed, currently valid token for the policy:
//! header `{"alg": ALG, "typ": TYP, "kid": KID}` (TYP is the policy's required `typ`, else `JWT`;
//! no `kid` member when the key has none) and
//! claims `{"iss": ISS, "sub": "user-1", "aud": AUD, "iat": now, "exp": now + 3600}`, where ISS is
//! the policy's issuer (`https://issuer.invalid` if none) and AUD its first audience (a string;
//! `https://audience.invalid` if none). Merging (`header`, `claims`, `tamper_*`) replaces
//! members of the same name, keeps the order of the default members and appends new ones;
//! a merged value of JSON `null` sets the member to `null` (use `remove_*` to drop it).
//!
//! ## Key selection
//!
//! The *signing alg* is `alg` when given, else the first algorithm in the policy's allowlist whose
//! trusted key fits `requires.key_type` (any type when not set). `key` picks the key:
//!
//! | key | meaning |
//! |---|---|
//! | `policy` (default) | the first trusted key that fits the signing alg (its private half) |
//! | `second` | the second trusted key that fits (rotation: the new key beside the current) |
//! | `retired` | the policy's retired key: signed correctly, but no longer trusted |
//! | `attacker` | the built-in attacker key of the signing alg's type (test-only, never trusted) |
//! | `other-type` | the first trusted key of another type than the signing alg needs, used as if it fit (only for `hmac_key`) |
//! | `none` | no signature at all: the third segment is empty |
//!
//! A case whose key cannot be found under a policy (no second key, no private half, no key of that
//! type) does not apply to that policy and is left out of the run, so applicability is data too.
//! `KID` in the default header is the selected key's `kid`.
//!
//! ## hmac_key: HMAC keyed with public material (alg confusion)
//!
//! The token is signed with HMAC (the hash of `alg`, which must be an `HS*` name; default `HS256`)
//! keyed with bytes derived from the selected key's *public* half: `pem-spki` (SubjectPublicKeyInfo
//! PEM, LF line ends, trailing newline), `pem-spki-no-newline`, `pem-spki-crlf`, `pem-pkcs1`
//! (RSA only), `der-spki`, `jwk-json` (the public JWK as compact JSON), `modulus` (RSA n bytes),
//! `ec-point` (the SEC1 uncompressed point; Ed25519: the 32 raw bytes), `empty` (a zero-length
//! secret) or `text:SOME TEXT` (those UTF-8 bytes). The key whose kid the header carries is the
//! first trusted key of `requires.key_type` (default: any asymmetric key, or for `empty` and
//! `text:` the trusted `oct` key), so `key_type = "rsa"` + `hmac_key = "pem-spki"` is the classic
//! attack and `hmac_key = "empty"` is a blank secret sent under the real secret's kid.
//!
//! ## trust: variants of the policy's trusted keys
//!
//! A few attacks are about the key set, not the token. `trust` runs the case under a copy of the
//! policy whose JWKS is changed, and signs with the changed key: `short-secret` (every `oct` key
//! replaced by a 16-byte secret with the same kid: shorter than any HMAC hash output, RFC 7518
//! §3.2), `duplicate-kid` (the attacker key of the signing type is appended with the same kid as
//! the signing key; the token is signed by the genuine key). The variant's name is appended to the
//! policy name in reports (`hs256~short-secret`).
//!
//! ## Templates
//!
//! `header`, `header_raw`, `claims`, `claims_raw`, `tamper_*` are templates: `${...}` is replaced by
//! text before the JSON is read. Inside: an integer expression over `now`, `leeway`, `exp` (the
//! default exp) and integer literals with `+` and `-` (`${now-leeway-1}`); or one of `alg`, `kid`
//! (the signing key's), `policy_kid` (the first trusted key's for the signing alg), `iss`, `aud`,
//! `typ` (the policy's typ, else `JWT`) (raw text, write the quotes yourself: `"${iss}/"`); `attacker_jwk` (the attacker
//! public JWK of the signing key type as a JSON object); `attacker_x5c` (a JSON array holding the
//! attacker's self-signed certificate); `attacker_url` (`http://127.0.0.1:8089/attacker/TAG`, TAG
//! naming the case instance: the JWKS server's attacker paths, see [`crate::jwks`]) and
//! `attacker_tag` (TAG alone); `repeat(TEXT,N)` (TEXT N times; TEXT may not contain `,` or
//! `)`). `$$` is a literal `$`.
//!
//! ## signature: operations on the signature bytes
//!
//! `flip-bit` (last bit of the last byte), `flip-first-bit`, `truncate:N` (drop N bytes at the end),
//! `drop-first` (drop the first byte), `append-zero`, `zero` (same length, all zero bytes),
//! `empty`, `bytes:BASE64URL` (replace), `from-other-claims` (the signature of a token with other
//! claims and the same header), `ecdsa-der` (re-encode raw R‖S as ASN.1 DER), `ecdsa-der-zero`
//! (DER of r = s = 0: `MAYCAQACAQA`), `ecdsa-r-n`, `ecdsa-s-n` (set r or s to the curve order n),
//! `ecdsa-r-max` (r = 2^k − 1, above n), `ecdsa-high-s` (s → n − s).
//!
//! ## alter: operations on the compact token text
//!
//! `pad` (append `=` padding to every segment that would have it), `std-alphabet` (`-` → `+`,
//! `_` → `/` in the payload segment; the forge fails when it has neither, so add such bytes,
//! e.g. a claim `"note": "?????"`), `space-in-payload`, `newline-in-payload`, `noncanonical-last` (set the unused
//! low bits of the last character of the first segment, from the end, whose length is not a
//! multiple of 4), `drop-signature-segment` (`h.p`), `drop-payload` (`h..s`), `segments:N`
//! (append or remove `.`-separated segments until there are N; appended ones are copies of the
//! signature), `replace:TEXT` (the whole token becomes TEXT, no template), `url-encode` (every `.`
//! becomes `%2E`), `quote` (wrap in `"`), `bearer` (prefix `Bearer `), `pad-to:N` (append `A`s to
//! the payload segment until the token is N bytes), `dots:N` (append N dots), `leading-space`,
//! `trailing-space`, `bom` (prefix U+FEFF).
//!
//! Forging failures (an operation that does not fit the token) are errors that name the case:
//! they never silently produce a different token.

mod load;
mod ops;
mod recipe;

pub use load::{load_catalog, load_dir, parse_family, Catalog};
pub use ops::{AlterOp, ClaimCheck, HmacKey, KeyChoice, KeyTypeReq, SigOp, Trust};
pub use recipe::{
    severity, Attacker, Case, Expect, Impact, Reason, Requires, Severity, Transport, ALL_REASONS,
    RESOURCE_TAG,
};
