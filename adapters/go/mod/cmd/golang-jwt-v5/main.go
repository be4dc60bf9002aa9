// Command golang-jwt-v5 puts github.com/golang-jwt/jwt/v5 behind the line
// protocol of docs/PROTOCOL.md (see ../../README.md).
//
// The policy's JWK Set goes to github.com/MicahParks/keyfunc/v3, the JWKS
// Keyfunc golang-jwt's README lists for RFC 7517 (its "Extensions" table), and
// the token to jwt.Parser.ParseWithClaims with every check the policy needs
// that the parser offers as an option. The request's now is the parser's
// clock (jwt.WithTimeFunc), so clock = "request".
package main

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"jwt-harness/adapters/go/mod/internal/protocol"
)

// implemented lists the algorithms golang-jwt v5 registers (hmac.go, rsa.go,
// rsa_pss.go, ecdsa.go, ed25519.go). "none" is only verified with the
// library's UnsafeAllowNoneSignatureType key, which this adapter never uses.
var implemented = map[string]bool{
	"HS256": true, "HS384": true, "HS512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

func main() {
	protocol.Serve(protocol.Backend{Validate: validate, ReasonOf: reasonOf})
}

// policyClaims is the jwt.Claims the parser decodes the payload into. Its
// MapClaims answer the library's own Get* accessors, which the parser's
// Validator uses; Validate is golang-jwt's documented hook for checks beyond
// the Validator's options (validator.go, ClaimsValidator), here the presence
// of required claims that no parser option can require.
type policyClaims struct {
	jwt.MapClaims
	present []string
}

func (c *policyClaims) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &c.MapClaims) }

func (c *policyClaims) Validate() error { return protocol.CheckPresent(c.MapClaims, c.present) }

func validate(req *protocol.Request) (any, error) {
	p := req.Policy
	if err := protocol.RequireImplemented(p, implemented, "golang-jwt v5"); err != nil {
		return nil, err
	}
	kf, err := keyfunc.NewJWKSetJSON(p.JWKS)
	if err != nil {
		return nil, protocol.Reject("key", protocol.Truncate(err.Error()))
	}

	now := req.Time()
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(p.Algorithms), // the allowlist, compared with the header's alg
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(p.LeewayDuration()),
		jwt.WithStrictDecoding(), // base64url: no non-zero trailing bits
		jwt.WithIssuedAt(),       // iat is type-checked (and may not be in the future) only with this
	}
	// Presence: exp and nbf have parser options; iss and aud are required
	// by WithIssuer/WithAudience (Validator.verifyIssuer/verifyAudience with
	// required = true). Every other required claim goes to policyClaims.
	var present []string
	for _, name := range p.Required() {
		switch name {
		case "exp":
			opts = append(opts, jwt.WithExpirationRequired())
		case "nbf":
			opts = append(opts, jwt.WithNotBeforeRequired())
		case "iss", "aud":
			// below
		default:
			present = append(present, name)
		}
	}
	if p.Issuer != nil {
		opts = append(opts, jwt.WithIssuer(*p.Issuer))
	}
	if len(p.Audience) > 0 {
		opts = append(opts, jwt.WithAudience(p.Audience...)) // any one of them
	}

	claims := &policyClaims{present: present}
	tok, err := jwt.NewParser(opts...).ParseWithClaims(req.Token, claims, kf.Keyfunc)
	if err != nil {
		return nil, err
	}
	if !tok.Valid { // ParseWithClaims returns an error whenever Valid is false
		return nil, protocol.Reject("other", "token not valid")
	}
	// golang-jwt has no typ option: checked on the verified header.
	if err := protocol.CheckTyp(p, tok.Header["typ"]); err != nil {
		return nil, err
	}
	return claims.MapClaims, nil
}

// reasonOf maps golang-jwt's error sentinels (errors.go), which every parser
// error wraps, to a protocol reason. Where one sentinel covers several causes
// the library's message tells them apart, as the sentinel alone cannot.
func reasonOf(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// ParseUnverified: "signing method (alg) is unavailable" (not
		// registered) or "unspecified" (no alg string); otherwise the
		// Keyfunc failed: keyfunc found no key, or the kid is not a string.
		if strings.Contains(msg, "signing method (alg)") {
			return "algorithm"
		}
		if strings.Contains(msg, "could not convert kid") {
			return "malformed"
		}
		return "key"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// WithValidMethods: "signing method X is invalid" (parser.go);
		// SigningMethod.Verify: ErrInvalidKeyType / ErrInvalidKey for a key
		// that does not fit the method, else a failed verification.
		if strings.Contains(msg, "signing method ") && strings.HasSuffix(msg, " is invalid") {
			return "algorithm"
		}
		if errors.Is(err, jwt.ErrInvalidKeyType) || errors.Is(err, jwt.ErrInvalidKey) {
			return "key"
		}
		return "signature"
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return claimReason(firstClaimError(err))
	case errors.Is(err, keyfunc.ErrKeyfunc) || errors.Is(err, jwkset.ErrKeyNotFound):
		return "key"
	}
	return "other"
}

// firstClaimError returns the first failure of the Validator, which checks
// exp, nbf, iat, aud, iss, sub and then Claims.Validate in that order and
// joins every failure (validator.go): ParseWithClaims wraps the join as
// "%w: %w" after ErrTokenInvalidClaims.
func firstClaimError(err error) error {
	type multi interface{ Unwrap() []error }
	m, ok := err.(multi)
	if !ok {
		return err
	}
	for _, e := range m.Unwrap() {
		if e == jwt.ErrTokenInvalidClaims {
			continue
		}
		if j, ok := e.(multi); ok && len(j.Unwrap()) > 0 {
			return j.Unwrap()[0]
		}
		return e
	}
	return err
}

func claimReason(err error) string {
	var r *protocol.Rejection
	switch {
	case errors.As(err, &r):
		return r.Reason
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "missing_claim"
	case errors.Is(err, jwt.ErrInvalidType):
		return "claim_type"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not_yet_valid"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "issuer"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "audience"
	}
	return "other"
}
