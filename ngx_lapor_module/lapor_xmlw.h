
/*
 * An XML writer for the Open311 answers: one growing buffer that starts
 * with the declaration <?xml version="1.0" encoding="UTF-8"?>, elements
 * named by the program, and text escaped so that whatever bytes are stored
 * the document stays well-formed XML 1.0: "&", "<", ">", quotes escaped,
 * carriage returns as "&#13;", and every character XML 1.0 forbids (C0
 * controls but tab and line feed, U+FFFE, U+FFFF) and every byte that is
 * not part of well-formed UTF-8 written as U+FFFD.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 */


#ifndef _LAPOR_XMLW_H_INCLUDED_
#define _LAPOR_XMLW_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define LAPOR_XMLW_MAX_DEPTH  16
#define LAPOR_XMLW_DECLARATION                                               \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"


/* a block of at least size bytes, or NULL; blocks are never freed here */
typedef void *(*lapor_xmlw_alloc_pt)(void *ctx, size_t size);


typedef struct {
    unsigned char         *buf;
    size_t                 len;
    size_t                 size;
    lapor_xmlw_alloc_pt    alloc;
    void                  *ctx;
    unsigned               depth;
    unsigned               roots;      /* root elements written */
    unsigned               failed:1;
} lapor_xmlw_t;


/*
 * Every call returns 0, or -1 when memory ran out or the call does not fit
 * the document (a close with no open element, too deep, a second root,
 * text outside the root): the writer is then failed for good and
 * lapor_xmlw_result() returns NULL.  Element names are the program's own
 * literals ([a-z_][a-z0-9_]*), not checked.
 */

int lapor_xmlw_init(lapor_xmlw_t *w, lapor_xmlw_alloc_pt alloc, void *ctx,
    size_t size);
int lapor_xmlw_open(lapor_xmlw_t *w, const char *name);
int lapor_xmlw_close(lapor_xmlw_t *w, const char *name);

/* escaped text, any bytes (see above) */
int lapor_xmlw_text(lapor_xmlw_t *w, const unsigned char *s, size_t len);

/* <name>text</name> */
int lapor_xmlw_element(lapor_xmlw_t *w, const char *name,
    const unsigned char *s, size_t len);

/* <name>n</name> */
int lapor_xmlw_integer(lapor_xmlw_t *w, const char *name, int64_t n);

/* the complete document, or NULL (failed, unfinished or no root) */
const unsigned char *lapor_xmlw_result(lapor_xmlw_t *w, size_t *len);

/*
 * The escaped form of s (as lapor_xmlw_text() writes it) into out, which
 * must hold lapor_xml_escaped_max(len) bytes; returns its length.
 */
size_t lapor_xml_escape(const unsigned char *s, size_t len,
    unsigned char *out);

#define lapor_xml_escaped_max(len)  ((len) * 6)


#endif /* _LAPOR_XMLW_H_INCLUDED_ */
