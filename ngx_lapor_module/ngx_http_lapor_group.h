
/*
 * Group commit: the write transactions of the submissions one worker
 * finishes in one turn of its event loop go to Redis as one MULTI/EXEC.
 */


#ifndef _NGX_HTTP_LAPOR_GROUP_H_INCLUDED_
#define _NGX_HTTP_LAPOR_GROUP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_batch.h"


/*
 * Called once per member: applied when EXEC ran every command of the group
 * without an error; otherwise rc and reply say why, as a batch's handler
 * gets them.  It must finalize the request.
 */
typedef void (*ngx_http_lapor_group_pt)(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc, ngx_uint_t applied);


/*
 * Joins the transaction in b (MULTI, commands, EXEC; their memory must
 * live as long as r, b itself need not) to the group of *pending, which this worker sends at the
 * end of the event loop's turn; returns like batch_send().
 */
ngx_int_t ngx_http_lapor_group_join(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, void **pending, ngx_http_lapor_batch_t *b,
    ngx_http_lapor_group_pt handler, void *data);


#endif /* _NGX_HTTP_LAPOR_GROUP_H_INCLUDED_ */
