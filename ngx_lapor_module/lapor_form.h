
/*
 * application/x-www-form-urlencoded bodies (the Open311 POST), decoded
 * strictly: "+" is a space, "%XX" a byte and any other "%" an error; the
 * decoded keys and values must be well-formed UTF-8 without NUL or other
 * controls (values may hold line breaks and tabs).  Pairs keep their
 * order; a key may repeat (the caller decides whether it may).
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 */


#ifndef _LAPOR_FORM_H_INCLUDED_
#define _LAPOR_FORM_H_INCLUDED_


#include <stddef.h>


#define LAPOR_FORM_ERR_NONE      0
#define LAPOR_FORM_ERR_ESCAPE    1    /* "%" not followed by 2 hex digits */
#define LAPOR_FORM_ERR_ENCODING  2    /* not UTF-8, NUL or a control */
#define LAPOR_FORM_ERR_LIMIT     3    /* too many pairs, a key too long */
#define LAPOR_FORM_ERR_NOMEM     4


typedef struct {
    const char             *key;       /* decoded, NUL-terminated */
    size_t                  key_len;
    const char             *value;     /* decoded, NUL-terminated */
    size_t                  value_len;
    size_t                  value_chars;   /* code points */
} lapor_form_pair_t;


typedef struct {
    lapor_form_pair_t      *pairs;
    size_t                  n;
} lapor_form_t;


typedef struct {
    int                     kind;      /* LAPOR_FORM_ERR_* */
    size_t                  offset;    /* of the offending byte or pair */
} lapor_form_error_t;


/*
 * Decodes buf into *out: at most max_pairs pairs, keys of at most max_key
 * bytes (decoded); empty pieces ("a=1&&b=2") are skipped, a piece without
 * "=" is a key with an empty value.  Memory from alloc(ctx, size), aligned
 * for pointers, never freed one by one.  0, or -1 with err filled.
 */
int lapor_form_parse(const unsigned char *buf, size_t len, size_t max_pairs,
    size_t max_key, void *(*alloc)(void *ctx, size_t size), void *ctx,
    lapor_form_t *out, lapor_form_error_t *err);

/* the first pair with the key, or NULL; *count (if not NULL) how many */
const lapor_form_pair_t *lapor_form_get(const lapor_form_t *form,
    const char *key, size_t *count);


#endif /* _LAPOR_FORM_H_INCLUDED_ */
