'use strict'
// Shared plumbing for the Node adapters (docs/PROTOCOL.md, version 1).
//
// Library-specific code lives in the adapter scripts: each supplies an async
// `validate(request)` and a `reasonOf(error)` mapping.  This module does the
// line loop (strictly one request at a time, so responses keep request order
// even though jose's API is asynchronous), the JWKS key selection every
// adapter shares, and a few policy helpers.  Nothing thrown by a library ever
// escapes: it becomes a `reject`.

const readline = require('node:readline')

const DETAIL_MAX = 300

const REASONS = new Set([
  'malformed', 'algorithm', 'key', 'signature', 'expired', 'not_yet_valid',
  'issuer', 'audience', 'missing_claim', 'claim_type', 'other'
])

const ALG_KTY = {
  HS256: 'oct', HS384: 'oct', HS512: 'oct',
  RS256: 'RSA', RS384: 'RSA', RS512: 'RSA',
  PS256: 'RSA', PS384: 'RSA', PS512: 'RSA',
  ES256: 'EC', ES384: 'EC', ES512: 'EC', ES256K: 'EC',
  EdDSA: 'OKP', Ed25519: 'OKP', Ed448: 'OKP'
}

class Unsupported extends Error {}

class Reject extends Error {
  constructor (reason, detail) {
    super(detail)
    this.reason = reason
    this.detail = detail
  }
}

function truncate (text) {
  text = String(text)
  return text.length <= DETAIL_MAX ? text : text.slice(0, DETAIL_MAX - 3) + '...'
}

function describe (err) {
  if (err === null || typeof err !== 'object') return truncate(String(err))
  const name = err.code || err.name || 'Error'
  const msg = err.message ? String(err.message) : ''
  return truncate(msg ? `${name}: ${msg}` : name)
}

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

function parsePolicy (raw) {
  if (!isPlainObject(raw)) raw = {}
  const algorithms = Array.isArray(raw.algorithms) ? raw.algorithms.filter((a) => typeof a === 'string') : []
  const keys = isPlainObject(raw.jwks) && Array.isArray(raw.jwks.keys) ? raw.jwks.keys.filter(isPlainObject) : []
  let audience = raw.audience
  if (typeof audience === 'string') audience = [audience]
  audience = Array.isArray(audience) ? audience.filter((a) => typeof a === 'string') : null
  if (audience !== null && audience.length === 0) audience = null
  const leeway = typeof raw.leeway === 'number' && Number.isFinite(raw.leeway) && raw.leeway >= 0 ? raw.leeway : 0
  const requiredClaims = Array.isArray(raw.required_claims) ? raw.required_claims.filter((c) => typeof c === 'string') : []
  const policy = {
    algorithms,
    jwks: { keys },
    issuer: typeof raw.issuer === 'string' ? raw.issuer : null,
    audience,
    leeway,
    requiredClaims,
    typ: typeof raw.typ === 'string' ? raw.typ : null
  }
  // An expected iss/aud (docs/PROTOCOL.md: "the exact expected iss", "aud must
  // contain one of these") implies the claim must be there.
  policy.requiredWithExpectations = [...requiredClaims]
  if (policy.issuer !== null && !policy.requiredWithExpectations.includes('iss')) policy.requiredWithExpectations.push('iss')
  if (policy.audience !== null && !policy.requiredWithExpectations.includes('aud')) policy.requiredWithExpectations.push('aud')
  return policy
}

function requestNow (req) {
  return typeof req.now === 'number' && Number.isFinite(req.now) ? req.now : null
}

function checkSupported (policy, supported) {
  const missing = policy.algorithms.filter((a) => !supported.has(a))
  if (missing.length) throw new Unsupported(`algorithm(s) not implemented by this library: ${missing.join(', ')}`)
}

// Whether a JWK's `alg` pins it to another algorithm of the same key type than
// the token's (an HS384 secret for an HS256 token, an RS256 key for PS256): a
// key for the application to exclude, as RFC 8725 §3.1 asks ("each key MUST be
// used with exactly one algorithm"), because the library only ever sees the
// key material.  EC keys are left to the library: their curve names the alg.
// Only for an allowlisted alg: another one is the library's to refuse.
function pinnedElsewhere (policy, jwk, alg) {
  return typeof jwk.alg === 'string' && typeof alg === 'string' && jwk.alg !== alg &&
    policy.algorithms.includes(alg) &&
    ALG_KTY[alg] !== undefined && ALG_KTY[jwk.alg] === ALG_KTY[alg] && ALG_KTY[alg] !== 'EC'
}

// JWKs to try: by kid when the header has one, else the keys whose type fits
// the token's alg (only if allowlisted) or any allowlisted alg; never a key
// pinned to another algorithm of its type.
function candidateKeys (policy, header) {
  const keys = policy.jwks.keys
  header = isPlainObject(header) ? header : {}
  const alg = header.alg
  if (Object.hasOwn(header, 'kid')) {
    const kid = header.kid
    const named = keys.filter((k) => Object.hasOwn(k, 'kid') && k.kid === kid)
    if (!named.length) throw new Reject('key', truncate(`no key in the JWKS has kid ${JSON.stringify(kid)}`))
    const found = named.filter((k) => !pinnedElsewhere(policy, k, alg))
    if (!found.length) throw new Reject('key', truncate(`the key with kid ${JSON.stringify(kid)} is pinned to ${named[0].alg}, not ${alg}`))
    return found
  }
  const allowed = typeof alg === 'string' && policy.algorithms.includes(alg)
  const ktys = new Set(allowed ? [ALG_KTY[alg]] : policy.algorithms.map((a) => ALG_KTY[a]))
  const found = keys.filter((k) => ktys.has(k.kty) && (k.use === undefined || k.use === 'sig') &&
    !pinnedElsewhere(policy, k, alg))
  if (!found.length) {
    if (keys.length && !allowed) return keys.slice(0, 1) // let the library reject the alg
    throw new Reject('key', truncate(`no key in the JWKS fits algorithm ${JSON.stringify(alg)}`))
  }
  return found
}

function reasonFor (err, reasonOf) {
  if (err instanceof Reject) return err.reason
  let reason
  try { reason = reasonOf(err) } catch { reason = 'other' }
  return REASONS.has(reason) ? reason : 'other'
}

// Try each candidate; a `signature`/`key` failure moves on to the next one,
// anything else is final; the first failure is thrown when all fail.
async function verifyWithCandidates (candidates, verify, reasonOf) {
  let first = null
  for (const jwk of candidates) {
    try {
      return await verify(jwk)
    } catch (err) {
      if (first === null) first = err
      const r = reasonFor(err, reasonOf)
      if (r !== 'signature' && r !== 'key') throw err
    }
  }
  throw first
}

const normTyp = (v) => v.toLowerCase().replace(/^application\//, '')

function checkTyp (policy, header) {
  if (policy.typ === null) return
  const typ = isPlainObject(header) ? header.typ : undefined
  if (typeof typ !== 'string' || normTyp(typ) !== normTyp(policy.typ)) {
    throw new Reject('other', truncate(`typ header ${JSON.stringify(typ)} is not ${JSON.stringify(policy.typ)}`))
  }
}

// For libraries with no required-claims option of their own: a claim is
// present when the payload has it with a value other than JSON null.
function checkRequiredPresent (claims, names) {
  for (const name of names) {
    if (!isPlainObject(claims) || !Object.hasOwn(claims, name) || claims[name] === null) {
      throw new Reject('missing_claim', `missing required claim ${JSON.stringify(name)}`)
    }
  }
}

function encode (resp) {
  try {
    return JSON.stringify(resp)
  } catch {
    const { claims, ...rest } = resp
    try { return JSON.stringify(rest) } catch {
      return JSON.stringify({ id: null, verdict: 'reject', reason: 'other', detail: 'unencodable response' })
    }
  }
}

async function handle (line, validate, reasonOf) {
  let req
  try {
    req = JSON.parse(line)
    if (!isPlainObject(req)) throw new Error('request is not a JSON object')
  } catch (err) {
    return { id: null, verdict: 'reject', reason: 'malformed', detail: truncate(`bad request line: ${err && err.message}`) }
  }
  const id = Object.hasOwn(req, 'id') ? req.id : null
  try {
    const resp = await validate(req)
    return { id, ...resp }
  } catch (err) {
    if (err instanceof Unsupported) return { id, verdict: 'unsupported', detail: truncate(err.message) }
    if (err instanceof Reject) return { id, verdict: 'reject', reason: err.reason, detail: truncate(err.detail) }
    const reason = reasonFor(err, reasonOf)
    if (reason === 'other') process.stderr.write(`reason "other" for ${JSON.stringify(id)}: ${describe(err)}\n`)
    return { id, verdict: 'reject', reason, detail: describe(err) }
  }
}

async function serve (validate, reasonOf) {
  process.on('uncaughtException', (err) => { process.stderr.write(`uncaught: ${err && err.stack}\n`) })
  process.on('unhandledRejection', (err) => { process.stderr.write(`unhandled rejection: ${err && err.stack}\n`) })
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false })
  // for-await handles one line at a time: the next request is not started
  // before the previous response has been written.
  for await (const raw of rl) {
    const line = raw.trim()
    if (!line) continue
    const resp = await handle(line, validate, reasonOf)
    process.stdout.write(encode(resp) + '\n')
  }
}

// Command-line options of an adapter: `--modules DIR` (load the library from a
// pinned release installed under DIR by `adapters/setup.sh versions`) and
// `--profile recommended|advisory` (the configuration an advisory describes).
function argument (name) {
  const i = process.argv.indexOf(name)
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : null
}

function adapterOptions () {
  const modules = argument('--modules')
  const profile = argument('--profile') || 'recommended'
  if (!['recommended', 'advisory'].includes(profile)) {
    process.stderr.write(`unknown --profile ${profile} (recommended, advisory)\n`)
    process.exit(2)
  }
  // The library: the pinned release's when --modules is given, else the one
  // next to the adapters (adapters/node/node_modules).
  const load = (name) => modules
    ? require(require.resolve(name, { paths: [require('node:path').resolve(modules)] }))
    : require(name)
  return { profile, load }
}

// An advisory's key lookup: the JWK whose kid equals the token's, else the only
// key of a one-key set, else undefined.
function lookupByKid (policy, header) {
  const keys = policy.jwks.keys
  const kid = isPlainObject(header) && Object.hasOwn(header, 'kid') ? header.kid : undefined
  const found = keys.find((k) => kid !== undefined && k.kid === kid)
  if (found !== undefined) return found
  return keys.length === 1 ? keys[0] : undefined
}

module.exports = {
  adapterOptions,
  argument,
  lookupByKid,
  ALG_KTY,
  Reject,
  Unsupported,
  candidateKeys,
  checkRequiredPresent,
  checkSupported,
  checkTyp,
  describe,
  isPlainObject,
  parsePolicy,
  requestNow,
  serve,
  truncate,
  verifyWithCandidates
}
