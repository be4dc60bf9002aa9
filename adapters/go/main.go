// docs/PROTOCOL.md adapter for golang-jwt v4 (Debian's golang-github-golang-jwt-jwt-dev),
// see README.md.  Built offline in GOPATH mode:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o target/adapters/bin/golang-jwt ./adapters/go
//
// Claims are validated through the library's own flow (Parser.ParseWithClaims
// calls Claims.Valid()), with a Claims type whose Valid() uses jwt.MapClaims'
// Verify* helpers against the request's `now` and the policy's leeway
// (v4's MapClaims.Valid() has no leeway), so clock = "request".
package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strings"
	"time"

	jwt "github.com/golang-jwt/jwt"
)

const detailMax = 300

// Algorithms golang-jwt v4 implements ("none" needs the library's unsafe
// sentinel key, which this adapter never hands out).
var supported = map[string]bool{
	"HS256": true, "HS384": true, "HS512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

var algKty = map[string]string{
	"HS256": "oct", "HS384": "oct", "HS512": "oct",
	"RS256": "RSA", "RS384": "RSA", "RS512": "RSA",
	"PS256": "RSA", "PS384": "RSA", "PS512": "RSA",
	"ES256": "EC", "ES384": "EC", "ES512": "EC", "ES256K": "EC",
	"EdDSA": "OKP", "Ed25519": "OKP", "Ed448": "OKP",
}

type response struct {
	ID      interface{} `json:"id"`
	Verdict string      `json:"verdict"`
	Reason  string      `json:"reason,omitempty"`
	Detail  string      `json:"detail,omitempty"`
	Claims  interface{} `json:"claims,omitempty"`
}

// reject is a decision taken by the adapter glue, not by the library.
type reject struct{ reason, detail string }

func (r *reject) Error() string { return r.detail }

type unsupported struct{ detail string }

func (u *unsupported) Error() string { return u.detail }

type policy struct {
	algorithms []string
	keys       []map[string]interface{}
	issuer     *string
	audience   []string
	leeway     int64
	required   []string // required_claims plus iss/aud when an expected value is set
	typ        *string
}

func truncate(s string) string {
	if len(s) <= detailMax {
		return s
	}
	return s[:detailMax-3] + "..."
}

func parsePolicy(raw interface{}) *policy {
	p := &policy{algorithms: []string{}}
	m, _ := raw.(map[string]interface{})
	if m == nil {
		m = map[string]interface{}{}
	}
	if algs, ok := m["algorithms"].([]interface{}); ok {
		for _, a := range algs {
			if s, ok := a.(string); ok {
				p.algorithms = append(p.algorithms, s)
			}
		}
	}
	if jwks, ok := m["jwks"].(map[string]interface{}); ok {
		if keys, ok := jwks["keys"].([]interface{}); ok {
			for _, k := range keys {
				if km, ok := k.(map[string]interface{}); ok {
					p.keys = append(p.keys, km)
				}
			}
		}
	}
	if s, ok := m["issuer"].(string); ok {
		p.issuer = &s
	}
	switch aud := m["audience"].(type) {
	case string:
		p.audience = []string{aud}
	case []interface{}:
		for _, a := range aud {
			if s, ok := a.(string); ok {
				p.audience = append(p.audience, s)
			}
		}
	}
	if n, ok := m["leeway"].(json.Number); ok {
		if f, err := n.Float64(); err == nil && f > 0 && f < 1e12 {
			p.leeway = int64(f)
		}
	}
	if req, ok := m["required_claims"].([]interface{}); ok {
		for _, c := range req {
			if s, ok := c.(string); ok {
				p.required = append(p.required, s)
			}
		}
	}
	if p.issuer != nil && !contains(p.required, "iss") {
		p.required = append(p.required, "iss")
	}
	if len(p.audience) > 0 && !contains(p.required, "aud") {
		p.required = append(p.required, "aud")
	}
	if s, ok := m["typ"].(string); ok {
		p.typ = &s
	}
	return p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- claims

// claimError carries the protocol reason for a failure found in Valid().
type claimError struct{ reason, msg string }

func (e *claimError) Error() string { return e.msg }

func claimFailure(flag uint32, reason, msg string) error {
	return &jwt.ValidationError{Inner: &claimError{reason, msg}, Errors: flag}
}

// policyClaims is the jwt.Claims the parser decodes into and validates.
type policyClaims struct {
	m      jwt.MapClaims
	p      *policy
	now    int64
	leeway int64
}

func (c *policyClaims) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	return dec.Decode(&c.m)
}

// libraryRequired reports whether golang-jwt's own `req` switch decides the
// presence of a required claim: VerifyExpiresAt/NotBefore/IssuedAt(cmp, req)
// return !req for an unset claim (map_claims.go lines 40-43, 66-69, 92-95),
// VerifyIssuer/VerifyAudience(cmp, true) return false for a missing or empty
// one (claims.go lines 220-223, 264-267), but only with an expected value.
func (c *policyClaims) libraryRequired(name string) bool {
	switch name {
	case "exp", "nbf", "iat":
		return true
	case "iss":
		return c.p.issuer != nil
	case "aud":
		return len(c.p.audience) > 0
	}
	return false
}

// failed maps a false from a library Verify* helper to a protocol reason:
// missing_claim when the required claim is absent, else the given failure.
func (c *policyClaims) failed(name string, flag uint32, reason, msg string) error {
	if _, ok := c.m[name]; !ok && contains(c.p.required, name) {
		return claimFailure(jwt.ValidationErrorClaimsInvalid, "missing_claim",
			fmt.Sprintf("token is missing required claim %q", name))
	}
	return claimFailure(flag, reason, msg)
}

func (c *policyClaims) Valid() error {
	m := c.m
	// golang-jwt v4 has no required-claims option: presence of the claims its
	// Verify* helpers cannot require (sub, jti, ...) is checked here, and a
	// claim whose value is JSON null is not present.
	for _, name := range c.p.required {
		if c.libraryRequired(name) {
			continue
		}
		if v, ok := m[name]; !ok || v == nil {
			return claimFailure(jwt.ValidationErrorClaimsInvalid, "missing_claim",
				fmt.Sprintf("token is missing required claim %q", name))
		}
	}
	// MapClaims.Verify* return false for a present claim of the wrong type
	// (JSON null included: map_claims.go lines 45-58).  Their `req` argument
	// is the library's own "required" switch and decides presence: with it
	// off, v4 treats a missing claim, or one equal to 0, as unset.
	if !m.VerifyExpiresAt(c.now-c.leeway, contains(c.p.required, "exp")) {
		return c.failed("exp", jwt.ValidationErrorExpired, "expired", jwt.ErrTokenExpired.Error())
	}
	if !m.VerifyNotBefore(c.now+c.leeway, contains(c.p.required, "nbf")) {
		return c.failed("nbf", jwt.ValidationErrorNotValidYet, "not_yet_valid", jwt.ErrTokenNotValidYet.Error())
	}
	if !m.VerifyIssuedAt(c.now+c.leeway, contains(c.p.required, "iat")) {
		return c.failed("iat", jwt.ValidationErrorIssuedAt, "not_yet_valid", jwt.ErrTokenUsedBeforeIssued.Error())
	}
	if c.p.issuer != nil && !m.VerifyIssuer(*c.p.issuer, true) {
		return c.failed("iss", jwt.ValidationErrorIssuer, "issuer", jwt.ErrTokenInvalidIssuer.Error())
	}
	if len(c.p.audience) > 0 {
		ok := false
		for _, a := range c.p.audience {
			if m.VerifyAudience(a, true) {
				ok = true
				break
			}
		}
		if !ok {
			return c.failed("aud", jwt.ValidationErrorAudience, "audience", jwt.ErrTokenInvalidAudience.Error())
		}
	}
	return nil
}

// ---------------------------------------------------------------- errors

// reasonOf maps golang-jwt's ValidationError bit field (plus our claim
// errors) to a protocol reason.  Signature problems take precedence: the
// parser validates claims before the signature and ORs both results.
func reasonOf(err error) string {
	var r *reject
	if errors.As(err, &r) {
		return r.reason
	}
	var ve *jwt.ValidationError
	if !errors.As(err, &ve) {
		return "other"
	}
	text := ve.Error()
	switch {
	case ve.Errors&jwt.ValidationErrorMalformed != 0:
		return "malformed"
	case ve.Errors&jwt.ValidationErrorUnverifiable != 0:
		if strings.Contains(text, "signing method (alg)") {
			return "algorithm"
		}
		return "key"
	case ve.Errors&jwt.ValidationErrorSignatureInvalid != 0:
		if strings.HasPrefix(text, "signing method ") && strings.HasSuffix(text, " is invalid") {
			return "algorithm" // WithValidMethods refused the token's alg
		}
		if errors.Is(ve.Inner, jwt.ErrInvalidKeyType) || errors.Is(ve.Inner, jwt.ErrInvalidKey) {
			return "key"
		}
		return "signature"
	}
	var ce *claimError
	if errors.As(err, &ce) {
		return ce.reason
	}
	switch {
	case ve.Errors&jwt.ValidationErrorExpired != 0:
		return "expired"
	case ve.Errors&(jwt.ValidationErrorNotValidYet|jwt.ValidationErrorIssuedAt) != 0:
		return "not_yet_valid"
	case ve.Errors&jwt.ValidationErrorIssuer != 0:
		return "issuer"
	case ve.Errors&jwt.ValidationErrorAudience != 0:
		return "audience"
	}
	return "other"
}

// ---------------------------------------------------------------- keys

func b64(field string, jwk map[string]interface{}) ([]byte, error) {
	s, ok := jwk[field].(string)
	if !ok {
		return nil, fmt.Errorf("JWK member %q missing or not a string", field)
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("JWK member %q: %v", field, err)
	}
	return b, nil
}

// keyFromJWK turns a JWK into the key type golang-jwt expects for its kty.
func keyFromJWK(jwk map[string]interface{}) (interface{}, error) {
	kty, _ := jwk["kty"].(string)
	switch kty {
	case "oct":
		return b64("k", jwk)
	case "RSA":
		n, err := b64("n", jwk)
		if err != nil {
			return nil, err
		}
		e, err := b64("e", jwk)
		if err != nil {
			return nil, err
		}
		eInt := new(big.Int).SetBytes(e)
		if len(n) == 0 || !eInt.IsInt64() || eInt.Int64() < 3 || eInt.Int64() > math.MaxInt32 {
			return nil, errors.New("RSA JWK with an unusable n or e")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(eInt.Int64())}, nil
	case "EC":
		crv, _ := jwk["crv"].(string)
		var curve elliptic.Curve
		switch crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported EC curve %q", crv)
		}
		x, err := b64("x", jwk)
		if err != nil {
			return nil, err
		}
		y, err := b64("y", jwk)
		if err != nil {
			return nil, err
		}
		X, Y := new(big.Int).SetBytes(x), new(big.Int).SetBytes(y)
		if !curve.IsOnCurve(X, Y) {
			return nil, errors.New("EC JWK point is not on the curve")
		}
		return &ecdsa.PublicKey{Curve: curve, X: X, Y: Y}, nil
	case "OKP":
		if crv, _ := jwk["crv"].(string); crv != "Ed25519" {
			return nil, fmt.Errorf("unsupported OKP curve %q", crv)
		}
		x, err := b64("x", jwk)
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, errors.New("Ed25519 JWK with a wrong key size")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("unsupported JWK kty %q", kty)
}

// pinnedElsewhere: whether a JWK's alg pins it to another algorithm of the same
// key type than the token's (an HS384 secret for an HS256 token, an RS256 key
// for PS256), a key the application must not use (RFC 8725 §3.1, "each key MUST
// be used with exactly one algorithm"): the library only ever sees the key
// material. EC keys are left to the library: their curve names the algorithm.
// Only for an allowlisted alg: another one is the library's to refuse.
func pinnedElsewhere(p *policy, k map[string]interface{}, alg string) bool {
	keyAlg, ok := k["alg"].(string)
	kty, known := algKty[alg]
	return ok && known && keyAlg != alg && contains(p.algorithms, alg) && algKty[keyAlg] == kty && kty != "EC"
}

func candidateKeys(p *policy, header map[string]interface{}) ([]map[string]interface{}, error) {
	alg, _ := header["alg"].(string)
	if kid, has := header["kid"]; has {
		var named, found []map[string]interface{}
		for _, k := range p.keys {
			if kk, ok := k["kid"]; ok && jsonEqual(kk, kid) {
				named = append(named, k)
				if !pinnedElsewhere(p, k, alg) {
					found = append(found, k)
				}
			}
		}
		b, _ := json.Marshal(kid)
		if len(named) == 0 {
			return nil, &reject{"key", truncate("no key in the JWKS has kid " + string(b))}
		}
		if len(found) == 0 {
			return nil, &reject{"key", truncate(fmt.Sprintf("the key with kid %s is pinned to %v, not %s", b, named[0]["alg"], alg))}
		}
		return found, nil
	}
	allowed := contains(p.algorithms, alg)
	ktys := map[string]bool{}
	if allowed {
		ktys[algKty[alg]] = true
	} else {
		for _, a := range p.algorithms {
			ktys[algKty[a]] = true
		}
	}
	var found []map[string]interface{}
	for _, k := range p.keys {
		kty, _ := k["kty"].(string)
		use, hasUse := k["use"]
		if ktys[kty] && (!hasUse || use == "sig") && !pinnedElsewhere(p, k, alg) {
			found = append(found, k)
		}
	}
	if len(found) == 0 {
		if len(p.keys) > 0 && !allowed {
			return p.keys[:1], nil // let the library reject the algorithm
		}
		return nil, &reject{"key", truncate(fmt.Sprintf("no key in the JWKS fits algorithm %q", alg))}
	}
	return found, nil
}

func jsonEqual(a, b interface{}) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func normTyp(s string) string {
	return strings.TrimPrefix(strings.ToLower(s), "application/")
}

// ---------------------------------------------------------------- validate

func validate(req map[string]interface{}) (map[string]interface{}, error) {
	p := parsePolicy(req["policy"])
	var missing []string
	for _, a := range p.algorithms {
		if !supported[a] {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		return nil, &unsupported{"algorithm(s) not implemented by golang-jwt v4 here: " + strings.Join(missing, ", ")}
	}
	token, ok := req["token"].(string)
	if !ok {
		return nil, &reject{"malformed", "token is not a string"}
	}
	now := time.Now().Unix()
	if n, ok := req["now"].(json.Number); ok {
		if f, err := n.Float64(); err == nil && f > -1e15 && f < 1e15 {
			now = int64(math.Floor(f))
		}
	}

	parser := jwt.NewParser(jwt.WithValidMethods(p.algorithms))
	// The library's unverified parse gives the header for key selection.
	unverified, _, err := parser.ParseUnverified(token, jwt.MapClaims{})
	if unverified == nil || unverified.Header == nil {
		if err == nil {
			err = &reject{"malformed", "token header could not be read"}
		}
		return nil, err
	}
	if err != nil && reasonOf(err) == "malformed" {
		return nil, err
	}
	candidates, err := candidateKeys(p, unverified.Header)
	if err != nil {
		return nil, err
	}

	var first error
	for _, jwk := range candidates {
		key, kerr := keyFromJWK(jwk)
		if kerr != nil {
			err = &reject{"key", truncate(kerr.Error())}
		} else {
			claims := &policyClaims{p: p, now: now, leeway: p.leeway}
			var tok *jwt.Token
			tok, err = parser.ParseWithClaims(token, claims, func(*jwt.Token) (interface{}, error) { return key, nil })
			if err == nil && tok != nil && tok.Valid {
				if p.typ != nil {
					typ, _ := tok.Header["typ"].(string)
					if typ == "" || normTyp(typ) != normTyp(*p.typ) {
						return nil, &reject{"other", truncate(fmt.Sprintf("typ header %q is not %q", typ, *p.typ))}
					}
				}
				if claims.m == nil {
					claims.m = jwt.MapClaims{}
				}
				return claims.m, nil
			}
			if err == nil {
				err = &reject{"other", "token not valid"}
			}
		}
		if first == nil {
			first = err
		}
		if r := reasonOf(err); r != "signature" && r != "key" {
			return nil, err
		}
	}
	return nil, first
}

func handle(line []byte) (resp response) {
	resp = response{ID: nil, Verdict: "reject", Reason: "other", Detail: "internal error"}
	var req map[string]interface{}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil || req == nil {
		detail := "request is not a JSON object"
		if err != nil {
			detail = "bad request line: " + err.Error()
		}
		return response{ID: nil, Verdict: "reject", Reason: "malformed", Detail: truncate(detail)}
	}
	resp.ID = req["id"]
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "panic: %v\n", r)
			resp = response{ID: req["id"], Verdict: "reject", Reason: "other", Detail: truncate(fmt.Sprintf("panic: %v", r))}
		}
	}()
	claims, err := validate(req)
	if err != nil {
		var u *unsupported
		if errors.As(err, &u) {
			return response{ID: req["id"], Verdict: "unsupported", Detail: truncate(u.detail)}
		}
		return response{ID: req["id"], Verdict: "reject", Reason: reasonOf(err), Detail: truncate(err.Error())}
	}
	return response{ID: req["id"], Verdict: "accept", Claims: claims}
}

func encode(resp response) []byte {
	b, err := json.Marshal(resp)
	if err != nil {
		resp.Claims = nil
		b, err = json.Marshal(resp)
		if err != nil {
			b = []byte(`{"id":null,"verdict":"reject","reason":"other","detail":"unencodable response"}`)
		}
	}
	return b
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	for {
		line, err := in.ReadBytes('\n')
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			out.Write(encode(handle(trimmed)))
			out.WriteByte('\n')
			out.Flush()
		}
		if err != nil {
			if err != io.EOF {
				fmt.Fprintf(os.Stderr, "stdin: %v\n", err)
			}
			return
		}
	}
}
