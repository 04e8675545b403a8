
/*
 * One writer for the two forms of an Open311 answer: JSON (lapor_jsonw)
 * or XML (lapor_xmlw), as the GeoReport v2 specification maps one onto
 * the other.  A list is a JSON array and an XML element holding one
 * element per item; an item is a JSON object and an XML element; a field
 * is a member and a child element:
 *
 *   lapor_docw_list_open(d, "services")    [             <services>
 *   lapor_docw_item_open(d, "service")     {             <service>
 *   lapor_docw_string(d, "code", "x", 1)   "code":"x"    <code>x</code>
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 */


#ifndef _LAPOR_DOCW_H_INCLUDED_
#define _LAPOR_DOCW_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "lapor_jsonw.h"
#include "lapor_xmlw.h"


typedef struct {
    unsigned               xml:1;
    lapor_jsonw_t          j;
    lapor_xmlw_t           x;
} lapor_docw_t;


/* every call returns 0 or -1 as the underlying writer's calls do */

int lapor_docw_init(lapor_docw_t *d, unsigned xml, lapor_jsonw_alloc_pt alloc,
    void *ctx, size_t size);

/* a list or an item: at the root, in a list, or (keyed) in an item */
int lapor_docw_list_open(lapor_docw_t *d, const char *name);
int lapor_docw_list_close(lapor_docw_t *d, const char *name);
int lapor_docw_item_open(lapor_docw_t *d, const char *name);
int lapor_docw_item_close(lapor_docw_t *d, const char *name);

/* the same, as the member "name" of the enclosing item */
int lapor_docw_field_list_open(lapor_docw_t *d, const char *name);
int lapor_docw_field_item_open(lapor_docw_t *d, const char *name);

/*
 * Fields of an item.  A string that is not UTF-8 is null in JSON (the
 * stored text was edited by hand); XML writes U+FFFD for such bytes.
 */
int lapor_docw_string(lapor_docw_t *d, const char *name,
    const unsigned char *s, size_t len);
int lapor_docw_integer(lapor_docw_t *d, const char *name, int64_t n);
int lapor_docw_bool(lapor_docw_t *d, const char *name, int b);
int lapor_docw_null(lapor_docw_t *d, const char *name);

/* a number checked by the caller: a JSON number, XML text */
int lapor_docw_number(lapor_docw_t *d, const char *name, const char *s,
    size_t len);

/* a string as an element of a list: JSON "s", XML <name>s</name> */
int lapor_docw_value(lapor_docw_t *d, const char *name,
    const unsigned char *s, size_t len);

#define lapor_docw_literal(d, name, s)                                        \
    lapor_docw_string(d, name, (const unsigned char *) s, sizeof(s) - 1)

/* the complete document, or NULL */
const unsigned char *lapor_docw_result(lapor_docw_t *d, size_t *len);


#endif /* _LAPOR_DOCW_H_INCLUDED_ */
