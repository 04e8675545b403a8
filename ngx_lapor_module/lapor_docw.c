
/*
 * One writer for the JSON and the XML form of an Open311 answer.
 */


#include <string.h>

#include "lapor_docw.h"


int
lapor_docw_init(lapor_docw_t *d, unsigned xml, lapor_jsonw_alloc_pt alloc,
    void *ctx, size_t size)
{
    memset(d, 0, sizeof(lapor_docw_t));

    d->xml = xml ? 1 : 0;

    if (d->xml) {
        return lapor_xmlw_init(&d->x, alloc, ctx, size);
    }

    return lapor_jsonw_init(&d->j, alloc, ctx, size);
}


int
lapor_docw_list_open(lapor_docw_t *d, const char *name)
{
    return d->xml ? lapor_xmlw_open(&d->x, name)
                  : lapor_jsonw_array_open(&d->j);
}


int
lapor_docw_list_close(lapor_docw_t *d, const char *name)
{
    return d->xml ? lapor_xmlw_close(&d->x, name)
                  : lapor_jsonw_array_close(&d->j);
}


int
lapor_docw_item_open(lapor_docw_t *d, const char *name)
{
    return d->xml ? lapor_xmlw_open(&d->x, name)
                  : lapor_jsonw_map_open(&d->j);
}


int
lapor_docw_item_close(lapor_docw_t *d, const char *name)
{
    return d->xml ? lapor_xmlw_close(&d->x, name)
                  : lapor_jsonw_map_close(&d->j);
}


int
lapor_docw_field_list_open(lapor_docw_t *d, const char *name)
{
    if (d->xml) {
        return lapor_xmlw_open(&d->x, name);
    }

    if (lapor_jsonw_plain(&d->j, name, strlen(name)) != 0) {
        return -1;
    }

    return lapor_jsonw_array_open(&d->j);
}


int
lapor_docw_field_item_open(lapor_docw_t *d, const char *name)
{
    if (d->xml) {
        return lapor_xmlw_open(&d->x, name);
    }

    if (lapor_jsonw_plain(&d->j, name, strlen(name)) != 0) {
        return -1;
    }

    return lapor_jsonw_map_open(&d->j);
}


int
lapor_docw_string(lapor_docw_t *d, const char *name, const unsigned char *s,
    size_t len)
{
    int  rc;

    if (d->xml) {
        return lapor_xmlw_element(&d->x, name, s, len);
    }

    if (lapor_jsonw_plain(&d->j, name, strlen(name)) != 0) {
        return -1;
    }

    rc = lapor_jsonw_string(&d->j, s, len);

    if (rc == LAPOR_JSONW_INVALID) {
        return lapor_jsonw_null(&d->j);
    }

    return rc;
}


int
lapor_docw_integer(lapor_docw_t *d, const char *name, int64_t n)
{
    if (d->xml) {
        return lapor_xmlw_integer(&d->x, name, n);
    }

    if (lapor_jsonw_plain(&d->j, name, strlen(name)) != 0) {
        return -1;
    }

    return lapor_jsonw_integer(&d->j, n);
}


int
lapor_docw_bool(lapor_docw_t *d, const char *name, int b)
{
    if (d->xml) {
        return b ? lapor_xmlw_element(&d->x, name,
                                      (const unsigned char *) "true", 4)
                 : lapor_xmlw_element(&d->x, name,
                                      (const unsigned char *) "false", 5);
    }

    if (lapor_jsonw_plain(&d->j, name, strlen(name)) != 0) {
        return -1;
    }

    return lapor_jsonw_bool(&d->j, b);
}


int
lapor_docw_null(lapor_docw_t *d, const char *name)
{
    if (d->xml) {
        /* an empty element: the XML form of "no value" */
        return lapor_xmlw_element(&d->x, name, (const unsigned char *) "", 0);
    }

    if (lapor_jsonw_plain(&d->j, name, strlen(name)) != 0) {
        return -1;
    }

    return lapor_jsonw_null(&d->j);
}


int
lapor_docw_number(lapor_docw_t *d, const char *name, const char *s,
    size_t len)
{
    if (d->xml) {
        return lapor_xmlw_element(&d->x, name, (const unsigned char *) s,
                                  len);
    }

    if (lapor_jsonw_plain(&d->j, name, strlen(name)) != 0) {
        return -1;
    }

    return lapor_jsonw_number(&d->j, s, len);
}


int
lapor_docw_value(lapor_docw_t *d, const char *name, const unsigned char *s,
    size_t len)
{
    int  rc;

    if (d->xml) {
        return lapor_xmlw_element(&d->x, name, s, len);
    }

    rc = lapor_jsonw_string(&d->j, s, len);

    if (rc == LAPOR_JSONW_INVALID) {
        return lapor_jsonw_null(&d->j);
    }

    return rc;
}


const unsigned char *
lapor_docw_result(lapor_docw_t *d, size_t *len)
{
    return d->xml ? lapor_xmlw_result(&d->x, len)
                  : lapor_jsonw_result(&d->j, len);
}
