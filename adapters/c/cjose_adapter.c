/*
 * docs/PROTOCOL.md adapter for cjose 0.6.2.1 (Debian's libcjose-dev, the JOSE
 * library inside mod_auth_openidc), see MORE.md.
 *
 *   gcc -O2 -Wall -Wextra -o target/adapters/bin/cjose adapters/c/cjose_adapter.c -lcjose -ljansson
 *
 * cjose is a JOSE library: it parses a compact JWS (cjose_jws_import), imports
 * one JWK at a time (cjose_jwk_import) and verifies a JWS with one key
 * (cjose_jws_verify).  It has no JWK Set lookup, no algorithm allowlist and no
 * JWT claim validation: mod_auth_openidc does those around it (src/jose.c,
 * src/proto.c).  So this adapter, like mod_auth_openidc:
 *   - imports the token with cjose_jws_import (a failure is `malformed`),
 *   - reads alg and kid from the parsed protected header (a jansson object:
 *     cjose_header_t is a json_t, and cjose_header_get reads its strings),
 *   - refuses an alg outside the policy's allowlist before verifying,
 *   - picks the candidate JWKs (by kid, else those whose kty fits the alg),
 *     imports each with cjose_jwk_import and verifies with cjose_jws_verify,
 *   - checks exp/nbf (request `now` + leeway), iss, aud, sub/iat types,
 *     required claims and typ itself with jansson on cjose_jws_get_plaintext.
 * Claims are checked with the request's `now`: clock = "request".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjose/cjose.h>
#include <jansson.h>

#define DETAIL_MAX 300

/* ------------------------------------------------------------------ helpers */

typedef struct {
	const char *verdict; /* accept / reject / unsupported */
	const char *reason;  /* for reject */
	char detail[DETAIL_MAX + 1];
	json_t *claims;      /* owned, for accept */
} result_t;

static void set_result(result_t *r, const char *verdict, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_result(result_t *r, const char *verdict, const char *reason, const char *fmt, ...)
{
	va_list ap;
	char buf[4096];

	r->verdict = verdict;
	r->reason = reason;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strlen(buf) > DETAIL_MAX) {
		memcpy(r->detail, buf, DETAIL_MAX - 3);
		strcpy(r->detail + DETAIL_MAX - 3, "...");
	} else {
		strcpy(r->detail, buf);
	}
}

static const char *alg_kty(const char *alg)
{
	static const char *table[][2] = {
		{"HS256", "oct"}, {"HS384", "oct"}, {"HS512", "oct"},
		{"RS256", "RSA"}, {"RS384", "RSA"}, {"RS512", "RSA"},
		{"PS256", "RSA"}, {"PS384", "RSA"}, {"PS512", "RSA"},
		{"ES256", "EC"},  {"ES384", "EC"},  {"ES512", "EC"}, {"ES256K", "EC"},
		{"EdDSA", "OKP"}, {"Ed25519", "OKP"},
	};
	size_t i;

	if (!alg)
		return NULL;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i][0], alg))
			return table[i][1];
	return NULL;
}

/* What cjose 0.6.2.1 implements for a JWS (_cjose_jws_validate_hdr in src/jws.c:
 * PS*, RS*, HS*, ES256/384/512; no EdDSA). */
static int lib_supports(const char *alg)
{
	static const char *algs[] = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
				     "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"};
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(algs[i], alg))
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ policy */

typedef struct {
	json_t *algorithms; /* borrowed arrays (may be NULL) */
	json_t *keys;
	const char *issuer;
	json_t *audience;   /* array of strings or NULL */
	double leeway;
	json_t *required;   /* array (may be NULL) */
	const char *typ;
} policy_t;

static int policy_allows(const policy_t *p, const char *alg)
{
	size_t i;
	json_t *v;

	if (!alg || !json_is_array(p->algorithms))
		return 0;
	json_array_foreach(p->algorithms, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), alg))
			return 1;
	return 0;
}

static const char *norm_typ(const char *t)
{
	return strncasecmp(t, "application/", 12) ? t : t + 12;
}

/* ------------------------------------------------------------------ claims */

static int is_number(json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

/* Returns 0 when the claims satisfy the policy, else fills r. */
static int check_claims(const policy_t *p, json_t *claims, double now, result_t *r)
{
	size_t i;
	json_t *v, *exp, *nbf;

	if (json_is_array(p->required))
		json_array_foreach(p->required, i, v) {
			const char *name = json_string_value(v);

			if (name && !json_object_get(claims, name)) {
				set_result(r, "reject", "missing_claim", "missing required claim \"%s\"", name);
				return -1;
			}
		}
	if (p->issuer && !json_object_get(claims, "iss")) {
		set_result(r, "reject", "missing_claim", "missing required claim \"iss\"");
		return -1;
	}
	if (p->audience && !json_object_get(claims, "aud")) {
		set_result(r, "reject", "missing_claim", "missing required claim \"aud\"");
		return -1;
	}
	exp = json_object_get(claims, "exp");
	if (exp) {
		if (!is_number(exp)) {
			set_result(r, "reject", "claim_type", "exp is not a number");
			return -1;
		}
		if (json_number_value(exp) <= now - p->leeway) {
			set_result(r, "reject", "expired", "token expired at %.0f (now %.0f, leeway %.0f)",
				   json_number_value(exp), now, p->leeway);
			return -1;
		}
	}
	/* RFC 7519 §4.1.2/§4.1.6: sub is a StringOrURI, iat a NumericDate. The
	 * JOSE library checks no claim at all, so like exp/nbf their types are
	 * checked here whenever they are present (iat's value is not judged). */
	v = json_object_get(claims, "sub");
	if (v && !json_is_string(v)) {
		set_result(r, "reject", "claim_type", "sub is not a string");
		return -1;
	}
	v = json_object_get(claims, "iat");
	if (v && !is_number(v)) {
		set_result(r, "reject", "claim_type", "iat is not a number");
		return -1;
	}
	nbf = json_object_get(claims, "nbf");
	if (nbf) {
		if (!is_number(nbf)) {
			set_result(r, "reject", "claim_type", "nbf is not a number");
			return -1;
		}
		if (json_number_value(nbf) > now + p->leeway) {
			set_result(r, "reject", "not_yet_valid", "token not valid before %.0f (now %.0f, leeway %.0f)",
				   json_number_value(nbf), now, p->leeway);
			return -1;
		}
	}
	if (p->issuer) {
		const char *iss = json_string_value(json_object_get(claims, "iss"));

		if (!iss || strcmp(iss, p->issuer)) {
			set_result(r, "reject", "issuer", "iss does not match the expected issuer");
			return -1;
		}
	}
	if (p->audience) {
		json_t *aud = json_object_get(claims, "aud"), *a, *want;
		size_t j;
		int ok = 0, typed = json_is_string(aud) || json_is_array(aud);

		if (json_is_array(aud))
			json_array_foreach(aud, i, a)
				if (!json_is_string(a))
					typed = 0;
		if (typed)
			json_array_foreach(p->audience, j, want) {
				if (!json_is_string(want))
					continue;
				if (json_is_string(aud) && !strcmp(json_string_value(aud), json_string_value(want)))
					ok = 1;
				if (json_is_array(aud))
					json_array_foreach(aud, i, a)
						if (!strcmp(json_string_value(a), json_string_value(want)))
							ok = 1;
			}
		if (!ok) {
			set_result(r, "reject", "audience", typed ? "aud does not contain an expected audience"
								  : "aud is not a string or an array of strings");
			return -1;
		}
	}
	return 0;
}


/* ------------------------------------------------------------------ validate */

static const char *cjose_code(cjose_err *e)
{
	switch (e->code) {
	case CJOSE_ERR_NONE: return "CJOSE_ERR_NONE";
	case CJOSE_ERR_INVALID_ARG: return "CJOSE_ERR_INVALID_ARG";
	case CJOSE_ERR_INVALID_STATE: return "CJOSE_ERR_INVALID_STATE";
	case CJOSE_ERR_NO_MEMORY: return "CJOSE_ERR_NO_MEMORY";
	case CJOSE_ERR_CRYPTO: return "CJOSE_ERR_CRYPTO";
	}
	return "CJOSE_ERR_?";
}

static void validate(json_t *req, result_t *r)
{
	json_t *pol = json_object_get(req, "policy"), *jtok = json_object_get(req, "token");
	json_t *jnow = json_object_get(req, "now"), *v, *kid = NULL, *cands = NULL, *hdr;
	policy_t p = {0};
	const char *token, *alg, *kty;
	cjose_jws_t *jws = NULL;
	cjose_err err = {0};
	double now;
	size_t i;
	int tried = 0;

	if (!json_is_object(pol))
		pol = NULL;
	p.algorithms = pol ? json_object_get(pol, "algorithms") : NULL;
	v = pol ? json_object_get(pol, "jwks") : NULL;
	p.keys = json_is_object(v) ? json_object_get(v, "keys") : NULL;
	if (!json_is_array(p.keys))
		p.keys = NULL;
	p.issuer = pol ? json_string_value(json_object_get(pol, "issuer")) : NULL;
	v = pol ? json_object_get(pol, "audience") : NULL;
	p.audience = json_is_array(v) && json_array_size(v) ? v : NULL;
	v = pol ? json_object_get(pol, "leeway") : NULL;
	p.leeway = is_number(v) && json_number_value(v) > 0 ? json_number_value(v) : 0;
	p.required = pol ? json_object_get(pol, "required_claims") : NULL;
	p.typ = pol ? json_string_value(json_object_get(pol, "typ")) : NULL;
	now = is_number(jnow) ? json_number_value(jnow) : (double)time(NULL);

	if (json_is_array(p.algorithms)) {
		char missing[512] = "";

		json_array_foreach(p.algorithms, i, v) {
			const char *a = json_string_value(v);

			if (a && !lib_supports(a) && strlen(missing) + strlen(a) + 3 < sizeof(missing)) {
				if (*missing)
					strcat(missing, ", ");
				strcat(missing, a);
			}
		}
		if (*missing) {
			set_result(r, "unsupported", NULL, "algorithm(s) not implemented by cjose %s: %s", cjose_version(), missing);
			return;
		}
	}

	if (!json_is_string(jtok)) {
		set_result(r, "reject", "malformed", "token is not a string");
		return;
	}
	token = json_string_value(jtok);

	/* 1. Parse: cjose_jws_import decodes header, payload and signature and
	 *    refuses an alg it does not implement (except "none", which it
	 *    imports but never verifies). */
	jws = cjose_jws_import(token, json_string_length(jtok), &err);
	if (!jws) {
		set_result(r, "reject", "malformed", "cjose_jws_import: %s (%s)",
			   err.message ? err.message : "failed", cjose_code(&err));
		return;
	}
	hdr = (json_t *)cjose_jws_get_protected(jws);
	if (!json_is_object(hdr)) {
		set_result(r, "reject", "malformed", "protected header is not a JSON object");
		goto done;
	}
	/* alg: the allowlist decides, before any key is used. */
	alg = cjose_header_get((cjose_header_t *)hdr, CJOSE_HDR_ALG, &err);
	if (!policy_allows(&p, alg)) {
		set_result(r, "reject", "algorithm", "alg %s is not in the allowlist", alg ? alg : "(missing or not a string)");
		goto done;
	}
	kty = alg_kty(alg);
	if (!kty) {
		set_result(r, "reject", "algorithm", "alg is not implemented");
		goto done;
	}
	kid = json_object_get(hdr, CJOSE_HDR_KID);
	if (kid && !json_is_string(kid)) {
		set_result(r, "reject", "malformed", "kid header is not a string");
		goto done;
	}

	/* 2. Candidate keys (cjose has no JWK Set): those carrying the token's
	 *    exact kid, else without a kid those whose kty fits the alg. */
	cands = json_array();
	if (p.keys)
		json_array_foreach(p.keys, i, v) {
			if (!json_is_object(v))
				continue;
			if (kid) {
				json_t *k = json_object_get(v, "kid");

				if (k && json_equal(k, kid))
					json_array_append(cands, v);
			} else {
				const char *t = json_string_value(json_object_get(v, "kty"));
				json_t *use = json_object_get(v, "use");

				if (t && !strcmp(t, kty) && (!use || (json_is_string(use) && !strcmp(json_string_value(use), "sig"))))
					json_array_append(cands, v);
			}
		}
	if (!json_array_size(cands)) {
		if (kid)
			set_result(r, "reject", "key", "no key in the JWKS has that kid");
		else
			set_result(r, "reject", "key", "no key in the JWKS fits algorithm %s", alg);
		goto done;
	}

	/* 3. Verify with each candidate; a failure moves on. */
	r->verdict = NULL;
	json_array_foreach(cands, i, v) {
		const char *t = json_string_value(json_object_get(v, "kty"));
		char *text;
		cjose_jwk_t *jwk;
		uint8_t *plain = NULL;
		size_t plain_len = 0;
		json_t *claims;
		json_error_t jerr;

		if (!t || strcmp(t, kty)) {
			if (!tried++)
				set_result(r, "reject", "key", "key has kty %s, alg %s needs %s", t ? t : "(none)", alg, kty);
			continue;
		}
		text = json_dumps(v, JSON_COMPACT);
		memset(&err, 0, sizeof(err));
		jwk = text ? cjose_jwk_import(text, strlen(text), &err) : NULL;
		free(text);
		if (!jwk) {
			if (!tried++)
				set_result(r, "reject", "key", "cjose_jwk_import: %s (%s)", err.message ? err.message : "failed", cjose_code(&err));
			continue;
		}
		memset(&err, 0, sizeof(err));
		if (!cjose_jws_verify(jws, jwk, &err)) {
			if (!tried++)
				set_result(r, "reject", err.code == CJOSE_ERR_NO_MEMORY ? "other" : "signature",
					   "cjose_jws_verify: %s (%s)", err.message ? err.message : "failed", cjose_code(&err));
			cjose_jwk_release(jwk);
			continue;
		}
		cjose_jwk_release(jwk);
		/* Signature good: the payload, parsed with jansson (duplicate
		 * members refused: the claims are this adapter's job). */
		if (!cjose_jws_get_plaintext(jws, &plain, &plain_len, &err)) {
			set_result(r, "reject", "other", "cjose_jws_get_plaintext: %s", cjose_code(&err));
			goto done;
		}
		claims = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(claims)) {
			set_result(r, "reject", "malformed", "payload is not a JSON object%s%s",
				   claims ? "" : ": ", claims ? "" : jerr.text);
			json_decref(claims);
			goto done;
		}
		if (p.typ) {
			const char *typ = json_string_value(json_object_get(hdr, "typ"));

			if (!typ || strcasecmp(norm_typ(typ), norm_typ(p.typ))) {
				set_result(r, "reject", "other", "typ header %s is not %s", typ ? typ : "(none)", p.typ);
				json_decref(claims);
				goto done;
			}
		}
		if (check_claims(&p, claims, now, r)) {
			json_decref(claims);
			goto done;
		}
		r->verdict = "accept";
		r->reason = NULL;
		r->detail[0] = '\0';
		r->claims = claims;
		goto done;
	}
done:
	json_decref(cands);
	cjose_jws_release(jws);
}

/* ------------------------------------------------------------------ loop */

static void respond(json_t *id, result_t *r)
{
	json_t *resp = json_object();
	char *line;

	json_object_set(resp, "id", id ? id : json_null());
	json_object_set_new(resp, "verdict", json_string(r->verdict));
	if (r->reason)
		json_object_set_new(resp, "reason", json_string(r->reason));
	if (r->detail[0]) {
		json_t *d = json_string(r->detail);

		/* Library text is ASCII; guard against invalid UTF-8 anyway. */
		json_object_set_new(resp, "detail", d ? d : json_string("(detail not UTF-8)"));
	}
	if (r->claims)
		json_object_set(resp, "claims", r->claims);
	line = json_dumps(resp, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!line && r->claims) {
		json_object_del(resp, "claims");
		line = json_dumps(resp, JSON_COMPACT | JSON_ENSURE_ASCII);
	}
	if (line) {
		fputs(line, stdout);
	} else {
		fputs("{\"id\":null,\"verdict\":\"reject\",\"reason\":\"other\",\"detail\":\"unencodable response\"}", stdout);
	}
	fputc('\n', stdout);
	fflush(stdout);
	free(line);
	json_decref(resp);
}

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		json_error_t jerr;
		json_t *req;
		result_t r;
		char *s = line;

		while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
			s[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++, n--;
		if (n <= 0)
			continue;
		memset(&r, 0, sizeof(r));
		req = json_loadb(s, (size_t)n, JSON_ALLOW_NUL, &jerr);
		if (!json_is_object(req)) {
			set_result(&r, "reject", "malformed", "bad request line: %s",
				   req ? "request is not a JSON object" : jerr.text);
			respond(NULL, &r);
			json_decref(req);
			continue;
		}
		validate(req, &r);
		if (!r.verdict)
			set_result(&r, "reject", "other", "no verdict");
		respond(json_object_get(req, "id"), &r);
		json_decref(r.claims);
		json_decref(req);
	}
	free(line);
	return 0;
}
