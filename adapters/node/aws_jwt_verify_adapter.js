'use strict'
// docs/PROTOCOL.md adapter for aws-jwt-verify's generic JwtVerifier, see README.md.
//
// JwtVerifier.create({issuer, audience, jwksUri, graceSeconds}) with the
// policy's JWK Set loaded by verifier.cacheJwks(jwks) and verifySync(token),
// as the README's "Loading the JWKS from file" section shows: verifySync only
// reads the cache (SimpleJwksCache.getCachedJwk), so the jwksUri is never
// fetched.  The library picks the key itself by kid (it requires one).
//
// aws-jwt-verify compares exp and nbf with Date.now() (dist/cjs/jwt.js lines
// 131-143) and takes no time: `now` is ignored (clock = "system").
//
// It has no algorithm allowlist (README "How the algorithm (alg) is
// selected"): its "Advanced: enforcing the algorithm" section says to "code a
// custom JWT check to enforce that the JWT's header alg value matches the alg
// you want to enforce"; the adapter's customJwtCheck does that.
const P = require('./protocol.cjs')

const { load } = P.adapterOptions()
const { JwtVerifier } = load('aws-jwt-verify')
const errors = load('aws-jwt-verify/error')
const { decomposeUnverifiedJwt } = load('aws-jwt-verify/jwt')

// dist/cjs/jwt-verifier.js supportedSignatureAlgorithms.
const SUPPORTED = new Set(['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])

function claimReason (err, mismatch) {
  const msg = String(err.message)
  if (msg.startsWith('Missing ')) return 'missing_claim'
  if (/not of type string|is not an array|elements that are not/.test(msg)) return 'claim_type'
  return mismatch
}

function reasonOf (err) {
  if (err instanceof errors.JwtExpiredError) return 'expired'
  if (err instanceof errors.JwtNotBeforeError) return 'not_yet_valid'
  if (err instanceof errors.JwtInvalidIssuerError) return claimReason(err, 'issuer')
  if (err instanceof errors.JwtInvalidAudienceError) return claimReason(err, 'audience')
  if (err instanceof errors.JwtInvalidSignatureError) return 'signature'
  if (err instanceof errors.JwtInvalidSignatureAlgorithmError) {
    // The same class for an alg outside supportedSignatureAlgorithms (an
    // array is expected) and for a JWK whose own alg differs (a string).
    return Array.isArray(err.expected) ? 'algorithm' : 'key'
  }
  if (err instanceof errors.JwtParseError) {
    // assertJwtPayload (dist/cjs/jwt.js lines 48-80): a claim of the wrong type.
    return /^JWT payload \w+ claim is not/.test(String(err.message)) ? 'claim_type' : 'malformed'
  }
  if (err instanceof errors.JwtWithoutValidKidError || err instanceof errors.KidNotFoundInJwksError ||
      err instanceof errors.JwkValidationError || err instanceof errors.JwkInvalidUseError ||
      err instanceof errors.JwkInvalidKtyError || err instanceof errors.JwksValidationError) return 'key'
  // node:crypto: a signature it cannot parse; createPublicKey of a JWK that
  // does not fit, or a verify with a key of the wrong type.
  if (err && err.code === 'ERR_CRYPTO_OPERATION_FAILED') return 'signature'
  if (err && typeof err.code === 'string' && /^ERR_(OSSL|CRYPTO)/.test(err.code)) return 'key'
  return 'other'
}

async function validate (req) {
  const policy = P.parsePolicy(req.policy)
  P.checkSupported(policy, SUPPORTED)
  const token = req.token
  if (typeof token !== 'string') throw new P.Reject('malformed', 'token is not a string')
  // A new verifier per request: its JWKS and key-object caches must not
  // carry one request's keys into another.
  const verifier = JwtVerifier.create({
    issuer: policy.issuer,
    audience: policy.audience,
    jwksUri: 'http://127.0.0.1/never-fetched',
    graceSeconds: policy.leeway,
    customJwtCheck: ({ header }) => {
      if (!policy.algorithms.includes(header.alg)) {
        throw new P.Reject('algorithm', P.truncate(`alg ${JSON.stringify(header.alg)} is not in the allowlist (customJwtCheck)`))
      }
    }
  })
  verifier.cacheJwks({ keys: policy.jwks.keys })
  const payload = verifier.verifySync(token)
  // Verified: the library's own decomposition gives the header.
  const { header } = decomposeUnverifiedJwt(token)
  // No required-claims option (iss and aud are required when expected:
  // assertStringArrayContainsString throws "Missing ..."), no typ option.
  const libraryChecked = (c) => (c === 'iss' && policy.issuer !== null) || (c === 'aud' && policy.audience !== null)
  P.checkRequiredPresent(payload, policy.requiredClaims.filter((c) => !libraryChecked(c)))
  P.checkTyp(policy, header)
  return { verdict: 'accept', claims: payload }
}

P.serve(validate, reasonOf)
