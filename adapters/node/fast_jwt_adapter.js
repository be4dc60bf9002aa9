'use strict'
// docs/PROTOCOL.md adapter for fast-jwt (nearform/fast-jwt), see README.md.
//
// createVerifier() takes the current time from the caller (`clockTimestamp`,
// milliseconds): the request's `now` is used (clock = "request").
const crypto = require('node:crypto')
const { createDecoder, createVerifier, TokenError } = require('fast-jwt')
const P = require('./protocol.cjs')

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

  const verify = async (jwk) => createVerifier({ ...options, key: keyFromJwk(jwk) })(token)
  const result = await P.verifyWithCandidates(P.candidateKeys(policy, header), verify, reasonOf)
  return { verdict: 'accept', claims: result.payload }
}

P.serve(validate, reasonOf)
