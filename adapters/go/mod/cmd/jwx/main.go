// Command jwx puts github.com/lestrrat-go/jwx/v3 (its jwt package) behind the
// line protocol of docs/PROTOCOL.md (see ../../README.md).
//
// jwt.Parse(token, jwt.WithKeySet(policy set, ...), jwt.WithValidate(true),
// jwt.WithClock(now), jwt.WithAcceptableSkew(leeway), jwt.WithRequiredClaim,
// jwt.WithIssuer, jwt.WithAudience), as docs/01-jwt.md ("Parse and Verify a
// JWT (with a key set, matching kid)") shows. The request's now is the
// validation clock, so clock = "request".
//
// jwx has no algorithm allowlist: with a key set it verifies with the
// algorithm in each key's "alg" member and never takes the token's word for
// it (docs/01-jwt.md). So the allowlist is expressed through the keys, as those
// docs recommend ("fix your key to contain a proper alg"): see keySetFor.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"jwt-harness/adapters/go/mod/internal/protocol"
)

// implemented lists the JWS algorithms jwx v3 verifies (jws/jwsbb); "none"
// is never verified by jwt.Parse with a key set.
var implemented = map[string]bool{
	"HS256": true, "HS384": true, "HS512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// fits is the RFC 7518 §3.1 pairing of algorithm families with JWK types
// (and, for EC and OKP, curves): which allowlisted algorithm an alg-less key
// may serve.
func fits(key jwk.Key, alg string) bool {
	crv := ""
	if c, ok := key.(interface {
		Crv() (jwa.EllipticCurveAlgorithm, bool)
	}); ok {
		if v, ok := c.Crv(); ok {
			crv = v.String()
		}
	}
	switch key.KeyType().String() {
	case "oct":
		return strings.HasPrefix(alg, "HS")
	case "RSA":
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case "EC":
		return (alg == "ES256" && crv == "P-256") || (alg == "ES384" && crv == "P-384") || (alg == "ES512" && crv == "P-521")
	case "OKP":
		return alg == "EdDSA" && crv == "Ed25519"
	}
	return false
}

func main() {
	// The strictest documented parsing of NumericDate: a number only, no
	// RFC 3339 string fallback (jwt/options.yaml, NumericDateParsePedantic).
	jwt.Settings(jwt.WithNumericDateParsePedantic(true))
	protocol.Serve(protocol.Backend{Validate: validate, ReasonOf: reasonOf})
}

// keySetFor turns the policy's JWK Set into the set jwx verifies with, so that
// it verifies with allowlisted algorithms only:
//   - a key whose "alg" is allowlisted is kept as is, one whose "alg" is not
//     is left out (jwx would verify with that algorithm);
//   - a key without "alg" that fits exactly one allowlisted algorithm gets
//     that "alg", as docs/01-jwt.md recommends;
//   - a key without "alg" that fits several stays without one, and
//     jws.WithInferAlgorithmFromKey(true) lets jwx use the token's alg with
//     it (the docs' alternative), but only when every algorithm jwx would
//     infer for it (jws.AlgorithmsForKey) is allowlisted; otherwise the
//     policy cannot be expressed (unsupported).
func keySetFor(p *protocol.Policy) (set jwk.Set, infer bool, err error) {
	parsed, err := jwk.Parse(p.JWKS)
	if err != nil {
		return nil, false, protocol.Reject("key", protocol.Truncate("JWK Set: "+err.Error()))
	}
	set = jwk.NewSet()
	for i := range parsed.Len() {
		key, _ := parsed.Key(i)
		if alg, ok := key.Algorithm(); ok {
			if p.Allows(alg.String()) {
				if err := set.AddKey(key); err != nil {
					return nil, false, protocol.Reject("key", protocol.Truncate(err.Error()))
				}
			}
			continue
		}
		var fit []string
		for _, a := range p.Algorithms {
			if fits(key, a) {
				fit = append(fit, a)
			}
		}
		switch len(fit) {
		case 0:
			continue
		case 1:
			salg, ok := jwa.LookupSignatureAlgorithm(fit[0])
			if !ok {
				return nil, false, &protocol.Unsupported{Detail: fmt.Sprintf("jwx does not know algorithm %s", fit[0])}
			}
			if err := key.Set(jwk.AlgorithmKey, salg); err != nil {
				return nil, false, protocol.Reject("key", protocol.Truncate(err.Error()))
			}
		default:
			inferred, err := jws.AlgorithmsForKey(key)
			if err != nil {
				return nil, false, protocol.Reject("key", protocol.Truncate(err.Error()))
			}
			for _, a := range inferred {
				if !p.Allows(a.String()) {
					return nil, false, &protocol.Unsupported{Detail: fmt.Sprintf(
						"a key without alg fits %s, but jwx would infer every algorithm of its type (%v), not only the allowlisted ones",
						strings.Join(fit, ", "), inferred)}
				}
			}
			infer = true
		}
		if err := set.AddKey(key); err != nil {
			return nil, false, protocol.Reject("key", protocol.Truncate(err.Error()))
		}
	}
	return set, infer, nil
}

func validate(req *protocol.Request) (any, error) {
	p := req.Policy
	if err := protocol.RequireImplemented(p, implemented, "jwx v3"); err != nil {
		return nil, err
	}
	if len(p.Audience) > 1 {
		// jwt.WithAudience(s) requires aud to contain s; several options
		// must all hold (validate.go), so "any of" cannot be expressed.
		return nil, &protocol.Unsupported{Detail: "jwx's WithAudience takes one expected audience; several options must all match"}
	}
	set, infer, err := keySetFor(p)
	if err != nil {
		return nil, err
	}
	now := req.Time()
	opts := []jwt.ParseOption{
		// Keys are matched by kid (WithRequireKid defaults to true); a
		// token without kid uses the set's only key, when it has one.
		jwt.WithKeySet(set, jws.WithUseDefault(true), jws.WithInferAlgorithmFromKey(infer)),
		jwt.WithValidate(true),
		jwt.WithStrictStringClaims(true), // null iss/sub/jti are errors, not ""
		jwt.WithPedantic(true),           // cty: JWT must wrap a nested token
		jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })),
		jwt.WithAcceptableSkew(p.LeewayDuration()),
	}
	for _, name := range p.Required() {
		opts = append(opts, jwt.WithRequiredClaim(name))
	}
	if p.Issuer != nil {
		opts = append(opts, jwt.WithIssuer(*p.Issuer))
	}
	if len(p.Audience) == 1 {
		opts = append(opts, jwt.WithAudience(p.Audience[0]))
	}
	tok, err := jwt.Parse([]byte(req.Token), opts...)
	if err != nil {
		return nil, err
	}
	// jwt.Parse returns the claims only and has no typ option: the typ of
	// the (now verified) protected header is checked here.
	if p.Typ != nil {
		// The same bytes jwt.Parse verified: it trims surrounding white
		// space first (jwt.go, parseBytes).
		msg, err := jws.Parse(bytes.TrimSpace([]byte(req.Token)), jws.WithCompact())
		if err != nil || len(msg.Signatures()) != 1 {
			return nil, protocol.Reject("other", "cannot read the verified header for typ")
		}
		var typ any
		if v, ok := msg.Signatures()[0].ProtectedHeaders().Type(); ok {
			typ = v
		}
		if err := protocol.CheckTyp(p, typ); err != nil {
			return nil, err
		}
	}
	claims := map[string]any{}
	for _, k := range tok.Keys() {
		var v any
		if tok.Get(k, &v) == nil {
			claims[k] = v
		}
	}
	return claims, nil
}

// reasonOf maps jwx's error values (jwt/errors.go, jws/errors.go; compared
// with errors.Is, as their docs say) to a protocol reason. jws.Verify reports
// key-selection failures as a VerifyError with a message and no value of its
// own, so those are told apart by message.
func reasonOf(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, jwt.MissingRequiredClaimError()):
		return "missing_claim"
	case errors.Is(err, jwt.TokenExpiredError()):
		return "expired"
	case errors.Is(err, jwt.TokenNotYetValidError()), errors.Is(err, jwt.InvalidIssuedAtError()):
		return "not_yet_valid"
	case errors.Is(err, jwt.InvalidIssuerError()):
		return "issuer"
	case errors.Is(err, jwt.InvalidAudienceError()):
		return "audience"
	case errors.Is(err, jws.VerificationError()):
		return "signature"
	case errors.Is(err, jws.VerifyError()):
		if strings.Contains(msg, "does not match any of the inferred algorithms") {
			return "algorithm" // keySetProvider.selectKey with inference
		}
		for _, s := range []string{
			"failed to find key with key ID", `no key ID ("kid") specified`,
			"no matching keys were provided", "not usable for signature verification",
			"failed to find matching key",
		} {
			if strings.Contains(msg, s) {
				return "key"
			}
		}
		if strings.Contains(msg, "failed to parse jws") {
			return "malformed"
		}
		return "signature"
	case errors.Is(err, jws.ParseError()), errors.Is(err, jwt.UnknownPayloadTypeError()):
		return "malformed"
	case errors.Is(err, jwt.ParseError()):
		// A registered claim of the wrong JSON type fails the token's
		// decoding: "failed to decode value for key iss: ..." (token_gen.go).
		if slices.ContainsFunc([]string{"exp", "nbf", "iat", "iss", "sub", "aud", "jti"}, func(c string) bool {
			return strings.Contains(msg, "failed to decode value for key "+c+":")
		}) {
			return "claim_type"
		}
		return "malformed"
	}
	return "other"
}
