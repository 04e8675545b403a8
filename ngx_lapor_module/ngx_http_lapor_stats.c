
/*
 * GET stats[?year=YYYY]: how fast the government answers, from counters
 * kept in the same transactions that change reports (never by scanning
 * reports).  Every figure is defined in docs/statistics.md.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_action.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_store.h"
#include "lapor_request.h"
#include "lapor_stats.h"
#include "lapor_workflow.h"


/* the replies inside EXEC, in order */
#define NGX_HTTP_LAPOR_STATS_TOTALS     0
#define NGX_HTTP_LAPOR_STATS_MONTHS     1     /* 12 of them: the year too */
#define NGX_HTTP_LAPOR_STATS_DISPATCH   13
#define NGX_HTTP_LAPOR_STATS_RESPONSE   14
#define NGX_HTTP_LAPOR_STATS_QUEUES     15    /* one per open state */
#define NGX_HTTP_LAPOR_STATS_OVERDUE    20    /* one per clocked state */
#define NGX_HTTP_LAPOR_STATS_ANSWERS    23    /* first answers, this month */
#define NGX_HTTP_LAPOR_STATS_AGENCIES   24    /* ZCARD, ZCOUNT per agency */
#define NGX_HTTP_LAPOR_STATS_REPLIES(cat)                                     \
    (NGX_HTTP_LAPOR_STATS_AGENCIES + 2 * (cat)->nagencies)


typedef struct {
    ngx_http_lapor_redis_t         *rds;
    ngx_http_lapor_loc_conf_t      *llcf;
    int                             year;
    int                             this_year;
    ngx_uint_t                      this_month;    /* %ui */
    int64_t                         now;
} ngx_http_lapor_stats_t;


static const lapor_state_e  ngx_http_lapor_open_states[] = {
    LAPOR_STATE_SUBMITTED, LAPOR_STATE_DEFERRED, LAPOR_STATE_DISPATCHED,
    LAPOR_STATE_IN_PROGRESS, LAPOR_STATE_FOLLOWED_UP
};


static ngx_int_t ngx_http_lapor_stats_fetch(ngx_http_request_t *r,
    void *data);
static void ngx_http_lapor_stats_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_stats_send(ngx_http_request_t *r,
    ngx_http_lapor_stats_t *st, redisReply **rep);
static int64_t ngx_http_lapor_stats_get(redisReply *hash, const char *field);
static int64_t ngx_http_lapor_stats_sum(redisReply *hash,
    const char *prefix);
static void ngx_http_lapor_stats_group(ngx_http_request_t *r, yajl_gen g,
    redisReply *hash, const char *name, const char *prefix, ngx_int_t part);
static void ngx_http_lapor_stats_period(yajl_gen g, redisReply **hashes,
    ngx_uint_t n);
static int64_t ngx_http_lapor_stats_get_sum(redisReply **hashes, ngx_uint_t n,
    const char *field);
static void ngx_http_lapor_stats_ratio(yajl_gen g, const char *name,
    int64_t part, int64_t whole);
static void ngx_http_lapor_stats_histogram(yajl_gen g, const char *name,
    redisReply *hash);
static void ngx_http_lapor_stats_share(yajl_gen g, const char *name,
    int64_t within, int64_t count);
static void ngx_http_lapor_stats_agencies(yajl_gen g,
    ngx_http_lapor_stats_t *st, redisReply **rep);


static ngx_http_lapor_text_t  ngx_http_lapor_t_bad_year = {
    "Tahun tidak valid", "Invalid year"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_bad_year = {
    "Parameter year harus tahun empat angka, misalnya 2026.",
    "The year parameter must be a four-digit year, e.g. 2026."
};


ngx_int_t
ngx_http_lapor_stats_handler(ngx_http_request_t *r)
{
    int                          y;
    unsigned                     m, d;
    ngx_int_t                    rc, n;
    ngx_str_t                    year;
    ngx_time_t                  *tp;
    lapor_catalog_t             *cat;
    ngx_http_lapor_stats_t      *st;
    ngx_http_lapor_main_conf_t  *lmcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    st = ngx_pcalloc(r->pool, sizeof(ngx_http_lapor_stats_t));
    if (st == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    st->rds = lmcf->redis_conn;
    st->llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    cat = st->llcf->catalog->catalog;
    tp = ngx_timeofday();
    st->now = tp->sec;

    lapor_calendar_civil_from_days(lapor_calendar_day_of(&cat->calendar,
                                                         st->now),
                                   &y, &m, &d);
    st->year = y;
    st->this_year = y;
    st->this_month = m;

    if (ngx_http_lapor_arg(r, "year", &year) == NGX_OK) {
        n = lapor_request_number(year.data, year.len);

        if (year.len != 4 || n < 1970 || n > 9999) {
            return ngx_http_lapor_problem(r, NGX_HTTP_BAD_REQUEST,
                                          "invalid-query",
                                          &ngx_http_lapor_t_bad_year,
                                          &ngx_http_lapor_d_bad_year);
        }

        st->year = (int) n;
    }

    return ngx_http_lapor_limit(r, "read", ngx_http_lapor_stats_fetch, NULL,
                                st);
}


static ngx_int_t
ngx_http_lapor_stats_fetch(ngx_http_request_t *r, void *data)
{
    ngx_http_lapor_stats_t  *st = data;

    ngx_uint_t                   i;
    lapor_catalog_t             *cat;
    ngx_http_lapor_batch_t       b;

    cat = st->llcf->catalog->catalog;

    if (ngx_http_lapor_batch_init(&b, r->pool, &st->llcf->namespace,
                                  NGX_HTTP_LAPOR_STATS_REPLIES(cat) + 2)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* one consistent moment: a read-only transaction */

    ngx_http_lapor_batch_cmd(&b, "MULTI");

    ngx_http_lapor_batch_cmd(&b, "HGETALL");
    ngx_http_lapor_batch_key(&b, "stats");

    for (i = 1; i <= 12; i++) {
        ngx_http_lapor_batch_cmd(&b, "HGETALL");
        ngx_http_lapor_batch_key(&b, "stats:%04d-%02ui", st->year, i);
    }

    ngx_http_lapor_batch_cmd(&b, "HGETALL");
    ngx_http_lapor_batch_key(&b, "stats:hist:dispatch");

    ngx_http_lapor_batch_cmd(&b, "HGETALL");
    ngx_http_lapor_batch_key(&b, "stats:hist:response");

    for (i = 0; i < 5; i++) {
        ngx_http_lapor_batch_cmd(&b, "ZCARD");
        ngx_http_lapor_batch_key(&b, "queue:%s",
                                 lapor_state_name(
                                     ngx_http_lapor_open_states[i]));
    }

    ngx_http_lapor_store_count_overdue(&b, st->now);

    /* per agency: first answers this month, the inbox, its overdue part */

    ngx_http_lapor_batch_cmd(&b, "HGETALL");
    ngx_http_lapor_batch_key(&b, NGX_HTTP_LAPOR_RESPONSE_MONTH_KEY,
                             st->this_year, st->this_month);

    for (i = 0; i < cat->nagencies; i++) {
        ngx_http_lapor_batch_cmd(&b, "ZCARD");
        ngx_http_lapor_batch_key(&b, "inbox:%s", cat->agencies[i].code);

        ngx_http_lapor_batch_cmd(&b, "ZCOUNT");
        ngx_http_lapor_batch_key(&b, "inbox:%s", cat->agencies[i].code);
        ngx_http_lapor_batch_cstr(&b, "-inf");
        ngx_http_lapor_batch_int(&b, ngx_http_lapor_score(st->now, 0) - 1);
    }

    ngx_http_lapor_batch_cmd(&b, "EXEC");

    return ngx_http_lapor_batch_send(r, st->rds, &b,
                                     ngx_http_lapor_stats_fetched, st);
}


static void
ngx_http_lapor_stats_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_stats_t  *st = data;

    if (rc != NGX_OK
        || !ngx_http_lapor_redis_exec_ok(reply, NGX_HTTP_LAPOR_STATS_REPLIES(
                                             st->llcf->catalog->catalog)))
    {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, st->rds, rc, reply));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_lapor_stats_send(r, st,
                                                           reply->element));
}


static ngx_int_t
ngx_http_lapor_stats_send(ngx_http_request_t *r, ngx_http_lapor_stats_t *st,
    redisReply **rep)
{
    u_char           buf[16];
    int64_t          n, sum;
    yajl_gen         g;
    ngx_str_t        t;
    ngx_uint_t       i;
    redisReply      *totals;
    lapor_catalog_t *cat;

    cat = st->llcf->catalog->catalog;
    totals = rep[NGX_HTTP_LAPOR_STATS_TOTALS];

    g = ngx_http_lapor_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "namespace");
    ngx_http_lapor_json_str(g, &st->llcf->namespace);

    if (ngx_http_lapor_catalog_time(r->pool, cat, st->now, &t) == NGX_OK) {
        ngx_http_lapor_json_literal(g, "generated_at");
        ngx_http_lapor_json_str(g, &t);
    }

    /* all reports so far */

    ngx_http_lapor_json_literal(g, "totals");
    yajl_gen_map_open(g);
    ngx_http_lapor_json_literal(g, "submitted");
    yajl_gen_integer(g, ngx_http_lapor_stats_get(totals, "submitted")
                        + ngx_http_lapor_stats_sum(totals, "sub:"));
    ngx_http_lapor_stats_group(r, g, totals, "by_status", "status:", -1);
    ngx_http_lapor_stats_group(r, g, totals, "by_type", "type:", 0);
    ngx_http_lapor_stats_group(r, g, totals, "by_category", "category:", 1);
    ngx_http_lapor_stats_group(r, g, totals, "by_agency", "agency:", 2);
    ngx_http_lapor_stats_group(r, g, totals, "by_dispatched_agency",
                               "dispatched_to:", -1);
    ngx_http_lapor_stats_group(r, g, totals, "by_returning_agency",
                               "returned_by:", -1);
    ngx_http_lapor_stats_group(r, g, totals, "by_channel", "channel:", 3);
    yajl_gen_map_close(g);

    /* the year and its months, by the month reports came in */

    ngx_http_lapor_json_literal(g, "year");
    yajl_gen_map_open(g);
    ngx_http_lapor_json_literal(g, "year");
    yajl_gen_integer(g, st->year);
    /* the sum of its months (their counters are written, not the year's) */
    ngx_http_lapor_stats_period(g, &rep[NGX_HTTP_LAPOR_STATS_MONTHS], 12);

    ngx_http_lapor_json_literal(g, "months");
    yajl_gen_array_open(g);

    for (i = 0; i < 12; i++) {
        yajl_gen_map_open(g);
        ngx_http_lapor_json_literal(g, "month");
        yajl_gen_string(g, buf,
                        ngx_sprintf(buf, "%04d-%02ui", st->year, i + 1)
                        - buf);
        ngx_http_lapor_stats_period(g, &rep[NGX_HTTP_LAPOR_STATS_MONTHS + i],
                                    1);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    /* speed */

    ngx_http_lapor_json_literal(g, "speed");
    yajl_gen_map_open(g);
    ngx_http_lapor_stats_histogram(g, "time_to_dispatch",
                                   rep[NGX_HTTP_LAPOR_STATS_DISPATCH]);
    ngx_http_lapor_stats_histogram(g, "time_to_first_response",
                                   rep[NGX_HTTP_LAPOR_STATS_RESPONSE]);
    ngx_http_lapor_stats_share(g, "dispatched_within_deadline",
                           ngx_http_lapor_stats_get(totals,
                                                    "dispatched_in_time"),
                           ngx_http_lapor_stats_get(totals,
                                                    "dispatched_first"));
    ngx_http_lapor_stats_share(g, "followed_up_within_deadline",
                           ngx_http_lapor_stats_get(totals,
                                                    "followed_up_in_time"),
                           ngx_http_lapor_stats_get(totals,
                                                    "followed_up_first"));
    yajl_gen_map_close(g);

    /* satisfaction */

    ngx_http_lapor_json_literal(g, "satisfaction");
    yajl_gen_map_open(g);

    n = ngx_http_lapor_stats_get(totals, "rating_count");
    sum = ngx_http_lapor_stats_get(totals, "rating_sum");

    ngx_http_lapor_json_literal(g, "ratings");
    yajl_gen_integer(g, n);
    ngx_http_lapor_json_literal(g, "mean_rating");

    if (n > 0) {
        /* two decimals, as text: no binary-float noise */
        yajl_gen_number(g, (const char *) buf,
                        ngx_sprintf(buf, "%.2f", (double) sum / n) - buf);

    } else {
        yajl_gen_null(g);
    }

    ngx_http_lapor_stats_group(r, g, totals, "resolved", "resolved:", -1);
    yajl_gen_map_close(g);

    /* live queues */

    ngx_http_lapor_json_literal(g, "queues");
    yajl_gen_map_open(g);

    for (i = 0; i < 5; i++) {
        ngx_http_lapor_json_cstr(g, lapor_state_name(
                                        ngx_http_lapor_open_states[i]));
        yajl_gen_integer(g, rep[NGX_HTTP_LAPOR_STATS_QUEUES + i]->integer);
    }

    ngx_http_lapor_json_literal(g, "overdue");
    yajl_gen_integer(g, ngx_http_lapor_store_overdue(
                            &rep[NGX_HTTP_LAPOR_STATS_OVERDUE]));
    yajl_gen_map_close(g);

    ngx_http_lapor_stats_agencies(g, st, rep);

    yajl_gen_map_close(g);

    return ngx_http_lapor_json_send(r, NGX_HTTP_OK, &ngx_http_lapor_json_type,
                                    g);
}


/* a field of an HGETALL reply ([field, value, ...]) as an integer, or 0 */

static int64_t
ngx_http_lapor_stats_get(redisReply *hash, const char *field)
{
    size_t   i, len;
    int64_t  n;

    len = ngx_strlen(field);

    for (i = 0; hash->type == REDIS_REPLY_ARRAY && i + 1 < hash->elements;
         i += 2)
    {
        if (hash->element[i]->len == len
            && ngx_strncmp(hash->element[i]->str, field, len) == 0)
        {
            return ngx_http_lapor_redis_int(hash->element[i + 1], &n)
                   == NGX_OK ? n : 0;
        }
    }

    return 0;
}


/* a field summed over several HGETALL replies (a year's months) */

static int64_t
ngx_http_lapor_stats_get_sum(redisReply **hashes, ngx_uint_t n,
    const char *field)
{
    int64_t     sum;
    ngx_uint_t  i;

    sum = 0;

    for (i = 0; i < n; i++) {
        sum += ngx_http_lapor_stats_get(hashes[i], field);
    }

    return sum;
}


/* the sum of the fields "<prefix>..." */

static int64_t
ngx_http_lapor_stats_sum(redisReply *hash, const char *prefix)
{
    size_t   i, len;
    int64_t  n, sum;

    len = ngx_strlen(prefix);
    sum = 0;

    for (i = 0; hash->type == REDIS_REPLY_ARRAY && i + 1 < hash->elements;
         i += 2)
    {
        if (hash->element[i]->len > len
            && ngx_strncmp(hash->element[i]->str, prefix, len) == 0
            && ngx_http_lapor_redis_int(hash->element[i + 1], &n) == NGX_OK)
        {
            sum += n;
        }
    }

    return sum;
}


/*
 * {"<code>": n, ...}: the fields "<prefix><code>", plus, with part >= 0,
 * the counters "sub:<type>:<category>:<agency>:<channel>" that submissions
 * write, added up by their part-th code.  (Releases before it wrote
 * "type:<code>" and the like: both are counted.)
 */

static void
ngx_http_lapor_stats_group(ngx_http_request_t *r, yajl_gen g,
    redisReply *hash, const char *name, const char *prefix, ngx_int_t part)
{
    u_char      *p, *end;
    size_t       i, j, len;
    int64_t      n;
    ngx_str_t    code;
    ngx_int_t    k;
    ngx_uint_t   ncodes;
    redisReply  *key;
    struct {
        ngx_str_t  code;
        int64_t    n;
    }           *codes;

    len = ngx_strlen(prefix);

    codes = (hash->type == REDIS_REPLY_ARRAY && hash->elements)
            ? ngx_palloc(r->pool, hash->elements / 2 * sizeof(*codes))
            : NULL;
    ncodes = 0;

    for (i = 0; codes && i + 1 < hash->elements; i += 2) {
        key = hash->element[i];

        if (ngx_http_lapor_redis_int(hash->element[i + 1], &n) != NGX_OK) {
            continue;
        }

        if (key->len > len && ngx_strncmp(key->str, prefix, len) == 0) {
            code.data = (u_char *) key->str + len;
            code.len = key->len - len;

        } else if (part >= 0 && key->len > 4
                   && ngx_strncmp(key->str, "sub:", 4) == 0)
        {
            /* the part-th of the four codes after "sub:" */

            p = (u_char *) key->str + 4;
            end = (u_char *) key->str + key->len;

            for (k = 0; k < part && p; k++) {
                p = ngx_strlchr(p, end, ':');
                p = p ? p + 1 : NULL;
            }

            if (p == NULL) {
                continue;
            }

            code.data = p;
            p = ngx_strlchr(p, end, ':');
            code.len = (p ? p : end) - code.data;

            if (code.len == 0) {
                continue;
            }

        } else {
            continue;
        }

        for (j = 0; j < ncodes; j++) {
            if (codes[j].code.len == code.len
                && ngx_strncmp(codes[j].code.data, code.data, code.len) == 0)
            {
                break;
            }
        }

        if (j == ncodes) {
            codes[ncodes].code = code;
            codes[ncodes].n = 0;
            ncodes++;
        }

        codes[j].n += n;
    }

    ngx_http_lapor_json_cstr(g, name);
    yajl_gen_map_open(g);

    for (j = 0; j < ncodes; j++) {
        ngx_http_lapor_json_str(g, &codes[j].code);
        yajl_gen_integer(g, codes[j].n);
    }

    yajl_gen_map_close(g);
}


static void
ngx_http_lapor_stats_period(yajl_gen g, redisReply **hashes, ngx_uint_t n)
{
    int64_t  submitted, followed_up;

    submitted = ngx_http_lapor_stats_get_sum(hashes, n, "submitted");
    followed_up = ngx_http_lapor_stats_get_sum(hashes, n, "followed_up");

    ngx_http_lapor_json_literal(g, "submitted");
    yajl_gen_integer(g, submitted);
    ngx_http_lapor_json_literal(g, "dispatched");
    yajl_gen_integer(g, ngx_http_lapor_stats_get_sum(hashes, n,
                                                     "dispatched"));
    ngx_http_lapor_json_literal(g, "followed_up");
    yajl_gen_integer(g, followed_up);
    ngx_http_lapor_json_literal(g, "closed");
    yajl_gen_integer(g, ngx_http_lapor_stats_get_sum(hashes, n, "closed"));
    ngx_http_lapor_json_literal(g, "archived");
    yajl_gen_integer(g, ngx_http_lapor_stats_get_sum(hashes, n, "archived"));

    ngx_http_lapor_stats_ratio(g, "follow_up_rate", followed_up, submitted);
}


/* part / whole with four decimals, or null without a whole */

static void
ngx_http_lapor_stats_ratio(yajl_gen g, const char *name, int64_t part,
    int64_t whole)
{
    u_char  buf[32];

    ngx_http_lapor_json_cstr(g, name);

    if (whole <= 0) {
        yajl_gen_null(g);
        return;
    }

    yajl_gen_number(g, (const char *) buf,
                    ngx_sprintf(buf, "%.4f", (double) part / whole) - buf);
}


static void
ngx_http_lapor_stats_histogram(yajl_gen g, const char *name,
    redisReply *hash)
{
    size_t     i;
    int64_t    p;
    uint64_t   counts[LAPOR_STATS_BUCKETS], total;
    unsigned   pct[2] = { 50, 90 };

    total = 0;

    for (i = 0; i < LAPOR_STATS_BUCKETS; i++) {
        counts[i] = (uint64_t) ngx_http_lapor_stats_get(hash,
                                                        lapor_stats_fields[i]);
        total += counts[i];
    }

    ngx_http_lapor_json_cstr(g, name);
    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "count");
    yajl_gen_integer(g, (long long) total);

    /* a percentile is the upper bound of its bucket, in seconds */

    for (i = 0; i < 2; i++) {
        ngx_http_lapor_json_cstr(g, i == 0 ? "p50_seconds" : "p90_seconds");

        p = lapor_stats_percentile(counts, pct[i]);

        if (p >= 0) {
            yajl_gen_integer(g, p);

        } else {
            /* no data, or beyond the last bound */
            yajl_gen_null(g);
        }
    }

    ngx_http_lapor_json_literal(g, "buckets");
    yajl_gen_map_open(g);

    for (i = 0; i < LAPOR_STATS_BUCKETS; i++) {
        ngx_http_lapor_json_cstr(g, lapor_stats_fields[i] + 3);
        yajl_gen_integer(g, (long long) counts[i]);
    }

    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
}


static void
ngx_http_lapor_stats_share(yajl_gen g, const char *name, int64_t within,
    int64_t count)
{
    ngx_http_lapor_json_cstr(g, name);
    yajl_gen_map_open(g);
    ngx_http_lapor_json_literal(g, "count");
    yajl_gen_integer(g, count);
    ngx_http_lapor_json_literal(g, "within");
    yajl_gen_integer(g, within);
    ngx_http_lapor_stats_ratio(g, "share", within, count);
    yajl_gen_map_close(g);
}


/*
 * "agencies": per agency of the catalog, in its order, what waits in its
 * inbox now (dispatched and in progress), how much of it is overdue, and
 * how fast it gave its first answers this month (the month of the answer).
 */

static void
ngx_http_lapor_stats_agencies(yajl_gen g, ngx_http_lapor_stats_t *st,
    redisReply **rep)
{
    u_char            buf[64];
    size_t            i, j;
    int64_t           p;
    uint64_t          counts[LAPOR_STATS_BUCKETS], total;
    redisReply       *answers;
    lapor_catalog_t  *cat;

    cat = st->llcf->catalog->catalog;
    answers = rep[NGX_HTTP_LAPOR_STATS_ANSWERS];

    ngx_http_lapor_json_literal(g, "agencies");
    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "month");
    yajl_gen_string(g, buf, ngx_sprintf(buf, "%04d-%02ui", st->this_year,
                                        st->this_month)
                            - buf);

    ngx_http_lapor_json_literal(g, "by_agency");
    yajl_gen_array_open(g);

    for (i = 0; i < cat->nagencies; i++) {
        total = 0;

        for (j = 0; j < LAPOR_STATS_BUCKETS; j++) {
            if (cat->agencies[i].code_len + 16 > sizeof(buf)) {
                counts[j] = 0;
                continue;
            }

            *ngx_sprintf(buf, "%s:%s", cat->agencies[i].code,
                         lapor_stats_fields[j]) = '\0';
            counts[j] = (uint64_t) ngx_http_lapor_stats_get(answers,
                                                            (char *) buf);
            total += counts[j];
        }

        yajl_gen_map_open(g);
        ngx_http_lapor_json_literal(g, "agency");
        yajl_gen_string(g, (const unsigned char *) cat->agencies[i].code,
                        cat->agencies[i].code_len);
        ngx_http_lapor_json_literal(g, "open");
        yajl_gen_integer(g,
                         rep[NGX_HTTP_LAPOR_STATS_AGENCIES + 2 * i]->integer);
        ngx_http_lapor_json_literal(g, "overdue");
        yajl_gen_integer(g, rep[NGX_HTTP_LAPOR_STATS_AGENCIES + 2 * i + 1]
                            ->integer);

        ngx_http_lapor_json_literal(g, "first_responses");
        yajl_gen_integer(g, (long long) total);

        ngx_http_lapor_json_literal(g, "first_response_p50_seconds");
        p = lapor_stats_percentile(counts, 50);

        if (p >= 0) {
            yajl_gen_integer(g, p);

        } else {
            yajl_gen_null(g);
        }

        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
}
