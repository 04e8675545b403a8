
/*
 * Redis Sentinel for the Redis core: before every connect a worker asks a
 * sentinel where the master is, and stays subscribed to +switch-master.
 * The contexts are bound to the event loop by the core
 * (ngx_http_lapor_redis_open) and end in its cleanup hook, which hands
 * them back here.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_lapor_redis.h"
#include "ngx_http_lapor_redis_int.h"
#include "ngx_http_lapor_metrics.h"


static void ngx_http_lapor_redis_ask_reply(redisAsyncContext *ac,
    void *reply, void *privdata);
static ngx_int_t ngx_http_lapor_redis_set_master(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_addr_t *sa, redisReply *host, redisReply *port);
static void ngx_http_lapor_redis_sub_auth(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_lapor_redis_sub_message(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_lapor_redis_switch(ngx_http_lapor_redis_t *rds,
    u_char *payload, size_t len);


/*
 * Before every connect a sentinel is asked for the master's address
 * (SENTINEL get-master-addr-by-name), over a context of its own that lives
 * for one answer; the sentinels are tried in turn, the one that answered
 * first next time.  The connect then checks ROLE (the core's handshake).
 * A second context stays subscribed to +switch-master on a sentinel and
 * cuts the wait short when the master changes.
 */

void
ngx_http_lapor_redis_ask(ngx_http_lapor_redis_t *rds)
{
    size_t                        argvlen[3];
    const char                   *argv[3];
    redisAsyncContext            *ac;
    ngx_http_lapor_redis_addr_t  *sa;
    ngx_http_lapor_redis_conf_t  *conf;

    conf = rds->conf;
    sa = conf->sentinels->elts;
    sa = &sa[rds->ask_next % conf->sentinels->nelts];

    rds->main.state = NGX_HTTP_LAPOR_REDIS_DISCOVERING;
    rds->answered = 0;

    ac = ngx_http_lapor_redis_open(&rds->main, &sa->address,
                                   (const char *) sa->host.data, sa->port,
                                   NULL);
    if (ac == NULL) {
        ngx_http_lapor_redis_ask_done(rds);
        return;
    }

    rds->ask_ac = ac;

    ngx_add_timer(&rds->ask_timer, conf->connect_timeout);

    argv[0] = "SENTINEL";
    argvlen[0] = 8;
    argv[1] = "get-master-addr-by-name";
    argvlen[1] = sizeof("get-master-addr-by-name") - 1;
    argv[2] = (const char *) conf->master_name.data;
    argvlen[2] = conf->master_name.len;

    if (ngx_http_lapor_redis_auth(ac, &conf->sentinel_user,
                                  &conf->sentinel_password,
                                  ngx_http_lapor_redis_ask_reply)
        != NGX_OK
        || redisAsyncCommandArgv(ac, ngx_http_lapor_redis_ask_reply,
                                 "SENTINEL", 3, argv, argvlen)
           != REDIS_OK)
    {
        /* outside hiredis: freed at once, the cleanup hook goes on */
        redisAsyncFree(ac);
    }
}


static void
ngx_http_lapor_redis_ask_reply(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    const char                   *step = privdata;
    redisReply                   *rep = reply;
    ngx_http_lapor_redis_t       *rds;
    ngx_http_lapor_redis_addr_t  *sa;

    rds = ((ngx_http_lapor_redis_node_t *) ac->data)->rds;

    if (rep == NULL || rds == NULL || rds->ask_ac != ac) {
        return;
    }

    sa = rds->conf->sentinels->elts;
    sa = &sa[rds->ask_next % rds->conf->sentinels->nelts];

    if (rep->type == REDIS_REPLY_ERROR) {
        ngx_log_error(ngx_http_lapor_redis_log_level(&rds->main), rds->log, 0,
                      "lapor: sentinel %V refused %s: %*s", &sa->address,
                      step, ngx_min(rep->len, NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX),
                      rep->str);

        /* inside a reply callback hiredis defers the free */
        redisAsyncFree(ac);
        return;
    }

    if (ngx_strcmp(step, "SENTINEL") != 0) {
        return;
    }

    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2
        || rep->element[0]->type != REDIS_REPLY_STRING
        || rep->element[1]->type != REDIS_REPLY_STRING)
    {
        ngx_log_error(ngx_http_lapor_redis_log_level(&rds->main), rds->log, 0,
                      "lapor: sentinel %V knows no master \"%V\"",
                      &sa->address, &rds->conf->master_name);

    } else if (ngx_http_lapor_redis_set_master(rds, sa, rep->element[0],
                                               rep->element[1])
               == NGX_OK)
    {
        rds->answered = 1;
    }

    redisAsyncFree(ac);
}


void
ngx_http_lapor_redis_ask_timeout(ngx_event_t *ev)
{
    ngx_http_lapor_redis_t  *rds = ev->data;

    if (rds->ask_ac == NULL) {
        return;
    }

    ngx_log_error(ngx_http_lapor_redis_log_level(&rds->main), rds->log,
                  NGX_ETIMEDOUT, "lapor: a sentinel did not answer within "
                  "%M ms", rds->conf->connect_timeout);

    redisAsyncFree(rds->ask_ac);
}


/* the asking context is gone, with an answer or without */

void
ngx_http_lapor_redis_ask_done(ngx_http_lapor_redis_t *rds)
{
    ngx_uint_t  n;

    if (rds->ask_timer.timer_set) {
        ngx_del_timer(&rds->ask_timer);
    }

    if (rds->exiting) {
        rds->main.state = NGX_HTTP_LAPOR_REDIS_DISCONNECTED;
        return;
    }

    n = rds->conf->sentinels->nelts;

    if (rds->answered) {
        rds->answered = 0;
        rds->asked = 1;
        rds->ask_tries = 0;

        if (rds->sub_ac == NULL && !rds->sub_timer.timer_set) {
            rds->sub_next = rds->ask_next;
            ngx_add_timer(&rds->sub_timer, 0);
        }

    } else {
        rds->ask_next = (rds->ask_next + 1) % n;

        if (++rds->ask_tries >= n) {
            rds->ask_tries = 0;

            ngx_log_error(ngx_http_lapor_redis_log_level(&rds->main),
                          rds->log, 0,
                          "lapor: no sentinel named the master of \"%V\"",
                          &rds->conf->master_name);

            ngx_http_lapor_redis_schedule_reconnect(&rds->main);
            return;
        }
    }

    /* the next step from a timer: never inside hiredis's call stack */

    if (rds->main.reconnect_timer.timer_set) {
        ngx_del_timer(&rds->main.reconnect_timer);
    }

    ngx_add_timer(&rds->main.reconnect_timer, 0);
}


/*
 * A sentinel's answer becomes the address to connect to.  Only IP literals
 * are taken: a host name would make hiredis wait for DNS in the worker.
 */

static ngx_int_t
ngx_http_lapor_redis_set_master(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_addr_t *sa, redisReply *host, redisReply *port)
{
    u_char     *p, text[NGX_SOCKADDR_STRLEN + 8];
    size_t      i, len;
    ngx_int_t   n;

    n = ngx_atoi((u_char *) port->str, port->len);

    for (i = 0; i < host->len; i++) {
        if (!(ngx_strchr("0123456789abcdefABCDEF.:", host->str[i]))) {
            break;
        }
    }

    if (host->len == 0 || i != host->len
        || host->len >= sizeof(rds->master_host)
        || n < 1 || n > 65535)
    {
        ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                      "lapor: sentinel %V named \"%*s\" port \"%*s\" as the "
                      "master of \"%V\": not an IP address and port",
                      &sa->address, ngx_min(host->len, 64), host->str,
                      ngx_min(port->len, 8), port->str,
                      &rds->conf->master_name);
        return NGX_ERROR;
    }

    if (ngx_strlchr((u_char *) host->str, (u_char *) host->str + host->len,
                    ':'))
    {
        p = ngx_sprintf(text, "[%*s]:%i", host->len, host->str, n);

    } else {
        p = ngx_sprintf(text, "%*s:%i", host->len, host->str, n);
    }

    len = p - text;
    *p = '\0';

    if (len == rds->main.address.len && rds->master_text[0]
        && ngx_strncmp(text, rds->master_text, len) == 0)
    {
        return NGX_OK;
    }

    if (rds->master_text[0]) {
        rds->switches++;
        ngx_http_lapor_metrics_switch(rds->metrics);

        ngx_log_error(NGX_LOG_NOTICE, rds->log, 0,
                      "lapor: sentinel %V names %s as the master of \"%V\" "
                      "(was %s)", &sa->address, text,
                      &rds->conf->master_name, rds->master_text);

    } else {
        ngx_log_error(NGX_LOG_NOTICE, rds->log, 0,
                      "lapor: sentinel %V names %s as the master of \"%V\"",
                      &sa->address, text, &rds->conf->master_name);
    }

    ngx_memcpy(rds->master_host, host->str, host->len);
    rds->master_host[host->len] = '\0';
    rds->master_port = n;

    ngx_memcpy(rds->master_text, text, len + 1);
    rds->main.address.data = rds->master_text;
    rds->main.address.len = len;

    return NGX_OK;
}


/*
 * The subscription's timer: connects when there is no subscription, and
 * gives up a connection whose subscription was not confirmed in time.
 */

void
ngx_http_lapor_redis_sub_handler(ngx_event_t *ev)
{
    ngx_http_lapor_redis_t  *rds = ev->data;

    size_t                        argvlen[2];
    const char                   *argv[2];
    redisAsyncContext            *ac;
    ngx_http_lapor_redis_addr_t  *sa;
    ngx_http_lapor_redis_conf_t  *conf;

    if (rds->exiting) {
        return;
    }

    if (rds->sub_ac) {
        if (!rds->subscribed) {
            ngx_log_error(NGX_LOG_WARN, rds->log, NGX_ETIMEDOUT,
                          "lapor: sentinel did not confirm the "
                          "+switch-master subscription in time");
            redisAsyncFree(rds->sub_ac);
        }

        return;
    }

    conf = rds->conf;
    sa = conf->sentinels->elts;
    sa = &sa[rds->sub_next % conf->sentinels->nelts];

    ac = ngx_http_lapor_redis_open(&rds->main, &sa->address,
                                   (const char *) sa->host.data, sa->port,
                                   NULL);
    if (ac == NULL) {
        ngx_http_lapor_redis_sub_lost(rds);
        return;
    }

    rds->sub_ac = ac;
    rds->subscribed = 0;

    ngx_add_timer(&rds->sub_timer, conf->connect_timeout);

    argv[0] = "SUBSCRIBE";
    argvlen[0] = 9;
    argv[1] = "+switch-master";
    argvlen[1] = sizeof("+switch-master") - 1;

    if (ngx_http_lapor_redis_auth(ac, &conf->sentinel_user,
                                  &conf->sentinel_password,
                                  ngx_http_lapor_redis_sub_auth)
        != NGX_OK
        || redisAsyncCommandArgv(ac, ngx_http_lapor_redis_sub_message, NULL,
                                 2, argv, argvlen)
           != REDIS_OK)
    {
        redisAsyncFree(ac);
    }
}


static void
ngx_http_lapor_redis_sub_auth(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply              *rep = reply;
    ngx_http_lapor_redis_t  *rds;

    rds = ((ngx_http_lapor_redis_node_t *) ac->data)->rds;

    if (rep == NULL || rds == NULL || rds->sub_ac != ac
        || rep->type != REDIS_REPLY_ERROR)
    {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rds->log, 0,
                  "lapor: sentinel refused AUTH: %*s",
                  ngx_min(rep->len, NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX),
                  rep->str);

    redisAsyncFree(ac);
}


static void
ngx_http_lapor_redis_sub_message(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                   *rep = reply;
    ngx_http_lapor_redis_t       *rds;
    ngx_http_lapor_redis_addr_t  *sa;

    rds = ((ngx_http_lapor_redis_node_t *) ac->data)->rds;

    if (rep == NULL || rds == NULL || rds->sub_ac != ac
        || rep->type != REDIS_REPLY_ARRAY || rep->elements < 3)
    {
        return;
    }

    if (ngx_http_lapor_redis_is(rep->element[0], "subscribe")) {
        rds->subscribed = 1;

        if (rds->sub_timer.timer_set) {
            ngx_del_timer(&rds->sub_timer);
        }

        sa = rds->conf->sentinels->elts;
        sa = &sa[rds->sub_next % rds->conf->sentinels->nelts];

        ngx_log_error(NGX_LOG_INFO, rds->log, 0,
                      "lapor: following +switch-master of \"%V\" through "
                      "sentinel %V", &rds->conf->master_name, &sa->address);
        return;
    }

    if (ngx_http_lapor_redis_is(rep->element[0], "message")
        && rep->element[2]->type == REDIS_REPLY_STRING)
    {
        ngx_http_lapor_redis_switch(rds, (u_char *) rep->element[2]->str,
                                    rep->element[2]->len);
    }
}


/*
 * "<name> <old-ip> <old-port> <new-ip> <new-port>": the connection to the
 * old master goes (its requests get a 503 with Retry-After) and the
 * sentinels are asked again at once, without waiting out the backoff.
 */

static void
ngx_http_lapor_redis_switch(ngx_http_lapor_redis_t *rds, u_char *payload,
    size_t len)
{
    u_char      *p, *last, *word[5], text[NGX_SOCKADDR_STRLEN + 8];
    size_t       n[5];
    ngx_uint_t   i;

    last = payload + len;
    p = payload;

    /* <name> <old-ip> <old-port> <new-ip> <new-port> */

    for (i = 0; i < 5; i++) {
        word[i] = p;
        p = ngx_strlchr(p, last, ' ');
        n[i] = (p ? p : last) - word[i];

        if (p == NULL) {
            break;
        }

        p++;
    }

    if (i != 4
        || n[0] != rds->conf->master_name.len
        || ngx_strncmp(word[0], rds->conf->master_name.data, n[0]) != 0
        || n[3] > NGX_SOCKADDR_STRLEN || n[4] > 5)
    {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, rds->log, 0,
                  "lapor: sentinel announces +switch-master %*s",
                  ngx_min(len, 200), payload);

    if (ngx_strlchr(word[3], word[3] + n[3], ':')) {
        p = ngx_sprintf(text, "[%*s]:%*s", n[3], word[3], n[4], word[4]);

    } else {
        p = ngx_sprintf(text, "%*s:%*s", n[3], word[3], n[4], word[4]);
    }

    if (rds->main.ac && (size_t) (p - text) == rds->main.address.len
        && ngx_strncmp(text, rds->main.address.data, p - text) == 0)
    {
        /* already there: asked after a lost connection, before this */
        return;
    }

    if (rds->main.ac) {
        if (rds->main.state == NGX_HTTP_LAPOR_REDIS_READY) {
            ngx_log_error(NGX_LOG_WARN, rds->log, 0,
                          "lapor: leaving redis at %V, asking the sentinels "
                          "for the new master", &rds->main.address);
        }

        /* another context than the one whose callback runs: freed now */
        ngx_http_lapor_redis_teardown(&rds->main);
    }

    if (rds->ask_ac == NULL && !rds->exiting) {
        rds->main.failures = 0;

        if (rds->main.reconnect_timer.timer_set) {
            ngx_del_timer(&rds->main.reconnect_timer);
        }

        ngx_add_timer(&rds->main.reconnect_timer, 0);
    }
}


void
ngx_http_lapor_redis_sub_lost(ngx_http_lapor_redis_t *rds)
{
    rds->subscribed = 0;

    if (rds->sub_timer.timer_set) {
        ngx_del_timer(&rds->sub_timer);
    }

    if (rds->exiting) {
        return;
    }

    rds->sub_next = (rds->sub_next + 1) % rds->conf->sentinels->nelts;

    ngx_add_timer(&rds->sub_timer, NGX_HTTP_LAPOR_REDIS_SUB_RETRY);
}


/*
 * Replies that say this server is not (or not yet) a usable master: with
 * Sentinel the connection goes and the sentinels are asked again.
 */

ngx_uint_t
ngx_http_lapor_redis_not_master(ngx_http_lapor_redis_t *rds,
    redisReply *rep)
{
    ngx_uint_t  i;

    static ngx_str_t  errors[] = {
        ngx_string("READONLY "),
        ngx_string("LOADING "),
        ngx_string("MASTERDOWN ")
    };

    for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        if (rep->len >= errors[i].len
            && ngx_strncmp(rep->str, errors[i].data, errors[i].len) == 0)
        {
            break;
        }
    }

    if (i == sizeof(errors) / sizeof(errors[0])) {
        return 0;
    }

    if (rds->main.state == NGX_HTTP_LAPOR_REDIS_READY) {
        ngx_log_error(NGX_LOG_WARN, rds->log, 0,
                      "lapor: redis at %V answered \"%*s\", asking the "
                      "sentinels again", &rds->main.address,
                      ngx_min(rep->len, NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX),
                      rep->str);

        /* inside a reply callback hiredis defers the free */
        ngx_http_lapor_redis_teardown(&rds->main);
    }

    return 1;
}
