/*
 * docs/PROTOCOL.md adapter for libjwt 1.10.2 (Debian's libjwt-dev), see README.md.
 *
 *   gcc -O2 -Wall -o target/adapters/bin/libjwt adapters/c/adapter.c -ljwt -ljansson -lcrypto
 *
 * libjwt 1.10.2 only parses a token and checks its signature with the
 * algorithm named in the token header (jwt_decode); it has no algorithm
 * allowlist and no claim validation (jwt_valid_* arrived in 1.12).  So, as
 * any libjwt 1.x user must, this adapter:
 *   - reads the header with an unverified jwt_decode(token, NULL key),
 *   - refuses an alg outside the policy's allowlist before verifying,
 *   - only ever hands libjwt a key whose JWK kty fits that alg (an RSA/EC PEM
 *     must never reach libjwt as an HMAC secret),
 *   - converts RSA/EC JWKs to PEM with OpenSSL (libjwt 1.x takes PEM),
 *   - checks exp/nbf (request `now` + leeway), iss, aud, required claims and
 *     typ itself on the claims libjwt returns.
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

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

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

static const char *lookup_alg(const char *alg)
{
	static const char *algs[] = {"HS256", "HS384", "HS512", "RS256", "RS384",
				     "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512",
				     "ES256K", "EdDSA", "Ed25519"};
	size_t i;

	for (i = 0; alg && i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(algs[i], alg))
			return algs[i];
	return NULL;
}

/* What libjwt 1.10.2 implements (its jwt_alg_t, without "none"). */
static int lib_supports(const char *alg)
{
	static const char *algs[] = {"HS256", "HS384", "HS512", "RS256", "RS384",
				     "RS512", "ES256", "ES384", "ES512"};
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(algs[i], alg))
			return 1;
	return 0;
}

/* Strict base64url (no padding, no other alphabet) into a new buffer. */
static unsigned char *b64url_decode(const char *in, size_t *out_len)
{
	size_t len = strlen(in), i, o = 0;
	unsigned int acc = 0;
	int bits = 0;
	unsigned char *out;

	if (len % 4 == 1)
		return NULL;
	out = malloc(len * 3 / 4 + 1);
	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		int v;
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	*out_len = o;
	return out;
}

static unsigned char *jwk_bytes(json_t *jwk, const char *member, size_t *len)
{
	const char *s = json_string_value(json_object_get(jwk, member));

	return s ? b64url_decode(s, len) : NULL;
}

/* ------------------------------------------------------------------ keys */

static char *pkey_to_pem(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long n;

	if (!bio)
		return NULL;
	if (PEM_write_bio_PUBKEY(bio, pkey) == 1) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0 && (pem = malloc((size_t)n + 1))) {
			memcpy(pem, data, (size_t)n);
			pem[n] = '\0';
		}
	}
	BIO_free(bio);
	return pem;
}

static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
			pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	if (pkey) {
		EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

		if (!check || EVP_PKEY_public_check(check) != 1) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		EVP_PKEY_CTX_free(check);
	}
	return pkey;
}

static char *rsa_jwk_to_pem(json_t *jwk, const char **err)
{
	size_t nlen = 0, elen = 0;
	unsigned char *n = jwk_bytes(jwk, "n", &nlen), *e = jwk_bytes(jwk, "e", &elen);
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	char *pem = NULL;

	*err = "RSA JWK: n/e missing or not base64url";
	if (!n || !e || !nlen || !elen)
		goto out;
	bn_n = BN_bin2bn(n, (int)nlen, NULL);
	bn_e = BN_bin2bn(e, (int)elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn_n || !bn_e || !bld ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		goto out;
	*err = "RSA JWK: OpenSSL refused the public key";
	pkey = pkey_fromdata("RSA", bld);
	if (pkey && (pem = pkey_to_pem(pkey)))
		*err = NULL;
out:
	EVP_PKEY_free(pkey);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	free(n);
	free(e);
	return pem;
}

static char *ec_jwk_to_pem(json_t *jwk, const char **err)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const char *group = NULL;
	size_t field = 0, xlen = 0, ylen = 0;
	unsigned char *x = NULL, *y = NULL, *point = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	char *pem = NULL;

	if (crv && !strcmp(crv, "P-256")) {
		group = "prime256v1";
		field = 32;
	} else if (crv && !strcmp(crv, "P-384")) {
		group = "secp384r1";
		field = 48;
	} else if (crv && !strcmp(crv, "P-521")) {
		group = "secp521r1";
		field = 66;
	}
	*err = "EC JWK: unsupported crv";
	if (!group)
		return NULL;
	*err = "EC JWK: x/y missing, not base64url, or of the wrong length";
	x = jwk_bytes(jwk, "x", &xlen);
	y = jwk_bytes(jwk, "y", &ylen);
	if (!x || !y || xlen != field || ylen != field)
		goto out;
	point = malloc(1 + 2 * field);
	bld = OSSL_PARAM_BLD_new();
	if (!point || !bld)
		goto out;
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, x, field);
	memcpy(point + 1 + field, y, field);
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * field))
		goto out;
	*err = "EC JWK: OpenSSL refused the public key (point not on the curve?)";
	pkey = pkey_fromdata("EC", bld);
	if (pkey && (pem = pkey_to_pem(pkey)))
		*err = NULL;
out:
	EVP_PKEY_free(pkey);
	OSSL_PARAM_BLD_free(bld);
	free(point);
	free(x);
	free(y);
	return pem;
}

/* Key material as libjwt 1.x wants it: raw secret for HS*, PEM for RS/ES. */
static unsigned char *key_material(json_t *jwk, const char *kty, size_t *len, const char **err)
{
	if (!strcmp(kty, "oct")) {
		unsigned char *k = jwk_bytes(jwk, "k", len);

		*err = k ? NULL : "oct JWK: k missing or not base64url";
		return k;
	}
	if (!strcmp(kty, "RSA") || !strcmp(kty, "EC")) {
		char *pem = !strcmp(kty, "RSA") ? rsa_jwk_to_pem(jwk, err) : ec_jwk_to_pem(jwk, err);

		if (pem)
			*len = strlen(pem);
		return (unsigned char *)pem;
	}
	*err = "unsupported JWK kty";
	return NULL;
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
	/* RFC 7519 §4.1.2/§4.1.6: sub is a StringOrURI, iat a NumericDate. libjwt
	 * 1.x checks no claim at all, so like exp/nbf their types are checked here
	 * whenever they are present (iat's value itself is not judged). */
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

static void validate(json_t *req, result_t *r)
{
	json_t *pol = json_object_get(req, "policy"), *jtok = json_object_get(req, "token");
	json_t *jnow = json_object_get(req, "now"), *v, *kid = NULL, *cands;
	policy_t p = {0};
	const char *token, *alg, *kty;
	jwt_t *jwt = NULL;
	double now;
	size_t i;
	int ret, tried = 0;
	char *hdr_json;

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
			set_result(r, "unsupported", NULL, "algorithm(s) not implemented by libjwt 1.10.2: %s", missing);
			return;
		}
	}

	/* jwt_verify_head (libjwt/jwt.c) refuses any typ header but "JWT"
	 * (strcasecmp), even in the unverified parse: a policy that requires
	 * another typ (RFC 9068's at+jwt) cannot be met with libjwt 1.x. */
	if (p.typ && strcasecmp(norm_typ(p.typ), "JWT")) {
		set_result(r, "unsupported", NULL, "libjwt 1.10.2 refuses every typ but JWT (jwt_verify_head), so typ %s cannot be required", p.typ);
		return;
	}

	if (!json_is_string(jtok)) {
		set_result(r, "reject", "malformed", "token is not a string");
		return;
	}
	token = json_string_value(jtok);
	if (strlen(token) != json_string_length(jtok)) {
		set_result(r, "reject", "malformed", "token contains a NUL character");
		return;
	}

	/* 1. Unverified parse: header (alg, kid) without a key. */
	ret = jwt_decode(&jwt, token, NULL, 0);
	if (ret || !jwt) {
		set_result(r, "reject", "malformed", "jwt_decode: %s", strerror(ret ? ret : EINVAL));
		jwt_free(jwt);
		return;
	}
	/* An unverified jwt_t reports alg "none"; the header keeps the token's
	 * alg.  libjwt 1.x has no allowlist: refuse the alg here, before
	 * verifying, so the alg in the header only picks among the allowlist. */
	alg = jwt_get_header(jwt, "alg");
	if (!policy_allows(&p, alg)) {
		set_result(r, "reject", "algorithm", "alg %s is not in the allowlist", alg ? alg : "(missing or not a string)");
		jwt_free(jwt);
		return;
	}
	alg = lookup_alg(alg); /* static copy: jwt is freed below */
	kty = alg_kty(alg);
	if (!alg || !kty) {
		set_result(r, "reject", "algorithm", "alg is not implemented");
		jwt_free(jwt);
		return;
	}
	hdr_json = jwt_get_headers_json(jwt, NULL);
	if (hdr_json) {
		json_t *hdr = json_loads(hdr_json, JSON_ALLOW_NUL, NULL);

		free(hdr_json);
		if (hdr) {
			kid = json_object_get(hdr, "kid");
			if (kid)
				json_incref(kid);
			json_decref(hdr);
		}
	}
	jwt_free(jwt);
	jwt = NULL;

	/* 2. Candidate keys: by kid, else by type. */
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
		if (kid) {
			char *k = json_dumps(kid, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);

			set_result(r, "reject", "key", "no key in the JWKS has kid %s", k ? k : "?");
			free(k);
		} else {
			set_result(r, "reject", "key", "no key in the JWKS fits algorithm %s", alg);
		}
		goto done;
	}

	/* 3. Verify with each candidate; a signature failure moves on. */
	r->verdict = NULL;
	json_array_foreach(cands, i, v) {
		const char *t = json_string_value(json_object_get(v, "kty")), *err = NULL;
		unsigned char *key;
		size_t klen = 0;
		char *grants;
		json_t *claims;

		if (!t || strcmp(t, kty)) {
			if (!tried++)
				set_result(r, "reject", "key", "key %s has kty %s, alg %s needs %s",
					   kid ? "named by kid" : "", t ? t : "(none)", alg, kty);
			continue;
		}
		key = key_material(v, t, &klen, &err);
		if (!key) {
			if (!tried++)
				set_result(r, "reject", "key", "%s", err ? err : "unusable key");
			continue;
		}
		ret = jwt_decode(&jwt, token, key, (int)klen);
		free(key);
		if (ret || !jwt) {
			if (!tried++)
				set_result(r, "reject", ret == ENOMEM ? "other" : "signature",
					   "jwt_decode: %s", strerror(ret ? ret : EINVAL));
			jwt_free(jwt);
			jwt = NULL;
			continue;
		}
		/* Signature good: the claims as libjwt returns them. */
		grants = jwt_get_grants_json(jwt, NULL);
		claims = grants ? json_loads(grants, JSON_ALLOW_NUL, NULL) : NULL;
		free(grants);
		if (!claims) /* libjwt also accepts a JSON array as the payload */
			claims = json_object();
		if (p.typ) {
			const char *typ = jwt_get_header(jwt, "typ");

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
	jwt_free(jwt);
	json_decref(cands);
	json_decref(kid);
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

		/* libjwt/OpenSSL text is ASCII; guard against invalid UTF-8 anyway. */
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
