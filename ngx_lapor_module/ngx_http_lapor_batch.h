
/*
 * Building batches of Redis commands in the request pool, and the one place
 * where key names get their "lapor:{NS}:" prefix.
 */


#ifndef _NGX_HTTP_LAPOR_BATCH_H_INCLUDED_
#define _NGX_HTTP_LAPOR_BATCH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_redis.h"


typedef struct {
    ngx_pool_t                   *pool;
    ngx_array_t                   cmds;      /* of ngx_array_t of ngx_str_t */
    ngx_array_t                  *current;
    ngx_str_t                    *ns;
    ngx_uint_t                    failed;    /* an allocation failed */
    ngx_uint_t                    durable;   /* a write: lapor_redis_wait */
} ngx_http_lapor_batch_t;


ngx_int_t ngx_http_lapor_batch_init(ngx_http_lapor_batch_t *b,
    ngx_pool_t *pool, ngx_str_t *ns, ngx_uint_t n);

/*
 * Appending never fails visibly: a failed allocation is remembered and
 * reported by ngx_http_lapor_batch_commands(), so callers write straight
 * sequences of commands without a check after each argument.
 */
void ngx_http_lapor_batch_cmd(ngx_http_lapor_batch_t *b, const char *name);
void ngx_http_lapor_batch_arg(ngx_http_lapor_batch_t *b, u_char *data,
    size_t len);
void ngx_http_lapor_batch_str(ngx_http_lapor_batch_t *b, ngx_str_t *s);
void ngx_http_lapor_batch_cstr(ngx_http_lapor_batch_t *b, const char *s);
void ngx_http_lapor_batch_int(ngx_http_lapor_batch_t *b, int64_t n);

/* a formatted argument (ngx_sprintf formats), e.g. a hash field name */
void ngx_http_lapor_batch_fmt(ngx_http_lapor_batch_t *b, const char *fmt,
    ...);

/* "lapor:{NS}:" followed by the formatted rest (ngx_sprintf formats) */
void ngx_http_lapor_batch_key(ngx_http_lapor_batch_t *b, const char *fmt,
    ...);
void ngx_http_lapor_batch_vkey(ngx_http_lapor_batch_t *b, const char *fmt,
    va_list args);
ngx_str_t *ngx_http_lapor_key(ngx_pool_t *pool, ngx_str_t *ns,
    const char *fmt, ...);

/* the commands ready for ngx_http_lapor_redis_send(), or NULL */
ngx_http_lapor_redis_cmd_t *ngx_http_lapor_batch_commands(
    ngx_http_lapor_batch_t *b, ngx_uint_t *n);


/*
 * Sends the batch for request r; returns like a content handler: NGX_DONE
 * when the handler will answer, otherwise the answer (503 problem+json when
 * Redis is not ready) or an error status.
 */
ngx_int_t ngx_http_lapor_batch_send(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_http_lapor_batch_t *b,
    ngx_http_lapor_redis_handler_pt handler, void *data);


#endif /* _NGX_HTTP_LAPOR_BATCH_H_INCLUDED_ */
