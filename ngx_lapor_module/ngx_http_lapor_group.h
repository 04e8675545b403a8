
/*
 * Group commit: the transactions one worker finishes in one turn of its
 * event loop go to Redis as one MULTI/EXEC.
 */


#ifndef _NGX_HTTP_LAPOR_GROUP_H_INCLUDED_
#define _NGX_HTTP_LAPOR_GROUP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_batch.h"


/*
 * Sends the transaction in b (MULTI, commands, EXEC; their memory must
 * live as long as r, b itself need not) with the group of the request's
 * namespace, which this worker sends at the end of the event loop's turn;
 * returns like batch_send().  The handler is called as a batch's, with an
 * EXEC answer of the member's own commands (see ngx_http_lapor_group.c).
 */
ngx_int_t ngx_http_lapor_group_send(ngx_http_request_t *r,
    ngx_http_lapor_batch_t *b, ngx_http_lapor_redis_handler_pt handler,
    void *data);


#endif /* _NGX_HTTP_LAPOR_GROUP_H_INCLUDED_ */
