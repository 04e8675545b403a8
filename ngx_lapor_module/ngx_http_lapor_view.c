
/*
 * GET reports/{id}: tracking a report, with the visibility rules of SP4N
 * LAPOR!: the public view, the public view of a confidential report, and
 * the reporter's own view with the tracking token.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_report.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_identity.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_problem.h"
#include "lapor_crypto.h"
#include "lapor_mask.h"


typedef struct {
    ngx_http_lapor_redis_t         *rds;
    ngx_http_lapor_loc_conf_t      *llcf;
    int64_t                         id;
    ngx_str_t                      *key;
} ngx_http_lapor_view_t;


static ngx_int_t ngx_http_lapor_view_fetch(ngx_http_request_t *r,
    void *data);
static void ngx_http_lapor_view_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_view_send(ngx_http_request_t *r,
    ngx_http_lapor_view_t *v, redisReply **f, ngx_uint_t owner);
static void ngx_http_lapor_view_text(ngx_http_request_t *r, yajl_gen g,
    const char *name, redisReply *value, ngx_uint_t mask);
static void ngx_http_lapor_view_time(ngx_http_request_t *r, yajl_gen g,
    lapor_catalog_t *cat, const char *name, int64_t t);
static void ngx_http_lapor_view_reporter(ngx_http_request_t *r, yajl_gen g,
    ngx_http_lapor_view_t *v, redisReply *sealed, ngx_uint_t owner);
static ngx_int_t ngx_http_lapor_bearer(ngx_http_request_t *r,
    ngx_str_t *token);


static ngx_http_lapor_text_t  ngx_http_lapor_t_not_found = {
    "Laporan tidak ditemukan", "Report not found"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_not_found = {
    "Tidak ada laporan dengan nomor ini.",
    "There is no report with this number."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_bad_token = {
    "Token pelacakan tidak cocok", "Tracking token does not match"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_bad_token = {
    "Token pelacakan tidak berlaku untuk laporan ini.",
    "The tracking token is not valid for this report."
};


ngx_int_t
ngx_http_lapor_report_get(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_lapor_ctx_t        *ctx;
    ngx_http_lapor_view_t       *v;
    ngx_http_lapor_main_conf_t  *lmcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_http_lapor_get_ctx(r);

    v = ngx_pcalloc(r->pool, sizeof(ngx_http_lapor_view_t));
    if (ctx == NULL || v == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    v->rds = lmcf->redis_conn;
    v->llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);
    v->id = ctx->report_id;

    return ngx_http_lapor_limit(r, "read", ngx_http_lapor_view_fetch, v);
}


static ngx_int_t
ngx_http_lapor_view_fetch(ngx_http_request_t *r, void *data)
{
    ngx_http_lapor_view_t  *v = data;

    ngx_int_t                    rc;
    ngx_uint_t                   i, n;
    ngx_http_lapor_batch_t       b;
    ngx_http_lapor_redis_cmd_t  *cmds;

    v->key = ngx_http_lapor_key(r->pool, &v->llcf->namespace, "report:%L",
                                v->id);

    if (v->key == NULL
        || ngx_http_lapor_batch_init(&b, r->pool, &v->llcf->namespace, 1)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_lapor_batch_cmd(&b, "HMGET");
    ngx_http_lapor_batch_str(&b, v->key);

    for (i = 0; i < NGX_HTTP_LAPOR_F_COUNT; i++) {
        ngx_http_lapor_batch_cstr(&b, ngx_http_lapor_fields[i]);
    }

    cmds = ngx_http_lapor_batch_commands(&b, &n);
    if (cmds == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_lapor_redis_send(r, v->rds, cmds, n,
                                   ngx_http_lapor_view_fetched, v);

    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_problem_redis(r, v->rds, rc, NULL);
}


static void
ngx_http_lapor_view_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_view_t  *v = data;

    ngx_str_t          token;
    ngx_uint_t         owner;
    redisReply       **f;
    unsigned char      digest[LAPOR_SHA256_LEN];
    char               hex[2 * LAPOR_SHA256_LEN];

    if (rc != NGX_OK || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != NGX_HTTP_LAPOR_F_COUNT)
    {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, v->rds, rc, reply));
        return;
    }

    f = reply->element;

    if (f[NGX_HTTP_LAPOR_F_ID]->type != REDIS_REPLY_STRING) {
        ngx_http_finalize_request(r, ngx_http_lapor_problem(
                                         r, NGX_HTTP_NOT_FOUND,
                                         "report-not-found",
                                         &ngx_http_lapor_t_not_found,
                                         &ngx_http_lapor_d_not_found));
        return;
    }

    owner = 0;

    rc = ngx_http_lapor_bearer(r, &token);

    if (rc == NGX_OK) {
        /* hashes of equal length compared in constant time */

        if (lapor_sha256(token.data, token.len, digest) != 0) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        lapor_hex(digest, LAPOR_SHA256_LEN, hex);

        if (f[NGX_HTTP_LAPOR_F_TOKEN]->type != REDIS_REPLY_STRING
            || f[NGX_HTTP_LAPOR_F_TOKEN]->len != sizeof(hex)
            || !lapor_equal(f[NGX_HTTP_LAPOR_F_TOKEN]->str, hex, sizeof(hex)))
        {
            rc = NGX_DECLINED;

        } else {
            owner = 1;
        }
    }

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r, ngx_http_lapor_problem(
                                         r, NGX_HTTP_UNAUTHORIZED,
                                         "invalid-token",
                                         &ngx_http_lapor_t_bad_token,
                                         &ngx_http_lapor_d_bad_token));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_lapor_view_send(r, v, f, owner));
}


/*
 * NGX_OK with the token, NGX_DONE without an Authorization header,
 * NGX_DECLINED for anything else.
 */

static ngx_int_t
ngx_http_lapor_bearer(ngx_http_request_t *r, ngx_str_t *token)
{
    ngx_str_t  *value;

    if (r->headers_in.authorization == NULL) {
        return NGX_DONE;
    }

    value = &r->headers_in.authorization->value;

    if (value->len <= sizeof("Bearer ") - 1
        || ngx_strncasecmp(value->data, (u_char *) "Bearer ",
                           sizeof("Bearer ") - 1) != 0)
    {
        return NGX_DECLINED;
    }

    token->data = value->data + sizeof("Bearer ") - 1;
    token->len = value->len - (sizeof("Bearer ") - 1);

    while (token->len && token->data[0] == ' ') {
        token->data++;
        token->len--;
    }

    return token->len ? NGX_OK : NGX_DECLINED;
}


/*
 * Three views of one report (SPEC section 4):
 *   - its reporter (tracking token): everything, identity included;
 *   - the public, confidential report: number, status, dates and agency;
 *   - the public: the content with personal data in free text masked, and
 *     the reporter's name unless the report is anonymous; never a contact.
 */

static ngx_int_t
ngx_http_lapor_view_send(ngx_http_request_t *r, ngx_http_lapor_view_t *v,
    redisReply **f, ngx_uint_t owner)
{
    int64_t                        created, updated, due, id;
    yajl_gen                       g;
    ngx_time_t                    *tp;
    ngx_uint_t                     confidential, anonymous, open;
    lapor_catalog_t               *cat;
    const lapor_catalog_agency_t  *agency;

    cat = v->llcf->catalog->catalog;

    confidential = ngx_http_lapor_redis_is(f[NGX_HTTP_LAPOR_F_CONFIDENTIAL],
                                           "1");
    anonymous = ngx_http_lapor_redis_is(f[NGX_HTTP_LAPOR_F_ANONYMOUS], "1");

    if (ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_ID], &id) != NGX_OK
        || ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_CREATED_AT], &created)
           != NGX_OK
        || ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_UPDATED_AT], &updated)
           != NGX_OK
        || ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_DUE_AT], &due) != NGX_OK
        || f[NGX_HTTP_LAPOR_F_STATUS]->type != REDIS_REPLY_STRING)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "lapor: report \"%V\" is incomplete", v->key);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    open = !ngx_http_lapor_redis_is(f[NGX_HTTP_LAPOR_F_STATUS], "closed")
           && !ngx_http_lapor_redis_is(f[NGX_HTTP_LAPOR_F_STATUS], "archived");

    tp = ngx_timeofday();

    g = ngx_http_lapor_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "id");
    yajl_gen_integer(g, id);

    ngx_http_lapor_view_text(r, g, "status", f[NGX_HTTP_LAPOR_F_STATUS], 0);

    ngx_http_lapor_view_time(r, g, cat, "created_at", created);
    ngx_http_lapor_view_time(r, g, cat, "updated_at", updated);
    ngx_http_lapor_view_time(r, g, cat, "due_at", due);

    ngx_http_lapor_json_literal(g, "overdue");
    yajl_gen_bool(g, open && tp->sec > due);

    ngx_http_lapor_json_literal(g, "agency");

    agency = NULL;

    if (f[NGX_HTTP_LAPOR_F_AGENCY]->type == REDIS_REPLY_STRING) {
        agency = lapor_catalog_agency(cat, f[NGX_HTTP_LAPOR_F_AGENCY]->str,
                                      f[NGX_HTTP_LAPOR_F_AGENCY]->len);
    }

    if (agency) {
        yajl_gen_map_open(g);
        ngx_http_lapor_json_literal(g, "code");
        yajl_gen_string(g, (const unsigned char *) agency->code,
                        agency->code_len);
        ngx_http_lapor_json_literal(g, "name");

        if (ngx_http_lapor_lang(r) == NGX_HTTP_LAPOR_LANG_EN) {
            yajl_gen_string(g, (const unsigned char *) agency->name.en,
                            agency->name.en_len);

        } else {
            yajl_gen_string(g, (const unsigned char *) agency->name.id,
                            agency->name.id_len);
        }

        yajl_gen_map_close(g);

    } else {
        yajl_gen_null(g);
    }

    ngx_http_lapor_json_literal(g, "confidential");
    yajl_gen_bool(g, confidential);

    if (confidential && !owner) {
        yajl_gen_map_close(g);
        return ngx_http_lapor_json_send(r, NGX_HTTP_OK,
                                        &ngx_http_lapor_json_type, g);
    }

    ngx_http_lapor_json_literal(g, "anonymous");
    yajl_gen_bool(g, anonymous);

    ngx_http_lapor_view_text(r, g, "type", f[NGX_HTTP_LAPOR_F_TYPE], 0);
    ngx_http_lapor_view_text(r, g, "category", f[NGX_HTTP_LAPOR_F_CATEGORY], 0);
    ngx_http_lapor_view_text(r, g, "channel", f[NGX_HTTP_LAPOR_F_CHANNEL], 0);
    ngx_http_lapor_view_text(r, g, "title", f[NGX_HTTP_LAPOR_F_TITLE], !owner);
    ngx_http_lapor_view_text(r, g, "body", f[NGX_HTTP_LAPOR_F_BODY], !owner);

    if (f[NGX_HTTP_LAPOR_F_PLACE]->type == REDIS_REPLY_STRING
        || f[NGX_HTTP_LAPOR_F_LAT]->type == REDIS_REPLY_STRING)
    {
        ngx_http_lapor_json_literal(g, "location");
        yajl_gen_map_open(g);

        if (f[NGX_HTTP_LAPOR_F_PLACE]->type == REDIS_REPLY_STRING) {
            ngx_http_lapor_view_text(r, g, "text", f[NGX_HTTP_LAPOR_F_PLACE],
                                     !owner);
        }

        if (f[NGX_HTTP_LAPOR_F_LAT]->type == REDIS_REPLY_STRING
            && f[NGX_HTTP_LAPOR_F_LON]->type == REDIS_REPLY_STRING)
        {
            /* validated numbers, stored as written */
            ngx_http_lapor_json_literal(g, "lat");
            yajl_gen_number(g, f[NGX_HTTP_LAPOR_F_LAT]->str,
                            f[NGX_HTTP_LAPOR_F_LAT]->len);
            ngx_http_lapor_json_literal(g, "lon");
            yajl_gen_number(g, f[NGX_HTTP_LAPOR_F_LON]->str,
                            f[NGX_HTTP_LAPOR_F_LON]->len);
        }

        yajl_gen_map_close(g);
    }

    if (f[NGX_HTTP_LAPOR_F_OCCURRED_ON]->type == REDIS_REPLY_STRING) {
        ngx_http_lapor_view_text(r, g, "occurred_on",
                                 f[NGX_HTTP_LAPOR_F_OCCURRED_ON], 0);
    }

    if (owner) {
        ngx_http_lapor_view_text(r, g, "version", f[NGX_HTTP_LAPOR_F_VERSION],
                                 0);
    }

    if (owner || !anonymous) {
        ngx_http_lapor_view_reporter(r, g, v, f[NGX_HTTP_LAPOR_F_REPORTER],
                                     owner);
    }

    yajl_gen_map_close(g);

    return ngx_http_lapor_json_send(r, NGX_HTTP_OK, &ngx_http_lapor_json_type,
                                    g);
}


static void
ngx_http_lapor_view_text(ngx_http_request_t *r, yajl_gen g, const char *name,
    redisReply *value, ngx_uint_t mask)
{
    u_char  *masked;

    ngx_http_lapor_json_cstr(g, name);

    if (value->type != REDIS_REPLY_STRING) {
        yajl_gen_null(g);
        return;
    }

    if (!mask) {
        yajl_gen_string(g, (const unsigned char *) value->str, value->len);
        return;
    }

    masked = ngx_pnalloc(r->pool, value->len + 1);
    if (masked == NULL) {
        /* never the unmasked text */
        yajl_gen_null(g);
        return;
    }

    (void) lapor_mask((const unsigned char *) value->str, value->len, masked);

    yajl_gen_string(g, masked, value->len);
}


static void
ngx_http_lapor_view_time(ngx_http_request_t *r, yajl_gen g,
    lapor_catalog_t *cat, const char *name, int64_t t)
{
    ngx_str_t  s;

    ngx_http_lapor_json_cstr(g, name);

    if (ngx_http_lapor_catalog_time(r->pool, cat, t, &s) != NGX_OK) {
        yajl_gen_null(g);
        return;
    }

    ngx_http_lapor_json_str(g, &s);
}


static void
ngx_http_lapor_view_reporter(ngx_http_request_t *r, yajl_gen g,
    ngx_http_lapor_view_t *v, redisReply *sealed, ngx_uint_t owner)
{
    ngx_int_t             rc;
    ngx_str_t             text, plain;
    lapor_json_t         *doc, *name, *contact;
    lapor_json_limits_t   limits;
    lapor_json_error_t    err;

    ngx_http_lapor_json_literal(g, "reporter");

    if (sealed->type != REDIS_REPLY_STRING) {
        yajl_gen_null(g);
        return;
    }

    text.data = (u_char *) sealed->str;
    text.len = sealed->len;

    rc = ngx_http_lapor_unseal(r->pool, v->llcf->identity_key, v->key, &text,
                               &plain);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "lapor: the identity of \"%V\" does not open with the "
                      "configured lapor_identity_key", v->key);
        yajl_gen_null(g);
        return;
    }

    ngx_memzero(&limits, sizeof(lapor_json_limits_t));

    limits.alloc = ngx_http_lapor_pool_alloc;
    limits.ctx = r->pool;
    limits.max_depth = 2;
    limits.max_string = 1024;
    limits.max_elements = 8;
    limits.max_number = 32;

    doc = lapor_json_parse(plain.data, plain.len, &limits, &err);

    name = doc ? lapor_json_get(doc, "name") : NULL;
    contact = doc ? lapor_json_get(doc, "contact") : NULL;

    if (name == NULL || name->type != LAPOR_JSON_STRING
        || contact == NULL || contact->type != LAPOR_JSON_STRING)
    {
        yajl_gen_null(g);
        return;
    }

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "name");
    yajl_gen_string(g, (const unsigned char *) name->u.string.data,
                    name->u.string.len);

    if (owner) {
        ngx_http_lapor_json_literal(g, "contact");
        yajl_gen_string(g, (const unsigned char *) contact->u.string.data,
                        contact->u.string.len);
    }

    yajl_gen_map_close(g);
}
