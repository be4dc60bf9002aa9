/*
 * Shared part of the C adapters (libjwt, cjose, rhonabwy): protocol loop,
 * answer writing, policy parsing, key lookup and claim checks.  See common.h.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>

#include "common.h"

/* ------------------------------------------------------------------ helpers */

void set_result(result_t *r, const char *verdict, const char *reason, const char *fmt, ...)
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

void set_accept(result_t *r, json_t *claims)
{
	r->verdict = "accept";
	r->reason = NULL;
	r->detail[0] = '\0';
	r->claims = claims;
}

const char *alg_kty(const char *alg)
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

int is_number(json_t *v)
{
	return json_is_integer(v) || json_is_real(v);
}

/* ------------------------------------------------------------------ policy */

json_t *parse_policy(json_t *req, policy_t *p, double *now)
{
	json_t *pol = json_object_get(req, "policy"), *jnow = json_object_get(req, "now"), *v;

	if (!json_is_object(pol))
		pol = NULL;
	p->algorithms = pol ? json_object_get(pol, "algorithms") : NULL;
	v = pol ? json_object_get(pol, "jwks") : NULL;
	p->keys = json_is_object(v) ? json_object_get(v, "keys") : NULL;
	if (!json_is_array(p->keys))
		p->keys = NULL;
	p->issuer = pol ? json_string_value(json_object_get(pol, "issuer")) : NULL;
	v = pol ? json_object_get(pol, "audience") : NULL;
	p->audience = json_is_array(v) && json_array_size(v) ? v : NULL;
	v = pol ? json_object_get(pol, "leeway") : NULL;
	p->leeway = is_number(v) && json_number_value(v) > 0 ? json_number_value(v) : 0;
	p->required = pol ? json_object_get(pol, "required_claims") : NULL;
	p->typ = pol ? json_string_value(json_object_get(pol, "typ")) : NULL;
	*now = is_number(jnow) ? json_number_value(jnow) : (double)time(NULL);
	return pol;
}

static int implemented_has(const char *const *implemented, const char *alg)
{
	for (; *implemented; implemented++)
		if (!strcmp(*implemented, alg))
			return 1;
	return 0;
}

int check_implemented(const policy_t *p, const char *const *implemented, const char *lib, result_t *r)
{
	char missing[512] = "";
	size_t i;
	json_t *v;

	if (!json_is_array(p->algorithms))
		return 0;
	json_array_foreach(p->algorithms, i, v) {
		const char *a = json_string_value(v);

		if (a && !implemented_has(implemented, a) && strlen(missing) + strlen(a) + 3 < sizeof(missing)) {
			if (*missing)
				strcat(missing, ", ");
			strcat(missing, a);
		}
	}
	if (*missing) {
		set_result(r, "unsupported", NULL, "algorithm(s) not implemented by %s: %s", lib, missing);
		return -1;
	}
	return 0;
}

const char *request_token(json_t *req, size_t *len, result_t *r)
{
	json_t *jtok = json_object_get(req, "token");

	if (!json_is_string(jtok)) {
		set_result(r, "reject", "malformed", "token is not a string");
		return NULL;
	}
	*len = json_string_length(jtok);
	return json_string_value(jtok);
}

int policy_allows(const policy_t *p, const char *alg)
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

const char *norm_typ(const char *t)
{
	return strncasecmp(t, "application/", 12) ? t : t + 12;
}

/* ------------------------------------------------------------------ keys */

/* Whether a JWK's alg pins it to another algorithm of the same key type than
 * the token's alg (an HS384 secret for an HS256 token, an RS256 key for
 * PS256): a key the application must not use (RFC 8725 §3.1, "each key MUST be
 * used with exactly one algorithm"), since the library only ever sees the key
 * material. EC keys are left to the library: their curve names the alg.
 * Only for an allowlisted alg: another one is the library's to refuse. */
int pinned_elsewhere(const policy_t *p, json_t *jwk, const char *alg)
{
	const char *key_alg = json_string_value(json_object_get(jwk, "alg"));
	const char *kty = alg ? alg_kty(alg) : NULL, *key_kty;

	if (!key_alg || !kty || !strcmp(key_alg, alg) || !strcmp(kty, "EC") || !policy_allows(p, alg))
		return 0;
	key_kty = alg_kty(key_alg);
	return key_kty && !strcmp(key_kty, kty);
}

json_t *candidate_keys(const policy_t *p, json_t *kid, const char *kty, const char *alg)
{
	json_t *cands = json_array(), *v;
	size_t i;

	if (p->keys)
		json_array_foreach(p->keys, i, v) {
			if (!json_is_object(v) || pinned_elsewhere(p, v, alg))
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
	return cands;
}

/* ------------------------------------------------------------------ claims */

/* Returns 0 when the claims satisfy the policy, else fills r. */
static int check_claims(const policy_t *p, const char *typ, json_t *claims, double now, result_t *r)
{
	size_t i;
	json_t *v, *exp, *nbf;

	if (p->typ && (!typ || strcasecmp(norm_typ(typ), norm_typ(p->typ)))) {
		set_result(r, "reject", "other", "typ header %s is not %s", typ ? typ : "(none)", p->typ);
		return -1;
	}
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

void judge_claims(const policy_t *p, const char *typ, json_t *claims, double now, result_t *r)
{
	if (check_claims(p, typ, claims, now, r))
		json_decref(claims);
	else
		set_accept(r, claims);
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

int run_protocol(void (*validate)(json_t *req, result_t *r))
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
