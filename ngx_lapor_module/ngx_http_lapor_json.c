
/*
 * JSON output through yajl, or through the module's own writer for the
 * report views and the 201 of a submission (lapor_jsonw.c: the same bytes,
 * one pass per string), with every allocation from the request pool.
 *
 * yajl does not check what its allocator returns, so these functions are
 * only as safe as the pool: request documents are small and bounded.  The
 * writer does check.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_json.h"


ngx_str_t  ngx_http_lapor_json_type = ngx_string("application/json");
ngx_str_t  ngx_http_lapor_problem_json_type =
    ngx_string("application/problem+json");


static ngx_str_t  ngx_http_lapor_cache_control = ngx_string("Cache-Control");
static ngx_str_t  ngx_http_lapor_no_store = ngx_string("no-store");


/* each block carries its size in front of it: pools have no realloc */

static void *
ngx_http_lapor_json_malloc(void *ctx, size_t size)
{
    size_t  *p;

    p = ngx_palloc(ctx, sizeof(size_t) + size);
    if (p == NULL) {
        return NULL;
    }

    *p = size;

    return p + 1;
}


static void
ngx_http_lapor_json_free(void *ctx, void *ptr)
{
    if (ptr) {
        /* releases only large blocks, the rest goes with the pool */
        (void) ngx_pfree(ctx, (size_t *) ptr - 1);
    }
}


static void *
ngx_http_lapor_json_realloc(void *ctx, void *ptr, size_t size)
{
    size_t  *old;
    void    *p;

    p = ngx_http_lapor_json_malloc(ctx, size);

    if (p == NULL || ptr == NULL) {
        return p;
    }

    old = (size_t *) ptr - 1;

    ngx_memcpy(p, ptr, ngx_min(*old, size));
    (void) ngx_pfree(ctx, old);

    return p;
}


/* trees hold pointers and doubles: aligned allocations */

void *
ngx_http_lapor_pool_alloc(void *ctx, size_t size)
{
    return ngx_palloc(ctx, size);
}


void
ngx_http_lapor_json_alloc_funcs(ngx_pool_t *pool, yajl_alloc_funcs *af)
{
    af->malloc = ngx_http_lapor_json_malloc;
    af->realloc = ngx_http_lapor_json_realloc;
    af->free = ngx_http_lapor_json_free;
    af->ctx = pool;
}


yajl_gen
ngx_http_lapor_json_gen(ngx_http_request_t *r)
{
    yajl_gen          g;
    yajl_alloc_funcs  af;

    ngx_http_lapor_json_alloc_funcs(r->pool, &af);

    /* yajl copies the functions into the handle */

    g = yajl_gen_alloc(&af);
    if (g == NULL) {
        return NULL;
    }

    yajl_gen_config(g, yajl_gen_validate_utf8, 1);

    return g;
}


yajl_gen_status
ngx_http_lapor_json_cstr(yajl_gen g, const char *s)
{
    return yajl_gen_string(g, (const unsigned char *) s, ngx_strlen(s));
}


yajl_gen_status
ngx_http_lapor_json_str(yajl_gen g, ngx_str_t *s)
{
    return yajl_gen_string(g, s->data, s->len);
}


ngx_int_t
ngx_http_lapor_json_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, yajl_gen g)
{
    size_t                 len;
    const unsigned char   *buf;

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok || len == 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "lapor: incomplete JSON document");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * The generator's buffer is pool memory that is never freed before the
     * request ends: send it without a copy, and never yajl_gen_free() it.
     */

    return ngx_http_lapor_json_send_buf(r, status, content_type,
                                        (u_char *) buf, len);
}


static void *
ngx_http_lapor_jsonw_alloc(void *ctx, size_t size)
{
    return ngx_pnalloc(ctx, size);
}


ngx_int_t
ngx_http_lapor_jsonw_init(ngx_http_request_t *r, lapor_jsonw_t *w,
    size_t size)
{
    if (lapor_jsonw_init(w, ngx_http_lapor_jsonw_alloc, r->pool, size) != 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_lapor_jsonw_text(ngx_http_request_t *r, lapor_jsonw_t *w,
    const u_char *s, size_t len)
{
    if (lapor_jsonw_string(w, s, len) != LAPOR_JSONW_INVALID) {
        return;
    }

    /* only Redis edited by hand holds such text: intake checks it */

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "lapor: stored text is not UTF-8, answered as null");

    (void) lapor_jsonw_null(w);
}


ngx_int_t
ngx_http_lapor_jsonw_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, lapor_jsonw_t *w)
{
    size_t                len;
    const unsigned char  *buf;

    buf = lapor_jsonw_result(w, &len);

    if (buf == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "lapor: incomplete JSON document");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_json_send_buf(r, status, content_type,
                                        (u_char *) buf, len);
}


ngx_int_t
ngx_http_lapor_json_send_buf(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *data, size_t len)
{
    /* answers about live data are never to be cached */

    if (ngx_http_lapor_header_add(r, &ngx_http_lapor_cache_control,
                                  &ngx_http_lapor_no_store)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_send(r, status, content_type, data, len);
}


ngx_int_t
ngx_http_lapor_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *data, size_t len)
{
    ngx_int_t              rc;
    ngx_buf_t             *b;
    ngx_chain_t            out;
    ngx_http_lapor_ctx_t  *ctx;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the error page filter leaves the module's own answers alone */

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->own_response = 1;

    b->pos = data;
    b->last = data + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;

    /* nginx 1.22 knows no reason phrase for 422 */
    if (status == 422) {
        ngx_str_set(&r->headers_out.status_line, "422 Unprocessable Content");
    }

    r->headers_out.content_type = *content_type;
    r->headers_out.content_type_len = content_type->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_lapor_header_add(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = *key;
    h->value = *value;
    h->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


/* an ETag nginx itself knows, so that If-Match and If-None-Match work */

ngx_int_t
ngx_http_lapor_etag(ngx_http_request_t *r, int64_t version)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 2);
    h = ngx_list_push(&r->headers_out.headers);

    if (p == NULL || h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "ETag");
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "\"%L\"", version) - p;
    h->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    r->headers_out.etag = h;

    return NGX_OK;
}
