// docs/PROTOCOL.md adapter for jose (panva/jose), see README.md.
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
const HMAC = new Set(['HS256', 'HS384', 'HS512'])

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

  // HMAC: createLocalJWKSet resolves public keys only (dist/webapi/jwks/local.js
  // line 38 refuses an alg whose entry is `secret`, line 14 a non-public key),
  // and jose has no resolver for a set of secrets, so for an allowlisted HS*
  // alg the adapter picks the oct JWK (protocol.cjs candidateKeys) and hands
  // the JWK object itself to jwtVerify: jose then checks its alg, use and
  // key_ops (jwkMatchesOp, dist/webapi/lib/key.js lines 13-14), which an
  // importJWK'd secret (a bare Uint8Array) would skip.
  if (HMAC.has(header.alg) && policy.algorithms.includes(header.alg)) {
    const verify = (jwk) => jose.jwtVerify(token, jwk, options)
    const result = await P.verifyWithCandidates(P.candidateKeys(policy, header), verify, reasonOf)
    return { verdict: 'accept', claims: result.payload }
  }

  // Everything else: the library chooses.  The policy's whole JWK Set goes to
  // createLocalJWKSet and the resolver to jwtVerify, as jose's docs show; when
  // several keys match (ERR_JWKS_MULTIPLE_MATCHING_KEYS) the error is iterated
  // exactly as the docs' "opting-in to multiple JWKS matches" example does.
  let JWKS
  try {
    JWKS = jose.createLocalJWKSet(P.isPlainObject(req.policy) ? req.policy.jwks : undefined)
  } catch (err) {
    throw new P.Reject('key', P.describe(err))
  }
  let result
  try {
    result = await jose.jwtVerify(token, JWKS, options)
  } catch (err) {
    if (!(err instanceof jose.errors.JWKSMultipleMatchingKeys)) throw err
    result = await tryEachMatchingKey(err, token, options)
  }
  return { verdict: 'accept', claims: result.payload }
}

async function tryEachMatchingKey (multiple, token, options) {
  for await (const publicKey of multiple) {
    try {
      return await jose.jwtVerify(token, publicKey, options)
    } catch (innerError) {
      if (innerError instanceof jose.errors.JWSSignatureVerificationFailed) continue
      throw innerError
    }
  }
  throw new jose.errors.JWSSignatureVerificationFailed()
}

P.serve(validate, reasonOf)
