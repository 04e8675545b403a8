
/*
 * Error answers: RFC 9457 application/problem+json, in Indonesian (the
 * default) or English by Accept-Language.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_json.h"


#define NGX_HTTP_LAPOR_PROBLEM_URN    "urn:lapor:problem:"
#define NGX_HTTP_LAPOR_REPLY_LOG_MAX  200


typedef struct {
    const char                   *prefix;   /* of the Redis error reply */
    ngx_uint_t                    status;
    const char                   *type;
    ngx_http_lapor_text_t         title;
} ngx_http_lapor_redis_error_t;


const ngx_http_lapor_text_t  ngx_http_lapor_t_forbidden = {
    "Tidak berwenang", "Forbidden"
};


static ngx_http_lapor_text_t  ngx_http_lapor_t_unavailable = {
    "Layanan sementara tidak tersedia",
    "Service temporarily unavailable"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_unavailable = {
    "Penyimpanan data tidak dapat dihubungi; coba lagi setelah jeda yang "
    "disebutkan.",
    "The data store is not reachable; retry after the given delay."
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_busy = {
    "Penyimpanan data belum dapat melayani permintaan; coba lagi nanti.",
    "The data store cannot serve the request now; retry later."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_timeout = {
    "Penyimpanan data tidak menjawab tepat waktu",
    "Data store timeout"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_timeout = {
    "Penyimpanan data tidak menjawab tepat waktu; permintaan boleh diulang.",
    "The data store did not answer in time; the request may be retried."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_redis_error = {
    "Kesalahan penyimpanan data",
    "Data store error"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_redis_error = {
    "Penyimpanan data menolak operasi ini.",
    "The data store rejected the operation."
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_redis_unexpected = {
    "Penyimpanan data memberi jawaban yang tidak terduga.",
    "The data store gave an unexpected answer."
};


/*
 * Redis error replies that say something about the server's condition;
 * anything else is a bug or a misconfiguration on our side of the wire.
 */

static ngx_http_lapor_redis_error_t  ngx_http_lapor_redis_errors[] = {
    { "LOADING", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      { "Redis sedang memuat data", "Redis is loading its data" } },
    { "BUSY", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      { "Redis sedang sibuk", "Redis is busy" } },
    { "MISCONF", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      { "Redis tidak dapat menyimpan tulisan",
        "Redis cannot persist writes" } },
    { "READONLY", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      { "Redis adalah replika baca-saja", "Redis is a read-only replica" } },
    { "OOM", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      { "Memori Redis penuh", "Redis is out of memory" } },
    { "MASTERDOWN", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      { "Redis kehilangan master", "Redis has lost its master" } },
    { "NOPERM", NGX_HTTP_INTERNAL_SERVER_ERROR, "redis-error",
      { "Pengguna Redis tidak memiliki izin",
        "The Redis user lacks a permission" } },
    { NULL, 0, NULL, { NULL, NULL } }
};


static ngx_table_elt_t *ngx_http_lapor_accept_language(
    ngx_http_request_t *r);
static void ngx_http_lapor_problem_redis_state(yajl_gen g, void *data);
static void ngx_http_lapor_problem_errors(ngx_http_request_t *r, yajl_gen g,
    ngx_array_t *errors);


/*
 * Indonesian unless English is preferred: the highest q among "id", "in"
 * (the old code) and "en" wins, Indonesian on ties.
 */

ngx_http_lapor_lang_e
ngx_http_lapor_lang(ngx_http_request_t *r)
{
    u_char                *p, *end, *tag;
    size_t                 len;
    ngx_int_t              q, best_id, best_en;
    ngx_table_elt_t       *h;
    ngx_http_lapor_ctx_t  *ctx;

    ctx = ngx_http_lapor_get_ctx(r);

    if (ctx && ctx->lang >= 0) {
        return (ngx_http_lapor_lang_e) ctx->lang;
    }

    best_id = 0;
    best_en = 0;

    h = ngx_http_lapor_accept_language(r);

    if (h) {
        p = h->value.data;
        end = p + h->value.len;

        while (p < end) {
            while (p < end && (*p == ' ' || *p == ',')) {
                p++;
            }

            tag = p;

            while (p < end && *p != ';' && *p != ',' && *p != ' ') {
                p++;
            }

            len = p - tag;
            q = 1000;

            /* ";q=0.5" and the like */
            while (p < end && *p != ',') {
                if (*p == 'q' && p + 1 < end && p[1] == '=') {
                    p += 2;
                    q = 0;

                    if (p < end && *p == '1') {
                        q = 1000;

                    } else if (p + 1 < end && *p == '0' && p[1] == '.') {
                        p += 2;
                        q = 0;

                        if (p < end && *p >= '0' && *p <= '9') {
                            q += (*p++ - '0') * 100;
                        }

                        if (p < end && *p >= '0' && *p <= '9') {
                            q += (*p++ - '0') * 10;
                        }

                        if (p < end && *p >= '0' && *p <= '9') {
                            q += *p - '0';
                        }
                    }

                    continue;
                }

                p++;
            }

            if (len >= 2 && (len == 2 || tag[2] == '-')) {
                if ((ngx_strncasecmp(tag, (u_char *) "id", 2) == 0
                     || ngx_strncasecmp(tag, (u_char *) "in", 2) == 0)
                    && q > best_id)
                {
                    best_id = q;

                } else if (ngx_strncasecmp(tag, (u_char *) "en", 2) == 0
                           && q > best_en)
                {
                    best_en = q;
                }
            }
        }
    }

    q = (best_en > best_id) ? NGX_HTTP_LAPOR_LANG_EN : NGX_HTTP_LAPOR_LANG_ID;

    if (ctx) {
        ctx->lang = q;
    }

    return (ngx_http_lapor_lang_e) q;
}


static ngx_table_elt_t *
ngx_http_lapor_accept_language(ngx_http_request_t *r)
{
#if (NGX_HTTP_HEADERS)
    return r->headers_in.accept_language;
#else
    /* nginx keeps a pointer to this header only with NGX_HTTP_HEADERS */
    return ngx_http_lapor_header_in(r, "Accept-Language");
#endif
}


const char *
ngx_http_lapor_text(ngx_http_request_t *r, const ngx_http_lapor_text_t *t)
{
    return ngx_http_lapor_lang(r) == NGX_HTTP_LAPOR_LANG_EN ? t->en : t->id;
}


ngx_int_t
ngx_http_lapor_problem_send(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr)
{
    u_char                *p;
    yajl_gen               g;
    ngx_str_t              value;
    ngx_http_lapor_ctx_t  *ctx;

    static ngx_str_t  retry_after = ngx_string("Retry-After");
    static ngx_str_t  allow = ngx_string("Allow");
    static ngx_str_t  content_language = ngx_string("Content-Language");
    static ngx_str_t  lang_id = ngx_string("id");
    static ngx_str_t  lang_en = ngx_string("en");

    if (pr->retry_after > 0) {
        p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        value.data = p;
        value.len = ngx_sprintf(p, "%T", pr->retry_after) - p;

        if (ngx_http_lapor_header_add(r, &retry_after, &value) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (pr->allow.len) {
        if (ngx_http_lapor_header_add(r, &allow, &pr->allow) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (ngx_http_lapor_header_add(r, &content_language,
                                  ngx_http_lapor_lang(r)
                                  == NGX_HTTP_LAPOR_LANG_EN
                                  ? &lang_en : &lang_id)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_lapor_module);

    if (ctx && ctx->open311) {
        /* below "lapor_open311" the same answer in Open311's form */
        return ngx_http_lapor_open311_problem(r, pr);
    }

    g = ngx_http_lapor_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "type");
    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_LAPOR_PROBLEM_URN) - 1
                             + ngx_strlen(pr->type));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    value.data = p;
    value.len = ngx_sprintf(p, NGX_HTTP_LAPOR_PROBLEM_URN "%s", pr->type) - p;
    ngx_http_lapor_json_str(g, &value);

    ngx_http_lapor_json_literal(g, "title");
    ngx_http_lapor_json_cstr(g, ngx_http_lapor_text(r, pr->title));

    ngx_http_lapor_json_literal(g, "status");
    yajl_gen_integer(g, (long long) pr->status);

    ngx_http_lapor_json_literal(g, "detail");
    ngx_http_lapor_json_cstr(g, ngx_http_lapor_text(r, pr->detail));

    if (pr->errors && pr->errors->nelts) {
        ngx_http_lapor_problem_errors(r, g, pr->errors);
    }

    if (pr->extend) {
        pr->extend(g, pr->data);
    }

    yajl_gen_map_close(g);

    return ngx_http_lapor_json_send(r, pr->status,
                                    &ngx_http_lapor_problem_json_type, g);
}


static void
ngx_http_lapor_problem_errors(ngx_http_request_t *r, yajl_gen g,
    ngx_array_t *errors)
{
    ngx_str_t                      text;
    ngx_uint_t                     i;
    ngx_http_lapor_field_error_t  *fe;

    ngx_http_lapor_json_literal(g, "errors");
    yajl_gen_array_open(g);

    fe = errors->elts;

    for (i = 0; i < errors->nelts; i++) {
        yajl_gen_map_open(g);

        ngx_http_lapor_json_literal(g, "field");
        ngx_http_lapor_json_str(g, &fe[i].field);

        ngx_http_lapor_json_literal(g, "message");
        ngx_http_lapor_problem_message(r, &fe[i], &text);
        yajl_gen_string(g, text.data, text.len);

        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
}


/* a field error's message in the reader's language, its "%s" filled in */

void
ngx_http_lapor_problem_message(ngx_http_request_t *r,
    ngx_http_lapor_field_error_t *fe, ngx_str_t *out)
{
    u_char      *p, *s;
    size_t       len;
    const char  *text, *mark;

    text = ngx_http_lapor_text(r, fe->message);
    mark = ngx_strstr(text, "%s");

    out->data = (u_char *) text;
    out->len = ngx_strlen(text);

    if (mark == NULL) {
        return;
    }

    len = ngx_strlen(text) - 2 + fe->arg.len;
    s = ngx_pnalloc(r->pool, len);

    if (s == NULL) {
        /* the message without its argument is still useful */
        return;
    }

    p = ngx_cpymem(s, text, mark - text);
    p = ngx_cpymem(p, fe->arg.data, fe->arg.len);
    p = ngx_cpymem(p, mark + 2, ngx_strlen(mark + 2));

    out->data = s;
    out->len = p - s;
}


ngx_int_t
ngx_http_lapor_problem_error(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr, ngx_str_t *field,
    const ngx_http_lapor_text_t *message, ngx_str_t *arg)
{
    ngx_http_lapor_field_error_t  *fe;

    if (pr->errors == NULL) {
        pr->errors = ngx_array_create(r->pool, 4,
                                      sizeof(ngx_http_lapor_field_error_t));
        if (pr->errors == NULL) {
            return NGX_ERROR;
        }
    }

    fe = ngx_array_push(pr->errors);
    if (fe == NULL) {
        return NGX_ERROR;
    }

    fe->field = *field;
    fe->message = message;

    if (arg) {
        fe->arg = *arg;

    } else {
        ngx_str_null(&fe->arg);
    }

    return NGX_OK;
}


static ngx_http_lapor_text_t  ngx_http_lapor_t_bad_query = {
    "Parameter tidak valid", "Invalid query parameter"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_bad_query = {
    "Beberapa parameter kueri perlu diperbaiki; lihat daftar errors.",
    "Some query parameters need correcting; see the errors list."
};


ngx_int_t
ngx_http_lapor_problem_bad_query(ngx_http_request_t *r, const char *field,
    const ngx_http_lapor_text_t *message)
{
    ngx_str_t                 name;
    ngx_http_lapor_problem_t  pr;

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    pr.status = NGX_HTTP_BAD_REQUEST;
    pr.type = "invalid-query";
    pr.title = &ngx_http_lapor_t_bad_query;
    pr.detail = &ngx_http_lapor_d_bad_query;

    name.data = (u_char *) field;
    name.len = ngx_strlen(field);

    if (ngx_http_lapor_problem_error(r, &pr, &name, message, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_answered(ngx_http_lapor_problem_send(r, &pr));
}


ngx_int_t
ngx_http_lapor_problem(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, const ngx_http_lapor_text_t *title,
    const ngx_http_lapor_text_t *detail)
{
    ngx_http_lapor_problem_t  pr;

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    pr.status = status;
    pr.type = type;
    pr.title = title;
    pr.detail = detail;

    return ngx_http_lapor_problem_send(r, &pr);
}


ngx_int_t
ngx_http_lapor_problem_redis(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_int_t rc, redisReply *reply)
{
    size_t                         n;
    ngx_http_lapor_problem_t       pr;
    ngx_http_lapor_redis_error_t  *e;

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    switch (rc) {

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        pr.status = NGX_HTTP_SERVICE_UNAVAILABLE;
        pr.type = "redis-unavailable";
        pr.title = &ngx_http_lapor_t_unavailable;
        pr.detail = &ngx_http_lapor_d_unavailable;
        pr.retry_after = ngx_http_lapor_redis_retry_after(rds);
        pr.extend = ngx_http_lapor_problem_redis_state;
        pr.data = rds;
        return ngx_http_lapor_problem_send(r, &pr);

    case NGX_HTTP_GATEWAY_TIME_OUT:
        pr.status = NGX_HTTP_GATEWAY_TIME_OUT;
        pr.type = "redis-timeout";
        pr.title = &ngx_http_lapor_t_timeout;
        pr.detail = &ngx_http_lapor_d_timeout;
        pr.retry_after = 1;
        return ngx_http_lapor_problem_send(r, &pr);

    default:
        break;
    }

    /* an error reply, or a reply of a type the caller did not expect */

    pr.status = NGX_HTTP_BAD_GATEWAY;
    pr.type = "redis-error";
    pr.title = &ngx_http_lapor_t_redis_error;
    pr.detail = &ngx_http_lapor_d_redis_error;

    if (reply == NULL || reply->type != REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "lapor: unexpected redis reply of type %d",
                      reply ? reply->type : -1);
        pr.detail = &ngx_http_lapor_d_redis_unexpected;
        return ngx_http_lapor_problem_send(r, &pr);
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "lapor: redis error reply: %*s",
                  ngx_min(reply->len, NGX_HTTP_LAPOR_REPLY_LOG_MAX),
                  reply->str);

    for (e = ngx_http_lapor_redis_errors; e->prefix; e++) {
        n = ngx_strlen(e->prefix);

        if (reply->len >= n && ngx_strncmp(reply->str, e->prefix, n) == 0
            && (reply->len == n || reply->str[n] == ' '))
        {
            pr.status = e->status;
            pr.type = e->type;
            pr.title = &e->title;

            if (e->status == NGX_HTTP_SERVICE_UNAVAILABLE) {
                pr.detail = &ngx_http_lapor_d_busy;
                pr.retry_after = 1;
            }

            break;
        }
    }

    return ngx_http_lapor_problem_send(r, &pr);
}


static void
ngx_http_lapor_problem_redis_state(yajl_gen g, void *data)
{
    ngx_http_lapor_redis_t  *rds = data;

    ngx_http_lapor_json_literal(g, "redis");
    yajl_gen_map_open(g);
    ngx_http_lapor_json_literal(g, "state");
    ngx_http_lapor_json_cstr(g, ngx_http_lapor_redis_state_name(
                                    ngx_http_lapor_redis_state(rds)));
    yajl_gen_map_close(g);
}
