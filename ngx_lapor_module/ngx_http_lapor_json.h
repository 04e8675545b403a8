
/*
 * JSON output: yajl generators, and the module's own writer for the
 * hottest answers (lapor_jsonw.h), with memory from the request pool.
 */


#ifndef _NGX_HTTP_LAPOR_JSON_H_INCLUDED_
#define _NGX_HTTP_LAPOR_JSON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <yajl/yajl_gen.h>

#include "lapor_jsonw.h"


extern ngx_str_t  ngx_http_lapor_json_type;
extern ngx_str_t  ngx_http_lapor_problem_json_type;


/* for lapor_json and lapor_catalog: aligned allocation from a pool */
void *ngx_http_lapor_pool_alloc(void *ctx, size_t size);

/* yajl allocation functions on an nginx pool (also for the parser) */
void ngx_http_lapor_json_alloc_funcs(ngx_pool_t *pool, yajl_alloc_funcs *af);

/* a generator validating UTF-8; it lives as long as the request pool */
yajl_gen ngx_http_lapor_json_gen(ngx_http_request_t *r);

#define ngx_http_lapor_json_literal(g, s)                                     \
    yajl_gen_string(g, (const unsigned char *) s, sizeof(s) - 1)

yajl_gen_status ngx_http_lapor_json_cstr(yajl_gen g, const char *s);
yajl_gen_status ngx_http_lapor_json_str(yajl_gen g, ngx_str_t *s);

/*
 * Sends the generated document with the status and content type and
 * returns what a content handler returns (or passes to finalize).
 */
ngx_int_t ngx_http_lapor_json_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, yajl_gen g);

/*
 * The writer of the hottest answers (lapor_jsonw.h) on the request pool;
 * size is the first block's (it grows as needed).
 */
ngx_int_t ngx_http_lapor_jsonw_init(ngx_http_request_t *r, lapor_jsonw_t *w,
    size_t size);

/* a string; text that is not UTF-8 becomes null (and is logged) */
void ngx_http_lapor_jsonw_text(ngx_http_request_t *r, lapor_jsonw_t *w,
    const u_char *s, size_t len);

/* ngx_http_lapor_json_send() for the writer's document */
ngx_int_t ngx_http_lapor_jsonw_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, lapor_jsonw_t *w);

/* the same for a finished document (live data: not to be cached) */
ngx_int_t ngx_http_lapor_json_send_buf(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *content_type, u_char *data, size_t len);

/* sends a finished body (not copied: it must live as long as r) */
ngx_int_t ngx_http_lapor_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *content_type, u_char *data, size_t len);

/* ETag: "<version>" */
ngx_int_t ngx_http_lapor_etag(ngx_http_request_t *r, int64_t version);

/* adds a response header; the strings must outlive the request */
ngx_int_t ngx_http_lapor_header_add(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *value);


#endif /* _NGX_HTTP_LAPOR_JSON_H_INCLUDED_ */
