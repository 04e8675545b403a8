
/*
 * The Redis core's state, shared by its files only (ngx_http_lapor_redis.c,
 * the connection and the commands; ngx_http_lapor_sentinel.c, finding the
 * master): nothing else includes this header.
 */


#ifndef _NGX_HTTP_LAPOR_REDIS_INT_H_INCLUDED_
#define _NGX_HTTP_LAPOR_REDIS_INT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_lapor_redis.h"
#include "ngx_http_lapor_metrics.h"


#define NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX      200
#define NGX_HTTP_LAPOR_REDIS_SUB_RETRY       1000


struct ngx_http_lapor_redis_s {
    ngx_http_lapor_redis_conf_t      *conf;
    ngx_log_t                        *log;
    redisAsyncContext                *ac;
    ngx_str_t                         address;   /* of the data server */
    ngx_http_lapor_redis_state_e      state;
    ngx_uint_t                        failures;    /* since last ready */
    ngx_uint_t                        generation;  /* connections made */
    ngx_uint_t                        inflight;    /* commands sent */
    ngx_event_t                       connect_timer;
    ngx_event_t                       reconnect_timer;
    ngx_http_lapor_metrics_t         *metrics;
    u_char                           *fmt;       /* one command's text */
    size_t                            fmt_size;
    size_t                            fmt_len;

    /*
     * Sentinel: one short-lived context asks a sentinel for the master
     * before every connect, another stays subscribed to +switch-master.
     */
    redisAsyncContext                *ask_ac;
    redisAsyncContext                *sub_ac;
    ngx_uint_t                        ask_next;  /* sentinel asked next */
    ngx_uint_t                        ask_tries; /* asked in this round */
    ngx_uint_t                        sub_next;
    ngx_uint_t                        switches;  /* master changes seen */
    ngx_event_t                       ask_timer;
    ngx_event_t                       sub_timer;
    ngx_int_t                         master_port;
    u_char                            master_host[NGX_SOCKADDR_STRLEN + 1];
    u_char                            master_text[NGX_SOCKADDR_STRLEN + 8];

    unsigned                          exiting:1;
    unsigned                          asked:1;   /* next connect: master */
    unsigned                          answered:1;
    unsigned                          subscribed:1;
};


/* the core, for Sentinel */
ngx_uint_t ngx_http_lapor_redis_log_level(ngx_http_lapor_redis_t *rds);
redisAsyncContext *ngx_http_lapor_redis_open(ngx_http_lapor_redis_t *rds,
    ngx_str_t *address, const char *host, ngx_int_t port, const char *path);
ngx_int_t ngx_http_lapor_redis_auth(redisAsyncContext *ac, ngx_str_t *user,
    ngx_str_t *password, redisCallbackFn *fn);
void ngx_http_lapor_redis_teardown(ngx_http_lapor_redis_t *rds);
void ngx_http_lapor_redis_schedule_reconnect(ngx_http_lapor_redis_t *rds);

/* Sentinel, for the core */
void ngx_http_lapor_redis_ask(ngx_http_lapor_redis_t *rds);
void ngx_http_lapor_redis_ask_timeout(ngx_event_t *ev);
void ngx_http_lapor_redis_ask_done(ngx_http_lapor_redis_t *rds);
void ngx_http_lapor_redis_sub_handler(ngx_event_t *ev);
void ngx_http_lapor_redis_sub_lost(ngx_http_lapor_redis_t *rds);
ngx_uint_t ngx_http_lapor_redis_not_master(ngx_http_lapor_redis_t *rds,
    redisReply *rep);


#endif /* _NGX_HTTP_LAPOR_REDIS_INT_H_INCLUDED_ */
