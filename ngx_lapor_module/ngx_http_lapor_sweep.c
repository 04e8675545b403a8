
/*
 * The auto-close sweep.  Every worker of every node arms a cancelable timer;
 * when it fires, a worker takes the namespace's sweep lock (SET NX PX) and,
 * if it got it, closes the followed-up reports whose auto-close time has
 * passed, each with the same claim and MULTI/EXEC as an officer's action:
 * one sweeper per interval, and a report closed once even if two overlap.
 * Views show such a report as closed even before the sweep reaches it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_sweep.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_store.h"
#include "ngx_http_lapor_transition.h"


#define NGX_HTTP_LAPOR_SWEEP_BATCH  100


typedef struct {
    ngx_http_lapor_main_conf_t     *lmcf;
    ngx_event_t                     timer;
    ngx_log_t                      *log;
    ngx_str_t                       owner;

    /* one run */
    ngx_pool_t                     *pool;
    ngx_uint_t                      tenant;
    ngx_array_t                    *ids;        /* int64_t */
    ngx_uint_t                      next;
    int64_t                         now;
    ngx_http_lapor_current_t        cur;
    ngx_http_lapor_change_t         change;
    ngx_uint_t                      expect;
    ngx_uint_t                      closed;
    unsigned                        exiting:1;
} ngx_http_lapor_sweep_t;


static void ngx_http_lapor_sweep_start(ngx_event_t *ev);
static void ngx_http_lapor_sweep_tenant(ngx_http_lapor_sweep_t *sw);
static void ngx_http_lapor_sweep_locked(void *data, redisReply *reply,
    ngx_int_t rc);
static void ngx_http_lapor_sweep_report(ngx_http_lapor_sweep_t *sw);
static void ngx_http_lapor_sweep_fetched(void *data, redisReply *reply,
    ngx_int_t rc);
static void ngx_http_lapor_sweep_claimed(void *data, redisReply *reply,
    ngx_int_t rc);
static void ngx_http_lapor_sweep_next(void *data, redisReply *reply,
    ngx_int_t rc);
static void ngx_http_lapor_sweep_written(void *data, redisReply *reply,
    ngx_int_t rc);
static ngx_int_t ngx_http_lapor_sweep_send(ngx_http_lapor_sweep_t *sw,
    ngx_http_lapor_batch_t *b, ngx_http_lapor_redis_internal_pt handler);
static void ngx_http_lapor_sweep_done(ngx_http_lapor_sweep_t *sw);
static void ngx_http_lapor_sweep_arm(ngx_http_lapor_sweep_t *sw);


void *
ngx_http_lapor_sweep_create(ngx_cycle_t *cycle, void *conf)
{
    ngx_http_lapor_main_conf_t  *lmcf = conf;

    u_char                  *p;
    ngx_http_lapor_sweep_t  *sw;

    sw = ngx_pcalloc(cycle->pool, sizeof(ngx_http_lapor_sweep_t));
    if (sw == NULL) {
        return NULL;
    }

    sw->lmcf = lmcf;
    sw->log = cycle->log;

    /* the lock's value names the holder, for an operator reading Redis */

    p = ngx_pnalloc(cycle->pool, NGX_MAXHOSTNAMELEN + NGX_INT_T_LEN + 2);
    if (p == NULL) {
        return NULL;
    }

    sw->owner.data = p;
    sw->owner.len = ngx_sprintf(p, "%V:%P", &cycle->hostname, ngx_pid) - p;

    sw->timer.handler = ngx_http_lapor_sweep_start;
    sw->timer.data = sw;
    sw->timer.log = cycle->log;
    sw->timer.cancelable = 1;

    if (lmcf->tenants.nelts) {
        ngx_http_lapor_sweep_arm(sw);
    }

    return sw;
}


void
ngx_http_lapor_sweep_destroy(void *data)
{
    ngx_http_lapor_sweep_t  *sw = data;

    sw->exiting = 1;

    if (sw->timer.timer_set) {
        ngx_del_timer(&sw->timer);
    }

    /* a run in flight ends when the Redis context is freed after this */
}


static void
ngx_http_lapor_sweep_arm(ngx_http_lapor_sweep_t *sw)
{
    ngx_msec_t  interval;

    if (sw->exiting || ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    /* spread the workers of all nodes over a tenth of the interval */

    interval = sw->lmcf->sweep_interval;
    interval += (ngx_msec_t) ngx_random() % (interval / 10 + 1);

    ngx_add_timer(&sw->timer, interval);
}


static void
ngx_http_lapor_sweep_start(ngx_event_t *ev)
{
    ngx_time_t              *tp;
    ngx_http_lapor_sweep_t  *sw = ev->data;

    if (sw->pool) {
        /* the previous run is still going */
        ngx_http_lapor_sweep_arm(sw);
        return;
    }

    sw->pool = ngx_create_pool(4096, sw->log);
    if (sw->pool == NULL) {
        ngx_http_lapor_sweep_arm(sw);
        return;
    }

    tp = ngx_timeofday();

    sw->now = tp->sec;
    sw->tenant = 0;
    sw->closed = 0;

    ngx_http_lapor_sweep_tenant(sw);
}


static void
ngx_http_lapor_sweep_tenant(ngx_http_lapor_sweep_t *sw)
{
    ngx_msec_t                lock;
    ngx_http_lapor_batch_t    b;
    ngx_http_lapor_tenant_t  *t;

    if (sw->tenant >= sw->lmcf->tenants.nelts) {
        ngx_http_lapor_sweep_done(sw);
        return;
    }

    t = sw->lmcf->tenants.elts;
    t = &t[sw->tenant];

    if (ngx_http_lapor_batch_init(&b, sw->pool, &t->namespace, 4) != NGX_OK) {
        ngx_http_lapor_sweep_done(sw);
        return;
    }

    /* held a little shorter than the interval: one sweeper per interval */

    lock = sw->lmcf->sweep_interval * 9 / 10;
    if (lock < 500) {
        lock = 500;
    }

    ngx_http_lapor_batch_cmd(&b, "MULTI");
    ngx_http_lapor_batch_cmd(&b, "SET");
    ngx_http_lapor_batch_key(&b, "sweep:lock");
    ngx_http_lapor_batch_str(&b, &sw->owner);
    ngx_http_lapor_batch_cstr(&b, "NX");
    ngx_http_lapor_batch_cstr(&b, "PX");
    ngx_http_lapor_batch_int(&b, lock);
    ngx_http_lapor_batch_cmd(&b, "ZRANGEBYSCORE");
    ngx_http_lapor_batch_key(&b, "autoclose");
    ngx_http_lapor_batch_cstr(&b, "-inf");
    ngx_http_lapor_batch_int(&b, ngx_http_lapor_score(sw->now, 0) - 1);
    ngx_http_lapor_batch_cstr(&b, "LIMIT");
    ngx_http_lapor_batch_cstr(&b, "0");
    ngx_http_lapor_batch_int(&b, NGX_HTTP_LAPOR_SWEEP_BATCH);
    ngx_http_lapor_batch_cmd(&b, "EXEC");

    if (ngx_http_lapor_sweep_send(sw, &b, ngx_http_lapor_sweep_locked)
        != NGX_OK)
    {
        ngx_http_lapor_sweep_done(sw);
    }
}


static void
ngx_http_lapor_sweep_locked(void *data, redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_sweep_t  *sw = data;

    size_t       i;
    int64_t     *id;
    redisReply  *ids;

    if (rc != NGX_OK || sw->exiting
        || !ngx_http_lapor_redis_exec_ok(reply, 2))
    {
        ngx_http_lapor_sweep_done(sw);
        return;
    }

    if (reply->element[0]->type == REDIS_REPLY_NIL) {
        /* another worker or node sweeps this namespace now */
        sw->tenant++;
        ngx_http_lapor_sweep_tenant(sw);
        return;
    }

    ids = reply->element[1];

    sw->ids = ngx_array_create(sw->pool, ids->elements + 1, sizeof(int64_t));
    if (sw->ids == NULL) {
        ngx_http_lapor_sweep_done(sw);
        return;
    }

    for (i = 0; i < ids->elements; i++) {
        id = ngx_array_push(sw->ids);
        if (id == NULL
            || ngx_http_lapor_redis_int(ids->element[i], id) != NGX_OK)
        {
            ngx_http_lapor_sweep_done(sw);
            return;
        }
    }

    sw->next = 0;

    ngx_http_lapor_sweep_report(sw);
}


static void
ngx_http_lapor_sweep_report(ngx_http_lapor_sweep_t *sw)
{
    int64_t                  *id;
    ngx_http_lapor_batch_t    b;
    ngx_http_lapor_tenant_t  *t;

    if (sw->next >= sw->ids->nelts) {
        sw->tenant++;
        ngx_http_lapor_sweep_tenant(sw);
        return;
    }

    t = sw->lmcf->tenants.elts;
    id = sw->ids->elts;

    if (ngx_http_lapor_batch_init(&b, sw->pool, &t[sw->tenant].namespace, 1)
        != NGX_OK)
    {
        ngx_http_lapor_sweep_done(sw);
        return;
    }

    ngx_http_lapor_fetch_report(&b, id[sw->next]);

    if (ngx_http_lapor_sweep_send(sw, &b, ngx_http_lapor_sweep_fetched)
        != NGX_OK)
    {
        ngx_http_lapor_sweep_done(sw);
    }
}


static void
ngx_http_lapor_sweep_fetched(void *data, redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_sweep_t  *sw = data;

    ngx_http_lapor_batch_t    b;
    ngx_http_lapor_tenant_t  *t;

    if (rc != NGX_OK || sw->exiting) {
        ngx_http_lapor_sweep_done(sw);
        return;
    }

    t = sw->lmcf->tenants.elts;
    t = &t[sw->tenant];

    rc = ngx_http_lapor_current(sw->pool, reply, t->catalog, &sw->cur);

    /* only what is still followed up and due; anything else moved on */

    if (rc == NGX_ERROR) {
        /*
         * Unreadable (its category left the catalog, say): out of the
         * auto-close index, or it would be read again on every run and,
         * with enough of them, fill every batch.
         */

        ngx_log_error(NGX_LOG_ERR, sw->log, 0,
                      "lapor: auto-close drops damaged report %L of \"%V\" "
                      "from its index", ((int64_t *) sw->ids->elts)[sw->next],
                      &t->namespace);

        if (ngx_http_lapor_batch_init(&b, sw->pool, &t->namespace, 1)
            != NGX_OK)
        {
            ngx_http_lapor_sweep_done(sw);
            return;
        }

        ngx_http_lapor_batch_cmd(&b, "ZREM");
        ngx_http_lapor_batch_key(&b, "autoclose");
        ngx_http_lapor_batch_int(&b, ((int64_t *) sw->ids->elts)[sw->next]);

        if (ngx_http_lapor_sweep_send(sw, &b, ngx_http_lapor_sweep_next)
            != NGX_OK)
        {
            ngx_http_lapor_sweep_done(sw);
        }

        return;
    }

    if (rc != NGX_OK || sw->cur.state != LAPOR_STATE_FOLLOWED_UP
        || sw->cur.due == 0 || sw->cur.due >= sw->now)
    {
        sw->next++;
        ngx_http_lapor_sweep_report(sw);
        return;
    }

    if (ngx_http_lapor_batch_init(&b, sw->pool, &t->namespace, 1) != NGX_OK) {
        ngx_http_lapor_sweep_done(sw);
        return;
    }

    ngx_http_lapor_claim(&b, &sw->cur, &sw->owner);

    if (ngx_http_lapor_sweep_send(sw, &b, ngx_http_lapor_sweep_claimed)
        != NGX_OK)
    {
        ngx_http_lapor_sweep_done(sw);
    }
}


static void
ngx_http_lapor_sweep_next(void *data, redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_sweep_t  *sw = data;

    if (rc != NGX_OK || sw->exiting) {
        ngx_http_lapor_sweep_done(sw);
        return;
    }

    sw->next++;
    ngx_http_lapor_sweep_report(sw);
}


static void
ngx_http_lapor_sweep_claimed(void *data, redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_sweep_t  *sw = data;

    ngx_http_lapor_batch_t    b;
    ngx_http_lapor_tenant_t  *t;

    if (rc != NGX_OK || sw->exiting || reply->type == REDIS_REPLY_ERROR) {
        ngx_http_lapor_sweep_done(sw);
        return;
    }

    if (reply->type == REDIS_REPLY_NIL) {
        /* somebody changed it at this very moment: theirs wins */
        sw->next++;
        ngx_http_lapor_sweep_report(sw);
        return;
    }

    t = sw->lmcf->tenants.elts;
    t = &t[sw->tenant];

    ngx_memzero(&sw->change, sizeof(ngx_http_lapor_change_t));

    sw->change.action = LAPOR_ACTION_AUTO_CLOSE;
    sw->change.actor = LAPOR_ROLE_SYSTEM;
    sw->change.now = sw->now;

    if (ngx_http_lapor_batch_init(&b, sw->pool, &t->namespace, 24) != NGX_OK
        || ngx_http_lapor_transition(&b, t->catalog, &sw->cur, &sw->change,
                                     &sw->expect)
           != NGX_OK
        || ngx_http_lapor_sweep_send(sw, &b, ngx_http_lapor_sweep_written)
           != NGX_OK)
    {
        ngx_http_lapor_sweep_done(sw);
    }
}


static void
ngx_http_lapor_sweep_written(void *data, redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_sweep_t  *sw = data;

    if (rc != NGX_OK || sw->exiting
        || !ngx_http_lapor_redis_exec_ok(reply, sw->expect))
    {
        if (!sw->exiting) {
            ngx_log_error(NGX_LOG_ERR, sw->log, 0,
                          "lapor: auto-closing report %L failed: %*s",
                          sw->cur.id,
                          (reply && reply->type == REDIS_REPLY_ERROR)
                          ? ngx_min(reply->len, 200) : 0,
                          (reply && reply->type == REDIS_REPLY_ERROR)
                          ? reply->str : "");
        }

        ngx_http_lapor_sweep_done(sw);
        return;
    }

    sw->closed++;
    sw->next++;

    ngx_http_lapor_sweep_report(sw);
}


static ngx_int_t
ngx_http_lapor_sweep_send(ngx_http_lapor_sweep_t *sw,
    ngx_http_lapor_batch_t *b, ngx_http_lapor_redis_internal_pt handler)
{
    ngx_uint_t                   n;
    ngx_http_lapor_redis_cmd_t  *cmds;

    if (sw->exiting) {
        return NGX_ERROR;
    }

    cmds = ngx_http_lapor_batch_commands(b, &n);
    if (cmds == NULL) {
        return NGX_ERROR;
    }

    if (b->durable) {
        return ngx_http_lapor_redis_send_internal_durable(
                   sw->lmcf->redis_conn, cmds, n, handler, sw)
               == NGX_OK ? NGX_OK : NGX_ERROR;
    }

    return ngx_http_lapor_redis_send_internal(sw->lmcf->redis_conn, cmds, n,
                                              handler, sw)
           == NGX_OK ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_lapor_sweep_done(ngx_http_lapor_sweep_t *sw)
{
    if (sw->closed) {
        ngx_log_error(NGX_LOG_NOTICE, sw->log, 0,
                      "lapor: auto-closed %ui followed-up reports",
                      sw->closed);
    }

    if (sw->pool) {
        ngx_destroy_pool(sw->pool);
        sw->pool = NULL;
    }

    ngx_http_lapor_sweep_arm(sw);
}
