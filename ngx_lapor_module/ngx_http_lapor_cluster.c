
/*
 * Redis Cluster for the Redis core.
 *
 * A worker keeps the slot map (CLUSTER SLOTS, asked over a short-lived
 * context of its own, like a sentinel is asked) and one connection per
 * master, opened when a command is first routed there.  Every key of the
 * module is "lapor:{NS}:...", so a batch (a request's commands, one
 * namespace) has one slot and goes to one master as it is.
 *
 * A batch keeps its protocol text until it is answered, so that a
 * redirection never reaches the client:
 *
 *   - MOVED: the slot is elsewhere for good; the map is corrected at once
 *     (and asked for again), the batch goes to the named master;
 *   - ASK: the slot is being migrated and the keys are not here; the batch
 *     goes to the named master once more, each command or transaction
 *     after ASKING;
 *   - TRYAGAIN (a transaction whose keys are half migrated) and
 *     CLUSTERDOWN: the batch is sent again a little later.
 *
 * Only what was redirected is sent again: a command that ran keeps its
 * answer, and a transaction whose EXEC failed for a redirection (EXECABORT,
 * or MOVED/ASK/TRYAGAIN for EXEC itself) ran none of its commands, so it is
 * sent again whole.  The operation's own timeout bounds all of it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_lapor_redis.h"
#include "ngx_http_lapor_redis_int.h"
#include "ngx_http_lapor_replies.h"
#include "ngx_http_lapor_metrics.h"
#include "lapor_backoff.h"
#include "lapor_keyslot.h"


/* what a command of a batch is */
#define NGX_HTTP_LAPOR_CLUSTER_PLAIN         0
#define NGX_HTTP_LAPOR_CLUSTER_MULTI         1
#define NGX_HTTP_LAPOR_CLUSTER_QUEUED        2
#define NGX_HTTP_LAPOR_CLUSTER_EXEC          3
#define NGX_HTTP_LAPOR_CLUSTER_WAIT          4

/* redirections, the stronger ones last */
#define NGX_HTTP_LAPOR_CLUSTER_TRYAGAIN      1
#define NGX_HTTP_LAPOR_CLUSTER_DOWN          2
#define NGX_HTTP_LAPOR_CLUSTER_ASK           3
#define NGX_HTTP_LAPOR_CLUSTER_MOVED         4

#define NGX_HTTP_LAPOR_CLUSTER_TRIES         16
#define NGX_HTTP_LAPOR_CLUSTER_RETRY         20     /* ms, TRYAGAIN */
#define NGX_HTTP_LAPOR_CLUSTER_WAIT_NODE     50     /* ms, no master yet */
#define NGX_HTTP_LAPOR_CLUSTER_MAP_EVERY     100    /* ms between maps */
#define NGX_HTTP_LAPOR_CLUSTER_BACKOFF_MAX   5000

#define NGX_HTTP_LAPOR_CLUSTER_ASKING        (-1)


static void ngx_http_lapor_cluster_map_handler(ngx_event_t *ev);
static void ngx_http_lapor_cluster_map_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static ngx_int_t ngx_http_lapor_cluster_take_map(ngx_http_lapor_redis_t *rds,
    redisReply *rep);
static ngx_http_lapor_redis_node_t *ngx_http_lapor_cluster_node(
    ngx_http_lapor_redis_t *rds, u_char *host, size_t len, ngx_int_t port);
static ngx_uint_t ngx_http_lapor_cluster_ip(u_char *host, size_t len);
static ngx_uint_t ngx_http_lapor_cluster_slot(ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds);
static ngx_int_t ngx_http_lapor_cluster_try(ngx_http_lapor_redis_op_t *op);
static void ngx_http_lapor_cluster_park(ngx_http_lapor_redis_op_t *op,
    ngx_msec_t delay);
static void ngx_http_lapor_cluster_retry(ngx_event_t *ev);
static void ngx_http_lapor_cluster_resend(ngx_http_lapor_redis_op_t *op);
static void ngx_http_lapor_cluster_again(ngx_http_lapor_redis_op_t *op);
static void ngx_http_lapor_cluster_reply(redisAsyncContext *ac, void *reply,
    void *privdata);
static ngx_uint_t ngx_http_lapor_cluster_redirection(
    ngx_http_lapor_redis_op_t *op, redisReply *rep);
static void ngx_http_lapor_cluster_error(ngx_http_lapor_redis_op_t *op,
    redisReply *rep);
static void ngx_http_lapor_cluster_info(ngx_http_lapor_redis_node_t *node,
    ngx_http_lapor_redis_node_info_t *info);


/* the slot map */
static const char    *ngx_http_lapor_cluster_slots_argv[] = {
    "CLUSTER", "SLOTS"
};
static const size_t   ngx_http_lapor_cluster_slots_argvlen[] = { 7, 5 };

/* ASKING before a command or a transaction sent on after ASK */
static const char    *ngx_http_lapor_cluster_asking_argv[] = { "ASKING" };
static const size_t   ngx_http_lapor_cluster_asking_argvlen[] = { 6 };
static u_char         ngx_http_lapor_cluster_asking[32];
static size_t         ngx_http_lapor_cluster_asking_len;


ngx_int_t
ngx_http_lapor_cluster_init(ngx_http_lapor_redis_t *rds, ngx_cycle_t *cycle)
{
    ngx_uint_t                    i;
    ngx_http_lapor_redis_cmd_t    asking;
    ngx_http_lapor_redis_addr_t  *seed;

    rds->slots = ngx_palloc(cycle->pool,
                            NGX_HTTP_LAPOR_CLUSTER_SLOTS * sizeof(uint16_t));
    rds->nodes = ngx_pcalloc(cycle->pool,
                             NGX_HTTP_LAPOR_CLUSTER_NODES_MAX
                             * sizeof(ngx_http_lapor_redis_node_t *));

    if (rds->slots == NULL || rds->nodes == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_LAPOR_CLUSTER_SLOTS; i++) {
        rds->slots[i] = NGX_HTTP_LAPOR_CLUSTER_NO_NODE;
    }

    ngx_queue_init(&rds->parked);

    asking.argc = 1;
    asking.argv = ngx_http_lapor_cluster_asking_argv;
    asking.argvlen = ngx_http_lapor_cluster_asking_argvlen;

    ngx_http_lapor_cluster_asking_len =
        ngx_http_lapor_redis_cmd_write(ngx_http_lapor_cluster_asking, &asking)
        - ngx_http_lapor_cluster_asking;

    /* the configured nodes are asked for the map first, in turn */

    seed = rds->conf->cluster->elts;

    for (i = 0; i < rds->conf->cluster->nelts; i++) {
        if (ngx_http_lapor_cluster_node(rds, seed[i].host.data,
                                        seed[i].host.len, seed[i].port)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    rds->cluster_state = NGX_HTTP_LAPOR_REDIS_DISCOVERING;

    rds->map_timer.handler = ngx_http_lapor_cluster_map_handler;
    rds->map_timer.data = rds;
    rds->map_timer.log = rds->log;
    rds->map_timer.cancelable = 1;

    /* from the event loop, once every module's worker init has run */
    ngx_add_timer(&rds->map_timer, 0);

    return NGX_OK;
}


void
ngx_http_lapor_cluster_destroy(ngx_http_lapor_redis_t *rds)
{
    ngx_uint_t                    i;
    ngx_queue_t                  *q;
    ngx_http_lapor_redis_op_t    *op;
    ngx_http_lapor_redis_node_t  *node;

    if (rds->map_timer.timer_set) {
        ngx_del_timer(&rds->map_timer);
    }

    if (rds->map_ac) {
        redisAsyncFree(rds->map_ac);
    }

    /* the operations in flight end with NULL replies: lost */

    for (i = 0; i < rds->nnodes; i++) {
        node = rds->nodes[i];

        if (node->connect_timer.timer_set) {
            ngx_del_timer(&node->connect_timer);
        }

        if (node->reconnect_timer.timer_set) {
            ngx_del_timer(&node->reconnect_timer);
        }

        if (node->ac) {
            redisAsyncFree(node->ac);
        }
    }

    /* and those between two tries now */

    while (!ngx_queue_empty(&rds->parked)) {
        q = ngx_queue_head(&rds->parked);
        op = ngx_queue_data(q, ngx_http_lapor_redis_op_t, queue);

        ngx_queue_remove(q);

        if (op->retry.timer_set) {
            ngx_del_timer(&op->retry);
        }

        op->lost = 1;
        ngx_http_lapor_redis_finish(op, NULL);
    }
}


/*
 * The slot map is asked for again: after MOVED, CLUSTERDOWN or a lost
 * master, at most every NGX_HTTP_LAPOR_CLUSTER_MAP_EVERY ms.
 */

void
ngx_http_lapor_cluster_refresh(ngx_http_lapor_redis_t *rds)
{
    ngx_msec_t  since;

    if (rds->exiting) {
        return;
    }

    if (rds->map_ac) {
        rds->map_wanted = 1;
        return;
    }

    if (rds->map_timer.timer_set) {
        return;
    }

    since = ngx_current_msec - rds->map_at;

    ngx_add_timer(&rds->map_timer,
                  since < NGX_HTTP_LAPOR_CLUSTER_MAP_EVERY
                  ? NGX_HTTP_LAPOR_CLUSTER_MAP_EVERY - since : 0);
}


/* asks a node for the map, or gives up on one that did not answer */

static void
ngx_http_lapor_cluster_map_handler(ngx_event_t *ev)
{
    ngx_http_lapor_redis_t  *rds = ev->data;

    redisAsyncContext            *ac;
    ngx_http_lapor_redis_node_t  *node;
    ngx_http_lapor_redis_conf_t  *conf;

    if (rds->exiting) {
        return;
    }

    conf = rds->conf;

    if (rds->map_ac) {
        ngx_log_error(ngx_http_lapor_redis_log_level(&rds->main), rds->log,
                      NGX_ETIMEDOUT, "lapor: redis cluster node %V did not "
                      "answer CLUSTER SLOTS within %M ms",
                      &rds->map_from->address, conf->connect_timeout);

        /* outside hiredis: freed at once, the cleanup hook goes on */
        redisAsyncFree(rds->map_ac);
        return;
    }

    node = rds->nodes[rds->map_next % rds->nnodes];

    rds->map_from = node;
    rds->map_at = ngx_current_msec;
    rds->mapped = 0;
    rds->map_wanted = 0;

    /* the main node, unused with a cluster, stands for this context */

    ac = ngx_http_lapor_redis_open(&rds->main, &node->address,
                                   (const char *) node->host, node->port,
                                   NULL);
    if (ac == NULL) {
        ngx_http_lapor_cluster_map_done(rds);
        return;
    }

    rds->map_ac = ac;

    ngx_add_timer(&rds->map_timer, conf->connect_timeout);

    if (ngx_http_lapor_redis_auth(ac, &conf->user, &conf->password,
                                  ngx_http_lapor_cluster_map_reply)
        != NGX_OK
        || redisAsyncCommandArgv(ac, ngx_http_lapor_cluster_map_reply,
                                 "CLUSTER", 2,
                                 ngx_http_lapor_cluster_slots_argv,
                                 ngx_http_lapor_cluster_slots_argvlen)
           != REDIS_OK)
    {
        redisAsyncFree(ac);
    }
}


static void
ngx_http_lapor_cluster_map_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    const char                   *step = privdata;
    redisReply                   *rep = reply;
    ngx_http_lapor_redis_t       *rds;
    ngx_http_lapor_redis_node_t  *node;

    node = ac->data;
    rds = node->rds;

    if (rep == NULL || rds->map_ac != ac) {
        return;
    }

    if (rep->type == REDIS_REPLY_ERROR) {
        ngx_log_error(ngx_http_lapor_redis_log_level(&rds->main), rds->log, 0,
                      "lapor: redis cluster node %V refused %s: %*s",
                      &rds->map_from->address, step,
                      ngx_min(rep->len, NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX),
                      rep->str);

        /* inside a reply callback hiredis defers the free */
        redisAsyncFree(ac);
        return;
    }

    if (ngx_strcmp(step, "CLUSTER") != 0) {
        return;
    }

    if (ngx_http_lapor_cluster_take_map(rds, rep) == NGX_OK) {
        rds->mapped = 1;
    }

    redisAsyncFree(ac);
}


/*
 * CLUSTER SLOTS: [[start, end, [ip, port, id, ...], replica...], ...].
 * Checked whole before the map changes; only IP literals are taken (a
 * host name would make hiredis wait for DNS in the worker), an empty one
 * is the address of the node that answered.
 */

static ngx_int_t
ngx_http_lapor_cluster_take_map(ngx_http_lapor_redis_t *rds,
    redisReply *rep)
{
    u_char                        *host;
    size_t                         i, len;
    uint16_t                       index[NGX_HTTP_LAPOR_CLUSTER_NODES_MAX];
    ngx_int_t                      port;
    ngx_uint_t                     n, covered, masters;
    redisReply                    *range, *master;
    ngx_http_lapor_redis_node_t   *node;

    if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0) {
        ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                      "lapor: redis cluster node %V answered CLUSTER SLOTS "
                      "without slots", &rds->map_from->address);
        return NGX_ERROR;
    }

    if (rep->elements > NGX_HTTP_LAPOR_CLUSTER_SLOTS) {
        goto invalid;
    }

    for (i = 0; i < rep->elements; i++) {
        range = rep->element[i];

        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3
            || range->element[0]->type != REDIS_REPLY_INTEGER
            || range->element[1]->type != REDIS_REPLY_INTEGER
            || range->element[0]->integer < 0
            || range->element[1]->integer < range->element[0]->integer
            || range->element[1]->integer >= NGX_HTTP_LAPOR_CLUSTER_SLOTS
            || range->element[2]->type != REDIS_REPLY_ARRAY
            || range->element[2]->elements < 2
            || range->element[2]->element[0]->type != REDIS_REPLY_STRING
            || range->element[2]->element[1]->type != REDIS_REPLY_INTEGER)
        {
            goto invalid;
        }

        master = range->element[2];
        host = (u_char *) master->element[0]->str;
        len = master->element[0]->len;
        port = (ngx_int_t) master->element[1]->integer;

        if (len == 0) {
            host = rds->map_from->host;
            len = ngx_strlen(host);
        }

        if (!ngx_http_lapor_cluster_ip(host, len) || port < 1
            || port > 65535)
        {
            ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                          "lapor: redis cluster node %V names \"%*s\" port "
                          "%i as a master: not an IP address and port",
                          &rds->map_from->address, ngx_min(len, 64), host,
                          port);
            return NGX_ERROR;
        }

        node = ngx_http_lapor_cluster_node(rds, host, len, port);
        if (node == NULL) {
            return NGX_ERROR;
        }

        if (i < NGX_HTTP_LAPOR_CLUSTER_NODES_MAX) {
            index[i] = (uint16_t) node->index;
        }
    }

    /* the map is good: it replaces the old one */

    for (n = 0; n < rds->nnodes; n++) {
        rds->nodes[n]->slots = 0;
    }

    for (n = 0; n < NGX_HTTP_LAPOR_CLUSTER_SLOTS; n++) {
        rds->slots[n] = NGX_HTTP_LAPOR_CLUSTER_NO_NODE;
    }

    covered = 0;

    for (i = 0; i < rep->elements; i++) {
        range = rep->element[i];
        master = range->element[2];

        if (i < NGX_HTTP_LAPOR_CLUSTER_NODES_MAX) {
            node = rds->nodes[index[i]];

        } else {
            /* many ranges (a fragmented map): looked up again */
            host = (u_char *) master->element[0]->str;
            len = master->element[0]->len;

            if (len == 0) {
                host = rds->map_from->host;
                len = ngx_strlen(host);
            }

            node = ngx_http_lapor_cluster_node(rds, host, len,
                                    (ngx_int_t) master->element[1]->integer);
            if (node == NULL) {
                return NGX_ERROR;
            }
        }

        for (n = (ngx_uint_t) range->element[0]->integer;
             n <= (ngx_uint_t) range->element[1]->integer;
             n++)
        {
            rds->slots[n] = (uint16_t) node->index;
            node->slots++;
            covered++;
        }
    }

    masters = 0;

    for (n = 0; n < rds->nnodes; n++) {
        if (rds->nodes[n]->slots) {
            masters++;
        }
    }

    ngx_log_error((rds->refreshes ? NGX_LOG_INFO : NGX_LOG_NOTICE), rds->log, 0,
                  "lapor: redis cluster map from %V: %ui masters, %ui of "
                  "16384 slots", &rds->map_from->address, masters, covered);

    return NGX_OK;

invalid:

    ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                  "lapor: redis cluster node %V answered CLUSTER SLOTS "
                  "unexpectedly", &rds->map_from->address);

    return NGX_ERROR;
}


/* the map's context is gone, with a map or without */

void
ngx_http_lapor_cluster_map_done(ngx_http_lapor_redis_t *rds)
{
    uint32_t    rnd;
    ngx_msec_t  delay;

    if (rds->map_timer.timer_set) {
        ngx_del_timer(&rds->map_timer);
    }

    if (rds->exiting) {
        return;
    }

    if (rds->mapped) {
        rds->mapped = 0;
        rds->map_tries = 0;
        rds->map_failures = 0;
        rds->refreshes++;
        ngx_http_lapor_metrics_cluster(rds->metrics, 1, 0);

        if (rds->cluster_state != NGX_HTTP_LAPOR_REDIS_READY) {
            rds->cluster_state = NGX_HTTP_LAPOR_REDIS_READY;
            ngx_http_lapor_metrics_ready(rds->metrics, 1, 0);
        }

        if (rds->map_wanted) {
            rds->map_wanted = 0;
            ngx_http_lapor_cluster_refresh(rds);
        }

        return;
    }

    rds->map_next = (rds->map_next + 1) % rds->nnodes;

    if (++rds->map_tries < rds->nnodes) {
        /* the next node at once, from a timer: not in hiredis's stack */
        ngx_add_timer(&rds->map_timer, 0);
        return;
    }

    rds->map_tries = 0;

    rnd = ((uint32_t) ngx_random() << 16) ^ (uint32_t) ngx_random();

    delay = (ngx_msec_t) lapor_backoff_delay(rds->map_failures,
                                        NGX_HTTP_LAPOR_CLUSTER_MAP_EVERY,
                                        NGX_HTTP_LAPOR_CLUSTER_BACKOFF_MAX,
                                        rnd);

    ngx_log_error((rds->map_failures < 3 ? NGX_LOG_ERR : NGX_LOG_INFO),
                  rds->log, 0, "lapor: no redis cluster node answered "
                  "CLUSTER SLOTS, asking again in %M ms", delay);

    rds->map_failures++;

    /* a map taken before stays in use: most of it is likely still right */

    if (rds->cluster_state != NGX_HTTP_LAPOR_REDIS_READY) {
        rds->cluster_state = NGX_HTTP_LAPOR_REDIS_BACKOFF;
    }

    ngx_add_timer(&rds->map_timer, delay);
}


/*
 * A master's connection is gone (a failover, a restart): whatever the
 * worker knew of the data may be older now, and the map may have changed.
 */

void
ngx_http_lapor_cluster_node_lost(ngx_http_lapor_redis_node_t *node)
{
    ngx_http_lapor_redis_t  *rds;

    rds = node->rds;

    if (rds->exiting) {
        return;
    }

    if (node->state == NGX_HTTP_LAPOR_REDIS_READY
        || node->state == NGX_HTTP_LAPOR_REDIS_BACKOFF)
    {
        rds->generation++;
        ngx_http_lapor_metrics_ready(rds->metrics, 1, 1);
    }

    ngx_http_lapor_cluster_refresh(rds);
}


/* the node at host:port, added if it is new (NULL: too many, logged) */

static ngx_http_lapor_redis_node_t *
ngx_http_lapor_cluster_node(ngx_http_lapor_redis_t *rds, u_char *host,
    size_t len, ngx_int_t port)
{
    u_char                       *p;
    ngx_uint_t                    i;
    ngx_http_lapor_redis_node_t  *node;

    for (i = 0; i < rds->nnodes; i++) {
        node = rds->nodes[i];

        if (node->port == port && ngx_strlen(node->host) == len
            && ngx_strncmp(node->host, host, len) == 0)
        {
            return node;
        }
    }

    if (rds->nnodes == NGX_HTTP_LAPOR_CLUSTER_NODES_MAX
        || len > NGX_SOCKADDR_STRLEN)
    {
        ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                      "lapor: redis cluster has more than %d nodes, or a "
                      "node address is too long",
                      NGX_HTTP_LAPOR_CLUSTER_NODES_MAX);
        return NULL;
    }

    node = ngx_pcalloc(rds->pool, sizeof(ngx_http_lapor_redis_node_t));
    if (node == NULL) {
        return NULL;
    }

    ngx_http_lapor_redis_node_init(node, rds);

    ngx_memcpy(node->host, host, len);
    node->host[len] = '\0';
    node->port = port;

    if (ngx_strlchr(host, host + len, ':')) {
        p = ngx_sprintf(node->text, "[%*s]:%i", len, host, port);

    } else {
        p = ngx_sprintf(node->text, "%*s:%i", len, host, port);
    }

    node->address.data = node->text;
    node->address.len = p - node->text;

    node->index = rds->nnodes;
    rds->nodes[rds->nnodes++] = node;

    return node;
}


static ngx_uint_t
ngx_http_lapor_cluster_ip(u_char *host, size_t len)
{
    size_t  i;

    if (len == 0 || len > NGX_SOCKADDR_STRLEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!ngx_strchr("0123456789abcdefABCDEF.:", host[i])) {
            return 0;
        }
    }

    return 1;
}


/*
 * The batch's slot: that of its first key (every key of a batch is in one
 * namespace).  A batch without a key (PING) goes to any master.
 */

static ngx_uint_t
ngx_http_lapor_cluster_slot(ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds)
{
    int          j;
    ngx_uint_t   i;

    for (i = 0; i < ncmds; i++) {
        for (j = 1; j < cmds[i].argc; j++) {
            if (cmds[i].argvlen[j] > sizeof("lapor:{") - 1
                && ngx_strncmp(cmds[i].argv[j], "lapor:{",
                               sizeof("lapor:{") - 1) == 0)
            {
                return lapor_keyslot((const u_char *) cmds[i].argv[j],
                                     cmds[i].argvlen[j]);
            }
        }
    }

    return NGX_HTTP_LAPOR_CLUSTER_SLOTS;
}


/*
 * A new batch: its text is kept for another try.  Anything but NGX_OK:
 * the operation is freed.
 */

ngx_int_t
ngx_http_lapor_cluster_send(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_op_t *op, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds)
{
    u_char      *p;
    size_t       size;
    ngx_int_t    rc;
    ngx_uint_t   i, multi;

    size = 0;

    for (i = 0; i < ncmds; i++) {
        size += ngx_http_lapor_redis_cmd_size(&cmds[i]);
    }

    /* hiredis reads a byte past a one-word command: a terminating NUL */

    op->text = ngx_alloc((ncmds + 1) * sizeof(size_t)
                         + 2 * ncmds * sizeof(ngx_int_t) + 3 * ncmds + size
                         + 1, rds->log);
    if (op->text == NULL) {
        ngx_free(op);
        return NGX_ERROR;
    }

    /* the arrays first (aligned), then the bytes */

    op->off = (size_t *) op->text;
    op->order = (ngx_int_t *) (op->off + ncmds + 1);
    op->kind = (u_char *) (op->order + 2 * ncmds);
    op->done = op->kind + ncmds;
    op->moved = op->done + ncmds;

    p = op->moved + ncmds;
    op->off[0] = p - op->text;
    multi = 0;

    for (i = 0; i < ncmds; i++) {
        p = ngx_http_lapor_redis_cmd_write(p, &cmds[i]);
        op->off[i + 1] = p - op->text;

        op->done[i] = 0;
        op->moved[i] = 0;

        if (cmds[i].argvlen[0] == 5
            && ngx_strncmp(cmds[i].argv[0], "MULTI", 5) == 0)
        {
            op->kind[i] = NGX_HTTP_LAPOR_CLUSTER_MULTI;
            multi = 1;

        } else if (cmds[i].argvlen[0] == 4
                   && ngx_strncmp(cmds[i].argv[0], "EXEC", 4) == 0)
        {
            op->kind[i] = NGX_HTTP_LAPOR_CLUSTER_EXEC;
            multi = 0;

        } else if (multi) {
            op->kind[i] = NGX_HTTP_LAPOR_CLUSTER_QUEUED;

        } else if (op->wait && i == ncmds - 1) {
            op->kind[i] = NGX_HTTP_LAPOR_CLUSTER_WAIT;

        } else {
            op->kind[i] = NGX_HTTP_LAPOR_CLUSTER_PLAIN;
        }
    }

    *p = '\0';

    op->cluster = 1;
    op->ncmds = ncmds;
    op->last = op->wait ? ncmds - 2 : ncmds - 1;
    op->slot = ngx_http_lapor_cluster_slot(cmds, ncmds);
    op->start = ngx_current_msec;

    rc = ngx_http_lapor_cluster_try(op);

    if (rc == NGX_OK) {
        return NGX_OK;
    }

    if (rc == NGX_DECLINED) {
        /* no master to send to just now: soon again, or a 504 */
        ngx_http_lapor_cluster_park(op, NGX_HTTP_LAPOR_CLUSTER_WAIT_NODE);
        return NGX_OK;
    }

    ngx_free(op->text);
    ngx_free(op);

    return NGX_HTTP_SERVICE_UNAVAILABLE;
}


/*
 * Sends what is not answered yet to the master the slot map (or the last
 * redirection) names.  NGX_OK: in flight; NGX_DECLINED: no master to send
 * to now (the map is asked for); NGX_ERROR: not at all.
 */

static ngx_int_t
ngx_http_lapor_cluster_try(ngx_http_lapor_redis_op_t *op)
{
    ngx_int_t                     idx;
    ngx_uint_t                    i, n, k;
    const char                   *text;
    ngx_http_lapor_redis_t       *rds;
    ngx_http_lapor_redis_node_t  *node;

    rds = op->rds;

    if (rds->exiting) {
        return NGX_ERROR;
    }

    if (op->ask) {
        node = op->ask;

    } else if (op->to) {
        node = op->to;

    } else if (op->slot < NGX_HTTP_LAPOR_CLUSTER_SLOTS) {
        k = rds->slots[op->slot];
        node = (k == NGX_HTTP_LAPOR_CLUSTER_NO_NODE) ? NULL : rds->nodes[k];

    } else {
        /* no key: the first master of the map */
        for (node = NULL, k = 0; k < rds->nnodes; k++) {
            if (rds->nodes[k]->slots) {
                node = rds->nodes[k];
                break;
            }
        }
    }

    op->to = NULL;

    if (node == NULL) {
        ngx_http_lapor_cluster_refresh(rds);
        return NGX_DECLINED;
    }

    if (node->ac == NULL) {
        if (node->state == NGX_HTTP_LAPOR_REDIS_BACKOFF) {
            /* it failed a moment ago: maybe the map moves on meanwhile */
            ngx_http_lapor_cluster_refresh(rds);
            return NGX_DECLINED;
        }

        /* opened on first use; the commands wait in hiredis meanwhile */

        ngx_http_lapor_redis_connect(node);

        if (node->ac == NULL) {
            return NGX_DECLINED;
        }
    }

    if (node->inflight + 2 * op->ncmds > NGX_HTTP_LAPOR_REDIS_MAX_INFLIGHT) {
        ngx_log_error(NGX_LOG_WARN, rds->log, 0,
                      "lapor: %ui redis commands in flight to %V, refusing "
                      "more", node->inflight, &node->address);
        return NGX_ERROR;
    }

    /* what is to be sent, with ASKING before each command or transaction */

    n = 0;

    for (i = 0; i < op->ncmds; i++) {
        if (op->done[i]) {
            continue;
        }

        if (op->ask && (op->kind[i] == NGX_HTTP_LAPOR_CLUSTER_PLAIN
                        || op->kind[i] == NGX_HTTP_LAPOR_CLUSTER_MULTI
                        || op->kind[i] == NGX_HTTP_LAPOR_CLUSTER_WAIT))
        {
            op->order[n++] = NGX_HTTP_LAPOR_CLUSTER_ASKING;
        }

        op->order[n++] = (ngx_int_t) i;
        op->moved[i] = 0;
    }

    op->node = node;
    op->pos = 0;
    op->redirect = 0;

    for (i = 0; i < n; i++) {
        idx = op->order[i];

        if (idx == NGX_HTTP_LAPOR_CLUSTER_ASKING) {
            text = (const char *) ngx_http_lapor_cluster_asking;
            k = ngx_http_lapor_cluster_asking_len;

        } else {
            text = (const char *) op->text + op->off[idx];
            k = op->off[idx + 1] - op->off[idx];
        }

        if (redisAsyncFormattedCommand(node->ac, ngx_http_lapor_cluster_reply,
                                       op, text, k)
            != REDIS_OK)
        {
            break;
        }

        op->outstanding++;
        node->inflight++;
    }

    if (i == n) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                  "lapor: cannot queue a redis command");

    if (op->outstanding == 0) {
        return NGX_ERROR;
    }

    /* never half a batch on a connection: the NULL replies end the op */

    op->lost = 1;
    ngx_http_lapor_redis_teardown(node);

    return NGX_OK;
}


static void
ngx_http_lapor_cluster_park(ngx_http_lapor_redis_op_t *op, ngx_msec_t delay)
{
    op->retry.handler = ngx_http_lapor_cluster_retry;
    op->retry.data = op;
    op->retry.log = op->rds->log;

    /* like the operation's own timer: a request's holds up a shutdown */
    op->retry.cancelable = (op->internal != NULL);

    ngx_queue_insert_tail(&op->rds->parked, &op->queue);
    ngx_add_timer(&op->retry, delay);
}


/*
 * Sends an operation again: to its node when connected, parked until the
 * node is when not, answered as lost when it cannot be sent at all.
 */

static void
ngx_http_lapor_cluster_resend(ngx_http_lapor_redis_op_t *op)
{
    ngx_int_t  rc;

    rc = ngx_http_lapor_cluster_try(op);

    if (rc == NGX_DECLINED) {
        ngx_http_lapor_cluster_park(op, NGX_HTTP_LAPOR_CLUSTER_WAIT_NODE);
        return;
    }

    if (rc == NGX_ERROR) {
        op->lost = 1;
        ngx_http_lapor_redis_finish(op, NULL);
    }
}


static void
ngx_http_lapor_cluster_retry(ngx_event_t *ev)
{
    ngx_http_lapor_redis_op_t  *op = ev->data;

    ngx_queue_remove(&op->queue);

    if (ngx_current_msec - op->start >= op->rds->conf->timeout) {
        /* a request that went away has no timer: this bounds its tries */
        op->timed_out = 1;
        ngx_http_lapor_redis_finish(op, NULL);
        return;
    }

    ngx_http_lapor_cluster_resend(op);
}


/* the operation's timer: answered here if it is between two tries */

ngx_uint_t
ngx_http_lapor_cluster_op_timeout(ngx_http_lapor_redis_op_t *op)
{
    if (op->outstanding) {
        return 0;
    }

    ngx_queue_remove(&op->queue);

    if (op->retry.timer_set) {
        ngx_del_timer(&op->retry);
    }

    ngx_log_error(NGX_LOG_ERR, op->rds->log, NGX_ETIMEDOUT,
                  "lapor: redis cluster slot %ui had no master to answer "
                  "within %M ms", op->slot, op->rds->conf->timeout);

    ngx_http_lapor_redis_finish(op, NULL);

    return 1;
}


static void
ngx_http_lapor_cluster_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                   *rep = reply;
    ngx_int_t                     idx;
    ngx_uint_t                    i, j, moved;
    ngx_http_lapor_redis_op_t    *op = privdata;
    ngx_http_lapor_redis_node_t  *node;

    node = op->node;

    node->inflight--;
    op->outstanding--;

    idx = op->order[op->pos++];

    if (rep == NULL) {

        /*
         * A connection that never got to the server wrote nothing: the
         * batch is sent again when the map names a master that answers.
         */

        if (node->ac == ac && !node->connected && !node->rds->exiting) {
            op->unsent = 1;

        } else {
            op->lost = 1;
        }

        if (node->ac == ac && node->state == NGX_HTTP_LAPOR_REDIS_READY) {
            node->state = NGX_HTTP_LAPOR_REDIS_BACKOFF;
        }

    } else if (idx == NGX_HTTP_LAPOR_CLUSTER_ASKING) {
        /* its answer is the next command's */

    } else if (ngx_http_lapor_cluster_redirection(op, rep)) {
        op->moved[idx] = 1;

    } else {
        i = (ngx_uint_t) idx;

        switch (op->kind[i]) {

        case NGX_HTTP_LAPOR_CLUSTER_MULTI:
            break;

        case NGX_HTTP_LAPOR_CLUSTER_QUEUED:
            ngx_http_lapor_cluster_error(op, rep);
            break;

        case NGX_HTTP_LAPOR_CLUSTER_EXEC:

            /* EXECABORT after a redirected command: nothing ran */

            moved = 0;

            for (j = i; j > 0 && op->kind[j] != NGX_HTTP_LAPOR_CLUSTER_MULTI;
                 j--)
            {
                moved |= op->moved[j - 1];
            }

            if (moved && rep->type == REDIS_REPLY_ERROR) {
                break;
            }

            for (j = i; ; j--) {
                op->done[j] = 1;

                if (op->kind[j] == NGX_HTTP_LAPOR_CLUSTER_MULTI || j == 0) {
                    break;
                }
            }

            goto final;

        case NGX_HTTP_LAPOR_CLUSTER_WAIT:
            op->done[i] = 1;
            break;

        default: /* NGX_HTTP_LAPOR_CLUSTER_PLAIN */
            op->done[i] = 1;

        final:

            if (i != op->last) {
                ngx_http_lapor_cluster_error(op, rep);
                break;
            }

            op->kept = ngx_http_lapor_reply_take(rep);
            if (op->kept == NULL) {
                op->lost = 1;
            }

            break;
        }
    }

    if (op->outstanding) {
        return;
    }

    if (op->unsent && !op->lost && !op->timed_out && !op->failed) {
        op->unsent = 0;
        ngx_http_lapor_cluster_park(op, NGX_HTTP_LAPOR_CLUSTER_WAIT_NODE);
        return;
    }

    if (op->redirect && !op->lost && !op->timed_out && !op->failed) {
        ngx_http_lapor_cluster_again(op);
        return;
    }

    if (op->wait && !op->lost && op->done[op->ncmds - 1]) {
        /* WAIT is last: this is its reply */
        ngx_http_lapor_redis_waited(op->rds, op, rep);
    }

    ngx_http_lapor_redis_finish(op, op->kept);
}


/*
 * A redirection: MOVED and ASK name the master (kept for the next try),
 * TRYAGAIN and CLUSTERDOWN only say "later".
 */

static ngx_uint_t
ngx_http_lapor_cluster_redirection(ngx_http_lapor_redis_op_t *op,
    redisReply *rep)
{
    u_char                       *p, *last, *colon, *host;
    ngx_int_t                     port, slot;
    ngx_uint_t                    kind;
    ngx_http_lapor_redis_t       *rds;
    ngx_http_lapor_redis_node_t  *node;

    if (rep->type != REDIS_REPLY_ERROR) {
        return 0;
    }

    p = (u_char *) rep->str;
    last = p + rep->len;

    if (rep->len > 6 && ngx_strncmp(p, "MOVED ", 6) == 0) {
        kind = NGX_HTTP_LAPOR_CLUSTER_MOVED;
        p += 6;

    } else if (rep->len > 4 && ngx_strncmp(p, "ASK ", 4) == 0) {
        kind = NGX_HTTP_LAPOR_CLUSTER_ASK;
        p += 4;

    } else if (rep->len >= 8 && ngx_strncmp(p, "TRYAGAIN", 8) == 0) {
        kind = NGX_HTTP_LAPOR_CLUSTER_TRYAGAIN;

    } else if (rep->len >= 11 && ngx_strncmp(p, "CLUSTERDOWN", 11) == 0) {
        kind = NGX_HTTP_LAPOR_CLUSTER_DOWN;

    } else {
        return 0;
    }

    rds = op->rds;

    if (kind < NGX_HTTP_LAPOR_CLUSTER_ASK) {
        if (kind > op->redirect) {
            op->redirect = kind;
        }

        return 1;
    }

    /* "<slot> <ip>:<port>" */

    host = ngx_strlchr(p, last, ' ');
    colon = NULL;
    slot = NGX_ERROR;
    port = NGX_ERROR;

    if (host) {
        slot = ngx_atoi(p, host - p);
        host++;

        for (p = last; p > host; p--) {
            if (p[-1] == ':') {
                colon = p - 1;
                break;
            }
        }
    }

    if (host == NULL || colon == NULL
        || slot < 0 || slot >= NGX_HTTP_LAPOR_CLUSTER_SLOTS
        || !ngx_http_lapor_cluster_ip(host, colon - host)
        || (port = ngx_atoi(colon + 1, last - colon - 1)) == NGX_ERROR
        || port < 1 || port > 65535)
    {
        ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                      "lapor: redis at %V redirected unreadably: %*s",
                      &op->node->address,
                      ngx_min(rep->len, NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX),
                      rep->str);

        /* an error like any other */
        return 0;
    }

    if (op->redirect >= NGX_HTTP_LAPOR_CLUSTER_ASK) {
        /* the first one of the try decides where the next one goes */
        return 1;
    }

    node = ngx_http_lapor_cluster_node(rds, host, colon - host, port);
    if (node == NULL) {
        return 0;
    }

    op->redirect = kind;

    if (kind == NGX_HTTP_LAPOR_CLUSTER_ASK) {
        op->ask = node;
        return 1;
    }

    /* MOVED: the map is wrong about this slot, whatever else it says */

    op->ask = NULL;
    op->to = node;

    if (rds->slots[slot] != (uint16_t) node->index) {
        ngx_log_error(NGX_LOG_INFO, rds->log, 0,
                      "lapor: redis cluster slot %ui moved to %V",
                      slot, &node->address);

        if (rds->slots[slot] != NGX_HTTP_LAPOR_CLUSTER_NO_NODE) {
            rds->nodes[rds->slots[slot]]->slots--;
        }

        rds->slots[slot] = (uint16_t) node->index;
        node->slots++;
    }

    return 1;
}


/* a real error (not a redirection): the first one is kept for the handler */

static void
ngx_http_lapor_cluster_error(ngx_http_lapor_redis_op_t *op, redisReply *rep)
{
    if (rep->type != REDIS_REPLY_ERROR) {
        return;
    }

    if (!op->failed) {
        op->error_len = ngx_min(rep->len, sizeof(op->error));
        ngx_memcpy(op->error, rep->str, op->error_len);
    }

    op->failed = 1;
}


/*
 * A try ended with a redirection: once more, now or a little later.
 * MOVED and ASK are followed a bounded number of times (a loop between
 * two masters is a broken cluster); TRYAGAIN lasts as long as the
 * namespace's keys are split between two masters, so it is waited out,
 * up to the operation's timeout.
 */

static void
ngx_http_lapor_cluster_again(ngx_http_lapor_redis_op_t *op)
{
    ngx_uint_t               i;
    ngx_msec_t               delay;
    ngx_http_lapor_redis_t  *rds;

    rds = op->rds;
    rds->redirects++;

    /* the same numbers as NGX_HTTP_LAPOR_METRICS_REDIRECTS counts */
    ngx_http_lapor_metrics_cluster(rds->metrics, 0, op->redirect);

    if (op->redirect >= NGX_HTTP_LAPOR_CLUSTER_ASK
        && ++op->tries > NGX_HTTP_LAPOR_CLUSTER_TRIES)
    {
        ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                      "lapor: redis cluster redirected a batch for slot %ui "
                      "%ui times, giving up", op->slot, op->tries - 1);
        op->lost = 1;
        ngx_http_lapor_redis_finish(op, NULL);
        return;
    }

    /* WAIT counts the replicas of a write: it follows the write again */

    if (op->wait) {
        for (i = 0; i < op->ncmds - 1; i++) {
            if (!op->done[i]) {
                op->done[op->ncmds - 1] = 0;
                break;
            }
        }
    }

    /* 20, 40, ... 200 ms between the tries that wait */

    delay = NGX_HTTP_LAPOR_CLUSTER_RETRY * (1 + ngx_min(op->waits, 9));

    switch (op->redirect) {

    case NGX_HTTP_LAPOR_CLUSTER_MOVED:
        ngx_http_lapor_cluster_refresh(rds);
        break;

    case NGX_HTTP_LAPOR_CLUSTER_ASK:
        break;

    case NGX_HTTP_LAPOR_CLUSTER_DOWN:
        ngx_http_lapor_cluster_refresh(rds);

        /* fall through */

    default: /* NGX_HTTP_LAPOR_CLUSTER_TRYAGAIN */
        op->waits++;
        ngx_http_lapor_cluster_park(op, delay);
        return;
    }

    ngx_http_lapor_cluster_resend(op);
}


static void
ngx_http_lapor_cluster_info(ngx_http_lapor_redis_node_t *node,
    ngx_http_lapor_redis_node_info_t *info)
{
    info->address = &node->address;
    info->state = ngx_http_lapor_redis_state_name(node->state);
    info->slots = node->slots;
}


ngx_int_t
ngx_http_lapor_redis_cluster_node(ngx_http_lapor_redis_t *rds, ngx_uint_t i,
    ngx_http_lapor_redis_node_info_t *info)
{
    if (rds == NULL || rds->conf->cluster == NULL || i >= rds->nnodes) {
        return NGX_DONE;
    }

    ngx_http_lapor_cluster_info(rds->nodes[i], info);

    return NGX_OK;
}


ngx_int_t
ngx_http_lapor_redis_cluster_slot(ngx_http_lapor_redis_t *rds, ngx_str_t *ns,
    ngx_uint_t *slot, ngx_http_lapor_redis_node_info_t *info)
{
    uint16_t  k;

    *slot = lapor_keyslot(ns->data, ns->len);

    if (rds == NULL || rds->conf->cluster == NULL) {
        return NGX_DECLINED;
    }

    k = rds->slots[*slot];

    if (k == NGX_HTTP_LAPOR_CLUSTER_NO_NODE) {
        return NGX_DECLINED;
    }

    ngx_http_lapor_cluster_info(rds->nodes[k], info);

    return NGX_OK;
}
