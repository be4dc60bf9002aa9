// PROTOCOL.md adapter for jose (panva/jose), see README.md.
//
// jwtVerify() takes the current time from the caller (`currentDate`): the
// request's `now` is used (clock = "request").  jose's API is asynchronous;
// protocol.cjs awaits each request before reading the next, so answers stay
// in request order.
import { createRequire } from 'node:module'
import * as jose from 'jose'

const require = createRequire(import.meta.url)
const P = require('./protocol.cjs')

const SUPPORTED = new Set([
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'
])

function reasonOf (err) {
  const code = err && err.code
  const msg = String((err && err.message) || '')
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (err.reason === 'missing') return 'missing_claim'
      if (err.reason === 'invalid') return 'claim_type'
      if (err.claim === 'iss') return 'issuer'
      if (err.claim === 'aud') return 'audience'
      if (err.claim === 'nbf' || err.claim === 'iat') return 'not_yet_valid'
      return 'other' // typ, sub, ...
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'algorithm'
    case 'ERR_JOSE_NOT_SUPPORTED':
      // Unknown "crit" extensions are reported as "not supported" too.
      return /crit|Extension Header Parameter/i.test(msg) ? 'malformed' : 'algorithm'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature'
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed'
    case 'ERR_JWK_INVALID':
    case 'ERR_JWKS_INVALID':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'key'
  }
  if (err instanceof TypeError) {
    // jose reports unusable key material (wrong type, too short, wrong
    // usage) with TypeError; other TypeErrors are about the input shape.
    if (/key/i.test(msg)) return 'key'
    if (/claim/i.test(msg)) return 'claim_type'
    return 'malformed'
  }
  return 'other'
}

async function validate (req) {
  const policy = P.parsePolicy(req.policy)
  P.checkSupported(policy, SUPPORTED)
  const token = req.token
  let header
  try {
    header = jose.decodeProtectedHeader(token)
  } catch (err) {
    throw new P.Reject('malformed', P.describe(err))
  }
  const now = P.requestNow(req)
  const options = {
    algorithms: policy.algorithms,
    clockTolerance: policy.leeway,
    requiredClaims: policy.requiredWithExpectations
  }
  if (policy.issuer !== null) options.issuer = policy.issuer
  if (policy.audience !== null) options.audience = policy.audience
  if (policy.typ !== null) options.typ = policy.typ
  if (now !== null) options.currentDate = new Date(now * 1000)

  const verify = async (jwk) => {
    let key
    try {
      key = await jose.importJWK(jwk, P.bindAlg(policy, header, jwk))
    } catch (err) {
      throw new P.Reject('key', P.describe(err))
    }
    return jose.jwtVerify(token, key, options)
  }
  const result = await P.verifyWithCandidates(P.candidateKeys(policy, header), verify, reasonOf)
  return { verdict: 'accept', claims: result.payload }
}

P.serve(validate, reasonOf)
