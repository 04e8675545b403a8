
/*
 * The syntax of the request parts the module reads itself, apart from
 * nginx: query-string arguments, decimal numbers in them (cursors,
 * limits, years), "Authorization: Bearer <token>" and Idempotency-Key.
 * Plain C, no allocation: unit-tested and fuzzed on their own.
 */


#ifndef _LAPOR_REQUEST_H_INCLUDED_
#define _LAPOR_REQUEST_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/*
 * The raw (not percent-decoded) value of the first "name=value" of a
 * query string whose name matches, ignoring case, at the start or after
 * "&", as ngx_http_arg() finds it.  0 and the value, or -1 when absent.
 * nlen must be at least 1.
 */
int lapor_request_arg(const unsigned char *args, size_t len,
    const char *name, size_t nlen, const unsigned char **value,
    size_t *vlen);

/*
 * Decimal digits only, as ngx_atoi(): the number, or -1 when empty, not
 * digits or past INT64_MAX.
 */
int64_t lapor_request_number(const unsigned char *s, size_t len);

/*
 * The token of an Authorization value "Bearer <token>" (the scheme in any
 * case, spaces around the token dropped): 0 and the token (never empty),
 * or -1 for another scheme or no token.
 */
int lapor_request_bearer(const unsigned char *value, size_t len,
    const unsigned char **token, size_t *tlen);

/* an Idempotency-Key: 1 to max visible ASCII characters; 0 or -1 */
int lapor_request_idem_key(const unsigned char *value, size_t len,
    size_t max);


#endif /* _LAPOR_REQUEST_H_INCLUDED_ */
