'use strict'
// docs/PROTOCOL.md adapter for @hapi/jwt's token API (Jwt.token), see README.md.
//
// Jwt.token.decode(token), then Jwt.token.verify(artifacts, {key, algorithms:
// allowlist}, {aud, iss, sub: false, nbf: true, exp: true, maxAgeSec: 0,
// timeSkewSec: leeway, now: now * 1000}): the options of the plugin's
// documented `verify` setting (API.md), with the request's `now` (clock =
// "request").  token.verify takes one key: the adapter picks it by kid, else by
// kty (protocol.cjs candidateKeys) from the header decode() parsed, and passes a
// KeyObject (public keys) or the secret's bytes (oct).
const crypto = require('node:crypto')
const P = require('./protocol.cjs')

const { load } = P.adapterOptions()
const Jwt = load('@hapi/jwt')

// lib/keys.js keyAlgo.public + hmac; EdDSA is implemented by lib/crypto.js.
const SUPPORTED = new Set([
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'EdDSA'
])

// @hapi/jwt throws plain Errors; the message is the only signal (lib/token.js).
function reasonOf (err) {
  const msg = String((err && err.message) || '')
  if (/^Invalid token (structure|header part|payload part|signature part|missing header|payload)$|^Token header missing alg/.test(msg)) return 'malformed'
  if (msg === 'Unsupported algorithm') return 'algorithm'
  if (msg === 'Invalid token signature') return 'signature'
  if (msg === 'Token expired') return 'expired'
  if (msg === 'Token not yet active') return 'not_yet_valid'
  if (/^Invalid payload (exp|nbf) value$/.test(msg)) return 'claim_type'
  if (/^Token missing payload \w+ value$/.test(msg)) return 'missing_claim'
  if (msg === 'Token payload iss value not allowed') return 'issuer'
  if (msg === 'Token audience is not allowed') return 'audience'
  // ecdsa-sig-formatter: an ES* signature of the wrong length.
  if (/signature/i.test(msg)) return 'signature'
  // node:crypto: a key that does not fit the algorithm (HMAC with a public
  // KeyObject, RSA-PSS options on an EC key, ...).
  if (err && typeof err.code === 'string' && /^ERR_(OSSL|CRYPTO)/.test(err.code)) return 'key'
  if (/key/i.test(msg)) return 'key'
  return 'other'
}

function keyFromJwk (jwk) {
  try {
    if (jwk.kty === 'oct') {
      if (typeof jwk.k !== 'string') throw new Error('oct JWK without "k"')
      return Buffer.from(jwk.k, 'base64url')
    }
    return crypto.createPublicKey({ key: jwk, format: 'jwk' })
  } catch (err) {
    throw new P.Reject('key', P.describe(err))
  }
}

async function validate (req) {
  const policy = P.parsePolicy(req.policy)
  P.checkSupported(policy, SUPPORTED)
  const token = req.token
  if (typeof token !== 'string') throw new P.Reject('malformed', 'token is not a string')
  const artifacts = Jwt.token.decode(token)
  const header = P.isPlainObject(artifacts.decoded.header) ? artifacts.decoded.header : {}
  const now = P.requestNow(req)
  const options = {
    sub: false,
    nbf: true,
    exp: true,
    maxAgeSec: 0,
    timeSkewSec: policy.leeway
  }
  // API.md: aud "String or RegExp or array of strings or RegExp", iss "String
  // or array of strings"; false (or absent) skips the check.
  options.aud = policy.audience !== null ? policy.audience : false
  options.iss = policy.issuer !== null ? policy.issuer : false
  if (now !== null) options.now = now * 1000
  const verify = async (jwk) => Jwt.token.verify(artifacts, { key: keyFromJwk(jwk), algorithms: policy.algorithms }, options)
  await P.verifyWithCandidates(P.candidateKeys(policy, header), verify, reasonOf)
  const claims = artifacts.decoded.payload
  // No required-claims or typ option: checked here.  iss/aud are required by
  // verifyPayload itself when expected ("Token missing payload ... value",
  // lib/token.js lines 286-288 and 320-322).
  const libraryChecked = (c) => (c === 'iss' && policy.issuer !== null) || (c === 'aud' && policy.audience !== null)
  P.checkRequiredPresent(claims, policy.requiredClaims.filter((c) => !libraryChecked(c)))
  P.checkTyp(policy, header)
  return { verdict: 'accept', claims }
}

P.serve(validate, reasonOf)
