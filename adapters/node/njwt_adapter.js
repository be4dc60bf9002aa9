'use strict'
// docs/PROTOCOL.md adapter for njwt (nJwt), see README.md.
//
// njwt.verify(token, key, alg) as its README's "Verifying Signed JWTs" and
// "Changing the algorithm" show.  The library checks the signature, exp and
// nbf only (README: "This library does the following checks when you call the
// verify method"); it compares them with new Date() (index.js lines 268-274)
// and has no leeway: `now` is ignored (clock = "system", no_leeway).
//
// A verifier expects exactly one algorithm (setSigningAlgorithm): the token's
// alg when it is allowlisted, else the first allowlisted one (njwt then
// refuses the mismatch).  It takes one key (or a key resolver the caller
// writes): the adapter picks the JWK by kid, else by kty (protocol.cjs
// candidateKeys), and passes a KeyObject (public keys) or the secret's bytes.
const crypto = require('node:crypto')
const P = require('./protocol.cjs')

const { load } = P.adapterOptions()
const njwt = load('njwt')

// index.js algCryptoMap (minus none).
const SUPPORTED = new Set(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'])

// properties.json errors.
function reasonOf (err) {
  const msg = String((err && err.message) || '')
  switch (msg) {
    case 'Jwt cannot be parsed': return 'malformed'
    case 'Jwt is expired': return 'expired'
    case 'Jwt not active': return 'not_yet_valid'
    case 'Unsupported signing algorithm': return 'algorithm'
    case 'Unexpected signature algorithm': return 'algorithm'
    case 'Signature verification failed': return 'signature'
  }
  if (/^Error while resolving signing key/.test(msg)) return 'key'
  // node:crypto: a key that does not fit the algorithm (HMAC with a public
  // KeyObject, ...).
  if (err && typeof err.code === 'string' && /^ERR_(OSSL|CRYPTO)/.test(err.code)) return 'key'
  if (err instanceof TypeError) return /key/i.test(msg) ? 'key' : 'malformed'
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

function header (token) {
  try {
    // The first segment only: no split of the whole token (a resource case
    // is 16 MiB of dots).
    const dot = token.indexOf('.')
    const part = dot < 0 ? token : token.slice(0, dot)
    const h = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return P.isPlainObject(h) ? h : {}
  } catch {
    return {}
  }
}

// njwt's JwtParseError keeps the whole token in `jwtString` (index.js line
// 85); its messages never quote it, and only the message is reported.
async function validate (req) {
  const policy = P.parsePolicy(req.policy)
  P.checkSupported(policy, SUPPORTED)
  const token = req.token
  if (typeof token !== 'string') throw new P.Reject('malformed', 'token is not a string')
  const h = header(token)
  const alg = policy.algorithms.includes(h.alg) ? h.alg : policy.algorithms[0]
  // njwt's third argument is the algorithm the caller expects. A key that declares its alg
  // (RFC 7517 §4.4) is a candidate for that alg only (the next candidate is tried); for a key
  // without one the token's alg is taken when allowlisted. (Handing njwt the header's alg for
  // every key would give it an RS256 expectation for an EC key, which its createVerify does
  // not refuse.)
  const verify = async (jwk) => {
    if (policy.algorithms.includes(h.alg) && typeof jwk.alg === 'string' && policy.algorithms.includes(jwk.alg) && jwk.alg !== alg) {
      throw new P.Reject('key', 'the key this token names is for another algorithm')
    }
    return njwt.verify(token, keyFromJwk(jwk), alg)
  }
  const jwt = await P.verifyWithCandidates(P.candidateKeys(policy, h), verify, reasonOf)
  const claims = jwt.body.toJSON()
  // No required-claims or typ option: presence (required claims, and iss/aud
  // when expected) and typ are checked here.  njwt has no iss/aud/sub check
  // at all; the backend file declares them unchecked.
  P.checkRequiredPresent(claims, policy.requiredWithExpectations)
  P.checkTyp(policy, jwt.header)
  return { verdict: 'accept', claims }
}

P.serve(validate, reasonOf)
