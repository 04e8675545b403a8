
/*
 * A JSON writer for the hottest answers (the report views): the document
 * goes straight into one growing buffer, strings are checked as UTF-8 and
 * escaped eight bytes at a time where nothing needs escaping.  Its output
 * is byte for byte what yajl's generator writes (not beautified, "/" not
 * escaped); the unit tests compare the two.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 */


#ifndef _LAPOR_JSONW_H_INCLUDED_
#define _LAPOR_JSONW_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define LAPOR_JSONW_MAX_DEPTH  16

/* lapor_jsonw_string(): not UTF-8, nothing written, the state unchanged */
#define LAPOR_JSONW_INVALID    -2


/* a block of at least size bytes, or NULL; blocks are never freed here */
typedef void *(*lapor_jsonw_alloc_pt)(void *ctx, size_t size);


typedef struct {
    unsigned char         *buf;
    size_t                 len;
    size_t                 size;
    lapor_jsonw_alloc_pt   alloc;
    void                  *ctx;
    unsigned               depth;
    unsigned char          state[LAPOR_JSONW_MAX_DEPTH + 1];
    unsigned               failed:1;
} lapor_jsonw_t;


/*
 * Every call returns 0, or -1 when the call does not fit the document
 * (a key that is no string, a close without its open, too deep, anything
 * after the end) or memory ran out: the writer is then failed for good and
 * lapor_jsonw_result() returns NULL.
 */

int lapor_jsonw_init(lapor_jsonw_t *w, lapor_jsonw_alloc_pt alloc, void *ctx,
    size_t size);
int lapor_jsonw_map_open(lapor_jsonw_t *w);
int lapor_jsonw_map_close(lapor_jsonw_t *w);
int lapor_jsonw_array_open(lapor_jsonw_t *w);
int lapor_jsonw_array_close(lapor_jsonw_t *w);

/* a string (or key); LAPOR_JSONW_INVALID if s is not well-formed UTF-8 */
int lapor_jsonw_string(lapor_jsonw_t *w, const unsigned char *s, size_t len);
int lapor_jsonw_integer(lapor_jsonw_t *w, int64_t n);
int lapor_jsonw_bool(lapor_jsonw_t *w, int b);
int lapor_jsonw_null(lapor_jsonw_t *w);

/* a number written as given: the caller has checked it is one */
int lapor_jsonw_number(lapor_jsonw_t *w, const char *s, size_t len);

/*
 * A string written as given, for the program's own literals (keys, codes):
 * printable ASCII without '"' and '\\', nothing is checked.
 */
int lapor_jsonw_plain(lapor_jsonw_t *w, const char *s, size_t len);

#define lapor_jsonw_literal(w, s)                                             \
    lapor_jsonw_plain(w, s, sizeof(s) - 1)

/* the complete document, or NULL (failed, unfinished or empty) */
const unsigned char *lapor_jsonw_result(lapor_jsonw_t *w, size_t *len);

/* n in decimal at p (room for 20 bytes); returns the end */
unsigned char *lapor_decimal(unsigned char *p, int64_t n);


#endif /* _LAPOR_JSONW_H_INCLUDED_ */
