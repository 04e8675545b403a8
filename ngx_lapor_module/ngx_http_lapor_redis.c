
/*
 * The Redis core.
 *
 * One hiredis 0.14 async context per worker process, bound to nginx's event
 * loop.  hiredis 0.14 has no timers of its own and frees its context from
 * inside its own call stacks, so this file keeps three rules:
 *
 *   - every timeout is an nginx timer owned here (connect, per command);
 *   - the context is freed only from nginx timer handlers, request code or
 *     reply callbacks (where hiredis defers the free), never from the
 *     connect or disconnect callbacks or the event hooks;
 *   - everything about a vanished context is done in one place, the event
 *     library "cleanup" hook, which hiredis calls on every path that frees
 *     the context (and which therefore must be idempotent).
 *
 * Events are registered level-triggered: hiredis reads at most 16 KB per
 * call, and a level-triggered fd wakes the loop again for the rest of a
 * larger reply.
 *
 * With Sentinel (ngx_http_lapor_sentinel.c) a worker has up to two more
 * contexts, on sentinels; they are opened here (ngx_http_lapor_redis_open)
 * and kept by the same rules, and their end is handed back to Sentinel by
 * the same cleanup hook.  With Redis Cluster (ngx_http_lapor_cluster.c) a
 * worker has one connection per master (a node each, opened when a
 * command is first routed there) and a short-lived context that asks for
 * the slot map.  Every context's data is the node it belongs to (the
 * sentinels' and the map's: the main node).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include <time.h>

#include "ngx_http_lapor_redis.h"
#include "ngx_http_lapor_redis_int.h"
#include "ngx_http_lapor_replies.h"
#include "ngx_http_lapor_metrics.h"
#include "lapor_backoff.h"
#include "lapor_jsonw.h"


#define NGX_HTTP_LAPOR_REDIS_BACKOFF_BASE    100
#define NGX_HTTP_LAPOR_REDIS_BACKOFF_MAX     5000


static ngx_int_t ngx_http_lapor_redis_handshake(
    ngx_http_lapor_redis_node_t *node);
static void ngx_http_lapor_redis_handshake_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_lapor_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_lapor_redis_connect_timeout(ngx_event_t *ev);
static void ngx_http_lapor_redis_reconnect_handler(ngx_event_t *ev);

static void ngx_http_lapor_redis_read_handler(ngx_event_t *ev);
static void ngx_http_lapor_redis_write_handler(ngx_event_t *ev);
static void ngx_http_lapor_redis_add_read(void *privdata);
static void ngx_http_lapor_redis_del_read(void *privdata);
static void ngx_http_lapor_redis_add_write(void *privdata);
static void ngx_http_lapor_redis_del_write(void *privdata);
static void ngx_http_lapor_redis_add_event(ngx_event_t *ev, ngx_int_t event);
static void ngx_http_lapor_redis_del_event(ngx_event_t *ev, ngx_int_t event);
static void ngx_http_lapor_redis_cleanup(void *privdata);

/* inside redisAsyncHandleWrite(): a write hiredis asks for waits for epoll */
static ngx_uint_t  ngx_http_lapor_redis_writing;

static ngx_int_t ngx_http_lapor_redis_queue(ngx_http_lapor_redis_node_t *node,
    ngx_http_lapor_redis_op_t *op, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds);
static ngx_int_t ngx_http_lapor_redis_dispatch(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_op_t *op, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds);
static ngx_int_t ngx_http_lapor_redis_send_request(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds, ngx_http_lapor_redis_handler_pt handler, void *data,
    ngx_uint_t wait);
static ngx_int_t ngx_http_lapor_redis_send_housekeeping(
    ngx_http_lapor_redis_t *rds, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds, ngx_http_lapor_redis_internal_pt handler, void *data,
    ngx_uint_t wait);
static void ngx_http_lapor_redis_reply(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_lapor_redis_op_timeout(ngx_event_t *ev);
static void ngx_http_lapor_redis_op_cleanup(void *data);


static const char  *ngx_http_lapor_redis_state_names[] = {
    "disconnected",
    "connecting",
    "handshake",
    "ready",
    "backoff",
    "discovering"
};


ngx_http_lapor_redis_t *
ngx_http_lapor_redis_create(ngx_cycle_t *cycle,
    ngx_http_lapor_redis_conf_t *conf)
{
    ngx_http_lapor_redis_t  *rds;

    rds = ngx_pcalloc(cycle->pool, sizeof(ngx_http_lapor_redis_t));
    if (rds == NULL) {
        return NULL;
    }

    rds->conf = conf;
    rds->log = cycle->log;
    rds->pool = cycle->pool;
    rds->metrics = ngx_http_lapor_metrics(cycle);

    ngx_http_lapor_redis_node_init(&rds->main, rds);

    rds->main.address = conf->sentinels ? conf->master_name : conf->address;

    /*
     * Housekeeping timers are cancelable: a worker that shuts down gracefully
     * does not wait for them.  Per-command timers are not (see send()).
     */

    rds->ask_timer.handler = ngx_http_lapor_redis_ask_timeout;
    rds->ask_timer.data = rds;
    rds->ask_timer.log = cycle->log;
    rds->ask_timer.cancelable = 1;

    rds->sub_timer.handler = ngx_http_lapor_redis_sub_handler;
    rds->sub_timer.data = rds;
    rds->sub_timer.log = cycle->log;
    rds->sub_timer.cancelable = 1;

    if (conf->cluster) {
        if (ngx_http_lapor_cluster_init(rds, cycle) != NGX_OK) {
            return NULL;
        }

        return rds;
    }

    /*
     * Connect from the event loop, not from init_process: by then every
     * module's worker initialisation has run.
     */

    ngx_add_timer(&rds->main.reconnect_timer, 0);

    return rds;
}


void
ngx_http_lapor_redis_node_init(ngx_http_lapor_redis_node_t *node,
    ngx_http_lapor_redis_t *rds)
{
    node->rds = rds;
    node->state = NGX_HTTP_LAPOR_REDIS_DISCONNECTED;

    node->connect_timer.handler = ngx_http_lapor_redis_connect_timeout;
    node->connect_timer.data = node;
    node->connect_timer.log = rds->log;
    node->connect_timer.cancelable = 1;

    node->reconnect_timer.handler = ngx_http_lapor_redis_reconnect_handler;
    node->reconnect_timer.data = node;
    node->reconnect_timer.log = rds->log;
    node->reconnect_timer.cancelable = 1;
}


void
ngx_http_lapor_redis_destroy(ngx_http_lapor_redis_t *rds)
{
    rds->exiting = 1;

    if (rds->main.connect_timer.timer_set) {
        ngx_del_timer(&rds->main.connect_timer);
    }

    if (rds->main.reconnect_timer.timer_set) {
        ngx_del_timer(&rds->main.reconnect_timer);
    }

    if (rds->ask_timer.timer_set) {
        ngx_del_timer(&rds->ask_timer);
    }

    if (rds->sub_timer.timer_set) {
        ngx_del_timer(&rds->sub_timer);
    }

    /*
     * Pending reply callbacks run with a NULL reply and only free their
     * operations; the cleanup hook closes the socket, so no "open socket
     * left" alert follows.
     */

    if (rds->conf->cluster) {
        ngx_http_lapor_cluster_destroy(rds);
    }

    if (rds->main.ac) {
        redisAsyncFree(rds->main.ac);
    }

    if (rds->ask_ac) {
        redisAsyncFree(rds->ask_ac);
    }

    if (rds->sub_ac) {
        redisAsyncFree(rds->sub_ac);
    }

    if (rds->fmt) {
        ngx_free(rds->fmt);
        rds->fmt = NULL;
        rds->fmt_size = 0;
    }

    rds->main.state = NGX_HTTP_LAPOR_REDIS_DISCONNECTED;
    rds->cluster_state = NGX_HTTP_LAPOR_REDIS_DISCONNECTED;
}


ngx_http_lapor_redis_state_e
ngx_http_lapor_redis_state(ngx_http_lapor_redis_t *rds)
{
    if (rds == NULL) {
        return NGX_HTTP_LAPOR_REDIS_DISCONNECTED;
    }

    /* Redis Cluster: ready with a slot map, the nodes connect on demand */
    return rds->conf->cluster ? rds->cluster_state : rds->main.state;
}


/*
 * Which connection commands sent now go over: a reply holds only while it
 * is the same (a new one may be another server, or one that lost data).
 * With Redis Cluster: a connection to some master was lost since.
 */

ngx_uint_t
ngx_http_lapor_redis_generation(ngx_http_lapor_redis_t *rds)
{
    return rds ? rds->generation : 0;
}


const char *
ngx_http_lapor_redis_state_name(ngx_http_lapor_redis_state_e st)
{
    if ((size_t) st >= sizeof(ngx_http_lapor_redis_state_names)
                       / sizeof(ngx_http_lapor_redis_state_names[0]))
    {
        return "unknown";
    }

    return ngx_http_lapor_redis_state_names[st];
}


time_t
ngx_http_lapor_redis_retry_after(ngx_http_lapor_redis_t *rds)
{
    ngx_event_t     *ev;
    ngx_msec_int_t   left;

    if (rds == NULL) {
        return 1;
    }

    ev = rds->conf->cluster ? &rds->map_timer : &rds->main.reconnect_timer;

    if (!ev->timer_set) {
        return 1;
    }

    left = (ngx_msec_int_t) (ev->timer.key - ngx_current_msec);

    if (left <= 1000) {
        return 1;
    }

    return (time_t) ((left + 999) / 1000);
}


ngx_msec_t
ngx_http_lapor_redis_timeout(ngx_http_lapor_redis_t *rds)
{
    return rds->conf->timeout;
}


ngx_uint_t
ngx_http_lapor_redis_exiting(ngx_http_lapor_redis_t *rds)
{
    return rds->exiting;
}


const char *
ngx_http_lapor_redis_mode(ngx_http_lapor_redis_t *rds)
{
    if (rds == NULL || (rds->conf->sentinels == NULL
                        && rds->conf->cluster == NULL))
    {
        return "single";
    }

    return rds->conf->sentinels ? "sentinel" : "cluster";
}


ngx_uint_t
ngx_http_lapor_redis_sentinel(ngx_http_lapor_redis_t *rds)
{
    return rds && rds->conf->sentinels;
}


ngx_str_t *
ngx_http_lapor_redis_master(ngx_http_lapor_redis_t *rds)
{
    static ngx_str_t  none = ngx_null_string;

    /* before the first answer of a sentinel: none */
    return (rds && rds->master_text[0]) ? &rds->main.address : &none;
}


ngx_uint_t
ngx_http_lapor_redis_switches(ngx_http_lapor_redis_t *rds)
{
    return rds ? rds->switches : 0;
}


/*
 * While Redis stays down every worker retries every few seconds: the first
 * failures are errors, the rest are logged at "info" so the log stays
 * readable (a "ready" notice marks the recovery).
 */

ngx_uint_t
ngx_http_lapor_redis_log_level(ngx_http_lapor_redis_node_t *node)
{
    if (node->state == NGX_HTTP_LAPOR_REDIS_READY || node->failures < 3) {
        return NGX_LOG_ERR;
    }

    return NGX_LOG_INFO;
}


void
ngx_http_lapor_redis_connect(ngx_http_lapor_redis_node_t *node)
{
    redisAsyncContext            *ac;
    ngx_http_lapor_redis_t       *rds;
    ngx_http_lapor_redis_conf_t  *conf;

    rds = node->rds;
    conf = rds->conf;

    /* with Sentinel every connect follows a fresh answer of a sentinel */

    if (conf->sentinels && !rds->asked) {
        ngx_http_lapor_redis_ask(rds);
        return;
    }

    rds->asked = 0;
    node->state = NGX_HTTP_LAPOR_REDIS_CONNECTING;
    node->connected = 0;

    if (conf->cluster == NULL) {
        rds->generation++;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rds->log, 0,
                   "lapor: connecting to redis at %V", &node->address);

    if (conf->cluster) {
        ac = ngx_http_lapor_redis_open(node, &node->address,
                                       (const char *) node->host,
                                       node->port, NULL);

    } else if (conf->sentinels) {
        ac = ngx_http_lapor_redis_open(node, &node->address,
                                       (const char *) rds->master_host,
                                       rds->master_port, NULL);

    } else {
        ac = ngx_http_lapor_redis_open(node, &conf->address,
                                       (const char *) conf->host.data,
                                       conf->port,
                                       conf->unix_path.len
                                       ? (const char *) conf->unix_path.data
                                       : NULL);
    }

    if (ac == NULL) {
        ngx_http_lapor_redis_schedule_reconnect(node);
        return;
    }

    node->ac = ac;

    ngx_add_timer(&node->connect_timer, conf->connect_timeout);

    if (ngx_http_lapor_redis_handshake(node) != NGX_OK) {
        ngx_http_lapor_redis_teardown(node);
    }
}


/*
 * A new context bound to the event loop, for a data server, a sentinel or
 * the slot map: NULL when it could not even start (already logged).
 */

redisAsyncContext *
ngx_http_lapor_redis_open(ngx_http_lapor_redis_node_t *node,
    ngx_str_t *address, const char *host, ngx_int_t port, const char *path)
{
    ngx_log_t          *log;
    ngx_connection_t   *c;
    redisAsyncContext  *ac;

    log = node->rds->log;

    /*
     * The host is an IP literal (resolved at configuration time, or checked
     * in a sentinel's or the slot map's answer), so hiredis's getaddrinfo()
     * never waits for DNS here.
     */

    if (path) {
        ac = redisAsyncConnectUnix(path);

    } else {
        ac = redisAsyncConnect(host, (int) port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "lapor: cannot allocate a redis context for %V",
                      address);
        return NULL;
    }

    if (ac->err) {
        ngx_log_error(ngx_http_lapor_redis_log_level(node), log, 0,
                      "lapor: connecting to redis at %V failed: %s",
                      address, ac->errstr);

        /* no event hooks yet: hiredis closes its own socket */
        redisAsyncFree(ac);
        return NULL;
    }

    c = ngx_get_connection(ac->c.fd, log);
    if (c == NULL) {
        redisAsyncFree(ac);
        return NULL;
    }

    c->data = ac;
    c->read->handler = ngx_http_lapor_redis_read_handler;
    c->write->handler = ngx_http_lapor_redis_write_handler;
    c->read->log = log;
    c->write->log = log;

    ac->data = node;
    ac->ev.data = c;
    ac->ev.addRead = ngx_http_lapor_redis_add_read;
    ac->ev.delRead = ngx_http_lapor_redis_del_read;
    ac->ev.addWrite = ngx_http_lapor_redis_add_write;
    ac->ev.delWrite = ngx_http_lapor_redis_del_write;
    ac->ev.cleanup = ngx_http_lapor_redis_cleanup;

    /* before any reply: objects in one allocation each */
    ac->c.reader->fn = &ngx_http_lapor_reply_functions;

    /*
     * Only after the hooks are attached: in 0.14 setting the connect callback
     * asks for a write event, which is how connect(2) completion is seen.
     */

    redisAsyncSetConnectCallback(ac, ngx_http_lapor_redis_connected);

    /*
     * TCP keepalive notices a peer that vanished without a FIN; hiredis 0.14
     * records a failure of the option as a context error, and a Unix socket
     * has no such option.
     */

    if (path == NULL) {
        (void) redisEnableKeepAlive(&ac->c);
    }

    return ac;
}


/* AUTH [user] password, if there is a password */

ngx_int_t
ngx_http_lapor_redis_auth(redisAsyncContext *ac, ngx_str_t *user,
    ngx_str_t *password, redisCallbackFn *fn)
{
    int          argc;
    size_t       argvlen[3];
    const char  *argv[3];

    if (password->len == 0) {
        return NGX_OK;
    }

    argc = 0;
    argv[argc] = "AUTH";
    argvlen[argc++] = 4;

    if (user->len) {
        argv[argc] = (const char *) user->data;
        argvlen[argc++] = user->len;
    }

    argv[argc] = (const char *) password->data;
    argvlen[argc++] = password->len;

    if (redisAsyncCommandArgv(ac, fn, "AUTH", argc, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_redis_handshake(ngx_http_lapor_redis_node_t *node)
{
    u_char                        db[NGX_INT_T_LEN];
    size_t                        argvlen[3];
    const char                   *argv[3];
    ngx_http_lapor_redis_conf_t  *conf;

    conf = node->rds->conf;

    /* commands queue up in hiredis until the socket is connected */

    if (ngx_http_lapor_redis_auth(node->ac, &conf->user, &conf->password,
                                  ngx_http_lapor_redis_handshake_reply)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (const char *) db;
        argvlen[1] = ngx_sprintf(db, "%i", conf->db) - db;

        if (redisAsyncCommandArgv(node->ac,
                                  ngx_http_lapor_redis_handshake_reply,
                                  "SELECT", 2, argv, argvlen)
            != REDIS_OK)
        {
            return NGX_ERROR;
        }
    }

    /* a sentinel's answer may be stale: only a master is accepted */

    if (conf->sentinels) {
        argv[0] = "ROLE";

    } else {
        argv[0] = "PING";
    }

    argvlen[0] = 4;

    if (redisAsyncCommandArgv(node->ac, ngx_http_lapor_redis_handshake_reply,
                              (void *) argv[0], 1, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_lapor_redis_handshake_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    const char                   *step = privdata;
    redisReply                   *rep = reply;
    ngx_http_lapor_redis_node_t  *node;

    node = ac->data;

    if (rep == NULL || node == NULL || node->ac != ac) {
        /* the context is being freed; the cleanup hook does the rest */
        return;
    }

    if (rep->type == REDIS_REPLY_ERROR) {
        /* the reply never contains the password, only the error */
        ngx_log_error(ngx_http_lapor_redis_log_level(node), node->rds->log, 0,
                      "lapor: redis at %V refused %s: %*s",
                      &node->address, step,
                      ngx_min(rep->len, NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX),
                      rep->str);

        /* inside a reply callback hiredis defers the free */
        ngx_http_lapor_redis_teardown(node);
        return;
    }

    if (ngx_strcmp(step, "ROLE") == 0) {

        if (rep->type != REDIS_REPLY_ARRAY || rep->elements == 0
            || !ngx_http_lapor_redis_is(rep->element[0], "master"))
        {
            ngx_log_error(NGX_LOG_WARN, node->rds->log, 0,
                          "lapor: redis at %V is not the master of \"%V\", "
                          "asking the sentinels again",
                          &node->address, &node->rds->conf->master_name);
            ngx_http_lapor_redis_teardown(node);
            return;
        }

    } else if (ngx_strcmp(step, "PING") != 0) {
        return;

    } else if (rep->type != REDIS_REPLY_STATUS
               || rep->len != 4 || ngx_strncmp(rep->str, "PONG", 4) != 0)
    {
        ngx_log_error(NGX_LOG_ERR, node->rds->log, 0,
                      "lapor: redis at %V answered PING unexpectedly "
                      "(reply type %d)", &node->address, rep->type);
        ngx_http_lapor_redis_teardown(node);
        return;
    }

    if (node->connect_timer.timer_set) {
        ngx_del_timer(&node->connect_timer);
    }

    ngx_log_error(NGX_LOG_NOTICE, node->rds->log, 0,
                  "lapor: redis at %V is ready", &node->address);

    node->state = NGX_HTTP_LAPOR_REDIS_READY;
    node->failures = 0;

    if (node == &node->rds->main) {
        ngx_http_lapor_metrics_ready(node->rds->metrics, 1, 0);
    }
}


static void
ngx_http_lapor_redis_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_lapor_redis_node_t  *node;

    /*
     * In hiredis 0.14 this runs outside its callback guard, and a failure is
     * followed by hiredis freeing the context: only record the state here.
     */

    node = ac->data;

    if (status == REDIS_OK && node && node->ac == ac) {
        node->state = NGX_HTTP_LAPOR_REDIS_HANDSHAKE;
        node->connected = 1;
    }
}


static void
ngx_http_lapor_redis_connect_timeout(ngx_event_t *ev)
{
    ngx_http_lapor_redis_node_t  *node = ev->data;

    if (node->ac == NULL || node->state == NGX_HTTP_LAPOR_REDIS_READY) {
        return;
    }

    ngx_log_error(ngx_http_lapor_redis_log_level(node), node->rds->log,
                  NGX_ETIMEDOUT, "lapor: redis at %V not ready within %M ms",
                  &node->address, node->rds->conf->connect_timeout);

    ngx_http_lapor_redis_teardown(node);
}


static void
ngx_http_lapor_redis_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_lapor_redis_node_t  *node = ev->data;

    ngx_http_lapor_redis_t  *rds;

    rds = node->rds;

    if (rds->exiting || node->ac || rds->ask_ac) {
        return;
    }

    if (node != &rds->main) {
        /* a master of a cluster: connected again when next needed */
        node->state = NGX_HTTP_LAPOR_REDIS_DISCONNECTED;
        return;
    }

    ngx_http_lapor_redis_connect(node);
}


/*
 * Deliberate teardown.  Outside hiredis the context is freed at once (its
 * pending callbacks run with NULL replies); inside a reply callback hiredis
 * defers the free until the callback returns.
 */

void
ngx_http_lapor_redis_teardown(ngx_http_lapor_redis_node_t *node)
{
    redisAsyncContext  *ac;

    ac = node->ac;
    if (ac == NULL) {
        return;
    }

    node->state = NGX_HTTP_LAPOR_REDIS_BACKOFF;

    /* our own state is kept by the cleanup hook, not by onDisconnect */
    ac->onDisconnect = NULL;

    redisAsyncFree(ac);
}


void
ngx_http_lapor_redis_schedule_reconnect(ngx_http_lapor_redis_node_t *node)
{
    uint32_t    rnd;
    ngx_msec_t  delay;

    if (node->rds->exiting) {
        node->state = NGX_HTTP_LAPOR_REDIS_DISCONNECTED;
        return;
    }

    node->state = NGX_HTTP_LAPOR_REDIS_BACKOFF;

    rnd = ((uint32_t) ngx_random() << 16) ^ (uint32_t) ngx_random();

    delay = (ngx_msec_t) lapor_backoff_delay(node->failures,
                                             NGX_HTTP_LAPOR_REDIS_BACKOFF_BASE,
                                             NGX_HTTP_LAPOR_REDIS_BACKOFF_MAX,
                                             rnd);
    node->failures++;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, node->rds->log, 0,
                   "lapor: reconnecting to redis at %V in %M ms",
                   &node->address, delay);

    if (node->reconnect_timer.timer_set) {
        ngx_del_timer(&node->reconnect_timer);
    }

    ngx_add_timer(&node->reconnect_timer, delay);
}


/*
 * The event library cleanup hook: hiredis calls it whenever the context goes
 * away (error, EOF, connect failure, our own free), sometimes twice.
 */

static void
ngx_http_lapor_redis_cleanup(void *privdata)
{
    ngx_connection_t             *c = privdata;
    redisAsyncContext            *ac;
    ngx_http_lapor_redis_t       *rds;
    ngx_http_lapor_redis_node_t  *node;

    if (c == NULL) {
        return;
    }

    ac = c->data;
    node = ac->data;
    rds = node->rds;

    if (ac->err && !rds->exiting && node->ac == ac) {
        ngx_log_error(ngx_http_lapor_redis_log_level(node),
                      rds->log, 0, "lapor: redis connection to %V %s: %s",
                      &node->address,
                      node->state == NGX_HTTP_LAPOR_REDIS_READY
                      ? "lost" : "failed", ac->errstr);
    }

    if (ac->err && !rds->exiting && node->ac != ac) {
        ngx_log_error((rds->sub_ac == ac ? NGX_LOG_WARN
                       : ngx_http_lapor_redis_log_level(node)), rds->log, 0,
                      "lapor: %s connection %s: %s",
                      rds->map_ac == ac ? "cluster" : "sentinel",
                      rds->sub_ac == ac ? "(+switch-master) lost" : "failed",
                      ac->errstr);
    }

    /*
     * nginx closes the socket and forgets its events; hiredis must not
     * close the same number again, it may belong to another connection by
     * the time redisFree() runs.
     */

    ngx_close_connection(c);

    ac->c.fd = -1;
    ac->ev.data = NULL;

    if (node->ac == ac) {
        node->ac = NULL;

        if (node->connect_timer.timer_set) {
            ngx_del_timer(&node->connect_timer);
        }

        if (node == &rds->main) {
            ngx_http_lapor_metrics_ready(rds->metrics, 0, !rds->exiting);

        } else {
            ngx_http_lapor_cluster_node_lost(node);
        }

        ngx_http_lapor_redis_schedule_reconnect(node);

    } else if (rds->ask_ac == ac) {
        rds->ask_ac = NULL;
        ngx_http_lapor_redis_ask_done(rds);

    } else if (rds->sub_ac == ac) {
        rds->sub_ac = NULL;
        ngx_http_lapor_redis_sub_lost(rds);

    } else if (rds->map_ac == ac) {
        rds->map_ac = NULL;
        ngx_http_lapor_cluster_map_done(rds);
    }
}


static void
ngx_http_lapor_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    /* the context may be gone when this returns: do not touch it after */
    redisAsyncHandleRead(c->data);
}


static void
ngx_http_lapor_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    ngx_http_lapor_redis_writing = 1;
    redisAsyncHandleWrite(c->data);
    ngx_http_lapor_redis_writing = 0;
}


static void
ngx_http_lapor_redis_add_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_lapor_redis_add_event(c->read, NGX_READ_EVENT);
}


static void
ngx_http_lapor_redis_del_read(void *privdata)
{
    ngx_connection_t  *c = privdata;

    ngx_http_lapor_redis_del_event(c->read, NGX_READ_EVENT);
}


/*
 * A connected socket almost always takes a batch at once: it is written at
 * the end of this turn of the event loop (a posted event, after the turn's
 * group commits) rather than after epoll said it is writable, which costs
 * two epoll_ctl() and waits for the next turn, behind every other event of
 * that turn.  Only what the socket did not take (hiredis asks again from
 * inside its write) and connect(2) wait for epoll.
 */

static void
ngx_http_lapor_redis_add_write(void *privdata)
{
    ngx_connection_t   *c = privdata;
    redisAsyncContext  *ac;

    ac = c->data;

    if (!ngx_http_lapor_redis_writing
        && (ac->c.flags & REDIS_CONNECTED)
        && !c->write->active
        && c->fd != (ngx_socket_t) -1)
    {
        if (!c->write->posted) {
            ngx_post_event(c->write, &ngx_posted_events);
        }

        return;
    }

    ngx_http_lapor_redis_add_event(c->write, NGX_WRITE_EVENT);
}


static void
ngx_http_lapor_redis_del_write(void *privdata)
{
    ngx_connection_t  *c = privdata;

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    ngx_http_lapor_redis_del_event(c->write, NGX_WRITE_EVENT);
}


static void
ngx_http_lapor_redis_add_event(ngx_event_t *ev, ngx_int_t event)
{
    ngx_connection_t  *c = ev->data;

    if (ev->active || c->fd == (ngx_socket_t) -1) {
        return;
    }

    /* both directions always level-triggered: epoll rebuilds the mask */

    if (ngx_add_event(ev, event, NGX_LEVEL_EVENT) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                      "lapor: cannot watch the redis socket");
    }
}


static void
ngx_http_lapor_redis_del_event(ngx_event_t *ev, ngx_int_t event)
{
    ngx_connection_t  *c = ev->data;

    if (!ev->active || c->fd == (ngx_socket_t) -1) {
        return;
    }

    if (ngx_del_event(ev, event, 0) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                      "lapor: cannot unwatch the redis socket");
    }
}


/*
 * The Redis protocol of one command, written into the worker's buffer:
 * hiredis's own formatting (sds, a printf per argument) was a seventh of
 * a submission's cost.  hiredis copies the text into its output buffer.
 */

ngx_int_t
ngx_http_lapor_redis_format(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_cmd_t *cmd)
{
    u_char  *p;
    size_t   size;

    /* hiredis looks at the command with strchr(): a terminating NUL */
    size = ngx_http_lapor_redis_cmd_size(cmd) + 1;

    if (size > rds->fmt_size) {
        if (rds->fmt) {
            ngx_free(rds->fmt);
        }

        rds->fmt_size = ngx_max(size, 4096);

        rds->fmt = ngx_alloc(rds->fmt_size, rds->log);
        if (rds->fmt == NULL) {
            rds->fmt_size = 0;
            return NGX_ERROR;
        }
    }

    p = ngx_http_lapor_redis_cmd_write(rds->fmt, cmd);

    rds->fmt_len = p - rds->fmt;
    *p = '\0';

    return NGX_OK;
}


/* at most this many bytes of protocol for the command */

size_t
ngx_http_lapor_redis_cmd_size(ngx_http_lapor_redis_cmd_t *cmd)
{
    int     i;
    size_t  size;

    size = 1 + NGX_INT_T_LEN + 2;

    for (i = 0; i < cmd->argc; i++) {
        size += 1 + NGX_SIZE_T_LEN + 2 + cmd->argvlen[i] + 2;
    }

    return size;
}


u_char *
ngx_http_lapor_redis_cmd_write(u_char *p, ngx_http_lapor_redis_cmd_t *cmd)
{
    int  i;

    *p++ = '*';
    p = lapor_decimal(p, cmd->argc);
    *p++ = '\r';
    *p++ = '\n';

    for (i = 0; i < cmd->argc; i++) {
        *p++ = '$';
        p = lapor_decimal(p, cmd->argvlen[i]);
        *p++ = '\r';
        *p++ = '\n';
        p = ngx_cpymem(p, cmd->argv[i], cmd->argvlen[i]);
        *p++ = '\r';
        *p++ = '\n';
    }

    return p;
}


/*
 * WAIT N timeout, appended to a write transaction's batch: no round trip
 * of its own.
 */

static void
ngx_http_lapor_redis_wait_cmd(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_cmd_t *wait, const char **argv, size_t *argvlen,
    u_char *n, u_char *ms)
{
    argv[0] = "WAIT";
    argvlen[0] = 4;
    argv[1] = (const char *) n;
    argvlen[1] = ngx_sprintf(n, "%ui", rds->conf->wait_replicas) - n;
    argv[2] = (const char *) ms;
    argvlen[2] = ngx_sprintf(ms, "%M", rds->conf->wait_timeout) - ms;

    wait->argc = 3;
    wait->argv = argv;
    wait->argvlen = argvlen;
}


/*
 * Hands the commands to hiredis.  On a failure part way (the context is
 * going away) the queued commands keep the operation alive until their
 * NULL replies free it; half a batch (a MULTI without its EXEC) must never
 * stay on the shared connection, so the connection is dropped.
 */

static ngx_int_t
ngx_http_lapor_redis_queue(ngx_http_lapor_redis_node_t *node,
    ngx_http_lapor_redis_op_t *op, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds)
{
    u_char                       n[NGX_INT_T_LEN], ms[NGX_INT_T_LEN];
    size_t                       argvlen[3];
    ngx_uint_t                   i, total;
    const char                  *argv[3];
    ngx_http_lapor_redis_t      *rds;
    ngx_http_lapor_redis_cmd_t   wait, *cmd;

    rds = node->rds;
    op->node = node;

    total = ncmds;

    if (op->wait) {
        ngx_http_lapor_redis_wait_cmd(rds, &wait, argv, argvlen, n, ms);
        total++;
    }

    for (i = 0; i < total; i++) {
        cmd = (i < ncmds) ? &cmds[i] : &wait;

        if (ngx_http_lapor_redis_format(rds, cmd) != NGX_OK
            || redisAsyncFormattedCommand(node->ac, ngx_http_lapor_redis_reply,
                                          op, (const char *) rds->fmt,
                                          rds->fmt_len)
               != REDIS_OK)
        {
            break;
        }

        op->outstanding++;
        node->inflight++;
    }

    if (i == total) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                  "lapor: cannot queue a redis command");

    if (op->outstanding == 0) {
        ngx_free(op);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* nobody is to be answered: the NULL replies only free the operation */
    op->handler = NULL;
    op->internal = NULL;

    ngx_http_lapor_redis_teardown(node);

    return NGX_HTTP_SERVICE_UNAVAILABLE;
}


/*
 * The batch to the one Redis or Sentinel's master, or routed by its slot
 * in a Redis Cluster.  Anything but NGX_OK: the operation is freed.
 */

static ngx_int_t
ngx_http_lapor_redis_dispatch(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_op_t *op, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds)
{
    u_char                      n[NGX_INT_T_LEN], ms[NGX_INT_T_LEN];
    size_t                      argvlen[3];
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    const char                 *argv[3];
    ngx_http_lapor_redis_cmd_t *all;

    (void) clock_gettime(CLOCK_MONOTONIC, &op->sent);

    if (rds->conf->cluster == NULL) {
        return ngx_http_lapor_redis_queue(&rds->main, op, cmds, ncmds);
    }

    if (!op->wait) {
        return ngx_http_lapor_cluster_send(rds, op, cmds, ncmds);
    }

    /* the cluster keeps the batch's text: WAIT goes into it */

    all = ngx_alloc((ncmds + 1) * sizeof(ngx_http_lapor_redis_cmd_t),
                    rds->log);
    if (all == NULL) {
        ngx_free(op);
        return NGX_ERROR;
    }

    for (i = 0; i < ncmds; i++) {
        all[i] = cmds[i];
    }

    ngx_http_lapor_redis_wait_cmd(rds, &all[ncmds], argv, argvlen, n, ms);

    rc = ngx_http_lapor_cluster_send(rds, op, all, ncmds + 1);

    ngx_free(all);

    return rc;
}


ngx_int_t
ngx_http_lapor_redis_send(ngx_http_request_t *r, ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_cmd_t *cmds, ngx_uint_t ncmds,
    ngx_http_lapor_redis_handler_pt handler, void *data)
{
    return ngx_http_lapor_redis_send_request(r, rds, cmds, ncmds, handler,
                                             data, 0);
}


ngx_int_t
ngx_http_lapor_redis_send_durable(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds, ngx_http_lapor_redis_handler_pt handler, void *data)
{
    return ngx_http_lapor_redis_send_request(r, rds, cmds, ncmds, handler,
                                             data,
                                             rds && rds->conf->wait_replicas);
}


static ngx_int_t
ngx_http_lapor_redis_send_request(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds, ngx_http_lapor_redis_handler_pt handler, void *data,
    ngx_uint_t wait)
{
    ngx_int_t                   rc;
    ngx_http_cleanup_t         *cln;
    ngx_http_lapor_redis_op_t  *op;

    if (ngx_http_lapor_redis_state(rds) != NGX_HTTP_LAPOR_REDIS_READY
        || (rds->conf->cluster == NULL && rds->main.ac == NULL))
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ncmds == 0) {
        return NGX_ERROR;
    }

    if (rds->conf->cluster == NULL
        && rds->main.inflight + ncmds > NGX_HTTP_LAPOR_REDIS_MAX_INFLIGHT)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "lapor: %ui redis commands in flight, refusing more",
                      rds->main.inflight);
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    /*
     * The operation outlives the request if the client goes away: hiredis
     * still holds it as privdata until the reply or the context's end.
     */

    op = ngx_calloc(sizeof(ngx_http_lapor_redis_op_t), r->connection->log);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->rds = rds;
    op->handler = handler;
    op->data = data;
    op->wait = wait;

    rc = ngx_http_lapor_redis_dispatch(rds, op, cmds, ncmds);
    if (rc != NGX_OK) {
        return rc;
    }

    op->request = r;
    op->cleanup = cln;
    cln->handler = ngx_http_lapor_redis_op_cleanup;
    cln->data = op;

    /*
     * Not cancelable: a gracefully exiting worker waits for requests that
     * wait for Redis, at most this long.
     */

    op->timer.handler = ngx_http_lapor_redis_op_timeout;
    op->timer.data = op;
    op->timer.log = r->connection->log;
    ngx_add_timer(&op->timer, rds->conf->timeout);

    /* notice a client that goes away, do not rerun the phases meanwhile */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    r->main->count++;

    return NGX_OK;
}


ngx_int_t
ngx_http_lapor_redis_send_internal(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_cmd_t *cmds, ngx_uint_t ncmds,
    ngx_http_lapor_redis_internal_pt handler, void *data)
{
    return ngx_http_lapor_redis_send_housekeeping(rds, cmds, ncmds, handler,
                                                  data, 0);
}


ngx_int_t
ngx_http_lapor_redis_send_internal_durable(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_cmd_t *cmds, ngx_uint_t ncmds,
    ngx_http_lapor_redis_internal_pt handler, void *data)
{
    return ngx_http_lapor_redis_send_housekeeping(rds, cmds, ncmds, handler,
                                                  data,
                                                  rds
                                                  && rds->conf->wait_replicas);
}


static ngx_int_t
ngx_http_lapor_redis_send_housekeeping(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_cmd_t *cmds, ngx_uint_t ncmds,
    ngx_http_lapor_redis_internal_pt handler, void *data, ngx_uint_t wait)
{
    ngx_int_t                   rc;
    ngx_http_lapor_redis_op_t  *op;

    if (rds == NULL || rds->exiting
        || ngx_http_lapor_redis_state(rds) != NGX_HTTP_LAPOR_REDIS_READY
        || (rds->conf->cluster == NULL && rds->main.ac == NULL))
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ncmds == 0) {
        return NGX_ERROR;
    }

    if (rds->conf->cluster == NULL
        && rds->main.inflight + ncmds > NGX_HTTP_LAPOR_REDIS_MAX_INFLIGHT)
    {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    op = ngx_calloc(sizeof(ngx_http_lapor_redis_op_t), rds->log);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->rds = rds;
    op->internal = handler;
    op->data = data;
    op->wait = wait;

    rc = ngx_http_lapor_redis_dispatch(rds, op, cmds, ncmds);
    if (rc != NGX_OK) {
        return rc;
    }

    /* housekeeping work: cancelable, it must not hold up a shutdown */

    op->timer.handler = ngx_http_lapor_redis_op_timeout;
    op->timer.data = op;
    op->timer.log = rds->log;
    op->timer.cancelable = 1;
    ngx_add_timer(&op->timer, rds->conf->timeout);

    return NGX_OK;
}


/* a reply to one Redis or Sentinel's master (Redis Cluster: see there) */

static void
ngx_http_lapor_redis_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply                   *rep = reply;
    ngx_http_lapor_redis_t       *rds;
    ngx_http_lapor_redis_op_t    *op = privdata;
    ngx_http_lapor_redis_node_t  *node;

    rds = op->rds;
    node = op->node;

    node->inflight--;
    op->outstanding--;

    if (rep == NULL) {
        op->lost = 1;

        /*
         * hiredis answers the pending callbacks before it runs the cleanup
         * hook: the context is already going away.
         */

        if (node->ac == ac && node->state == NGX_HTTP_LAPOR_REDIS_READY) {
            node->state = NGX_HTTP_LAPOR_REDIS_BACKOFF;
        }

    } else if (rep->type == REDIS_REPLY_ERROR && rds->conf->sentinels
               && node->ac == ac && ngx_http_lapor_redis_not_master(rds, rep))
    {
        /* answered like a lost connection: 503 with Retry-After */
        op->lost = 1;

    } else if (op->outstanding && rep->type == REDIS_REPLY_ERROR) {

        /*
         * The first refusal says why (OOM, MISCONF, NOPERM...); EXEC will
         * only say EXECABORT.  Keep it for the handler.
         */

        if (!op->failed) {
            op->error_len = ngx_min(rep->len, sizeof(op->error));
            ngx_memcpy(op->error, rep->str, op->error_len);
        }

        op->failed = 1;
    }

    if (op->wait && op->outstanding == 1 && rep != NULL && !op->lost) {
        /* EXEC's reply, for the handler once WAIT has answered */
        op->kept = ngx_http_lapor_reply_take(rep);
        if (op->kept == NULL) {
            op->lost = 1;
        }
    }

    if (op->outstanding) {
        return;
    }

    if (op->wait) {
        ngx_http_lapor_redis_waited(rds, op, rep);
        rep = op->kept;
    }

    ngx_http_lapor_redis_finish(op, rep);
}


/*
 * The batch is answered (or lost, or late): its handler is called with the
 * reply to its last command, and the operation is freed.
 */

void
ngx_http_lapor_redis_finish(ngx_http_lapor_redis_op_t *op, redisReply *rep)
{
    ngx_int_t                rc;
    redisReply               first;
    struct timespec          now;
    ngx_connection_t        *c;
    ngx_http_request_t      *r;
    ngx_http_lapor_redis_t  *rds;

    rds = op->rds;

    if (!op->lost && !op->timed_out) {
        (void) clock_gettime(CLOCK_MONOTONIC, &now);

        ngx_http_lapor_metrics_latency(rds->metrics,
            (uint64_t) ((now.tv_sec - op->sent.tv_sec) * 1000000
                        + (now.tv_nsec - op->sent.tv_nsec) / 1000));
    }

    if (op->failed && !op->lost && !op->timed_out) {
        /* the handler sees the first error, not EXECABORT */
        ngx_memzero(&first, sizeof(redisReply));
        first.type = REDIS_REPLY_ERROR;
        first.str = (char *) op->error;
        first.len = op->error_len;
        rep = &first;
    }

    if (op->internal) {
        if (op->timer.timer_set) {
            ngx_del_timer(&op->timer);
        }

        /* also at exit: the handler owns memory it has to release */

        op->internal(op->data, op->lost ? NULL : rep,
                     op->timed_out ? NGX_HTTP_GATEWAY_TIME_OUT
                     : op->lost ? NGX_HTTP_SERVICE_UNAVAILABLE
                     : op->failed ? NGX_HTTP_BAD_GATEWAY : NGX_OK);

        if (op->kept) {
            ngx_http_lapor_reply_release(op->kept);
        }

        if (op->text) {
            ngx_free(op->text);
        }

        ngx_free(op);
        return;
    }

    r = op->request;

    if (r != NULL) {
        ngx_http_lapor_redis_op_detach(op);

        if (!rds->exiting) {
            if (op->timed_out) {
                rc = NGX_HTTP_GATEWAY_TIME_OUT;

            } else if (op->lost) {
                rc = NGX_HTTP_SERVICE_UNAVAILABLE;

            } else if (op->failed) {
                rc = NGX_HTTP_BAD_GATEWAY;

            } else {
                rc = NGX_OK;
            }

            c = r->connection;
            ngx_http_set_log_request(c->log, r);

            op->handler(r, op->data, op->lost ? NULL : rep, rc);

            ngx_http_run_posted_requests(c);
        }
    }

    if (op->kept) {
        ngx_http_lapor_reply_release(op->kept);
    }

    if (op->text) {
        ngx_free(op->text);
    }

    ngx_free(op);
}


/*
 * WAIT's answer: fewer replicas than asked for make the write a 503 (it
 * exists on the master and may survive; a retry with the same
 * Idempotency-Key finds it).
 */

void
ngx_http_lapor_redis_waited(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_op_t *op, redisReply *rep)
{
    if (op->lost || op->timed_out || op->failed || rep == NULL) {
        return;
    }

    if (rep->type == REDIS_REPLY_INTEGER
        && rep->integer >= (long long) rds->conf->wait_replicas)
    {
        return;
    }

    if (rep->type == REDIS_REPLY_INTEGER) {
        ngx_log_error(NGX_LOG_WARN, rds->log, 0,
                      "lapor: a write reached %L of %ui replicas within "
                      "%M ms, answering 503", (int64_t) rep->integer,
                      rds->conf->wait_replicas, rds->conf->wait_timeout);

    } else {
        ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                      "lapor: redis at %V refused WAIT: %*s",
                      &op->node->address,
                      rep->type == REDIS_REPLY_ERROR
                      ? ngx_min(rep->len, NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX)
                      : 0, rep->type == REDIS_REPLY_ERROR ? rep->str : "");
    }

    ngx_http_lapor_metrics_unreplicated(rds->metrics);

    op->lost = 1;
}


static void
ngx_http_lapor_redis_op_timeout(ngx_event_t *ev)
{
    ngx_connection_t             *c;
    ngx_http_request_t           *r;
    ngx_http_lapor_redis_op_t    *op = ev->data;
    ngx_http_lapor_redis_node_t  *node;

    node = op->node;

    op->timed_out = 1;

    if (op->cluster && ngx_http_lapor_cluster_op_timeout(op)) {
        /* it was between two tries: answered and freed */
        return;
    }

    ngx_log_error(NGX_LOG_ERR, ev->log, NGX_ETIMEDOUT,
                  "lapor: redis at %V did not answer within %M ms, "
                  "reconnecting", &node->address, op->rds->conf->timeout);

    if (node->ac == NULL) {
        /*
         * Cannot happen: an operation in flight belongs to the live context.
         * Answer the request anyway; the operation stays with hiredis.
         */

        ngx_log_error(NGX_LOG_ALERT, ev->log, 0,
                      "lapor: timed out redis operation without a context");

        r = op->request;
        ngx_http_lapor_redis_op_detach(op);

        if (r) {
            c = r->connection;
            ngx_http_set_log_request(c->log, r);
            op->handler(r, op->data, NULL, NGX_HTTP_GATEWAY_TIME_OUT);
            ngx_http_run_posted_requests(c);
        }

        return;
    }

    /*
     * Replies come in order, so everything behind the late one is late too:
     * drop the connection.  Its pending callbacks run now, this operation's
     * with a 504 for its request, and the operation is freed.
     */

    ngx_http_lapor_redis_teardown(node);
}


/* the request is going away before its reply arrived */

static void
ngx_http_lapor_redis_op_cleanup(void *data)
{
    ngx_http_lapor_redis_op_t  *op = data;

    op->cleanup = NULL;
    op->request = NULL;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }
}


void
ngx_http_lapor_redis_op_detach(ngx_http_lapor_redis_op_t *op)
{
    if (op->cleanup) {
        op->cleanup->handler = NULL;
        op->cleanup = NULL;
    }

    op->request = NULL;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }
}


ngx_int_t
ngx_http_lapor_redis_int(redisReply *rep, int64_t *out)
{
    ngx_int_t  n;

    if (rep->type == REDIS_REPLY_INTEGER) {
        *out = rep->integer;
        return NGX_OK;
    }

    if (rep->type != REDIS_REPLY_STRING || rep->len == 0) {
        return NGX_ERROR;
    }

    if (rep->str[0] == '-') {
        n = ngx_atoi((u_char *) rep->str + 1, rep->len - 1);
        if (n == NGX_ERROR) {
            return NGX_ERROR;
        }

        *out = -(int64_t) n;
        return NGX_OK;
    }

    n = ngx_atoi((u_char *) rep->str, rep->len);
    if (n == NGX_ERROR) {
        return NGX_ERROR;
    }

    *out = n;

    return NGX_OK;
}


ngx_uint_t
ngx_http_lapor_redis_is(redisReply *rep, const char *s)
{
    size_t  len;

    len = ngx_strlen(s);

    return rep->type == REDIS_REPLY_STRING && rep->len == len
           && ngx_strncmp(rep->str, s, len) == 0;
}


/* EXEC answered with one reply per queued command, none of them an error */

ngx_uint_t
ngx_http_lapor_redis_exec_ok(redisReply *reply, ngx_uint_t expect)
{
    size_t  i;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != expect)
    {
        return 0;
    }

    for (i = 0; i < reply->elements; i++) {
        if (reply->element[i]->type == REDIS_REPLY_ERROR) {
            return 0;
        }
    }

    return 1;
}
