// Package protocol is the docs/PROTOCOL.md (version 1) side shared by the Go
// module adapters: it reads one JSON request per line from standard input,
// hands it to a backend's Validate function and writes one JSON answer per
// request, in order, flushed after each.
//
// A backend only decides; this package turns its result into an answer:
//   - claims, nil: accept;
//   - an *Unsupported error: unsupported (the policy cannot be expressed);
//   - a *Rejection error: reject with the adapter's own reason;
//   - any other error: reject with the reason the backend's ReasonOf maps
//     from the library's error.
//
// A panic in the library becomes a reject (reason other) with one line on
// standard error: the harness has no verdict for a crash of the library, and a
// dead adapter would break the case instead.
package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// DetailMax is the length, in characters, at which details are cut.
const DetailMax = 300

// maxLeeway keeps leeway*time.Second far from overflowing a time.Duration.
const maxLeeway = 100 * 365 * 24 * 3600

// Policy is the request's policy member.
type Policy struct {
	// Algorithms is the allowlist (never nil: empty when the request had none).
	Algorithms []string
	// JWKS is the policy's JWK Set as sent, for the library's own JWK Set parser.
	JWKS json.RawMessage
	// Issuer is the expected iss, nil when not set.
	Issuer *string
	// Audience holds the acceptable audiences (any one of them must be in aud).
	Audience []string
	// Leeway is the allowed clock skew, in seconds.
	Leeway int64
	// RequiredClaims is required_claims as sent.
	RequiredClaims []string
	// Typ is the required typ header, nil when not set.
	Typ *string
}

// Request is one validation request.
type Request struct {
	ID     any
	Token  string
	Now    int64 // Unix seconds: validate as if this were the current time
	Policy *Policy

	tokenNotString bool
}

// Time is the request's now.
func (r *Request) Time() time.Time { return time.Unix(r.Now, 0) }

// LeewayDuration is the policy's leeway as a time.Duration.
func (p *Policy) LeewayDuration() time.Duration { return time.Duration(p.Leeway) * time.Second }

// Required lists the claims that must be present: required_claims, plus iss
// and aud when an expected value is set (adapters/README.md: "expected
// iss/aud imply presence").
func (p *Policy) Required() []string {
	out := append([]string(nil), p.RequiredClaims...)
	if p.Issuer != nil && !contains(out, "iss") {
		out = append(out, "iss")
	}
	if len(p.Audience) > 0 && !contains(out, "aud") {
		out = append(out, "aud")
	}
	return out
}

// Requires reports whether claim name must be present.
func (p *Policy) Requires(name string) bool { return contains(p.Required(), name) }

// Allows reports whether alg is on the allowlist (exact, case-sensitive).
func (p *Policy) Allows(alg string) bool { return contains(p.Algorithms, alg) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Rejection is a decision taken by the adapter glue, not by the library.
type Rejection struct{ Reason, Detail string }

func (r *Rejection) Error() string { return r.Detail }

// Reject returns a *Rejection.
func Reject(reason, detail string) error { return &Rejection{reason, detail} }

// Unsupported is the answer for a policy the library cannot express.
type Unsupported struct{ Detail string }

func (u *Unsupported) Error() string { return u.Detail }

// RequireImplemented answers unsupported when the allowlist names an
// algorithm that is not in implemented (adapters/README.md: the policy cannot
// be expressed), naming the library.
func RequireImplemented(p *Policy, implemented map[string]bool, library string) error {
	var missing []string
	for _, a := range p.Algorithms {
		if !implemented[a] {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		return &Unsupported{fmt.Sprintf("algorithm(s) not implemented by %s: %s", library, strings.Join(missing, ", "))}
	}
	if len(p.Algorithms) == 0 {
		return Reject("algorithm", "the policy allows no algorithm")
	}
	return nil
}

// CheckPresent rejects (missing_claim) when one of names is absent from
// claims or is JSON null: the presence check for required claims the library
// has no option for. Callers pass only the claims the library cannot require.
func CheckPresent(claims map[string]any, names []string) error {
	for _, name := range names {
		if v, ok := claims[name]; !ok || v == nil {
			return Reject("missing_claim", fmt.Sprintf("token is missing required claim %q", name))
		}
	}
	return nil
}

// CheckTyp compares the verified header's typ with the policy's required one
// (RFC 7515 §4.1.9: case-insensitive, "application/" prefix optional); for
// libraries without a typ option. typ is the header member as decoded (absent
// is nil).
func CheckTyp(p *Policy, typ any) error {
	if p.Typ == nil {
		return nil
	}
	s, ok := typ.(string)
	if !ok || normTyp(s) != normTyp(*p.Typ) {
		b, _ := json.Marshal(typ)
		return Reject("other", Truncate(fmt.Sprintf("typ header %s is not %q", b, *p.Typ)))
	}
	return nil
}

func normTyp(s string) string {
	s = strings.ToLower(s)
	return strings.TrimPrefix(s, "application/")
}

// Truncate cuts s to DetailMax characters (on a rune boundary).
func Truncate(s string) string {
	if utf8.RuneCountInString(s) <= DetailMax {
		return s
	}
	r := []rune(s)
	return string(r[:DetailMax-3]) + "..."
}

// Backend is what a per-library command provides.
type Backend struct {
	// Validate validates one request: the claims to report on accept, or an
	// error (see the package comment).
	Validate func(req *Request) (claims any, err error)
	// ReasonOf maps an error of the library to a protocol reason.
	ReasonOf func(err error) string
}

type answer struct {
	ID      any    `json:"id"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
	Detail  string `json:"detail,omitempty"`
	Claims  any    `json:"claims,omitempty"`
}

// Serve runs the line loop until standard input closes, then returns; the
// command exits 0.
func Serve(b Backend) {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriter(os.Stdout)
	for {
		line, err := in.ReadBytes('\n')
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			out.Write(encode(b.handle(trimmed)))
			out.WriteByte('\n')
			if ferr := out.Flush(); ferr != nil {
				fmt.Fprintf(os.Stderr, "stdout: %v\n", ferr)
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				fmt.Fprintf(os.Stderr, "stdin: %v\n", err)
			}
			return
		}
	}
}

func (b Backend) handle(line []byte) (resp answer) {
	req, err := parseRequest(line)
	if err != nil {
		return answer{ID: nil, Verdict: "reject", Reason: "malformed", Detail: Truncate(err.Error())}
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "panic on %v: %v\n", req.ID, r)
			resp = answer{ID: req.ID, Verdict: "reject", Reason: "other", Detail: Truncate(fmt.Sprintf("panic: %v", r))}
		}
	}()
	if req.tokenNotString {
		return answer{ID: req.ID, Verdict: "reject", Reason: "malformed", Detail: "token is not a string"}
	}
	claims, err := b.Validate(req)
	if err == nil {
		return answer{ID: req.ID, Verdict: "accept", Claims: claims}
	}
	var u *Unsupported
	if errors.As(err, &u) {
		return answer{ID: req.ID, Verdict: "unsupported", Detail: Truncate(u.Detail)}
	}
	reason := ""
	if r, ok := err.(*Rejection); ok { // the adapter's own decision, not wrapped by the library
		reason = r.Reason
	} else {
		reason = b.ReasonOf(err)
	}
	if reason == "other" {
		fmt.Fprintf(os.Stderr, "%v: unmapped error: %s\n", req.ID, Truncate(err.Error()))
	}
	return answer{ID: req.ID, Verdict: "reject", Reason: reason, Detail: Truncate(err.Error())}
}

func encode(a answer) []byte {
	b, err := json.Marshal(a)
	if err != nil { // claims the encoder cannot write: answer without them
		a.Claims = nil
		if b, err = json.Marshal(a); err != nil {
			b = []byte(`{"id":null,"verdict":"reject","reason":"other","detail":"unencodable answer"}`)
		}
	}
	return b
}

// rawRequest is the wire form; unknown members are ignored.
type rawRequest struct {
	ID     any             `json:"id"`
	Token  any             `json:"token"`
	Now    json.Number     `json:"now"`
	Policy json.RawMessage `json:"policy"`
}

type rawPolicy struct {
	Algorithms     []any           `json:"algorithms"`
	JWKS           json.RawMessage `json:"jwks"`
	Issuer         any             `json:"issuer"`
	Audience       any             `json:"audience"`
	Leeway         json.Number     `json:"leeway"`
	RequiredClaims []any           `json:"required_claims"`
	Typ            any             `json:"typ"`
}

// requestError is a request line this package cannot read.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func parseRequest(line []byte) (*Request, error) {
	var raw rawRequest
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, &requestError{"bad request line: " + err.Error()}
	}
	req := &Request{ID: raw.ID, Now: time.Now().Unix(), Policy: &Policy{Algorithms: []string{}}}
	if tok, ok := raw.Token.(string); ok {
		req.Token = tok
	} else {
		req.tokenNotString = true
	}
	if f, err := raw.Now.Float64(); err == nil && f > -1e15 && f < 1e15 {
		req.Now = int64(math.Floor(f))
	}
	var rp rawPolicy
	if len(raw.Policy) > 0 && json.Unmarshal(raw.Policy, &rp) == nil {
		p := req.Policy
		for _, a := range rp.Algorithms {
			if s, ok := a.(string); ok {
				p.Algorithms = append(p.Algorithms, s)
			}
		}
		p.JWKS = rp.JWKS
		if s, ok := rp.Issuer.(string); ok {
			p.Issuer = &s
		}
		switch aud := rp.Audience.(type) {
		case string:
			p.Audience = []string{aud}
		case []any:
			for _, a := range aud {
				if s, ok := a.(string); ok {
					p.Audience = append(p.Audience, s)
				}
			}
		}
		if f, err := rp.Leeway.Float64(); err == nil && f > 0 {
			p.Leeway = int64(math.Min(f, maxLeeway))
		}
		for _, c := range rp.RequiredClaims {
			if s, ok := c.(string); ok {
				p.RequiredClaims = append(p.RequiredClaims, s)
			}
		}
		if s, ok := rp.Typ.(string); ok {
			p.Typ = &s
		}
	}
	if len(req.Policy.JWKS) == 0 || bytes.Equal(req.Policy.JWKS, []byte("null")) {
		req.Policy.JWKS = json.RawMessage(`{"keys":[]}`)
	}
	return req, nil
}
