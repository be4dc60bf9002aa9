'use strict'
// docs/PROTOCOL.md adapter for jsonwebtoken (auth0/node-jsonwebtoken), see README.md.
//
// jwt.verify() takes the current time from the caller (`clockTimestamp`): the
// request's `now` is used (clock = "request").
//
// Arguments: `--modules DIR` loads jsonwebtoken from DIR/node_modules (a pinned
// release installed by `adapters/setup.sh versions`) instead of the one next to
// this script; `--profile advisory` configures it as the advisories of
// CVE-2022-23540 describe: no `algorithms` option, the key looked up by `kid`
// (undefined when nothing matches: a falsy key) and handed over as PEM text;
// with `--algorithms policy` as well, the policy's list is kept (CVE-2022-23541).
const crypto = require('node:crypto')
const P = require('./protocol.cjs')

const { profile: PROFILE, load } = P.adapterOptions()
const jwt = load('jsonwebtoken')

const SUPPORTED = new Set([
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512'
])

function reasonOf (err) {
  if (err instanceof jwt.TokenExpiredError) return 'expired'
  if (err instanceof jwt.NotBeforeError) return 'not_yet_valid'
  if (err instanceof jwt.JsonWebTokenError) {
    // jsonwebtoken has one error class; the message is the only signal.
    const msg = String(err.message)
    if (msg === 'invalid algorithm') return 'algorithm'
    if (msg === 'invalid signature' || msg === 'jwt signature is required') return 'signature'
    if (msg.startsWith('jwt audience invalid')) return 'audience'
    if (msg.startsWith('jwt issuer invalid')) return 'issuer'
    if (msg === 'invalid exp value' || msg === 'invalid nbf value') return 'claim_type'
    if (/secretOrPublicKey|key material|key type|"alg" parameter/.test(msg)) return 'key'
    if (/^jwt (malformed|must be)|^invalid token|Unexpected token|JSON/.test(msg)) return 'malformed'
    return 'other'
  }
  // validateAsymmetricKey() throws a plain Error for a key that does not fit
  // the token's alg ("alg" parameter for "ec" key type must be one of ...).
  if (err instanceof Error && /key type|key/i.test(String(err.message))) return 'key'
  return 'other'
}

function keyFromJwk (jwk) {
  try {
    if (jwk.kty === 'oct') {
      if (typeof jwk.k !== 'string') throw new Error('oct JWK without "k"')
      return crypto.createSecretKey(Buffer.from(jwk.k, 'base64url'))
    }
    return crypto.createPublicKey({ key: jwk, format: 'jwk' })
  } catch (err) {
    throw new P.Reject('key', P.describe(err))
  }
}

// A key as the text (or, for a secret, the bytes) pre-KeyObject releases took.
function pemOf (jwk) {
  const key = keyFromJwk(jwk)
  return key.type === 'secret' ? key.export() : key.export({ format: 'pem', type: 'spki' })
}

async function validate (req) {
  const policy = P.parsePolicy(req.policy)
  P.checkSupported(policy, SUPPORTED)
  const token = req.token
  const decoded = typeof token === 'string' ? jwt.decode(token, { complete: true }) : null
  if (!decoded) {
    // decode() returns null for a token it cannot parse; let verify() say
    // why (it parses before it ever uses the key, and this key is random).
    jwt.verify(token, crypto.randomBytes(32), { algorithms: ['HS256'] })
    throw new P.Reject('malformed', 'jwt.decode could not parse the token')
  }
  const header = P.isPlainObject(decoded.header) ? decoded.header : {}
  const now = P.requestNow(req)
  const options = {
    algorithms: policy.algorithms,
    clockTolerance: policy.leeway,
    complete: true,
    allowInvalidAsymmetricKeyTypes: false
  }
  if (policy.issuer !== null) options.issuer = policy.issuer
  if (policy.audience !== null) options.audience = policy.audience
  if (now !== null) options.clockTimestamp = now

  let result
  if (PROFILE === 'advisory') {
    // The advisory's setup: no algorithms (the library derives them from the
    // key text; CVE-2022-23540), or with `--algorithms policy` the policy's
    // whole list, HMAC and public-key algorithms together (CVE-2022-23541);
    // and a lookup by kid that yields nothing for an unknown or missing kid,
    // passed on as is, a public key as PEM text.
    if (P.argument('--algorithms') !== 'policy') delete options.algorithms
    const jwk = policy.jwks.keys.find((k) => Object.hasOwn(header, 'kid') && k.kid === header.kid)
    result = jwt.verify(token, jwk === undefined ? undefined : pemOf(jwk), options)
  } else {
    const verify = async (jwk) => jwt.verify(token, keyFromJwk(jwk), options)
    result = await P.verifyWithCandidates(P.candidateKeys(policy, header), verify, reasonOf)
  }
  // jsonwebtoken has no required-claims or typ option: checked here.  With an
  // expected issuer/audience, verify() itself refuses a token without iss/aud
  // (verify.js lines 194-217: an absent claim never equals the expected
  // value), so those stay with the library; it also refuses exp/nbf: null
  // ("invalid exp value", lines 176-192).  The remaining required claims
  // (exp, sub, ...) must be present and not null.
  const libraryChecked = (c) => (c === 'iss' && policy.issuer !== null) || (c === 'aud' && policy.audience !== null)
  P.checkRequiredPresent(result.payload, policy.requiredClaims.filter((c) => !libraryChecked(c)))
  P.checkTyp(policy, result.header)
  return { verdict: 'accept', claims: result.payload }
}

P.serve(validate, reasonOf)
