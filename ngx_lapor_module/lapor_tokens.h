
/*
 * Officer API tokens: the file of "lapor_tokens".  Only SHA-256 hashes of
 * tokens are ever stored; a line is
 *
 *   <SHA-256 of the token: 64 hex> <admin|agency> <agency code|-> <label>
 *
 * with "#" comments and blank lines.  The Open311 api keys of
 * "lapor_open311_keys" are the same file with the role "client":
 *
 *   <SHA-256 of the api_key: 64 hex> client - <label>
 *
 * Plain C, unit tested directly.
 */


#ifndef _LAPOR_TOKENS_H_INCLUDED_
#define _LAPOR_TOKENS_H_INCLUDED_


#include <stddef.h>

#include "lapor_crypto.h"


#define LAPOR_TOKENS_MAX         10000
#define LAPOR_TOKENS_LABEL_MAX   64
#define LAPOR_TOKENS_AGENCY_MAX  32
#define LAPOR_TOKENS_ERR_LEN     160


typedef struct {
    unsigned char     hash[LAPOR_SHA256_LEN];
    unsigned          role;          /* LAPOR_ROLE_ADMIN, _AGENCY or
                                        _CLIENT */
    char              agency[LAPOR_TOKENS_AGENCY_MAX + 1];   /* "" admin */
    char              label[LAPOR_TOKENS_LABEL_MAX + 1];
    size_t            line;
} lapor_token_t;


typedef struct {
    lapor_token_t    *tokens;        /* sorted by hash */
    size_t            n;
} lapor_tokens_t;


/*
 * Parses the file's text; memory from alloc(ctx, size), never freed one by
 * one.  0 on success, -1 with the reason in err: "line N: reason" for a bad
 * line, or "out of memory" / "more than N lines" for the file as a whole.
 */
int lapor_tokens_parse(const unsigned char *text, size_t len,
    void *(*alloc)(void *ctx, size_t size), void *ctx, lapor_tokens_t *out,
    char *err, size_t errlen);

/* the same for a file whose lines may have only the roles in the mask */
int lapor_tokens_parse_roles(const unsigned char *text, size_t len,
    unsigned roles, void *(*alloc)(void *ctx, size_t size), void *ctx,
    lapor_tokens_t *out, char *err, size_t errlen);

/* the officer whose token hashes to hash, or NULL */
const lapor_token_t *lapor_tokens_find(const lapor_tokens_t *tokens,
    const unsigned char hash[LAPOR_SHA256_LEN]);


#endif /* _LAPOR_TOKENS_H_INCLUDED_ */
