
/*
 * JSON request bodies.  The body goes through the streaming parser piece by
 * piece, as nginx buffered it: in memory, or in the temporary file nginx
 * wrote when the body was larger than client_body_buffer_size (read back in
 * small pieces; the file was just written and sits in the page cache).
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


static void ngx_http_lapor_body_read(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_body_parse(ngx_http_request_t *r,
    lapor_json_t **doc, u_char *digest);
static ngx_int_t ngx_http_lapor_body_feed(ngx_http_request_t *r,
    lapor_json_parser_t *p, lapor_json_error_t *err, EVP_MD_CTX *md,
    u_char *data, size_t len);
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
    u_char                *p, *last;
    ngx_int_t              rc;
    ngx_str_t             *ct;
    ngx_http_lapor_ctx_t  *ctx;

    /* "application/json", optionally with "; charset=utf-8" */

    if (r->headers_in.content_type == NULL) {
        goto unsupported;
    }

    ct = &r->headers_in.content_type->value;
    p = ct->data;
    last = p + ct->len;

    if (ct->len < sizeof("application/json") - 1
        || ngx_strncasecmp(p, (u_char *) "application/json",
                           sizeof("application/json") - 1) != 0)
    {
        goto unsupported;
    }

    p += sizeof("application/json") - 1;

    while (p < last && *p == ' ') {
        p++;
    }

    if (p < last) {
        if (*p++ != ';') {
            goto unsupported;
        }

        while (p < last && *p == ' ') {
            p++;
        }

        if (last - p != sizeof("charset=utf-8") - 1
            || ngx_strncasecmp(p, (u_char *) "charset=utf-8",
                               sizeof("charset=utf-8") - 1) != 0)
        {
            goto unsupported;
        }
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

unsupported:

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_lapor_problem(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                  "unsupported-media-type",
                                  &ngx_http_lapor_t_media,
                                  &ngx_http_lapor_d_media);
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
    u_char               *buf;
    off_t                 offset;
    ssize_t               n;
    ngx_int_t             rc;
    ngx_buf_t            *b;
    ngx_chain_t          *cl;
    EVP_MD_CTX           *md;
    unsigned int          dlen;
    lapor_json_limits_t   limits;
    lapor_json_error_t    err;
    lapor_json_parser_t  *p;

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

    buf = NULL;
    rc = NGX_OK;

    for (cl = r->request_body ? r->request_body->bufs : NULL;
         cl && rc == NGX_OK;
         cl = cl->next)
    {
        b = cl->buf;

        if (!b->in_file) {
            rc = ngx_http_lapor_body_feed(r, p, &err, md, b->pos,
                                          b->last - b->pos);
            continue;
        }

        if (buf == NULL) {
            buf = ngx_pnalloc(r->pool, NGX_HTTP_LAPOR_BODY_CHUNK);
            if (buf == NULL) {
                rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
                break;
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
                rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
                break;
            }

            rc = ngx_http_lapor_body_feed(r, p, &err, md, buf, n);

            if (rc != NGX_OK) {
                break;
            }
        }
    }

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
ngx_http_lapor_body_feed(ngx_http_request_t *r, lapor_json_parser_t *p,
    lapor_json_error_t *err, EVP_MD_CTX *md, u_char *data, size_t len)
{
    if (len == 0) {
        return NGX_OK;
    }

    if (md && EVP_DigestUpdate(md, data, len) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (lapor_json_feed(p, data, len) == 0) {
        return NGX_OK;
    }

    return ngx_http_lapor_body_invalid(r, err);
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
