// Command go-jose puts github.com/go-jose/go-jose/v4 (its jwt package) behind
// the line protocol of docs/PROTOCOL.md (see ../../README.md).
//
// jwt.ParseSigned(token, allowlist), then JSONWebToken.Claims with the
// policy's jose.JSONWebKeySet (go-jose picks the key by kid itself), then
// Claims.ValidateWithLeeway(jwt.Expected{Issuer, AnyAudience, Time: now},
// leeway): the request's now is the validation time, so clock = "request".
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"
	"github.com/go-jose/go-jose/v4/jwt"

	"jwt-harness/adapters/go/mod/internal/protocol"
)

// implemented lists the JWS algorithms go-jose v4 verifies (asymmetric.go,
// symmetric.go); it has no "none".
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

// claimTypeError marks a payload that is a JSON object but whose registered
// claims do not decode into jwt.Claims (wrong JSON types).
type claimTypeError struct{ err error }

func (e *claimTypeError) Error() string { return e.err.Error() }
func (e *claimTypeError) Unwrap() error { return e.err }

func validate(req *protocol.Request) (any, error) {
	p := req.Policy
	if err := protocol.RequireImplemented(p, implemented, "go-jose v4"); err != nil {
		return nil, err
	}
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal(p.JWKS, &keys); err != nil {
		return nil, protocol.Reject("key", protocol.Truncate("JWK Set: "+err.Error()))
	}
	algs := make([]jose.SignatureAlgorithm, len(p.Algorithms))
	for i, a := range p.Algorithms {
		algs[i] = jose.SignatureAlgorithm(a)
	}

	tok, err := jwt.ParseSigned(req.Token, algs)
	if err != nil {
		return nil, err
	}
	// Claims verifies the signature with the key the JWK Set holds under the
	// header's kid (tryJWKS, jwk.go), then decodes the payload into each
	// destination in turn: the whole object first, then the registered
	// claims, whose types jwt.Claims enforces.
	var raw map[string]any
	var claims jwt.Claims
	if err := tok.Claims(keys, &raw, &claims); err != nil {
		if raw != nil {
			return nil, &claimTypeError{err}
		}
		return nil, err
	}
	// go-jose has no required-claims option: Expected checks a claim only
	// against a value, and a nil exp/nbf/iat is skipped (validation.go), so
	// presence is checked here, as for every library without that option.
	if err := protocol.CheckPresent(raw, p.Required()); err != nil {
		return nil, err
	}
	expected := jwt.Expected{AnyAudience: jwt.Audience(p.Audience), Time: req.Time()}
	if p.Issuer != nil {
		expected.Issuer = *p.Issuer
	}
	if err := claims.ValidateWithLeeway(expected, p.LeewayDuration()); err != nil {
		return nil, err
	}
	// go-jose has no typ option: checked on the verified header.
	if err := protocol.CheckTyp(p, tok.Headers[0].ExtraHeaders[jose.HeaderType]); err != nil {
		return nil, err
	}
	return raw, nil
}

// reasonOf maps go-jose's error values and types to a protocol reason. Its
// parser reports most structural problems with fmt.Errorf messages and no
// sentinel, so what is left after the sentinels is read as malformed when it
// comes from the parser (base64, JSON, segments, header members).
func reasonOf(err error) string {
	var unexpectedAlg *jose.ErrUnexpectedSignatureAlgorithm
	var ct *claimTypeError
	var b64 base64.CorruptInputError
	var syntax *josejson.SyntaxError
	var stdSyntax *json.SyntaxError
	var typeErr *josejson.UnmarshalTypeError
	switch {
	case errors.As(err, &ct):
		return "claim_type"
	case errors.As(err, &unexpectedAlg):
		return "algorithm"
	case errors.Is(err, jose.ErrJWKSKidNotFound),
		errors.Is(err, jose.ErrUnsupportedKeyType),
		errors.Is(err, jose.ErrInvalidKeySize):
		return "key"
	case errors.Is(err, jose.ErrCryptoFailure):
		return "signature"
	case errors.Is(err, jose.ErrUnsupportedCriticalHeader):
		return "other"
	case errors.Is(err, jose.ErrUnsupportedAlgorithm):
		return "algorithm"
	case errors.Is(err, jwt.ErrExpired):
		return "expired"
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return "not_yet_valid"
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return "issuer"
	case errors.Is(err, jwt.ErrInvalidAudience):
		return "audience"
	case errors.As(err, &b64), errors.As(err, &syntax), errors.As(err, &stdSyntax), errors.As(err, &typeErr):
		return "malformed"
	case strings.HasPrefix(err.Error(), "go-jose/go-jose: "),
		strings.HasPrefix(err.Error(), "failed to unmarshal "):
		// parser messages: "compact JWS format must have three parts",
		// "empty input", "invalid protected header", "failed to
		// unmarshal key ID: ...", "invalid embedded jwk, ...".
		return "malformed"
	}
	return "other"
}
