
/*
 * Rate limits kept in Redis: a counter per zone, client key and fixed time
 * window, "INCR" and "PEXPIRE" in one MULTI/EXEC.  Every nginx node shares
 * the counters, and "Retry-After" tells the true time to the next window.
 *
 * A read (ngx_http_lapor_limit_read) goes into the counter's MULTI/EXEC:
 * one round trip instead of two.  A read changes nothing, so the answer of
 * a refused one is simply dropped; a write waits for the counter's answer.
 *
 * The client key (by default $binary_remote_addr, so the realip module
 * works) is stored only as a truncated HMAC under the identity key: Redis
 * does not learn who reported.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_group.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_metrics.h"
#include "lapor_crypto.h"


#define NGX_HTTP_LAPOR_LIMIT_KEY_HEX  32


typedef struct {
    ngx_http_lapor_step_pt       next;
    ngx_http_lapor_reject_pt     reject;
    ngx_http_lapor_redis_handler_pt  done;   /* a read: its answer's handler */
    ngx_uint_t                   nread;      /* a read: its commands */
    void                        *data;
    ngx_http_lapor_limit_t      *limit;
    ngx_msec_t                   window_end;    /* ms since the epoch */
    ngx_http_lapor_redis_t      *rds;
} ngx_http_lapor_limit_ctx_t;


static ngx_http_complex_value_t *ngx_http_lapor_limit_key(ngx_conf_t *cf,
    ngx_str_t *value);
static ngx_http_lapor_limit_t *ngx_http_lapor_limit_find(
    ngx_http_request_t *r, const char *zone);
static void ngx_http_lapor_limit_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_limit_reject(ngx_http_request_t *r,
    ngx_http_lapor_limit_ctx_t *ctx);
static ngx_http_lapor_limit_ctx_t *ngx_http_lapor_limit_count(
    ngx_http_request_t *r, ngx_http_lapor_limit_t *lim,
    ngx_http_lapor_batch_t *b);
static ngx_int_t ngx_http_lapor_limit_counted(ngx_http_request_t *r,
    ngx_http_lapor_limit_ctx_t *ctx, redisReply *reply, ngx_int_t rc,
    size_t n);
static void ngx_http_lapor_limit_read_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);


static const char  *ngx_http_lapor_limit_zones[] = {
    "submit", "write", "read", NULL
};


static ngx_http_lapor_text_t  ngx_http_lapor_t_limited = {
    "Terlalu banyak permintaan", "Too many requests"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_limited = {
    "Batas permintaan terlampaui; coba lagi setelah jeda yang disebutkan.",
    "The request limit was exceeded; retry after the given delay."
};


/* lapor_limit zone rate [burst=N] [key=complex-value] */

char *
ngx_http_lapor_limit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_lapor_loc_conf_t  *llcf = conf;

    u_char                   *p, *last;
    ngx_int_t                 n;
    ngx_str_t                *value, s;
    ngx_uint_t                i, burst_set;
    const char              **z;
    ngx_http_lapor_limit_t   *lim;

    value = cf->args->elts;

    for (z = ngx_http_lapor_limit_zones; *z; z++) {
        if (value[1].len == ngx_strlen(*z)
            && ngx_strncmp(value[1].data, *z, value[1].len) == 0)
        {
            break;
        }
    }

    if (*z == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown zone \"%V\" in \"lapor_limit\", expected "
                           "submit, write or read", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (llcf->limits == NGX_CONF_UNSET_PTR) {
        llcf->limits = ngx_array_create(cf->pool, 3,
                                        sizeof(ngx_http_lapor_limit_t));
        if (llcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    lim = llcf->limits->elts;

    for (i = 0; i < llcf->limits->nelts; i++) {
        if (lim[i].zone.len == value[1].len
            && ngx_strncmp(lim[i].zone.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate zone \"%V\" in \"lapor_limit\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    lim = ngx_array_push(llcf->limits);
    if (lim == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(lim, sizeof(ngx_http_lapor_limit_t));
    lim->zone = value[1];

    /* rate: "Nr/s", "Nr/m", "Nr/h" or "Nr/d" */

    p = value[2].data;
    last = p + value[2].len;

    while (p < last && *p >= '0' && *p <= '9') {
        p++;
    }

    n = ngx_atoi(value[2].data, p - value[2].data);

    if (n <= 0 || last - p != 3 || p[0] != 'r' || p[1] != '/') {
        goto invalid_rate;
    }

    switch (p[2]) {
    case 's':
        lim->window = 1000;
        break;
    case 'm':
        lim->window = 60 * 1000;
        break;
    case 'h':
        lim->window = 60 * 60 * 1000;
        break;
    case 'd':
        lim->window = 24 * 60 * 60 * 1000;
        break;
    default:
        goto invalid_rate;
    }

    lim->rate = n;
    burst_set = 0;

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            if (burst_set) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"burst\" in \"lapor_limit\"");
                return NGX_CONF_ERROR;
            }

            burst_set = 1;
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);

            if (n == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid burst \"%V\" in \"lapor_limit\"",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            lim->burst = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "key=", 4) == 0) {
            if (lim->key) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"key\" in \"lapor_limit\"");
                return NGX_CONF_ERROR;
            }

            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            if (s.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "empty key in \"lapor_limit\"");
                return NGX_CONF_ERROR;
            }

            lim->key = ngx_http_lapor_limit_key(cf, &s);
            if (lim->key == NULL) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"lapor_limit\"",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    if (lim->key == NULL) {
        ngx_str_set(&s, "$binary_remote_addr");

        lim->key = ngx_http_lapor_limit_key(cf, &s);
        if (lim->key == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;

invalid_rate:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid rate \"%V\" in \"lapor_limit\", expected "
                       "e.g. 10r/m (per s, m, h or d)", &value[2]);
    return NGX_CONF_ERROR;
}


static ngx_http_complex_value_t *
ngx_http_lapor_limit_key(ngx_conf_t *cf, ngx_str_t *value)
{
    ngx_http_complex_value_t          *cv;
    ngx_http_compile_complex_value_t   ccv;

    cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (cv == NULL) {
        return NULL;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = cv;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NULL;
    }

    return cv;
}


static ngx_http_lapor_limit_t *
ngx_http_lapor_limit_find(ngx_http_request_t *r, const char *zone)
{
    size_t                      len;
    ngx_uint_t                  i;
    ngx_http_lapor_limit_t     *lim;
    ngx_http_lapor_loc_conf_t  *llcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    if (llcf->limits == NULL) {
        return NULL;
    }

    len = ngx_strlen(zone);
    lim = llcf->limits->elts;

    for (i = 0; i < llcf->limits->nelts; i++) {
        if (lim[i].zone.len == len
            && ngx_strncmp(lim[i].zone.data, zone, len) == 0)
        {
            return &lim[i];
        }
    }

    return NULL;
}


ngx_int_t
ngx_http_lapor_limit(ngx_http_request_t *r, const char *zone,
    ngx_http_lapor_step_pt next, ngx_http_lapor_reject_pt reject, void *data)
{
    ngx_http_lapor_batch_t       b;
    ngx_http_lapor_limit_t      *lim;
    ngx_http_lapor_limit_ctx_t  *ctx;

    lim = ngx_http_lapor_limit_find(r, zone);

    if (lim == NULL) {
        return next(r, data);
    }

    ctx = ngx_http_lapor_limit_count(r, lim, &b);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->next = next;
    ctx->reject = reject;
    ctx->data = data;

    ngx_http_lapor_batch_cmd(&b, "EXEC");

    /* with the other counters of this turn: one INCRBY for one client's */
    return ngx_http_lapor_group_send(r, &b, ngx_http_lapor_limit_done, ctx);
}


/*
 * A read under a limit: the counter and the read's commands in one
 * MULTI/EXEC.  done gets the read's answer: the reply of its command, or
 * with more than one command an array of their replies (as EXEC's; without
 * a limit they are sent in a MULTI/EXEC of their own, as one moment).
 */

ngx_int_t
ngx_http_lapor_limit_read(ngx_http_request_t *r, const char *zone,
    ngx_http_lapor_read_pt read, ngx_http_lapor_redis_handler_pt done,
    void *data)
{
    ngx_uint_t                   n;
    ngx_array_t                 *cmds, multi;
    ngx_http_lapor_batch_t       b;
    ngx_http_lapor_limit_t      *lim;
    ngx_http_lapor_loc_conf_t   *llcf;
    ngx_http_lapor_main_conf_t  *lmcf;
    ngx_http_lapor_limit_ctx_t  *ctx;

    lim = ngx_http_lapor_limit_find(r, zone);

    if (lim == NULL) {
        llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);
        lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

        if (ngx_http_lapor_batch_init(&b, r->pool, &llcf->namespace, 4)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (read(r, &b, data) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        n = b.cmds.nelts;

        if (n > 1) {
            /* several commands: one moment, MULTI moved to the front */
            ngx_http_lapor_batch_cmd(&b, "MULTI");

            if (b.failed) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            cmds = b.cmds.elts;
            multi = cmds[n];
            ngx_memmove(&cmds[1], &cmds[0], n * sizeof(ngx_array_t));
            cmds[0] = multi;

            ngx_http_lapor_batch_cmd(&b, "EXEC");
        }

        return ngx_http_lapor_batch_send(r, lmcf->redis_conn, &b, done,
                                         data);
    }

    ctx = ngx_http_lapor_limit_count(r, lim, &b);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->next = NULL;
    ctx->reject = NULL;
    ctx->done = done;
    ctx->data = data;

    n = b.cmds.nelts;

    if (read(r, &b, data) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->nread = b.cmds.nelts - n;

    ngx_http_lapor_batch_cmd(&b, "EXEC");

    return ngx_http_lapor_group_send(r, &b, ngx_http_lapor_limit_read_done,
                                     ctx);
}


/* the counter's context, and MULTI, INCR, PEXPIRE in b; NULL on error */

static ngx_http_lapor_limit_ctx_t *
ngx_http_lapor_limit_count(ngx_http_request_t *r, ngx_http_lapor_limit_t *lim,
    ngx_http_lapor_batch_t *b)
{
    char                         hex[2 * LAPOR_SHA256_LEN];
    ngx_str_t                    key;
    ngx_msec_t                   now, window;
    ngx_time_t                  *tp;
    unsigned char                digest[LAPOR_SHA256_LEN];
    ngx_http_lapor_limit_ctx_t  *ctx;
    ngx_http_lapor_loc_conf_t   *llcf;
    ngx_http_lapor_main_conf_t  *lmcf;

    if (ngx_http_complex_value(r, lim->key, &key) != NGX_OK) {
        return NULL;
    }

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    /*
     * Keyed with the identity key: a plain hash of an IPv4 address is
     * undone by trying all 2^32 of them.
     */

    if (lapor_hmac_sha256(llcf->identity_key, LAPOR_KEY_LEN, key.data,
                          key.len, digest)
        != 0)
    {
        return NULL;
    }

    lapor_hex(digest, NGX_HTTP_LAPOR_LIMIT_KEY_HEX / 2, hex);

    tp = ngx_timeofday();
    now = (ngx_msec_t) tp->sec * 1000 + tp->msec;
    window = now / lim->window;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_lapor_limit_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    ctx->limit = lim;
    ctx->window_end = (window + 1) * lim->window;
    ctx->rds = lmcf->redis_conn;

    if (ngx_http_lapor_batch_init(b, r->pool, &llcf->namespace, 6)
        != NGX_OK)
    {
        return NULL;
    }

    ngx_http_lapor_batch_cmd(b, "MULTI");

    ngx_http_lapor_batch_cmd(b, "INCR");
    ngx_http_lapor_batch_key(b, "rl:%V:%*s:%M", &lim->zone,
                             (size_t) NGX_HTTP_LAPOR_LIMIT_KEY_HEX, hex,
                             window);

    /*
     * The counter outlives its window a little, never forever.  Set once,
     * by the window's first request (NX: Redis 7.0): the key names its
     * window, so a later request has nothing to renew, and a PEXPIRE that
     * changes nothing is not written to the append-only file.
     */
    ngx_http_lapor_batch_cmd(b, "PEXPIRE");
    ngx_http_lapor_batch_key(b, "rl:%V:%*s:%M", &lim->zone,
                             (size_t) NGX_HTTP_LAPOR_LIMIT_KEY_HEX, hex,
                             window);
    ngx_http_lapor_batch_int(b, (int64_t) lim->window + 1000);
    ngx_http_lapor_batch_cstr(b, "NX");

    return ctx;
}


/*
 * The counter's answer (EXEC's, n replies): NGX_OK within the limit;
 * otherwise the request was finalized (an error, or 429) and NGX_DONE.
 */

static ngx_int_t
ngx_http_lapor_limit_counted(ngx_http_request_t *r,
    ngx_http_lapor_limit_ctx_t *ctx, redisReply *reply, ngx_int_t rc,
    size_t n)
{
    if (rc != NGX_OK
        || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != n
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
    {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, ctx->rds, rc, reply));
        return NGX_DONE;
    }

    if (reply->element[0]->integer
        > (long long) (ctx->limit->rate + ctx->limit->burst))
    {
        /* refused: a read's answer is dropped unseen */
        ngx_http_finalize_request(r, ngx_http_lapor_limit_reject(r, ctx));
        return NGX_DONE;
    }

    return NGX_OK;
}


static void
ngx_http_lapor_limit_read_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_limit_ctx_t  *ctx = data;

    redisReply  *read;

    if (ngx_http_lapor_limit_counted(r, ctx, reply, rc, 2 + ctx->nread)
        != NGX_OK)
    {
        return;
    }

    if (ctx->nread == 1) {
        ctx->done(r, ctx->data, reply->element[2], NGX_OK);
        return;
    }

    /* the read's replies as an array of their own, as EXEC's */

    read = ngx_palloc(r->pool, sizeof(redisReply));
    if (read == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    *read = *reply;
    read->elements = ctx->nread;
    read->element = reply->element + 2;

    ctx->done(r, ctx->data, read, NGX_OK);
}


static void
ngx_http_lapor_limit_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_limit_ctx_t  *ctx = data;

    if (ngx_http_lapor_limit_counted(r, ctx, reply, rc, 2) != NGX_OK) {
        return;
    }

    ngx_http_finalize_request(r, ctx->next(r, ctx->data));
}


static ngx_int_t
ngx_http_lapor_limit_reject(ngx_http_request_t *r,
    ngx_http_lapor_limit_ctx_t *ctx)
{
    time_t       retry_after;
    ngx_time_t  *tp;
    ngx_msec_t   now;

    tp = ngx_timeofday();
    now = (ngx_msec_t) tp->sec * 1000 + tp->msec;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "lapor: rate limit \"%V\" exceeded", &ctx->limit->zone);

    ngx_http_lapor_metrics_limited(r, &ctx->limit->zone);

    /* the counter starts again at the next window: that is the truth */
    retry_after = ctx->window_end > now
                  ? (time_t) ((ctx->window_end - now + 999) / 1000) : 1;

    if (ctx->reject) {
        return ctx->reject(r, ctx->data, retry_after);
    }

    return ngx_http_lapor_limited(r, retry_after);
}


ngx_int_t
ngx_http_lapor_limited(ngx_http_request_t *r, time_t retry_after)
{
    ngx_http_lapor_problem_t  pr;

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    pr.status = NGX_HTTP_TOO_MANY_REQUESTS;
    pr.type = "rate-limited";
    pr.title = &ngx_http_lapor_t_limited;
    pr.detail = &ngx_http_lapor_d_limited;
    pr.retry_after = retry_after;

    return ngx_http_lapor_problem_send(r, &pr);
}
