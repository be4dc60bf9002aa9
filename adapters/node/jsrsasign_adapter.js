'use strict'
// docs/PROTOCOL.md adapter for jsrsasign (KJUR.jws.JWS.verifyJWT), see README.md.
//
// verifyJWT(token, key, acceptField) takes the time to validate at
// (`verifyAt`, Unix seconds) and a skew (`gracePeriod`): the request's `now`
// is used (clock = "request").  It takes one key: the adapter picks it by kid,
// else by kty (protocol.cjs candidateKeys), reading the header with the
// library's own parser, and converts the JWK with KEYUTIL.getKey (RSA, EC) or
// passes an oct secret as {b64u: k} (KJUR.crypto.Mac.setPassword).
//
// verifyJWT returns only true or false.  On false the adapter finds which of
// its steps failed (src/jws-3.3.js verifyJWT, steps 0-10) by running them
// again in the same order with the library's own helpers (isBase64URLDot,
// readSafeJSONString, inArray, includedArray, JWS.verify): the verdict is
// always the library's, the reason is the adapter's reading of it.
const P = require('./protocol.cjs')

const { load } = P.adapterOptions()
const rs = load('jsrsasign')
const { KJUR, KEYUTIL } = rs
const JWS = KJUR.jws.JWS

const SUPPORTED = new Set([
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512'
])

// jsrsasign throws strings as well as Errors; one message per condition.
function reasonOf (err) {
  const msg = String(err && typeof err === 'object' ? err.message : err)
  if (/not accepted in the list|unsupported alg name|^not supported$|algorithm not specified/.test(msg)) return 'algorithm'
  if (/critical header/.test(msg)) return 'other'
  // timingSafeEqual (HS*): a signature of the wrong length.
  if (/must have the same length/.test(msg)) return 'signature'
  if (/key shall be|password|key|Mac|curve|init/i.test(msg)) return 'key'
  // A header or payload that readSafeJSONString refused (null), or an alg
  // that is not a string: verifyJWT dereferences it and throws a TypeError.
  if (err instanceof TypeError || err instanceof SyntaxError) return 'malformed'
  return 'other'
}

function keyFromJwk (jwk) {
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw new P.Reject('key', 'oct JWK without "k"')
    return { b64u: jwk.k }
  }
  try {
    return KEYUTIL.getKey(jwk)
  } catch (err) {
    throw new P.Reject('key', P.describe(err))
  }
}

// The first segment only (no split of the whole token: a resource case is
// 16 MiB of dots), parsed as verifyJWT parses it.
function segment (token, n) {
  let start = 0
  for (let i = 0; i < n; i++) {
    const dot = token.indexOf('.', start)
    if (dot < 0) return null
    start = dot + 1
  }
  const end = token.indexOf('.', start)
  return end < 0 ? token.slice(start) : token.slice(start, end)
}

function readJson (part) {
  try {
    return part === null ? null : JWS.readSafeJSONString(rs.b64utoutf8(part))
  } catch {
    return null
  }
}

// Dots in the token, counted up to 3 (no split).
function dots (token) {
  let n = 0
  let i = -1
  while (n < 3 && (i = token.indexOf('.', i + 1)) >= 0) n++
  return n
}

// verifyJWT said false: which step (src/jws-3.3.js verifyJWT) refused it.
function whyFalse (token, key, accept) {
  if (!rs.isBase64URLDot(token)) return new P.Reject('malformed', 'verifyJWT: not a dot-separated Base64URL string (isBase64URLDot)')
  if (dots(token) !== 2) return new P.Reject('malformed', 'verifyJWT: not three dot-separated parts')
  const h = readJson(segment(token, 0)) || {}
  const c = readJson(segment(token, 1)) || {}
  if (h.alg === undefined) return new P.Reject('malformed', 'verifyJWT: no alg in the header')
  if (!JWS.inArray(h.alg, accept.alg)) return new P.Reject('algorithm', P.truncate(`verifyJWT: alg ${JSON.stringify(h.alg)} is not in acceptField.alg`))
  if (c.iss !== undefined && typeof accept.iss === 'object' && !JWS.inArray(c.iss, accept.iss)) {
    return new P.Reject('issuer', 'verifyJWT: iss is not in acceptField.iss')
  }
  if (c.aud !== undefined && typeof accept.aud === 'object') {
    if ((typeof c.aud === 'string' && !JWS.inArray(c.aud, accept.aud)) ||
        (typeof c.aud === 'object' && !JWS.includedArray(c.aud, accept.aud))) {
      return new P.Reject('audience', 'verifyJWT: aud is not included in acceptField.aud')
    }
  }
  const now = accept.verifyAt
  const grace = accept.gracePeriod
  if (typeof c.exp === 'number' && c.exp + grace < now) return new P.Reject('expired', 'verifyJWT: exp + gracePeriod < verifyAt')
  if (typeof c.nbf === 'number' && now < c.nbf - grace) return new P.Reject('not_yet_valid', 'verifyJWT: verifyAt < nbf - gracePeriod')
  if (typeof c.iat === 'number' && now < c.iat - grace) return new P.Reject('not_yet_valid', 'verifyJWT: verifyAt < iat - gracePeriod')
  // Step 10: JWS.verify(token, key, acceptField.alg) returned false (its
  // exceptions propagate out of verifyJWT and never reach this point).
  return new P.Reject('signature', 'verifyJWT: JWS.verify returned false (signature)')
}

async function validate (req) {
  const policy = P.parsePolicy(req.policy)
  P.checkSupported(policy, SUPPORTED)
  const token = req.token
  if (typeof token !== 'string') throw new P.Reject('malformed', 'token is not a string')
  const now = P.requestNow(req)
  const header = readJson(segment(token, 0)) || {}

  const verify = async (jwk) => {
    const key = keyFromJwk(jwk)
    const accept = { alg: policy.algorithms, gracePeriod: policy.leeway }
    if (policy.issuer !== null) accept.iss = [policy.issuer]
    if (policy.audience !== null) accept.aud = policy.audience
    if (now !== null) accept.verifyAt = now
    if (JWS.verifyJWT(token, key, accept)) return true
    throw whyFalse(token, key, { ...accept, verifyAt: now === null ? KJUR.jws.IntDate.getNow() : now })
  }
  await P.verifyWithCandidates(P.candidateKeys(policy, header), verify, reasonOf)

  // Verified: exactly three parts, so reading them is cheap.
  const claims = readJson(segment(token, 1))
  // JWS.verify checks only that each name listed in crit is present (its
  // NOTE3: "you must implement the validation of the header parameter values
  // specified as crit yourself"); this adapter implements no extension, so
  // any listed one is refused (RFC 7515 §4.1.11).
  if (header.crit !== undefined) {
    throw new P.Reject('other', P.truncate(`crit lists extension(s) this verifier does not implement: ${JSON.stringify(header.crit)}`))
  }
  // No required-claims option: verifyJWT checks iss, aud, exp, nbf and iat
  // only when present.  Presence (required claims, and iss/aud when expected)
  // is checked here, as is typ (no option either).
  P.checkRequiredPresent(claims, policy.requiredWithExpectations)
  P.checkTyp(policy, header)
  return { verdict: 'accept', claims }
}

P.serve(validate, reasonOf)
