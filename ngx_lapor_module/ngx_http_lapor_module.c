
/*
 * ngx_lapor: a public-service complaint channel in the style of SP4N LAPOR!
 * inside nginx.  This file holds the directives, their configuration and the
 * worker process hooks.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_replies.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_catalog.h"
#include "ngx_http_lapor_identity.h"
#include "ngx_http_lapor_sweep.h"
#include "ngx_http_lapor_metrics.h"
#include "ngx_http_lapor_open311.h"
#include "lapor_crypto.h"
#include "lapor_request.h"


#define NGX_HTTP_LAPOR_REDIS_DEFAULT_PORT  6379
#define NGX_HTTP_LAPOR_REDIS_DB_MAX        1000000


static char *ngx_http_lapor_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_lapor_redis_address(ngx_conf_t *cf,
    ngx_http_lapor_redis_conf_t *rc, ngx_str_t *value);
static char *ngx_http_lapor_redis_tcp(ngx_conf_t *cf,
    ngx_http_lapor_redis_addr_t *addr, ngx_str_t *value,
    const char *port_required);
static char *ngx_http_lapor_redis_list(ngx_conf_t *cf,
    ngx_array_t **list, ngx_str_t *value, const char *what,
    ngx_flag_t port_required);
static ngx_int_t ngx_http_lapor_redis_param(ngx_conf_t *cf, ngx_str_t *value,
    const char *name, ngx_str_t *out);
static char *ngx_http_lapor_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_lapor_open311(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_lapor_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_lapor_check_positive(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_lapor_check_namespace(ngx_conf_t *cf, void *post,
    void *data);

static ngx_int_t ngx_http_lapor_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_lapor_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_lapor_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_lapor_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_lapor_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);

static ngx_int_t ngx_http_lapor_add_tenant(ngx_conf_t *cf,
    ngx_http_lapor_loc_conf_t *llcf);
static ngx_int_t ngx_http_lapor_init_process(ngx_cycle_t *cycle);
static void ngx_http_lapor_exit_process(ngx_cycle_t *cycle);


static ngx_conf_post_t  ngx_http_lapor_positive_post = {
    ngx_http_lapor_check_positive
};

static ngx_conf_post_t  ngx_http_lapor_namespace_post = {
    ngx_http_lapor_check_namespace
};


static ngx_command_t  ngx_http_lapor_commands[] = {

    { ngx_string("lapor_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_lapor_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("lapor_redis_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_lapor_redis_wait,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("lapor_redis_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_lapor_main_conf_t, redis.connect_timeout),
      &ngx_http_lapor_positive_post },

    { ngx_string("lapor_redis_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_lapor_main_conf_t, redis.timeout),
      &ngx_http_lapor_positive_post },

    { ngx_string("lapor_namespace"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_lapor_loc_conf_t, namespace),
      &ngx_http_lapor_namespace_post },

    { ngx_string("lapor_catalog"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_lapor_catalog_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("lapor_identity_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_lapor_identity_key_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("lapor_tokens"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_lapor_tokens_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("lapor_auto_close_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_lapor_main_conf_t, sweep_interval),
      &ngx_http_lapor_positive_post },

    { ngx_string("lapor_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_lapor_limit_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("lapor_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_lapor_metrics_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("lapor_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_lapor_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("lapor_open311"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_lapor_open311,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("lapor_open311_contact"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_lapor_loc_conf_t, open311_contact),
      NULL },

    { ngx_string("lapor_open311_key_service"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_lapor_loc_conf_t, open311_key_service),
      NULL },

    { ngx_string("lapor_open311_keys"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_lapor_open311_keys_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_lapor_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_lapor_postconfiguration,      /* postconfiguration */

    ngx_http_lapor_create_main_conf,       /* create main configuration */
    ngx_http_lapor_init_main_conf,         /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_lapor_create_loc_conf,        /* create location configuration */
    ngx_http_lapor_merge_loc_conf          /* merge location configuration */
};


ngx_module_t  ngx_http_lapor_module = {
    NGX_MODULE_V1,
    &ngx_http_lapor_module_ctx,            /* module context */
    ngx_http_lapor_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_lapor_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_lapor_exit_process,           /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/*
 * lapor_redis address [db=N] [user=NAME] [password=SECRET]
 * lapor_redis sentinel=ADDRESS[,ADDRESS...] master=NAME [db=N] [user=NAME]
 *     [password=SECRET] [sentinel_user=NAME] [sentinel_password=SECRET]
 * lapor_redis cluster=ADDRESS[,ADDRESS...] [user=NAME] [password=SECRET]
 */

static char *
ngx_http_lapor_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_lapor_main_conf_t  *lmcf = conf;

    char                         *rv;
    ngx_int_t                     rc;
    ngx_str_t                    *value, s;
    ngx_uint_t                    i, db_set;
    ngx_http_lapor_redis_conf_t  *rc_;

    if (lmcf->redis_set) {
        return "is duplicate";
    }

    lmcf->redis_set = 1;

    value = cf->args->elts;
    rc_ = &lmcf->redis;
    db_set = 0;

    if (value[1].len >= 9 && ngx_strncmp(value[1].data, "sentinel=", 9) == 0)
    {
        s.data = value[1].data + 9;
        s.len = value[1].len - 9;

        /* no default port: Redis's 6379 is not a sentinel's */

        rv = ngx_http_lapor_redis_list(cf, &rc_->sentinels, &s, "sentinel",
                                       1);

        rc_->address.data = (u_char *) "sentinel";
        rc_->address.len = sizeof("sentinel") - 1;

    } else if (value[1].len >= 8
               && ngx_strncmp(value[1].data, "cluster=", 8) == 0)
    {
        s.data = value[1].data + 8;
        s.len = value[1].len - 8;

        rv = ngx_http_lapor_redis_list(cf, &rc_->cluster, &s, "cluster node",
                                       0);

        rc_->address.data = (u_char *) "cluster";
        rc_->address.len = sizeof("cluster") - 1;

    } else {
        rv = ngx_http_lapor_redis_address(cf, rc_, &value[1]);
    }

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            if (db_set) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"db\" in \"lapor_redis\"");
                return NGX_CONF_ERROR;
            }

            db_set = 1;
            s.data = value[i].data + 3;
            s.len = value[i].len - 3;

            rc_->db = ngx_atoi(s.data, s.len);

            if (rc_->db == NGX_ERROR
                || rc_->db > NGX_HTTP_LAPOR_REDIS_DB_MAX)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid database number \"%V\" in "
                                   "\"lapor_redis\"", &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        rc = ngx_http_lapor_redis_param(cf, &value[i], "user=", &rc_->user);

        if (rc == NGX_DECLINED) {
            rc = ngx_http_lapor_redis_param(cf, &value[i], "password=",
                                            &rc_->password);
        }

        if (rc == NGX_DECLINED) {
            rc = ngx_http_lapor_redis_param(cf, &value[i], "master=",
                                            &rc_->master_name);
        }

        if (rc == NGX_DECLINED) {
            rc = ngx_http_lapor_redis_param(cf, &value[i], "sentinel_user=",
                                            &rc_->sentinel_user);
        }

        if (rc == NGX_DECLINED) {
            rc = ngx_http_lapor_redis_param(cf, &value[i],
                                            "sentinel_password=",
                                            &rc_->sentinel_password);
        }

        if (rc == NGX_OK) {
            continue;
        }

        if (rc == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        /* never echo a parameter: it may be a mistyped password */

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter number %ui in \"lapor_redis\", "
                           "expected db=, user=, password=, master=, "
                           "sentinel_user= or sentinel_password=", i);
        return NGX_CONF_ERROR;
    }

    if (rc_->user.len && rc_->password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_redis\" has user= without password=");
        return NGX_CONF_ERROR;
    }

    if (rc_->cluster && db_set) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_redis\" with cluster= cannot have db=: "
                           "a Redis Cluster has database 0 only");
        return NGX_CONF_ERROR;
    }

    if (rc_->sentinels == NULL) {
        if (rc_->master_name.len || rc_->sentinel_user.len
            || rc_->sentinel_password.len)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"lapor_redis\" has master=, sentinel_user= "
                               "or sentinel_password= without sentinel=");
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (rc_->master_name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_redis\" with sentinel= needs master=");
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < rc_->master_name.len; i++) {
        if (rc_->master_name.data[i] <= ' ' || rc_->master_name.data[i] > '~')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid master name \"%V\" in "
                               "\"lapor_redis\"", &rc_->master_name);
            return NGX_CONF_ERROR;
        }
    }

    if (rc_->sentinel_user.len && rc_->sentinel_password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_redis\" has sentinel_user= without "
                           "sentinel_password=");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* NGX_OK: "name=value" taken; NGX_DECLINED: another name */

static ngx_int_t
ngx_http_lapor_redis_param(ngx_conf_t *cf, ngx_str_t *value,
    const char *name, ngx_str_t *out)
{
    size_t  len;

    len = ngx_strlen(name);

    if (value->len < len || ngx_strncmp(value->data, name, len) != 0) {
        return NGX_DECLINED;
    }

    if (out->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate \"%*s\" in \"lapor_redis\"",
                           len - 1, name);
        return NGX_ERROR;
    }

    out->data = value->data + len;
    out->len = value->len - len;

    if (out->len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "empty \"%*s\" in \"lapor_redis\"", len - 1, name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * sentinel=host:port,... or cluster=host:port,...: TCP only, each resolved
 * now
 */

static char *
ngx_http_lapor_redis_list(ngx_conf_t *cf, ngx_array_t **list,
    ngx_str_t *value, const char *what, ngx_flag_t port_required)
{
    u_char                       *p, *last, *comma;
    ngx_str_t                     one;
    ngx_http_lapor_redis_addr_t  *sa;

    *list = ngx_array_create(cf->pool, 3,
                             sizeof(ngx_http_lapor_redis_addr_t));
    if (*list == NULL) {
        return NGX_CONF_ERROR;
    }

    p = value->data;
    last = p + value->len;

    for ( ;; ) {
        comma = ngx_strlchr(p, last, ',');

        one.data = p;
        one.len = (comma ? comma : last) - p;

        if (one.len == 0
            || (one.len >= 5 && ngx_strncmp(one.data, "unix:", 5) == 0))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid %s address \"%V\" in "
                               "\"lapor_redis\": host:port expected",
                               what, &one);
            return NGX_CONF_ERROR;
        }

        sa = ngx_array_push(*list);
        if (sa == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_lapor_redis_tcp(cf, sa, &one,
                                     port_required ? what : NULL)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        if (comma == NULL) {
            break;
        }

        p = comma + 1;
    }

    return NGX_CONF_OK;
}


/*
 * Resolves the address once, now: hiredis would otherwise call getaddrinfo()
 * and wait for DNS inside a worker on every reconnect.
 */

static char *
ngx_http_lapor_redis_address(ngx_conf_t *cf, ngx_http_lapor_redis_conf_t *rc,
    ngx_str_t *value)
{
    size_t                       len;
    u_char                      *p;
    ngx_http_lapor_redis_addr_t  addr;

    rc->address = *value;

    if (value->len >= 5 && ngx_strncmp(value->data, "unix:", 5) == 0) {
        len = value->len - 5;

        if (len == 0 || len >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid unix socket path in \"lapor_redis\" "
                               "\"%V\"", value);
            return NGX_CONF_ERROR;
        }

        p = ngx_pnalloc(cf->pool, len + 1);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(p, value->data + 5, len);
        p[len] = '\0';

        rc->unix_path.data = p;
        rc->unix_path.len = len;

        return NGX_CONF_OK;
    }

    if (ngx_http_lapor_redis_tcp(cf, &addr, value, NULL) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    rc->host = addr.host;
    rc->port = addr.port;

    return NGX_CONF_OK;
}


static char *
ngx_http_lapor_redis_tcp(ngx_conf_t *cf, ngx_http_lapor_redis_addr_t *addr,
    ngx_str_t *value, const char *port_required)
{
    size_t     len;
    u_char    *p;
    ngx_url_t  u;

    addr->address = *value;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = *value;
    u.default_port = NGX_HTTP_LAPOR_REDIS_DEFAULT_PORT;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s in \"lapor_redis\" address \"%V\"",
                           u.err ? u.err : "invalid address", value);
        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0 || u.uri.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"lapor_redis\" address \"%V\"", value);
        return NGX_CONF_ERROR;
    }

    if (port_required && u.no_port) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid %s address \"%V\" in \"lapor_redis\": "
                           "host:port expected", port_required, value);
        return NGX_CONF_ERROR;
    }

    p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, p,
                        NGX_SOCKADDR_STRLEN, 0);
    p[len] = '\0';

    addr->host.data = p;
    addr->host.len = len;
    addr->port = ngx_inet_get_port(u.addrs[0].sockaddr);

    if (u.naddrs > 1) {
        ngx_conf_log_error(NGX_LOG_INFO, cf, 0,
                           "\"lapor_redis\" address \"%V\" resolves to "
                           "several addresses, using %V", value,
                           &u.addrs[0].name);
    }

    return NGX_CONF_OK;
}


/* lapor_redis_wait off | N [timeout] */

static char *
ngx_http_lapor_redis_wait(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_lapor_main_conf_t  *lmcf = conf;

    ngx_int_t    n;
    ngx_str_t   *value;
    ngx_msec_t   ms;

    if (lmcf->wait_set) {
        return "is duplicate";
    }

    lmcf->wait_set = 1;

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"lapor_redis_wait off\" takes no timeout");
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n < 1 || n > 100) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid number of replicas \"%V\" in "
                           "\"lapor_redis_wait\", 1 to 100 or off expected",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    ms = 1000;

    if (cf->args->nelts > 2) {
        ms = ngx_parse_time(&value[2], 0);

        if (ms == (ngx_msec_t) NGX_ERROR || ms == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid timeout \"%V\" in "
                               "\"lapor_redis_wait\"", &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    lmcf->redis.wait_replicas = n;
    lmcf->redis.wait_timeout = ms;

    return NGX_CONF_OK;
}


static char *
ngx_http_lapor_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_lapor_loc_conf_t  *llcf = conf;

    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_lapor_main_conf_t  *lmcf;

    if (llcf->api != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    if (llcf->metrics) {
        return "cannot be combined with \"lapor_metrics\" in one location";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    /* the API's paths are taken relative to a prefix location */

#if (NGX_PCRE)
    if (clcf->regex) {
        return "cannot be used in a regular expression location";
    }
#endif

    if (clcf->named || clcf->exact_match) {
        return "must be used in a prefix location such as "
               "\"location /api/v1/\"";
    }

    llcf->api = 1;
    clcf->handler = ngx_http_lapor_api_handler;

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_lapor_module);
    lmcf->api_used = 1;

    if (lmcf->api_name == NULL) {
        /* "lapor_open311" comes here with its own name */
        lmcf->api_name = &cmd->name;
    }

    return NGX_CONF_OK;
}


/* Open311 GeoReport v2: an API location with its own routes and formats */

static char *
ngx_http_lapor_open311(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_lapor_loc_conf_t  *llcf = conf;

    char                      *rv;
    ngx_http_core_loc_conf_t  *clcf;

    rv = ngx_http_lapor_api(cf, cmd, conf);

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    llcf->open311 = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_lapor_open311_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_lapor_check_positive(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *ms = data;

    if (*ms == 0) {
        return "must be greater than zero";
    }

    return NGX_CONF_OK;
}


/*
 * The namespace becomes a Redis Cluster hash tag, "lapor:{NS}:": a brace or
 * a colon in it would change the slot or the key layout.
 */

static char *
ngx_http_lapor_check_namespace(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *ns = data;

    u_char      ch;
    ngx_uint_t  i;

    if (ns->len == 0 || ns->len > NGX_HTTP_LAPOR_NAMESPACE_MAX) {
        return "must have 1 to 64 characters";
    }

    for (i = 0; i < ns->len; i++) {
        ch = ns->data[i];

        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
            || ch == '-' || ch == '_')
        {
            continue;
        }

        return "may contain only a-z, 0-9, \"-\" and \"_\"";
    }

    return NGX_CONF_OK;
}


/*
 * Reads a whole file named in the configuration: only at configuration
 * time, where blocking reads are fine.  The name is relative to the
 * configuration prefix; on failure the message names the directive.
 */

ngx_int_t
ngx_http_lapor_read_conf_file(ngx_conf_t *cf, const char *directive,
    ngx_str_t *name, size_t max, ngx_str_t *out)
{
    u_char           *buf;
    size_t            size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_info_t   fi;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%s\" cannot open \"%V\"", directive, name);
        return NGX_ERROR;
    }

    buf = NULL;
    size = 0;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%s\" cannot stat \"%V\"", directive, name);
        goto failed;
    }

    size = (size_t) ngx_file_size(&fi);

    if (!ngx_is_file(&fi) || size > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" file \"%V\" is not a regular file of "
                           "at most %uz bytes", directive, name, max);
        goto failed;
    }

    buf = ngx_pnalloc(cf->pool, size + 1);
    if (buf == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, buf, size);

    if (n == -1 || (size_t) n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "\"%s\" cannot read \"%V\"", directive, name);
        goto failed;
    }

    buf[size] = '\0';

    (void) ngx_close_file(fd);

    out->data = buf;
    out->len = size;

    return NGX_OK;

failed:

    (void) ngx_close_file(fd);

    return NGX_ERROR;
}


ngx_table_elt_t *
ngx_http_lapor_header_in(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


/* a query-string argument, raw, as ngx_http_arg() (lapor_request.c) */

ngx_int_t
ngx_http_lapor_arg(ngx_http_request_t *r, const char *name, ngx_str_t *value)
{
    size_t                len;
    const unsigned char  *data;

    if (lapor_request_arg(r->args.data, r->args.len, name, ngx_strlen(name),
                          &data, &len)
        != 0)
    {
        return NGX_DECLINED;
    }

    value->data = (u_char *) data;
    value->len = len;

    return NGX_OK;
}


ngx_http_lapor_ctx_t *
ngx_http_lapor_get_ctx(ngx_http_request_t *r)
{
    ngx_http_lapor_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_lapor_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_lapor_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ctx->lang = -1;

        ngx_http_set_ctx(r, ctx, ngx_http_lapor_module);
    }

    return ctx;
}


static ngx_int_t
ngx_http_lapor_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt         *h;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_lapor_module);

    /* a configuration without "lapor_api" pays nothing for the module */

    if (!lmcf->api_used && !lmcf->metrics_used) {
        return NGX_OK;
    }

    if (ngx_http_lapor_metrics_init_conf(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (!lmcf->api_used) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_lapor_metrics_log;

    return ngx_http_lapor_error_filter_init(cf);
}


static void *
ngx_http_lapor_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_lapor_main_conf_t));
    if (lmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lmcf->redis.address = { 0, NULL };
     *     lmcf->redis.host = { 0, NULL };
     *     lmcf->redis.unix_path = { 0, NULL };
     *     lmcf->redis.port = 0;
     *     lmcf->redis.db = 0;
     *     lmcf->redis.user = { 0, NULL };
     *     lmcf->redis.password = { 0, NULL };
     *     lmcf->redis_set = 0;
     *     lmcf->redis.sentinels = NULL;
     *     lmcf->redis.master_name = { 0, NULL };
     *     lmcf->redis.wait_replicas = 0;
     *     lmcf->wait_set = 0;
     *     lmcf->api_used = 0;
     *     lmcf->redis_conn = NULL;
     */

    lmcf->redis.connect_timeout = NGX_CONF_UNSET_MSEC;
    lmcf->redis.timeout = NGX_CONF_UNSET_MSEC;
    lmcf->sweep_interval = NGX_CONF_UNSET_MSEC;

    if (ngx_array_init(&lmcf->tenants, cf->pool, 4,
                       sizeof(ngx_http_lapor_tenant_t))
        != NGX_OK)
    {
        return NULL;
    }

    return lmcf;
}


static char *
ngx_http_lapor_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_lapor_main_conf_t  *lmcf = conf;

    ngx_conf_init_msec_value(lmcf->redis.connect_timeout, 2000);
    ngx_conf_init_msec_value(lmcf->redis.timeout, 3000);
    ngx_conf_init_msec_value(lmcf->sweep_interval, 60000);

    if (lmcf->redis.wait_replicas
        && lmcf->redis.wait_timeout >= lmcf->redis.timeout)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the timeout of \"lapor_redis_wait\" (%M ms) "
                           "must be shorter than \"lapor_redis_timeout\" "
                           "(%M ms)", lmcf->redis.wait_timeout,
                           lmcf->redis.timeout);
        return NGX_CONF_ERROR;
    }

    if (lmcf->api_used && !lmcf->redis_set) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" requires \"lapor_redis\" in the http block",
                           lmcf->api_name);
        return NGX_CONF_ERROR;
    }

    if (lmcf->redis.wait_replicas && !lmcf->redis_set) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_redis_wait\" requires \"lapor_redis\" "
                           "in the http block");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_lapor_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_lapor_loc_conf_t  *llcf;

    llcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_lapor_loc_conf_t));
    if (llcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     llcf->namespace = { 0, NULL };
     */

    llcf->api = NGX_CONF_UNSET;
    llcf->limits = NGX_CONF_UNSET_PTR;
    llcf->catalog = NGX_CONF_UNSET_PTR;
    llcf->identity_key = NGX_CONF_UNSET_PTR;
    llcf->tokens = NGX_CONF_UNSET_PTR;
    llcf->open311_keys = NGX_CONF_UNSET_PTR;

    return llcf;
}


static char *
ngx_http_lapor_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_lapor_loc_conf_t  *prev = parent;
    ngx_http_lapor_loc_conf_t  *conf = child;

    ngx_conf_merge_str_value(conf->namespace, prev->namespace, "default");

    /* "lapor_api" mounts one location; it is not inherited */
    ngx_conf_init_value(conf->api, 0);

    /* a level with its own "lapor_limit" lines replaces all inherited ones */
    ngx_conf_merge_ptr_value(conf->limits, prev->limits, NULL);

    ngx_conf_merge_ptr_value(conf->catalog, prev->catalog, NULL);
    ngx_conf_merge_ptr_value(conf->identity_key, prev->identity_key, NULL);

    if (conf->api && conf->catalog == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" requires \"lapor_catalog\" in its "
                           "server or http block",
                           conf->open311 ? "lapor_open311" : "lapor_api");
        return NGX_CONF_ERROR;
    }

    if (conf->api && conf->identity_key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" requires \"lapor_identity_key\" in "
                           "its server or http block",
                           conf->open311 ? "lapor_open311" : "lapor_api");
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_ptr_value(conf->tokens, prev->tokens, NULL);
    ngx_conf_merge_ptr_value(conf->open311_keys, prev->open311_keys, NULL);
    ngx_conf_merge_str_value(conf->open311_contact, prev->open311_contact,
                             "the operator of this LAPOR! service");
    ngx_conf_merge_str_value(conf->open311_key_service,
                             prev->open311_key_service,
                             "api keys are issued by the operator of this "
                             "LAPOR! service");

    if (conf->api) {
        if (conf->tokens
            && ngx_http_lapor_tokens_check(cf, conf->tokens,
                                           conf->catalog->catalog)
               != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_lapor_add_tenant(cf, conf) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * The sweep closes the followed-up reports of every namespace an API
 * serves; one namespace has one catalog (its calendar decides).
 */

static ngx_int_t
ngx_http_lapor_add_tenant(ngx_conf_t *cf, ngx_http_lapor_loc_conf_t *llcf)
{
    ngx_uint_t                   i;
    ngx_http_lapor_tenant_t     *t;
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_lapor_module);

    t = lmcf->tenants.elts;

    for (i = 0; i < lmcf->tenants.nelts; i++) {
        if (t[i].namespace.len == llcf->namespace.len
            && ngx_strncmp(t[i].namespace.data, llcf->namespace.data,
                           llcf->namespace.len) == 0)
        {
            if (t[i].catalog != llcf->catalog->catalog) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "namespace \"%V\" is served with two "
                                   "different \"lapor_catalog\" files",
                                   &llcf->namespace);
                return NGX_ERROR;
            }

            llcf->tenant = i;

            return NGX_OK;
        }
    }

    t = ngx_array_push(&lmcf->tenants);
    if (t == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(t, sizeof(ngx_http_lapor_tenant_t));

    t->namespace = llcf->namespace;
    t->catalog = llcf->catalog->catalog;
    t->catalog_file = llcf->catalog->file;

    llcf->tenant = lmcf->tenants.nelts - 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_init_process(ngx_cycle_t *cycle)
{
    ngx_http_lapor_main_conf_t  *lmcf;

    /* never in the master, the cache manager or the cache loader */

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    lmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_lapor_module);

    if (lmcf == NULL || !lmcf->api_used || !lmcf->redis_set) {
        return NGX_OK;
    }

    lapor_crypto_start();

    lmcf->redis_conn = ngx_http_lapor_redis_create(cycle, &lmcf->redis);
    if (lmcf->redis_conn == NULL) {
        return NGX_ERROR;
    }

    lmcf->sweep = ngx_http_lapor_sweep_create(cycle, lmcf);
    if (lmcf->sweep == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_lapor_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_lapor_module);

    if (lmcf == NULL || lmcf->redis_conn == NULL) {
        return;
    }

    /*
     * The sweep first stops rescheduling; then freeing the context answers
     * its operation in flight, which releases the run's memory.
     */

    if (lmcf->sweep) {
        ngx_http_lapor_sweep_destroy(lmcf->sweep);
    }

    ngx_http_lapor_redis_destroy(lmcf->redis_conn);
    lmcf->sweep = NULL;

    /* the module may be unloaded before the process ends: nothing kept */
    ngx_http_lapor_reply_cache_free();

    lapor_crypto_stop();
    lmcf->redis_conn = NULL;
}
