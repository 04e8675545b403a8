
/*
 * Prometheus metrics.  The counters live in a shared memory zone: every
 * worker adds with atomic operations, so one scrape of any worker sees the
 * whole nginx, and the numbers survive a reload (the zone is kept).  Queue
 * lengths per namespace come from Redis at scrape time.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_metrics.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_store.h"
#include "ngx_http_lapor_replies.h"
#include "lapor_workflow.h"


#define NGX_HTTP_LAPOR_METRICS_ZONE_SIZE  (128 * 1024)
#define NGX_HTTP_LAPOR_METRICS_OPEN       5
/* the replies of a namespace: ZCARD per open state, ZCOUNT per clocked */
#define NGX_HTTP_LAPOR_METRICS_REPLIES                                        \
    (NGX_HTTP_LAPOR_METRICS_OPEN + NGX_HTTP_LAPOR_CLOCKED)


static ngx_str_t  ngx_http_lapor_metrics_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");

static const char  *ngx_http_lapor_endpoints[NGX_HTTP_LAPOR_EP_COUNT] = {
    "other", "health", "catalog", "submit", "report", "events", "action",
    "queue", "stats", "list"
};

/* the statuses counted one by one; anything else is "other" (0) */
static const ngx_uint_t  ngx_http_lapor_statuses[] = {
    0, 200, 201, 304, 400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 429,
    499, 500, 502, 503, 504
};

/* seconds; the last bucket is +Inf */
static const char  *ngx_http_lapor_latency_le[NGX_HTTP_LAPOR_METRICS_LATENCIES]
    = {
    "0.0005", "0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1",
    "0.25", "0.5", "1", "2.5", "+Inf"
};

static const uint64_t  ngx_http_lapor_latency_us[] = {
    500, 1000, 2000, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000
};

static const char  *ngx_http_lapor_redirect_names[] = {
    "", "tryagain", "clusterdown", "ask", "moved"
};

static const char  *ngx_http_lapor_zone_names[NGX_HTTP_LAPOR_METRICS_ZONES] = {
    "submit", "write", "read"
};

static const lapor_state_e  ngx_http_lapor_metrics_states[] = {
    LAPOR_STATE_SUBMITTED, LAPOR_STATE_DEFERRED, LAPOR_STATE_DISPATCHED,
    LAPOR_STATE_IN_PROGRESS, LAPOR_STATE_FOLLOWED_UP
};


/* a scrape's questions to Redis */
typedef struct {
    ngx_uint_t                    each;    /* one namespace at a time */
    ngx_uint_t                    next;
    ngx_uint_t                    n;
    redisReply                  **parts;   /* kept, one per namespace */
} ngx_http_lapor_metrics_ctx_t;


static ngx_int_t ngx_http_lapor_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_lapor_metrics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_metrics_ask(ngx_http_request_t *r,
    ngx_http_lapor_metrics_ctx_t *ctx);
static void ngx_http_lapor_metrics_release(void *data);
static void ngx_http_lapor_metrics_queues(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_metrics_send(ngx_http_request_t *r,
    redisReply *queues);
static u_char *ngx_http_lapor_metrics_cluster_nodes(ngx_http_request_t *r,
    u_char *p, u_char *last, ngx_http_lapor_metrics_t *m);
static u_char *ngx_http_lapor_metrics_coverage(
    ngx_http_lapor_main_conf_t *lmcf, u_char *p, u_char *last);


ngx_int_t
ngx_http_lapor_metrics_init_conf(ngx_conf_t *cf)
{
    ngx_str_t                    name;
    ngx_shm_zone_t              *shm_zone;
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_lapor_module);

    ngx_str_set(&name, "lapor_metrics");

    shm_zone = ngx_shared_memory_add(cf, &name,
                                     NGX_HTTP_LAPOR_METRICS_ZONE_SIZE,
                                     &ngx_http_lapor_module);
    if (shm_zone == NULL) {
        return NGX_ERROR;
    }

    shm_zone->init = ngx_http_lapor_metrics_init_zone;
    shm_zone->noreuse = 0;

    lmcf->metrics_zone = shm_zone;

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t           *shpool;
    ngx_http_lapor_metrics_t  *m;

    /* a reload keeps the counters: Prometheus counters must not reset */

    if (data) {
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    m = ngx_slab_calloc(shpool, sizeof(ngx_http_lapor_metrics_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    shpool->data = m;
    shm_zone->data = m;

    return NGX_OK;
}


ngx_http_lapor_metrics_t *
ngx_http_lapor_metrics(ngx_cycle_t *cycle)
{
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_lapor_module);

    if (lmcf == NULL || lmcf->metrics_zone == NULL) {
        return NULL;
    }

    return lmcf->metrics_zone->data;
}


char *
ngx_http_lapor_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_lapor_loc_conf_t  *llcf = conf;

    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_lapor_main_conf_t  *lmcf;

    if (llcf->metrics) {
        return "is duplicate";
    }

    /* one content handler per location: the other one would be lost */

    if (llcf->api == 1) {
        return "cannot be combined with \"lapor_api\" or \"lapor_open311\" "
               "in one location";
    }

    llcf->metrics = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_lapor_metrics_handler;

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_lapor_module);
    lmcf->metrics_used = 1;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_lapor_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                  status, i, s;
    ngx_http_lapor_ctx_t       *ctx;
    ngx_http_lapor_metrics_t   *m;
    ngx_http_lapor_loc_conf_t  *llcf;

    if (r != r->main) {
        return NGX_OK;
    }

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    if (llcf == NULL || !llcf->api) {
        return NGX_OK;
    }

    m = ngx_http_lapor_metrics((ngx_cycle_t *) ngx_cycle);
    if (m == NULL) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_lapor_module);

    status = r->err_status ? r->err_status : r->headers_out.status;

    s = 0;

    for (i = 1; i < sizeof(ngx_http_lapor_statuses) / sizeof(ngx_uint_t);
         i++)
    {
        if (ngx_http_lapor_statuses[i] == status) {
            s = i;
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&m->requests[ctx ? ctx->endpoint : 0][s], 1);

    return NGX_OK;
}


void
ngx_http_lapor_metrics_latency(ngx_http_lapor_metrics_t *m, uint64_t us)
{
    ngx_uint_t  i;

    if (m == NULL) {
        return;
    }

    for (i = 0; i < NGX_HTTP_LAPOR_METRICS_LATENCIES - 1; i++) {
        if (us <= ngx_http_lapor_latency_us[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&m->latency[i], 1);
    (void) ngx_atomic_fetch_add(&m->latency_sum_us, (ngx_atomic_int_t) us);
}


/*
 * A worker's Redis state.  The slot is the worker's number; the pid tells
 * an exiting worker of a reload from its successor in the same slot.
 */

void
ngx_http_lapor_metrics_ready(ngx_http_lapor_metrics_t *m, ngx_uint_t ready,
    ngx_uint_t lost)
{
    ngx_http_lapor_metrics_worker_t  *w;

    if (m == NULL) {
        return;
    }

    if (lost) {
        (void) ngx_atomic_fetch_add(&m->reconnects, 1);
    }

    if (ngx_worker >= NGX_HTTP_LAPOR_METRICS_WORKERS) {
        return;
    }

    w = &m->workers[ngx_worker];

    if (ready) {
        w->pid = (ngx_atomic_uint_t) ngx_pid;
        w->ready = 1;
        return;
    }

    if (w->pid == (ngx_atomic_uint_t) ngx_pid) {
        w->ready = 0;
    }
}


void
ngx_http_lapor_metrics_switch(ngx_http_lapor_metrics_t *m)
{
    if (m) {
        (void) ngx_atomic_fetch_add(&m->master_switches, 1);
    }
}


void
ngx_http_lapor_metrics_cluster(ngx_http_lapor_metrics_t *m, ngx_uint_t maps,
    ngx_uint_t redirect)
{
    if (m == NULL) {
        return;
    }

    if (maps) {
        (void) ngx_atomic_fetch_add(&m->cluster_maps, maps);
    }

    if (redirect && redirect < NGX_HTTP_LAPOR_METRICS_REDIRECTS) {
        (void) ngx_atomic_fetch_add(&m->cluster_redirects[redirect], 1);
    }
}


void
ngx_http_lapor_metrics_unreplicated(ngx_http_lapor_metrics_t *m)
{
    if (m) {
        (void) ngx_atomic_fetch_add(&m->unreplicated, 1);
    }
}


void
ngx_http_lapor_metrics_limited(ngx_http_request_t *r, ngx_str_t *zone)
{
    ngx_uint_t                 i;
    ngx_http_lapor_metrics_t  *m;

    m = ngx_http_lapor_metrics((ngx_cycle_t *) ngx_cycle);
    if (m == NULL) {
        return;
    }

    for (i = 0; i < NGX_HTTP_LAPOR_METRICS_ZONES; i++) {
        if (zone->len == ngx_strlen(ngx_http_lapor_zone_names[i])
            && ngx_strncmp(zone->data, ngx_http_lapor_zone_names[i],
                           zone->len) == 0)
        {
            (void) ngx_atomic_fetch_add(&m->rate_limited[i], 1);
            return;
        }
    }
}


void
ngx_http_lapor_metrics_replay(ngx_http_request_t *r)
{
    ngx_http_lapor_metrics_t  *m;

    m = ngx_http_lapor_metrics((ngx_cycle_t *) ngx_cycle);
    if (m == NULL) {
        return;
    }

    (void) ngx_atomic_fetch_add(&m->replays, 1);
}


static ngx_int_t
ngx_http_lapor_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_pool_cleanup_t            *cln;
    ngx_http_lapor_metrics_ctx_t  *ctx;
    ngx_http_lapor_main_conf_t    *lmcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    if (lmcf->tenants.nelts == 0
        || ngx_http_lapor_redis_state(lmcf->redis_conn)
           != NGX_HTTP_LAPOR_REDIS_READY)
    {
        return ngx_http_lapor_metrics_send(r, NULL);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_lapor_metrics_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * One transaction over every namespace, but with Redis Cluster the
     * namespaces are slots of their own, maybe on other masters: one
     * transaction each, one after the other.
     */

    ctx->each = ngx_strcmp(ngx_http_lapor_redis_mode(lmcf->redis_conn),
                           "cluster") == 0
                && lmcf->tenants.nelts > 1;

    if (ctx->each) {
        ctx->parts = ngx_pcalloc(r->pool,
                                 lmcf->tenants.nelts * sizeof(redisReply *));
        cln = ngx_pool_cleanup_add(r->pool, 0);

        if (ctx->parts == NULL || cln == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->n = lmcf->tenants.nelts;
        cln->handler = ngx_http_lapor_metrics_release;
        cln->data = ctx;
    }

    rc = ngx_http_lapor_metrics_ask(r, ctx);

    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the module's own numbers are worth a scrape without Redis */
    return ngx_http_lapor_metrics_send(r, NULL);
}


/* the gauges of every namespace, or of the next one (ctx->each) */

static ngx_int_t
ngx_http_lapor_metrics_ask(ngx_http_request_t *r,
    ngx_http_lapor_metrics_ctx_t *ctx)
{
    ngx_uint_t                   i, j, n, first, last;
    ngx_http_lapor_batch_t       b;
    ngx_http_lapor_tenant_t     *t;
    ngx_http_lapor_redis_cmd_t  *cmds;
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);
    t = lmcf->tenants.elts;

    first = ctx->each ? ctx->next : 0;
    last = ctx->each ? ctx->next + 1 : lmcf->tenants.nelts;

    /* the namespace does not matter for the batch: keys are per tenant */

    if (ngx_http_lapor_batch_init(&b, r->pool, &t[first].namespace,
                                  (last - first)
                                  * NGX_HTTP_LAPOR_METRICS_REPLIES + 2)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_lapor_batch_cmd(&b, "MULTI");

    for (i = first; i < last; i++) {
        b.ns = &t[i].namespace;

        for (j = 0; j < NGX_HTTP_LAPOR_METRICS_OPEN; j++) {
            ngx_http_lapor_batch_cmd(&b, "ZCARD");
            ngx_http_lapor_batch_key(&b, "queue:%s", lapor_state_name(
                                         ngx_http_lapor_metrics_states[j]));
        }

        ngx_http_lapor_store_count_overdue(&b, ngx_time());
    }

    ngx_http_lapor_batch_cmd(&b, "EXEC");

    cmds = ngx_http_lapor_batch_commands(&b, &n);
    if (cmds == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_lapor_redis_send(r, lmcf->redis_conn, cmds, n,
                                     ngx_http_lapor_metrics_queues, ctx);
}


static void
ngx_http_lapor_metrics_queues(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_metrics_ctx_t  *ctx = data;

    size_t                       i, k;
    redisReply                   all, **element;
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    if (rc != NGX_OK
        || !ngx_http_lapor_redis_exec_ok(reply,
                                         (ctx->each ? 1 : lmcf->tenants.nelts)
                                         * NGX_HTTP_LAPOR_METRICS_REPLIES))
    {
        ngx_http_finalize_request(r, ngx_http_lapor_metrics_send(r, NULL));
        return;
    }

    if (!ctx->each) {
        ngx_http_finalize_request(r, ngx_http_lapor_metrics_send(r, reply));
        return;
    }

    ctx->parts[ctx->next] = ngx_http_lapor_reply_take(reply);

    if (ctx->parts[ctx->next] == NULL) {
        ngx_http_finalize_request(r, ngx_http_lapor_metrics_send(r, NULL));
        return;
    }

    if (++ctx->next < ctx->n) {
        rc = ngx_http_lapor_metrics_ask(r, ctx);

        /* the next step holds the request now: this one lets it go */
        ngx_http_finalize_request(r, rc == NGX_OK ? NGX_DONE
                                     : ngx_http_lapor_metrics_send(r, NULL));
        return;
    }

    /* the namespaces' answers, as one transaction would have given them */

    element = ngx_palloc(r->pool, ctx->n * NGX_HTTP_LAPOR_METRICS_REPLIES
                                  * sizeof(redisReply *));
    if (element == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    for (i = 0, k = 0; i < ctx->n; i++) {
        ngx_memcpy(&element[k], ctx->parts[i]->element,
                   ctx->parts[i]->elements * sizeof(redisReply *));
        k += ctx->parts[i]->elements;
    }

    ngx_memzero(&all, sizeof(redisReply));
    all.type = REDIS_REPLY_ARRAY;
    all.elements = k;
    all.element = element;

    ngx_http_finalize_request(r, ngx_http_lapor_metrics_send(r, &all));
}


static void
ngx_http_lapor_metrics_release(void *data)
{
    ngx_http_lapor_metrics_ctx_t  *ctx = data;

    ngx_uint_t  i;

    for (i = 0; i < ctx->n; i++) {
        if (ctx->parts[i]) {
            ngx_http_lapor_reply_release(ctx->parts[i]);
            ctx->parts[i] = NULL;
        }
    }
}


static ngx_int_t
ngx_http_lapor_metrics_send(ngx_http_request_t *r, redisReply *queues)
{
    u_char                      *p, *last, *start;
    size_t                       size;
    uint64_t                     cumulative, v;
    ngx_uint_t                   i, j, ready;
    ngx_http_lapor_tenant_t     *t;
    ngx_http_lapor_metrics_t    *m;
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);
    m = ngx_http_lapor_metrics((ngx_cycle_t *) ngx_cycle);

    /* generous: every series at its longest, and each namespace's */

    size = 32768 + 8192 + lmcf->tenants.nelts * 1024;

    start = ngx_pnalloc(r->pool, size);
    if (start == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = start;
    last = start + size;

    if (m) {
        p = ngx_slprintf(p, last,
                "# HELP lapor_http_requests_total Requests answered by the "
                "API, by endpoint and status.\n"
                "# TYPE lapor_http_requests_total counter\n");

        for (i = 0; i < NGX_HTTP_LAPOR_EP_COUNT; i++) {
            for (j = 0; j < NGX_HTTP_LAPOR_METRICS_STATUSES; j++) {
                v = m->requests[i][j];

                if (v == 0) {
                    continue;
                }

                if (j == 0) {
                    p = ngx_slprintf(p, last,
                            "lapor_http_requests_total{endpoint=\"%s\","
                            "status=\"other\"} %uL\n",
                            ngx_http_lapor_endpoints[i], v);

                } else {
                    p = ngx_slprintf(p, last,
                            "lapor_http_requests_total{endpoint=\"%s\","
                            "status=\"%ui\"} %uL\n",
                            ngx_http_lapor_endpoints[i],
                            ngx_http_lapor_statuses[j], v);
                }
            }
        }

        p = ngx_slprintf(p, last,
                "# HELP lapor_redis_command_duration_seconds Time from "
                "sending a batch of Redis commands to its last reply.\n"
                "# TYPE lapor_redis_command_duration_seconds histogram\n");

        cumulative = 0;

        for (i = 0; i < NGX_HTTP_LAPOR_METRICS_LATENCIES; i++) {
            cumulative += m->latency[i];
            p = ngx_slprintf(p, last,
                    "lapor_redis_command_duration_seconds_bucket"
                    "{le=\"%s\"} %uL\n",
                    ngx_http_lapor_latency_le[i], cumulative);
        }

        v = m->latency_sum_us;

        p = ngx_slprintf(p, last,
                "lapor_redis_command_duration_seconds_sum %uL.%06uL\n"
                "lapor_redis_command_duration_seconds_count %uL\n",
                v / 1000000, v % 1000000, cumulative);

        ready = 0;

        for (i = 0; i < NGX_HTTP_LAPOR_METRICS_WORKERS; i++) {
            ready += (m->workers[i].ready != 0);
        }

        p = ngx_slprintf(p, last,
                "# HELP lapor_redis_connections_ready Worker processes "
                "whose Redis connection is ready.\n"
                "# TYPE lapor_redis_connections_ready gauge\n"
                "lapor_redis_connections_ready %ui\n"
                "# HELP lapor_redis_disconnects_total Redis connections "
                "lost or refused, each followed by a reconnect.\n"
                "# TYPE lapor_redis_disconnects_total counter\n"
                "lapor_redis_disconnects_total %uA\n",
                ready, m->reconnects);

        p = ngx_slprintf(p, last,
                "# HELP lapor_redis_master_switches_total Times a worker "
                "was told of a new master by Sentinel, summed over the "
                "workers.\n"
                "# TYPE lapor_redis_master_switches_total counter\n"
                "lapor_redis_master_switches_total %uA\n"
                "# HELP lapor_redis_unreplicated_writes_total Write "
                "transactions answered 503 because WAIT counted fewer "
                "replicas than lapor_redis_wait asks for.\n"
                "# TYPE lapor_redis_unreplicated_writes_total counter\n"
                "lapor_redis_unreplicated_writes_total %uA\n",
                m->master_switches, m->unreplicated);

        if (ngx_http_lapor_redis_sentinel(lmcf->redis_conn)
            && ngx_http_lapor_redis_state(lmcf->redis_conn)
               == NGX_HTTP_LAPOR_REDIS_READY)
        {
            p = ngx_slprintf(p, last,
                    "# HELP lapor_redis_master The master this worker "
                    "writes to, as Sentinel named it.\n"
                    "# TYPE lapor_redis_master gauge\n"
                    "lapor_redis_master{name=\"%V\",address=\"%V\"} 1\n",
                    &lmcf->redis.master_name,
                    ngx_http_lapor_redis_master(lmcf->redis_conn));
        }

        p = ngx_slprintf(p, last,
                "# HELP lapor_redis_mode How the module reaches Redis: "
                "single, sentinel or cluster.\n"
                "# TYPE lapor_redis_mode gauge\n"
                "lapor_redis_mode{mode=\"%s\"} 1\n",
                ngx_http_lapor_redis_mode(lmcf->redis_conn));

        if (ngx_strcmp(ngx_http_lapor_redis_mode(lmcf->redis_conn),
                       "cluster") == 0)
        {
            p = ngx_http_lapor_metrics_cluster_nodes(r, p, last, m);
        }

        p = ngx_slprintf(p, last,
                "# HELP lapor_rate_limited_total Requests refused by a "
                "lapor_limit zone.\n"
                "# TYPE lapor_rate_limited_total counter\n");

        for (i = 0; i < NGX_HTTP_LAPOR_METRICS_ZONES; i++) {
            p = ngx_slprintf(p, last,
                    "lapor_rate_limited_total{zone=\"%s\"} %uA\n",
                    ngx_http_lapor_zone_names[i], m->rate_limited[i]);
        }

        p = ngx_slprintf(p, last,
                "# HELP lapor_idempotent_replays_total Repeated submissions "
                "answered from their Idempotency-Key record.\n"
                "# TYPE lapor_idempotent_replays_total counter\n"
                "lapor_idempotent_replays_total %uA\n",
                m->replays);

        p = ngx_slprintf(p, last,
                "# HELP lapor_deadlines_past_coverage_total Deadlines "
                "computed past the last date a catalog's holidays cover "
                "(weekends only after it).\n"
                "# TYPE lapor_deadlines_past_coverage_total counter\n"
                "lapor_deadlines_past_coverage_total %uA\n",
                m->past_coverage);
    }

    p = ngx_http_lapor_metrics_coverage(lmcf, p, last);

    if (queues) {
        t = lmcf->tenants.elts;

        /* namespaces are [a-z0-9_-]: nothing to escape in the labels */

        p = ngx_slprintf(p, last,
                "# HELP lapor_queue_reports Open reports per state, from "
                "the live queues in Redis.\n"
                "# TYPE lapor_queue_reports gauge\n");

        for (i = 0; i < lmcf->tenants.nelts; i++) {
            for (j = 0; j < NGX_HTTP_LAPOR_METRICS_OPEN; j++) {
                p = ngx_slprintf(p, last,
                        "lapor_queue_reports{namespace=\"%V\",state=\"%s\"} "
                        "%L\n", &t[i].namespace,
                        lapor_state_name(ngx_http_lapor_metrics_states[j]),
                        (int64_t) queues->element[
                            i * NGX_HTTP_LAPOR_METRICS_REPLIES + j]
                            ->integer);
            }
        }

        p = ngx_slprintf(p, last,
                "# HELP lapor_overdue_reports Reports past their deadline "
                "that wait for an admin or an agency.\n"
                "# TYPE lapor_overdue_reports gauge\n");

        for (i = 0; i < lmcf->tenants.nelts; i++) {
            p = ngx_slprintf(p, last,
                    "lapor_overdue_reports{namespace=\"%V\"} %L\n",
                    &t[i].namespace,
                    ngx_http_lapor_store_overdue(&queues->element[
                        i * NGX_HTTP_LAPOR_METRICS_REPLIES
                        + NGX_HTTP_LAPOR_METRICS_OPEN]));
        }
    }

    return ngx_http_lapor_send(r, NGX_HTTP_OK, &ngx_http_lapor_metrics_type,
                               start, p - start);
}


/*
 * The end of each namespace's holiday coverage, from the configuration: a
 * Prometheus alert on "less than 90 days left" needs no access to the
 * catalog file.  A catalog without an end (no holidays, none expected) has
 * no sample.
 */

static u_char *
ngx_http_lapor_metrics_coverage(ngx_http_lapor_main_conf_t *lmcf, u_char *p,
    u_char *last)
{
    int64_t                   end;
    ngx_uint_t                i, header;
    lapor_catalog_t          *cat;
    ngx_http_lapor_tenant_t  *t;

    t = lmcf->tenants.elts;
    header = 0;

    for (i = 0; i < lmcf->tenants.nelts; i++) {
        cat = t[i].catalog;
        end = lapor_calendar_coverage_end(&cat->calendar);

        if (end == LAPOR_CALENDAR_NONE) {
            continue;
        }

        if (!header) {
            p = ngx_slprintf(p, last,
                    "# HELP lapor_holidays_covered_until_timestamp_seconds "
                    "The end of a catalog's holiday coverage (00:00 local "
                    "of the first day not covered), in Unix time.\n"
                    "# TYPE lapor_holidays_covered_until_timestamp_seconds "
                    "gauge\n");
            header = 1;
        }

        /* namespaces are [a-z0-9_-], region codes [a-z0-9-] */

        p = ngx_slprintf(p, last,
                "lapor_holidays_covered_until_timestamp_seconds"
                "{namespace=\"%V\",region=\"%*s\"} %L\n",
                &t[i].namespace, cat->region_code_len, cat->region_code,
                end);
    }

    return p;
}


/*
 * Redis Cluster as the worker answering sees it: the masters of its slot
 * map and its connections, the namespaces' slots and masters; and the
 * maps and redirections of every worker.
 */

static u_char *
ngx_http_lapor_metrics_cluster_nodes(ngx_http_request_t *r, u_char *p,
    u_char *last, ngx_http_lapor_metrics_t *m)
{
    ngx_uint_t                         i, slot;
    ngx_http_lapor_tenant_t           *t;
    ngx_http_lapor_main_conf_t        *lmcf;
    ngx_http_lapor_redis_node_info_t   info;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    p = ngx_slprintf(p, last,
            "# HELP lapor_redis_cluster_slots Slots of each node in the slot "
            "map of the worker answering (0: a node known but no master), "
            "with the state of that worker's connection to it.\n"
            "# TYPE lapor_redis_cluster_slots gauge\n");

    for (i = 0; ngx_http_lapor_redis_cluster_node(lmcf->redis_conn, i, &info)
                == NGX_OK;
         i++)
    {
        p = ngx_slprintf(p, last,
                "lapor_redis_cluster_slots{address=\"%V\",state=\"%s\"} "
                "%ui\n", info.address, info.state, info.slots);
    }

    p = ngx_slprintf(p, last,
            "# HELP lapor_redis_cluster_namespace_master The master of "
            "each namespace's slot, in the map of the worker answering.\n"
            "# TYPE lapor_redis_cluster_namespace_master gauge\n");

    t = lmcf->tenants.elts;

    for (i = 0; i < lmcf->tenants.nelts; i++) {
        if (ngx_http_lapor_redis_cluster_slot(lmcf->redis_conn,
                                              &t[i].namespace, &slot, &info)
            != NGX_OK)
        {
            continue;
        }

        p = ngx_slprintf(p, last,
                "lapor_redis_cluster_namespace_master{namespace=\"%V\","
                "slot=\"%ui\",address=\"%V\"} 1\n",
                &t[i].namespace, slot, info.address);
    }

    p = ngx_slprintf(p, last,
            "# HELP lapor_redis_cluster_maps_total Slot maps (CLUSTER SLOTS) "
            "taken, summed over the workers.\n"
            "# TYPE lapor_redis_cluster_maps_total counter\n"
            "lapor_redis_cluster_maps_total %uA\n"
            "# HELP lapor_redis_cluster_redirects_total Batches sent again "
            "after a redirection, by the reply, summed over the workers.\n"
            "# TYPE lapor_redis_cluster_redirects_total counter\n",
            m->cluster_maps);

    for (i = 1; i < NGX_HTTP_LAPOR_METRICS_REDIRECTS; i++) {
        p = ngx_slprintf(p, last,
                "lapor_redis_cluster_redirects_total{reply=\"%s\"} %uA\n",
                ngx_http_lapor_redirect_names[i], m->cluster_redirects[i]);
    }

    return p;
}
