'use strict'
// docs/PROTOCOL.md adapter for fast-jwt (nearform/fast-jwt), see README.md.
//
// createVerifier() takes the current time from the caller (`clockTimestamp`,
// milliseconds): the request's `now` is used (clock = "request").
//
// `--modules DIR` loads a pinned fast-jwt release (adapters/setup.sh versions);
// `--profile advisory` configures it as the advisories of CVE-2023-48223 and
// CVE-2026-34950 describe: no `algorithms` (fast-jwt derives them from the key
// text), and the key looked up by kid and given as PEM text: an RSA key as
// PKCS#1 (BEGIN RSA PUBLIC KEY) with `--key-format pkcs1`, else SPKI, after
// the text of `--key-prefix` (e.g. a newline, as a key read from a file with a
// blank first line).
const crypto = require('node:crypto')
const P = require('./protocol.cjs')

const { profile: PROFILE, load } = P.adapterOptions()
const { createDecoder, createVerifier, TokenError } = load('fast-jwt')

const SUPPORTED = new Set([
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'EdDSA'
])
const C = TokenError.codes
const decodeUnverified = createDecoder({ complete: true })

function reasonOf (err) {
  if (!(err instanceof TokenError)) return 'other'
  const msg = String(err.message)
  switch (err.code) {
    case C.malformed:
    case C.invalidPayload:
    case C.invalidCritHeader:
      return 'malformed'
    case C.invalidType:
      return /typ/.test(msg) ? 'other' : 'malformed'
    case C.invalidAlgorithm:
      return 'algorithm'
    case C.invalidSignature:
    case C.missingSignature:
    case C.verifyError:
      return 'signature'
    case C.expired:
      return 'expired'
    case C.inactive:
      return 'not_yet_valid'
    case C.missingRequiredClaim:
      return 'missing_claim'
    case C.invalidClaimType:
      return 'claim_type'
    case C.invalidClaimValue:
      if (/must be/.test(msg)) return 'claim_type'
      if (/\biss\b/.test(msg)) return 'issuer'
      if (/\baud\b/.test(msg)) return 'audience'
      return 'other'
    case C.invalidKey:
    case C.missingKey:
    case C.keyFetchingError:
      return 'key'
  }
  return 'other'
}

// fast-jwt takes an HMAC secret as a Buffer and a public key as PEM.
function keyFromJwk (jwk) {
  try {
    if (jwk.kty === 'oct') {
      if (typeof jwk.k !== 'string') throw new Error('oct JWK without "k"')
      return Buffer.from(jwk.k, 'base64url')
    }
    return crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' })
  } catch (err) {
    throw new P.Reject('key', P.describe(err))
  }
}

async function validate (req) {
  const policy = P.parsePolicy(req.policy)
  P.checkSupported(policy, SUPPORTED)
  const token = req.token
  const { header } = decodeUnverified(token)
  const now = P.requestNow(req)
  const options = {
    algorithms: policy.algorithms,
    complete: true,
    cache: false,
    clockTolerance: policy.leeway * 1000,
    requiredClaims: policy.requiredWithExpectations
  }
  if (policy.issuer !== null) options.allowedIss = policy.issuer
  if (policy.audience !== null) options.allowedAud = policy.audience
  if (policy.typ !== null) options.checkTyp = policy.typ
  if (now !== null) options.clockTimestamp = now * 1000

  if (PROFILE === 'advisory') {
    delete options.algorithms
    const jwk = P.lookupByKid(policy, header)
    if (jwk === undefined) throw new P.Reject('key', 'no key with this kid')
    const pkcs1 = P.argument('--key-format') === 'pkcs1' && jwk.kty === 'RSA'
    const key = jwk.kty === 'oct'
      ? keyFromJwk(jwk)
      : (P.argument('--key-prefix') || '') + (pkcs1
          ? crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs1', format: 'pem' })
          : keyFromJwk(jwk))
    const result = await createVerifier({ ...options, key })(token)
    return { verdict: 'accept', claims: result.payload }
  }
  const verify = async (jwk) => createVerifier({ ...options, key: keyFromJwk(jwk) })(token)
  const result = await P.verifyWithCandidates(P.candidateKeys(policy, header), verify, reasonOf)
  return { verdict: 'accept', claims: result.payload }
}

P.serve(validate, reasonOf)
