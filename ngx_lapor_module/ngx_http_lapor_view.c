
/*
 * GET reports/{id}: tracking a report, with the visibility rules of SP4N
 * LAPOR!: the public view, the public view of a confidential report, and
 * the reporter's own view with the tracking token.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_auth.h"
#include "ngx_http_lapor_report.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_identity.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_problem.h"
#include "lapor_crypto.h"
#include "lapor_mask.h"
#include "lapor_workflow.h"




static ngx_int_t ngx_http_lapor_view_fetch(ngx_http_request_t *r,
    ngx_http_lapor_batch_t *b, void *data);
static void ngx_http_lapor_view_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_viewer_check(ngx_http_request_t *r,
    redisReply **f, unsigned *viewer);
static ngx_int_t ngx_http_lapor_view_send(ngx_http_request_t *r,
    ngx_http_lapor_view_t *v, redisReply **f);
static void ngx_http_lapor_view_text(ngx_http_request_t *r, lapor_jsonw_t *w,
    const char *name, redisReply *value, ngx_uint_t mask);
static void ngx_http_lapor_view_time(ngx_http_request_t *r, lapor_jsonw_t *w,
    lapor_catalog_t *cat, const char *name, int64_t t);
static void ngx_http_lapor_view_agency(ngx_http_request_t *r,
    lapor_jsonw_t *w, lapor_catalog_t *cat, const char *name,
    redisReply *code);
static void ngx_http_lapor_view_reporter(ngx_http_request_t *r,
    lapor_jsonw_t *w, ngx_http_lapor_view_t *v, redisReply *sealed,
    ngx_uint_t contact);


static ngx_http_lapor_text_t  ngx_http_lapor_d_agency = {
    "Laporan ini tidak didisposisikan ke instansi Anda.",
    "This report is not with your agency."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_not_found = {
    "Laporan tidak ditemukan", "Report not found"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_not_found = {
    "Tidak ada laporan dengan nomor ini.",
    "There is no report with this number."
};



ngx_int_t
ngx_http_lapor_report_get(ngx_http_request_t *r)
{
    return ngx_http_lapor_view_start(r, ngx_http_lapor_view_fetch,
                                     ngx_http_lapor_view_fetched);
}


/* a read of one report: the report's number, the "read" limit, the read */

ngx_int_t
ngx_http_lapor_view_start(ngx_http_request_t *r, ngx_http_lapor_read_pt fetch,
    ngx_http_lapor_redis_handler_pt fetched)
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

    /*
     * No conditional reads: the ETag is the version, which an action sends
     * back as If-Match, but a view changes without a new version (overdue
     * once the deadline passes, closed once past its auto-close time, the
     * agency's name by Accept-Language), so nginx must not answer 304 (or
     * 412) from it.
     */
    r->disable_not_modified = 1;

    return ngx_http_lapor_limit_read(r, "read", fetch, fetched, v);
}


ngx_int_t
ngx_http_lapor_report_not_found(ngx_http_request_t *r)
{
    return ngx_http_lapor_problem(r, NGX_HTTP_NOT_FOUND, "report-not-found",
                                  &ngx_http_lapor_t_not_found,
                                  &ngx_http_lapor_d_not_found);
}


static ngx_int_t
ngx_http_lapor_view_fetch(ngx_http_request_t *r, ngx_http_lapor_batch_t *b,
    void *data)
{
    ngx_http_lapor_view_t  *v = data;

    v->key = ngx_http_lapor_key(r->pool, &v->llcf->namespace, "report:%L",
                                v->id);
    if (v->key == NULL) {
        return NGX_ERROR;
    }

    ngx_http_lapor_batch_cmd(b, "HGETALL");
    ngx_http_lapor_batch_str(b, v->key);

    return b->failed ? NGX_ERROR : NGX_OK;
}


static void
ngx_http_lapor_view_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_view_t  *v = data;

    redisReply  **f;

    if (rc != NGX_OK || reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, v->rds, rc, reply));
        return;
    }

    f = ngx_http_lapor_report_fields(r->pool, reply);
    if (f == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (f[NGX_HTTP_LAPOR_F_ID]->type != REDIS_REPLY_STRING) {
        ngx_http_finalize_request(r, ngx_http_lapor_report_not_found(r));
        return;
    }

    if (ngx_http_lapor_viewer(r, f, &v->viewer, &rc) != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_lapor_view_send(r, v, f));
}


/*
 * Who reads a report: NGX_OK with LAPOR_ROLE_ADMIN, _AGENCY (the report is
 * with its agency), _REPORTER (the report's tracking token) or 0 for the
 * public; otherwise NGX_DECLINED: the answer (401, 403) is made and *rc is
 * what to finalize the request with.
 */

ngx_int_t
ngx_http_lapor_viewer(ngx_http_request_t *r, redisReply **f,
    unsigned *viewer, ngx_int_t *rc)
{
    ngx_int_t  answer;

    answer = ngx_http_lapor_viewer_check(r, f, viewer);

    if (answer == NGX_OK) {
        return NGX_OK;
    }

    /* NGX_DECLINED stands for the NGX_OK of the sent answer */
    *rc = (answer == NGX_DECLINED) ? NGX_OK : answer;

    return NGX_DECLINED;
}


/* NGX_OK, or the answer's status; the answer is always sent here */

static ngx_int_t
ngx_http_lapor_viewer_check(ngx_http_request_t *r, redisReply **f,
    unsigned *viewer)
{
    ngx_int_t                    rc;
    ngx_http_lapor_principal_t   who;

    rc = ngx_http_lapor_principal(r, &who);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_lapor_answered(ngx_http_lapor_unauthorized(r));
    }

    *viewer = who.role;

    if (who.role == 0 && who.bearer.len) {
        rc = ngx_http_lapor_tracking_token(f[NGX_HTTP_LAPOR_F_TOKEN],
                                           &who.bearer);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_lapor_answered(ngx_http_lapor_unauthorized(r));
        }

        *viewer = LAPOR_ROLE_REPORTER;
    }

    if (who.role == LAPOR_ROLE_AGENCY
        && !ngx_http_lapor_view_with_agency(f, &who.agency))
    {
        return ngx_http_lapor_answered(ngx_http_lapor_problem(
                                           r, NGX_HTTP_FORBIDDEN,
                                           "not-your-agency",
                                           &ngx_http_lapor_t_forbidden,
                                           &ngx_http_lapor_d_agency));
    }

    return NGX_OK;
}


/*
 * An agency sees the reports dispatched to it and not yet handed back:
 * its own inbox, in progress, followed up or closed by it.
 */

ngx_uint_t
ngx_http_lapor_view_with_agency(redisReply **f, ngx_str_t *agency)
{
    redisReply  *a, *st;

    a = f[NGX_HTTP_LAPOR_F_AGENCY];
    st = f[NGX_HTTP_LAPOR_F_STATUS];

    if (a->type != REDIS_REPLY_STRING || a->len != agency->len
        || ngx_strncmp(a->str, agency->data, agency->len) != 0)
    {
        return 0;
    }

    return !ngx_http_lapor_redis_is(st, "submitted")
           && !ngx_http_lapor_redis_is(st, "deferred")
           && !ngx_http_lapor_redis_is(st, "archived");
}


/*
 * The views of one report (SPEC section 4):
 *   - admins: everything, the identity too, even of an anonymous report;
 *   - the agency it is with: the content, and the identity unless the
 *     report is anonymous;
 *   - its reporter (tracking token): everything of their own;
 *   - the public, confidential report: number, status, dates and agency;
 *   - the public: the content with personal data in free text masked, the
 *     reporter's name unless anonymous, never a contact.
 * A followed-up report past its auto-close time reads as closed even
 * before the sweep has written it.
 */

static ngx_int_t
ngx_http_lapor_view_send(ngx_http_request_t *r, ngx_http_lapor_view_t *v,
    redisReply **f)
{
    int64_t         version;
    ngx_int_t       rc;
    lapor_jsonw_t   w;

    if (ngx_http_lapor_jsonw_init(r, &w, 2048) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_lapor_view_write(r, v, f, &w, &version);

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_lapor_etag(r, version) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_jsonw_send(r, NGX_HTTP_OK, &ngx_http_lapor_json_type,
                                     &w);
}


/*
 * The view of one report as a JSON object into w, for v->viewer; also one
 * item of the public list (GET reports, viewer 0).  NGX_ERROR for a report
 * hash that lacks what every view needs (logged).
 */

ngx_int_t
ngx_http_lapor_view_write(ngx_http_request_t *r, ngx_http_lapor_view_t *v,
    redisReply **f, lapor_jsonw_t *w, int64_t *version_out)
{
    int64_t                        n;
    ngx_time_t                    *tp;
    ngx_uint_t                     confidential, anonymous, open, public;
    ngx_uint_t                     mask, identity, contact;
    lapor_catalog_t               *cat;
    ngx_http_lapor_view_state_t    st;

    cat = v->llcf->catalog->catalog;
    public = (v->viewer == 0);

    tp = ngx_timeofday();

    if (ngx_http_lapor_view_state(f, tp->sec, &st) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "lapor: report \"%V\" is incomplete", v->key);
        return NGX_ERROR;
    }

    confidential = st.confidential;
    anonymous = st.anonymous;
    open = st.open;

    *version_out = st.version;

    lapor_jsonw_map_open(w);

    lapor_jsonw_literal(w, "id");
    lapor_jsonw_integer(w, st.id);

    lapor_jsonw_literal(w, "status");

    if (st.auto_closed) {
        lapor_jsonw_literal(w, "closed");

    } else {
        ngx_http_lapor_jsonw_text(r, w, (u_char *) st.status->str,
                                  st.status->len);
    }

    lapor_jsonw_literal(w, "version");
    lapor_jsonw_integer(w, st.version);

    ngx_http_lapor_view_time(r, w, cat, "created_at", st.created);
    ngx_http_lapor_view_time(r, w, cat, "updated_at", st.updated);

    if (open && st.due) {
        ngx_http_lapor_view_time(r, w, cat, "due_at", st.due);

    } else {
        lapor_jsonw_literal(w, "due_at");
        lapor_jsonw_null(w);
    }

    /* a followed-up report waits for its reporter: not late */

    lapor_jsonw_literal(w, "overdue");
    lapor_jsonw_bool(w, open && st.due && tp->sec > st.due
                     && !ngx_http_lapor_redis_is(st.status, "followed_up"));

    ngx_http_lapor_view_agency(r, w, cat, "agency",
                               f[NGX_HTTP_LAPOR_F_AGENCY]);

    /*
     * The agency that last handed the report back ("bukan wewenang"), for
     * every reader, as the dispatch before it is: which public body refused
     * a report is no secret of the reporter's; why it did is for officers
     * only (the timeline).
     */

    if (f[NGX_HTTP_LAPOR_F_RETURNED_BY]->type == REDIS_REPLY_STRING) {
        ngx_http_lapor_view_agency(r, w, cat, "returned_by",
                                   f[NGX_HTTP_LAPOR_F_RETURNED_BY]);
    }

    lapor_jsonw_literal(w, "confidential");
    lapor_jsonw_bool(w, confidential);

    if (confidential && public) {
        lapor_jsonw_map_close(w);
        return NGX_OK;
    }

    mask = public;

    lapor_jsonw_literal(w, "anonymous");
    lapor_jsonw_bool(w, anonymous);

    ngx_http_lapor_view_text(r, w, "type", f[NGX_HTTP_LAPOR_F_TYPE], 0);
    ngx_http_lapor_view_text(r, w, "category", f[NGX_HTTP_LAPOR_F_CATEGORY],
                             0);
    ngx_http_lapor_view_text(r, w, "channel", f[NGX_HTTP_LAPOR_F_CHANNEL], 0);
    ngx_http_lapor_view_text(r, w, "title", f[NGX_HTTP_LAPOR_F_TITLE], mask);
    ngx_http_lapor_view_text(r, w, "body", f[NGX_HTTP_LAPOR_F_BODY], mask);

    if (f[NGX_HTTP_LAPOR_F_PLACE]->type == REDIS_REPLY_STRING
        || f[NGX_HTTP_LAPOR_F_LAT]->type == REDIS_REPLY_STRING)
    {
        lapor_jsonw_literal(w, "location");
        lapor_jsonw_map_open(w);

        if (f[NGX_HTTP_LAPOR_F_PLACE]->type == REDIS_REPLY_STRING) {
            ngx_http_lapor_view_text(r, w, "text", f[NGX_HTTP_LAPOR_F_PLACE],
                                     mask);
        }

        if (f[NGX_HTTP_LAPOR_F_LAT]->type == REDIS_REPLY_STRING
            && f[NGX_HTTP_LAPOR_F_LON]->type == REDIS_REPLY_STRING)
        {
            /* validated numbers, stored as written */
            lapor_jsonw_literal(w, "lat");
            lapor_jsonw_number(w, f[NGX_HTTP_LAPOR_F_LAT]->str,
                               f[NGX_HTTP_LAPOR_F_LAT]->len);
            lapor_jsonw_literal(w, "lon");
            lapor_jsonw_number(w, f[NGX_HTTP_LAPOR_F_LON]->str,
                               f[NGX_HTTP_LAPOR_F_LON]->len);
        }

        lapor_jsonw_map_close(w);
    }

    if (f[NGX_HTTP_LAPOR_F_OCCURRED_ON]->type == REDIS_REPLY_STRING) {
        ngx_http_lapor_view_text(r, w, "occurred_on",
                                 f[NGX_HTTP_LAPOR_F_OCCURRED_ON], 0);
    }

    /* a link given through Open311, as its GET requests/{id} shows it */

    if (f[NGX_HTTP_LAPOR_F_MEDIA_URL]->type == REDIS_REPLY_STRING) {
        ngx_http_lapor_view_text(r, w, "media_url",
                                 f[NGX_HTTP_LAPOR_F_MEDIA_URL], 0);
    }

    if (ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_RATING], &n) == NGX_OK) {
        lapor_jsonw_literal(w, "rating");
        lapor_jsonw_integer(w, n);
        ngx_http_lapor_view_text(r, w, "resolved",
                                 f[NGX_HTTP_LAPOR_F_RESOLVED], 0);
    }

    if (v->viewer & (LAPOR_ROLE_ADMIN | LAPOR_ROLE_AGENCY)) {
        lapor_jsonw_literal(w, "flagged");
        lapor_jsonw_bool(w,
                         ngx_http_lapor_redis_is(f[NGX_HTTP_LAPOR_F_FLAGGED],
                                                 "1"));
    }

    /*
     * The reporter: admins and the reporter see who and how to reach;
     * the agency too unless anonymous; the public a name unless anonymous.
     */

    identity = (v->viewer & (LAPOR_ROLE_ADMIN | LAPOR_ROLE_REPORTER))
               || !anonymous;
    contact = (v->viewer & (LAPOR_ROLE_ADMIN | LAPOR_ROLE_REPORTER))
              || (v->viewer == LAPOR_ROLE_AGENCY && !anonymous);

    if (identity) {
        ngx_http_lapor_view_reporter(r, w, v, f[NGX_HTTP_LAPOR_F_REPORTER],
                                     contact);
    }

    lapor_jsonw_map_close(w);

    return NGX_OK;
}


static void
ngx_http_lapor_view_text(ngx_http_request_t *r, lapor_jsonw_t *w,
    const char *name, redisReply *value, ngx_uint_t mask)
{
    u_char  *masked;

    lapor_jsonw_plain(w, name, ngx_strlen(name));

    if (value->type != REDIS_REPLY_STRING) {
        lapor_jsonw_null(w);
        return;
    }

    if (!mask) {
        ngx_http_lapor_jsonw_text(r, w, (u_char *) value->str, value->len);
        return;
    }

    masked = ngx_http_lapor_view_masked(r, value);
    if (masked == NULL) {
        /* never the unmasked text */
        lapor_jsonw_null(w);
        return;
    }

    ngx_http_lapor_jsonw_text(r, w, masked, value->len);
}


/*
 * The numbers, dates and state of a report as every view reads them
 * (REST and Open311): a followed-up report past its auto-close time reads
 * as closed even before the sweep has written it.
 */

ngx_int_t
ngx_http_lapor_view_state(redisReply **f, time_t now,
    ngx_http_lapor_view_state_t *st)
{
    st->confidential = ngx_http_lapor_redis_is(
                           f[NGX_HTTP_LAPOR_F_CONFIDENTIAL], "1");
    st->anonymous = ngx_http_lapor_redis_is(f[NGX_HTTP_LAPOR_F_ANONYMOUS],
                                            "1");
    st->status = f[NGX_HTTP_LAPOR_F_STATUS];

    if (ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_ID], &st->id) != NGX_OK
        || ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_CREATED_AT],
                                    &st->created)
           != NGX_OK
        || ngx_http_lapor_report_int(f[NGX_HTTP_LAPOR_F_UPDATED_AT],
                                     st->created, &st->updated)
           != NGX_OK
        || ngx_http_lapor_report_int(f[NGX_HTTP_LAPOR_F_VERSION], 1,
                                     &st->version)
           != NGX_OK
        || st->status->type != REDIS_REPLY_STRING)
    {
        return NGX_ERROR;
    }

    if (ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_DUE_AT], &st->due)
        != NGX_OK)
    {
        st->due = 0;
    }

    st->auto_closed = ngx_http_lapor_redis_is(st->status, "followed_up")
                      && st->due && now > st->due;

    st->open = !st->auto_closed
               && !ngx_http_lapor_redis_is(st->status, "closed")
               && !ngx_http_lapor_redis_is(st->status, "archived");

    return NGX_OK;
}


/* public text with personal data masked (same length), or NULL */

u_char *
ngx_http_lapor_view_masked(ngx_http_request_t *r, redisReply *value)
{
    u_char  *masked;

    masked = ngx_pnalloc(r->pool, value->len + 1);
    if (masked == NULL) {
        return NULL;
    }

    (void) lapor_mask((const unsigned char *) value->str, value->len, masked);

    return masked;
}


static void
ngx_http_lapor_view_time(ngx_http_request_t *r, lapor_jsonw_t *w,
    lapor_catalog_t *cat, const char *name, int64_t t)
{
    ngx_str_t  s;

    lapor_jsonw_plain(w, name, ngx_strlen(name));

    if (ngx_http_lapor_catalog_time(r->pool, cat, t, &s) != NGX_OK) {
        lapor_jsonw_null(w);
        return;
    }

    ngx_http_lapor_jsonw_text(r, w, s.data, s.len);
}


/* {"code", "name"} of an agency of the catalog in the reader's language */

static void
ngx_http_lapor_view_agency(ngx_http_request_t *r, lapor_jsonw_t *w,
    lapor_catalog_t *cat, const char *name, redisReply *code)
{
    const lapor_catalog_agency_t  *agency;

    lapor_jsonw_plain(w, name, ngx_strlen(name));

    agency = NULL;

    if (code->type == REDIS_REPLY_STRING) {
        agency = lapor_catalog_agency(cat, code->str, code->len);
    }

    if (agency == NULL) {
        lapor_jsonw_null(w);
        return;
    }

    lapor_jsonw_map_open(w);
    lapor_jsonw_literal(w, "code");
    ngx_http_lapor_jsonw_text(r, w, (u_char *) agency->code,
                              agency->code_len);
    lapor_jsonw_literal(w, "name");

    if (ngx_http_lapor_lang(r) == NGX_HTTP_LAPOR_LANG_EN) {
        ngx_http_lapor_jsonw_text(r, w, (u_char *) agency->name.en,
                                  agency->name.en_len);

    } else {
        ngx_http_lapor_jsonw_text(r, w, (u_char *) agency->name.id,
                                  agency->name.id_len);
    }

    lapor_jsonw_map_close(w);
}


static void
ngx_http_lapor_view_reporter(ngx_http_request_t *r, lapor_jsonw_t *w,
    ngx_http_lapor_view_t *v, redisReply *sealed, ngx_uint_t contact)
{
    u_char               *sep;
    ngx_int_t             rc;
    ngx_str_t             text, plain, name_s, contact_s;
    lapor_json_t         *doc, *name, *reach;
    lapor_json_limits_t   limits;
    lapor_json_error_t    err;

    lapor_jsonw_literal(w, "reporter");

    if (sealed->type != REDIS_REPLY_STRING) {
        lapor_jsonw_null(w);
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
        lapor_jsonw_null(w);
        return;
    }

    if (plain.len && plain.data[0] == NGX_HTTP_LAPOR_IDENTITY_MARK) {
        sep = ngx_strlchr(plain.data + 1, plain.data + plain.len, '\0');

        if (sep == NULL) {
            lapor_jsonw_null(w);
            return;
        }

        name_s.data = plain.data + 1;
        name_s.len = sep - name_s.data;
        contact_s.data = sep + 1;
        contact_s.len = plain.data + plain.len - contact_s.data;

    } else {
        /* identities sealed as JSON by the first release */

        ngx_memzero(&limits, sizeof(lapor_json_limits_t));

        limits.alloc = ngx_http_lapor_pool_alloc;
        limits.ctx = r->pool;
        limits.max_depth = 2;
        limits.max_string = 1024;
        limits.max_elements = 8;
        limits.max_number = 32;

        doc = lapor_json_parse(plain.data, plain.len, &limits, &err);

        name = doc ? lapor_json_get(doc, "name") : NULL;
        reach = doc ? lapor_json_get(doc, "contact") : NULL;

        if (name == NULL || name->type != LAPOR_JSON_STRING
            || reach == NULL || reach->type != LAPOR_JSON_STRING)
        {
            lapor_jsonw_null(w);
            return;
        }

        name_s.data = (u_char *) name->u.string.data;
        name_s.len = name->u.string.len;
        contact_s.data = (u_char *) reach->u.string.data;
        contact_s.len = reach->u.string.len;
    }

    lapor_jsonw_map_open(w);

    lapor_jsonw_literal(w, "name");
    ngx_http_lapor_jsonw_text(r, w, name_s.data, name_s.len);

    if (contact) {
        lapor_jsonw_literal(w, "contact");
        ngx_http_lapor_jsonw_text(r, w, contact_s.data, contact_s.len);
    }

    lapor_jsonw_map_close(w);
}
