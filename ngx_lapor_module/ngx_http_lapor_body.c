
/*
 * Request bodies.  A JSON body goes through the streaming parser piece by
 * piece, as nginx buffered it: in memory, or in the temporary file nginx
 * wrote when the body was larger than client_body_buffer_size (read back in
 * small pieces; the file was just written and sits in the page cache).  A
 * form body (Open311) is small and kept in one buffer.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_body.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_json.h"
#include "lapor_utf8.h"


#define NGX_HTTP_LAPOR_BODY_CHUNK  8192


typedef ngx_int_t (*ngx_http_lapor_body_walk_pt)(ngx_http_request_t *r,
    void *data, u_char *buf, size_t len);

typedef struct {
    lapor_json_parser_t          *parser;
    lapor_json_error_t           *err;
    EVP_MD_CTX                   *md;
} ngx_http_lapor_body_feed_t;

typedef struct {
    u_char                       *data;
    size_t                        len;
    size_t                        max;
} ngx_http_lapor_form_buf_t;


static ngx_int_t ngx_http_lapor_body_type(ngx_http_request_t *r,
    const char *type, size_t len);
static void ngx_http_lapor_body_read(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_body_parse(ngx_http_request_t *r,
    lapor_json_t **doc, u_char *digest);
static ngx_int_t ngx_http_lapor_body_feed(ngx_http_request_t *r, void *data,
    u_char *buf, size_t len);
static ngx_int_t ngx_http_lapor_body_walk(ngx_http_request_t *r,
    ngx_http_lapor_body_walk_pt fn, void *data);
static void ngx_http_lapor_form_read(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_form_collect(ngx_http_request_t *r,
    void *data, u_char *buf, size_t len);
static ngx_int_t ngx_http_lapor_body_too_large(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_body_invalid(ngx_http_request_t *r,
    lapor_json_error_t *err);
static void ngx_http_lapor_body_json_error(yajl_gen g, void *data);


static ngx_http_lapor_text_t  ngx_http_lapor_t_media = {
    "Jenis konten tidak didukung", "Unsupported media type"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_media = {
    "Kirim isi permintaan sebagai application/json (UTF-8).",
    "Send the request body as application/json (UTF-8)."
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_form = {
    "Kirim isi permintaan sebagai application/x-www-form-urlencoded "
    "(UTF-8).",
    "Send the request body as application/x-www-form-urlencoded (UTF-8)."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_large = {
    "Isi permintaan terlalu besar", "Request body too large"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_large = {
    "Isi permintaan melebihi batas ukuran.",
    "The request body exceeds the size limit."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_invalid = {
    "JSON tidak valid", "Invalid JSON"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_invalid = {
    "Isi permintaan bukan satu dokumen JSON yang valid.",
    "The request body is not one valid JSON document."
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_syntax = {
    "JSON rusak pada byte %s", "malformed JSON at byte %s"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_limit = {
    "dokumen melampaui batas (kedalaman, panjang teks atau jumlah elemen) "
    "pada byte %s",
    "the document exceeds a limit (nesting, text length or element count) "
    "at byte %s"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_encoding = {
    "UTF-8 tidak valid atau karakter kontrol pada byte %s",
    "invalid UTF-8 or a control character at byte %s"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_duplicate = {
    "kunci ganda pada byte %s", "duplicate key at byte %s"
};


ngx_int_t
ngx_http_lapor_read_json(ngx_http_request_t *r, ngx_http_lapor_body_pt handler)
{
    ngx_int_t              rc;
    ngx_http_lapor_ctx_t  *ctx;

    if (ngx_http_lapor_body_type(r, "application/json",
                                 sizeof("application/json") - 1)
        != NGX_OK)
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_lapor_problem(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                      "unsupported-media-type",
                                      &ngx_http_lapor_t_media,
                                      &ngx_http_lapor_d_media);
    }

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->body_handler = handler;

    rc = ngx_http_read_client_request_body(r, ngx_http_lapor_body_read);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* the content type, optionally with "; charset=utf-8": NGX_OK or DECLINED */

static ngx_int_t
ngx_http_lapor_body_type(ngx_http_request_t *r, const char *type, size_t len)
{
    u_char     *p, *last;
    ngx_str_t  *ct;

    if (r->headers_in.content_type == NULL) {
        return NGX_DECLINED;
    }

    ct = &r->headers_in.content_type->value;
    p = ct->data;
    last = p + ct->len;

    if (ct->len < len || ngx_strncasecmp(p, (u_char *) type, len) != 0) {
        return NGX_DECLINED;
    }

    p += len;

    while (p < last && *p == ' ') {
        p++;
    }

    if (p == last) {
        return NGX_OK;
    }

    if (*p++ != ';') {
        return NGX_DECLINED;
    }

    while (p < last && *p == ' ') {
        p++;
    }

    if (last - p != sizeof("charset=utf-8") - 1
        || ngx_strncasecmp(p, (u_char *) "charset=utf-8",
                           sizeof("charset=utf-8") - 1) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static void
ngx_http_lapor_body_read(ngx_http_request_t *r)
{
    u_char                 digest[LAPOR_SHA256_LEN];
    ngx_int_t              rc;
    lapor_json_t          *doc;
    ngx_http_lapor_ctx_t  *ctx;

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_lapor_body_parse(r, &doc, digest);

    if (rc == NGX_OK) {
        rc = ctx->body_handler(r, doc, digest);

    } else if (rc == NGX_DECLINED) {
        /* the 400 was sent */
        rc = NGX_OK;
    }

    /* this drops the reference taken for reading the body */
    ngx_http_finalize_request(r, rc);
}


/*
 * NGX_OK with the document; NGX_DECLINED when the 400 answer was sent; an
 * HTTP status to finalize with otherwise.  *doc is set on every path: NULL
 * unless the answer is NGX_OK.
 */

static ngx_int_t
ngx_http_lapor_body_parse(ngx_http_request_t *r, lapor_json_t **doc,
    u_char *digest)
{
    ngx_int_t                   rc;
    EVP_MD_CTX                 *md;
    unsigned int                dlen;
    lapor_json_limits_t         limits;
    lapor_json_error_t          err;
    lapor_json_parser_t        *p;
    ngx_http_lapor_body_feed_t  feed;

    *doc = NULL;

    ngx_memzero(&limits, sizeof(lapor_json_limits_t));

    limits.alloc = ngx_http_lapor_pool_alloc;
    limits.ctx = r->pool;
    limits.max_depth = 8;
    limits.max_string = 16384;
    limits.max_elements = 256;
    limits.max_number = 32;
    limits.string_flags = LAPOR_UTF8_ALLOW_NEWLINES;

    p = lapor_json_parser_create(&limits, &err);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    md = NULL;

    /* the body's hash is wanted only to tell repeated requests apart */

    if (ngx_http_lapor_header_in(r, "Idempotency-Key")) {

        /* allocated by libcrypto: freed below on every path */
        md = EVP_MD_CTX_new();
        if (md == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            goto done;
        }

    } else {
        ngx_memzero(digest, LAPOR_SHA256_LEN);
    }

    feed.parser = p;
    feed.err = &err;
    feed.md = md;

    rc = ngx_http_lapor_body_walk(r, ngx_http_lapor_body_feed, &feed);

    if (rc != NGX_OK) {
        goto done;
    }

    *doc = lapor_json_finish(p);

    if (*doc == NULL) {
        rc = ngx_http_lapor_body_invalid(r, &err);
        goto done;
    }

    if (md
        && (EVP_DigestFinal_ex(md, digest, &dlen) != 1
            || dlen != LAPOR_SHA256_LEN))
    {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

done:

    if (md) {
        EVP_MD_CTX_free(md);
    }

    return rc;
}


static ngx_int_t
ngx_http_lapor_body_feed(ngx_http_request_t *r, void *data, u_char *buf,
    size_t len)
{
    ngx_http_lapor_body_feed_t  *feed = data;

    if (len == 0) {
        return NGX_OK;
    }

    if (feed->md && EVP_DigestUpdate(feed->md, buf, len) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (lapor_json_feed(feed->parser, buf, len) == 0) {
        return NGX_OK;
    }

    return ngx_http_lapor_body_invalid(r, feed->err);
}


/*
 * Calls fn with each piece of the body as nginx buffered it: in memory, or
 * in the temporary file (read back in small pieces; the file was just
 * written and sits in the page cache).  NGX_OK, or fn's first other answer.
 */

static ngx_int_t
ngx_http_lapor_body_walk(ngx_http_request_t *r, ngx_http_lapor_body_walk_pt fn,
    void *data)
{
    u_char       *buf;
    off_t         offset;
    ssize_t       n;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    buf = NULL;
    rc = NGX_OK;

    for (cl = r->request_body ? r->request_body->bufs : NULL;
         cl && rc == NGX_OK;
         cl = cl->next)
    {
        b = cl->buf;

        if (!b->in_file) {
            rc = fn(r, data, b->pos, b->last - b->pos);
            continue;
        }

        if (buf == NULL) {
            buf = ngx_pnalloc(r->pool, NGX_HTTP_LAPOR_BODY_CHUNK);
            if (buf == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        for (offset = b->file_pos; offset < b->file_last; offset += n) {
            n = ngx_read_file(b->file, buf,
                              (size_t) ngx_min(b->file_last - offset,
                                               NGX_HTTP_LAPOR_BODY_CHUNK),
                              offset);

            if (n <= 0) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "lapor: cannot read the request body back "
                              "from \"%V\"", &b->file->name);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            rc = fn(r, data, buf, n);

            if (rc != NGX_OK) {
                break;
            }
        }
    }

    return rc;
}


/*
 * Reads an application/x-www-form-urlencoded body into one buffer of at
 * most max bytes: 415 for another content type, 413 for a longer body.
 * Returns like a content handler.
 */

ngx_int_t
ngx_http_lapor_read_form(ngx_http_request_t *r, ngx_http_lapor_form_pt handler,
    size_t max)
{
    ngx_int_t              rc;
    ngx_http_lapor_ctx_t  *ctx;

    if (ngx_http_lapor_body_type(r, "application/x-www-form-urlencoded",
                                 sizeof("application/x-www-form-urlencoded")
                                 - 1)
        != NGX_OK)
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_lapor_problem(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                      "unsupported-media-type",
                                      &ngx_http_lapor_t_media,
                                      &ngx_http_lapor_d_form);
    }

    if (r->headers_in.content_length_n > (off_t) max) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_lapor_body_too_large(r);
    }

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->form_handler = handler;
    ctx->form_max = max;

    rc = ngx_http_read_client_request_body(r, ngx_http_lapor_form_read);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_lapor_form_read(ngx_http_request_t *r)
{
    u_char                      digest[LAPOR_SHA256_LEN];
    ngx_int_t                   rc;
    unsigned int                dlen;
    ngx_http_lapor_ctx_t       *ctx;
    ngx_http_lapor_form_buf_t   fb;

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /*
     * A buffer of the body's length, not of max: nginx knows it now (for
     * a chunked body it counted what it read), and it may exceed max.
     */

    fb.max = ctx->form_max;

    if (r->headers_in.content_length_n >= 0
        && (size_t) r->headers_in.content_length_n < fb.max)
    {
        fb.max = (size_t) r->headers_in.content_length_n;
    }

    fb.data = ngx_pnalloc(r->pool, fb.max + 1);
    fb.len = 0;

    if (fb.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_lapor_body_walk(r, ngx_http_lapor_form_collect, &fb);

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r, ngx_http_lapor_body_too_large(r));
        return;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_memzero(digest, LAPOR_SHA256_LEN);

    /* the body's hash is wanted only to tell repeated requests apart */

    if (ngx_http_lapor_header_in(r, "Idempotency-Key")
        && (EVP_Digest(fb.data, fb.len, digest, &dlen, EVP_sha256(), NULL)
            != 1
            || dlen != LAPOR_SHA256_LEN))
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* this drops the reference taken for reading the body */
    ngx_http_finalize_request(r, ctx->form_handler(r, fb.data, fb.len,
                                                   digest));
}


static ngx_int_t
ngx_http_lapor_form_collect(ngx_http_request_t *r, void *data, u_char *buf,
    size_t len)
{
    ngx_http_lapor_form_buf_t  *fb = data;

    /* an empty buffer may have no data pointer: memcpy() may not see it */
    if (len == 0) {
        return NGX_OK;
    }

    if (len > fb->max - fb->len) {
        return NGX_DECLINED;
    }

    fb->len = ngx_cpymem(fb->data + fb->len, buf, len) - fb->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_body_too_large(ngx_http_request_t *r)
{
    return ngx_http_lapor_problem(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                  "body-too-large", &ngx_http_lapor_t_large,
                                  &ngx_http_lapor_d_large);
}


static ngx_int_t
ngx_http_lapor_body_invalid(ngx_http_request_t *r, lapor_json_error_t *err)
{
    u_char                         *p;
    ngx_str_t                       none, offset;
    ngx_http_lapor_problem_t        pr;
    const ngx_http_lapor_text_t    *message;

    if (err->kind == LAPOR_JSON_ERR_NOMEM) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    pr.status = NGX_HTTP_BAD_REQUEST;
    pr.type = "invalid-json";
    pr.title = &ngx_http_lapor_t_invalid;
    pr.detail = &ngx_http_lapor_d_invalid;

    switch (err->kind) {
    case LAPOR_JSON_ERR_LIMIT:
        message = &ngx_http_lapor_m_limit;
        break;
    case LAPOR_JSON_ERR_ENCODING:
        message = &ngx_http_lapor_m_encoding;
        break;
    case LAPOR_JSON_ERR_DUPLICATE:
        message = &ngx_http_lapor_m_duplicate;
        break;
    default:
        message = &ngx_http_lapor_m_syntax;
        break;
    }

    p = ngx_pnalloc(r->pool, NGX_SIZE_T_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    offset.data = p;
    offset.len = ngx_sprintf(p, "%uz", err->offset) - p;
    ngx_str_null(&none);

    if (ngx_http_lapor_problem_error(r, &pr, &none, message, &offset)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the parser's own words, precise but English only */
    pr.extend = ngx_http_lapor_body_json_error;
    pr.data = err;

    /* the answer is made: never NGX_OK, which would mean "parsed" */
    return ngx_http_lapor_answered(ngx_http_lapor_problem_send(r, &pr));
}


static void
ngx_http_lapor_body_json_error(yajl_gen g, void *data)
{
    lapor_json_error_t  *err = data;

    yajl_gen_string(g, (const unsigned char *) "parser", 6);
    yajl_gen_string(g, (const unsigned char *) err->message,
                    ngx_strlen(err->message));
}
