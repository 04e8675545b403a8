
/*
 * hiredis reply objects in one allocation each.
 */


#ifndef _NGX_HTTP_LAPOR_REPLIES_H_INCLUDED_
#define _NGX_HTTP_LAPOR_REPLIES_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>


/*
 * For a context's reader (ac->c.reader->fn), set before any reply arrives:
 * the replies handed to callbacks are then these, freed by hiredis through
 * the same table.  Never freeReplyObject() them.
 */
extern redisReplyObjectFunctions  ngx_http_lapor_reply_functions;

/* a reply kept past its callback (NULL: out of memory), and its release */
redisReply *ngx_http_lapor_reply_take(redisReply *r);
void ngx_http_lapor_reply_release(redisReply *r);

/* the objects kept for reuse go back (at the worker's exit) */
void ngx_http_lapor_reply_cache_free(void);


#endif /* _NGX_HTTP_LAPOR_REPLIES_H_INCLUDED_ */
