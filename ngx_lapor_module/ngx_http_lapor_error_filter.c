
/*
 * nginx answers some errors itself before or around the module's handler:
 * 413 when the body is larger than client_max_body_size, 400 for a broken
 * chunked body, 408, 500 when a handler returns an error code.  In API
 * locations those HTML pages become application/problem+json too, so a
 * client never has to parse two error formats.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_json.h"


typedef struct {
    ngx_uint_t              status;
    const char             *type;
    ngx_http_lapor_text_t   title;
    ngx_http_lapor_text_t   detail;
} ngx_http_lapor_error_page_t;


static ngx_http_lapor_error_page_t  ngx_http_lapor_error_pages[] = {

    { NGX_HTTP_BAD_REQUEST, "bad-request",
      { "Permintaan tidak valid", "Bad request" },
      { "Permintaan HTTP tidak dapat dibaca.",
        "The HTTP request could not be read." } },

    { NGX_HTTP_REQUEST_TIME_OUT, "request-timeout",
      { "Waktu permintaan habis", "Request timeout" },
      { "Isi permintaan tidak diterima tepat waktu.",
        "The request body did not arrive in time." } },

    { NGX_HTTP_LENGTH_REQUIRED, "length-required",
      { "Panjang isi diperlukan", "Length required" },
      { "Permintaan ini memerlukan Content-Length.",
        "This request needs a Content-Length." } },

    { NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "body-too-large",
      { "Isi permintaan terlalu besar", "Request body too large" },
      { "Isi permintaan melebihi batas ukuran server.",
        "The request body exceeds the server's size limit." } },

    { NGX_HTTP_INTERNAL_SERVER_ERROR, "internal-error",
      { "Kesalahan internal", "Internal error" },
      { "Terjadi kesalahan di server; silakan coba lagi.",
        "The server failed; please try again." } },

    { NGX_HTTP_SERVICE_UNAVAILABLE, "unavailable",
      { "Layanan tidak tersedia", "Service unavailable" },
      { "Layanan sementara tidak tersedia; coba lagi nanti.",
        "The service is temporarily unavailable; retry later." } },

    { 0, "http-error",
      { "Permintaan gagal", "Request failed" },
      { "Permintaan tidak dapat dipenuhi.",
        "The request could not be fulfilled." } }
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_int_t ngx_http_lapor_error_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_error_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


ngx_int_t
ngx_http_lapor_error_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_lapor_error_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_lapor_error_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_error_header_filter(ngx_http_request_t *r)
{
    u_char                       *p;
    size_t                        len;
    ngx_buf_t                    *b;
    ngx_uint_t                    status;
    ngx_str_t                    *type;
    ngx_chain_t                  *cl;
    const char                   *title, *detail;
    ngx_http_lapor_ctx_t         *ctx;
    ngx_http_lapor_loc_conf_t    *llcf;
    ngx_http_lapor_error_page_t  *ep;

    static ngx_str_t  cache_control = ngx_string("Cache-Control");
    static ngx_str_t  no_store = ngx_string("no-store");
    static ngx_str_t  content_language = ngx_string("Content-Language");
    static ngx_str_t  lang_id = ngx_string("id");
    static ngx_str_t  lang_en = ngx_string("en");

    status = r->headers_out.status;

    if (status < NGX_HTTP_BAD_REQUEST || r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    if (llcf == NULL || !llcf->api) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->own_response) {
        return ngx_http_next_header_filter(r);
    }

    for (ep = ngx_http_lapor_error_pages; ep->status; ep++) {
        if (ep->status == status) {
            break;
        }
    }

    title = ngx_http_lapor_text(r, &ep->title);
    detail = ngx_http_lapor_text(r, &ep->detail);

    type = &ngx_http_lapor_problem_json_type;

    if (llcf->open311) {
        b = ngx_http_lapor_open311_error_page(r, status, detail, &type);
        if (b == NULL) {
            return NGX_ERROR;
        }

        goto made;
    }

    /* the texts are fixed ASCII/UTF-8 without characters JSON escapes */

    len = sizeof("{\"type\":\"urn:lapor:problem:\",\"title\":\"\","
                 "\"status\":,\"detail\":\"\"}") - 1
          + ngx_strlen(ep->type) + ngx_strlen(title) + NGX_INT_T_LEN
          + ngx_strlen(detail);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(b->pos, "{\"type\":\"urn:lapor:problem:%s\","
                            "\"title\":\"%s\",\"status\":%ui,"
                            "\"detail\":\"%s\"}",
                    ep->type, title, status, detail);

    b->last = p;

made:

    b->last_buf = 1;
    b->last_in_chain = 1;

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    ctx->error_page = cl;

    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;
    r->headers_out.content_length_n = b->last - b->pos;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    if (ngx_http_lapor_header_add(r, &cache_control, &no_store) != NGX_OK
        || ngx_http_lapor_header_add(r, &content_language,
                                     ngx_http_lapor_lang(r)
                                     == NGX_HTTP_LAPOR_LANG_EN
                                     ? &lang_en : &lang_id)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_lapor_error_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t           *cl;
    ngx_http_lapor_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_lapor_module);

    if (ctx == NULL || ctx->error_page == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    /* nginx's page is swallowed: mark its buffers as sent */

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->error_page_sent || in == NULL) {
        return NGX_OK;
    }

    ctx->error_page_sent = 1;

    return ngx_http_next_body_filter(r, ctx->error_page);
}
