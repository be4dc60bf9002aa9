'use strict'
// docs/PROTOCOL.md adapter for hono's JWT helper (`hono/jwt`), see README.md.
//
// hono/jwt `verify` reads the clock itself (Math.floor(Date.now() / 1e3),
// dist/cjs/utils/jwt/jwt.js line 50) and has no leeway option: `now` is
// ignored (clock = "system", no_leeway in the backend file).
//
// Key selection: hono's own `verifyWithJwks(token, {keys, allowedAlgorithms,
// verification})` (jwt.js lines 87-115) for every asymmetric algorithm: it
// requires a kid, refuses HS*, checks the allowlist and picks the key whose kid
// equals the header's.  HS* tokens, which verifyWithJwks refuses (line 92),
// go to `verify(token, key, {alg, iss, aud, typ})` with the oct JWK the adapter
// picks (protocol.cjs candidateKeys) and the token's alg when allowlisted.
const P = require('./protocol.cjs')
const { verify, verifyWithJwks } = require('hono/jwt')

const SUPPORTED = new Set([
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'EdDSA'
])
const HMAC = new Set(['HS256', 'HS384', 'HS512'])

// hono's error classes (dist/cjs/utils/jwt/types.js) carry their class name in `name`.
function reasonOf (err) {
  switch (err && err.name) {
    case 'JwtTokenExpired': return 'expired'
    case 'JwtTokenNotBefore': return 'not_yet_valid'
    case 'JwtTokenIssuedAt': return 'not_yet_valid'
    case 'JwtTokenIssuer': return 'issuer'
    case 'JwtTokenAudience': return 'audience'
    case 'JwtPayloadRequiresAud': return 'missing_claim'
    case 'JwtTokenSignatureMismatched': return 'signature'
    case 'JwtAlgorithmMismatch':
    case 'JwtAlgorithmNotAllowed':
    case 'JwtSymmetricAlgorithmNotAllowed':
    case 'JwtAlgorithmNotImplemented':
      return 'algorithm'
    case 'JwtHeaderRequiresKid': return 'key'
    case 'JwtHeaderInvalid':
    case 'JwtTokenInvalid':
      return 'malformed'
  }
  const msg = String((err && err.message) || '')
  // WebCrypto importKey/verify failures: a JWK that does not fit the alg.
  if (err && (err.name === 'DataError' || err.name === 'NotSupportedError' || err.name === 'InvalidAccessError')) return 'key'
  if (err instanceof TypeError || err instanceof SyntaxError) return /key/i.test(msg) ? 'key' : 'malformed'
  return 'other'
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

// hono's messages quote the whole token (JwtTokenInvalid, JwtTokenExpired,
// JwtTokenSignatureMismatched, ... in types.js): it is replaced by <token>
// so that no detail carries a token.
async function validate (req) {
  try {
    return await check(req)
  } catch (err) {
    const token = typeof req.token === 'string' ? req.token : ''
    if (err && typeof err.message === 'string' && token && err.message.includes(token)) {
      throw new P.Reject(reasonOf(err), P.truncate(`${err.name}: ${err.message.split(token).join('<token>')}`))
    }
    throw err
  }
}

async function check (req) {
  const policy = P.parsePolicy(req.policy)
  P.checkSupported(policy, SUPPORTED)
  const token = req.token
  if (typeof token !== 'string') throw new P.Reject('malformed', 'token is not a string')
  const verification = {}
  if (policy.issuer !== null) verification.iss = policy.issuer
  if (policy.audience !== null) verification.aud = policy.audience
  if (policy.typ !== null) verification.typ = policy.typ
  const h = header(token)
  let payload
  if (HMAC.has(h.alg) && policy.algorithms.includes(h.alg)) {
    const check = (jwk) => verify(token, jwk, { alg: h.alg, ...verification })
    payload = await P.verifyWithCandidates(P.candidateKeys(policy, h), check, reasonOf)
  } else {
    payload = await verifyWithJwks(token, {
      keys: policy.jwks.keys,
      allowedAlgorithms: policy.algorithms.filter((a) => !HMAC.has(a)),
      verification
    })
  }
  // No required-claims option: presence checked here (iss/aud are required by
  // verify itself when expected: jwt.js lines 60-67).
  const libraryChecked = (c) => (c === 'iss' && policy.issuer !== null) || (c === 'aud' && policy.audience !== null)
  P.checkRequiredPresent(payload, policy.requiredClaims.filter((c) => !libraryChecked(c)))
  return { verdict: 'accept', claims: payload }
}

P.serve(validate, reasonOf)
