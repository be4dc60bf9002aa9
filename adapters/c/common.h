/*
 * Shared part of the C adapters (adapter.c for libjwt, cjose_adapter.c,
 * rhonabwy_adapter.c): the docs/PROTOCOL.md line loop (getline, jansson, one
 * flushed JSON answer per request, `detail` cut at DETAIL_MAX characters),
 * policy parsing, the alg allowlist and "implemented by the library" checks,
 * candidate key lookup by kid/kty, and the claim checks for the libraries
 * that have none (libjwt 1.x, cjose).  Each adapter keeps only its
 * library-specific validate() and compiles this file next to its own:
 *
 *   gcc -O2 -Wall -Wextra -o BIN adapters/c/ADAPTER.c adapters/c/common.c -lLIB -ljansson
 */
#ifndef JWT_HARNESS_C_COMMON_H
#define JWT_HARNESS_C_COMMON_H

#include <stddef.h>

#include <jansson.h>

#define DETAIL_MAX 300

typedef struct {
	const char *verdict; /* accept / reject / unsupported */
	const char *reason;  /* for reject */
	char detail[DETAIL_MAX + 1];
	json_t *claims;      /* owned, for accept */
} result_t;

typedef struct {
	json_t *algorithms; /* borrowed arrays (may be NULL) */
	json_t *keys;
	const char *issuer;
	json_t *audience;   /* array of strings or NULL */
	double leeway;
	json_t *required;   /* array (may be NULL) */
	const char *typ;
} policy_t;

/* Sets verdict and reason; detail is printf-formatted, cut to DETAIL_MAX
 * characters (ending in "..."). */
void set_result(result_t *r, const char *verdict, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The JWK kty an alg needs ("oct", "RSA", "EC", "OKP"), NULL if unknown. */
const char *alg_kty(const char *alg);

int is_number(json_t *v);

/* Fills p and now from the request (now: the request's, else the system
 * clock).  Returns the request's policy object, or NULL when it has none. */
json_t *parse_policy(json_t *req, policy_t *p, double *now);

/* Policy algorithms missing from `implemented` (NULL-terminated): sets
 * r to unsupported ("algorithm(s) not implemented by LIB: ...") and returns
 * -1; 0 when the library implements them all. */
int check_implemented(const policy_t *p, const char *const *implemented, const char *lib, result_t *r);

/* The request's token as a string (its length in *len), else rejects it as
 * malformed and returns NULL. */
const char *request_token(json_t *req, size_t *len, result_t *r);

int policy_allows(const policy_t *p, const char *alg);

/* typ without an optional (case-insensitive) "application/" prefix. */
const char *norm_typ(const char *t);

/* Whether the JWK's alg pins it to another algorithm of alg's key type (not
 * EC, whose curve names the algorithm) while alg is allowlisted: never a
 * candidate (RFC 8725 §3.1). */
int pinned_elsewhere(const policy_t *p, json_t *jwk, const char *alg);

/* Candidate keys (new array of borrowed JWK objects): those carrying exactly
 * kid, else, without a kid, those whose kty is kty and use absent or "sig";
 * never a key pinned_elsewhere for the token's alg. */
json_t *candidate_keys(const policy_t *p, json_t *kid, const char *kty, const char *alg);

/* For a token whose signature verified: the typ header (typ: the token's,
 * may be NULL) against the policy's, then required claims, exp, sub/iat
 * types, nbf, iss and aud.  Accepts with claims when they all pass, else
 * fills r with the first failure; takes claims over either way. */
void judge_claims(const policy_t *p, const char *typ, json_t *claims, double now, result_t *r);

/* Marks r accepted with claims (owned by r from now on). */
void set_accept(result_t *r, json_t *claims);

/* Reads request lines from stdin until EOF, answers each on stdout with
 * validate's result; returns main's exit status (0). */
int run_protocol(void (*validate)(json_t *req, result_t *r));

#endif
