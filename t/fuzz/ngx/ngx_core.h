
/*
 * Stand-in for nginx's ngx_core.h (see ngx_config.h here): what
 * ngx_http_lapor_replies.c uses, with nginx's meaning (ngx_alloc() is
 * malloc() with a log line on failure, ngx_free() is free()); log lines
 * are dropped.  Used by t/fuzz/fuzz_resp.c and t/unit/test_replies.c.
 */


#ifndef _NGX_CORE_H_INCLUDED_
#define _NGX_CORE_H_INCLUDED_


#define ngx_alloc(size, log)     malloc(size)
#define ngx_free                 free
#define ngx_memzero(buf, n)      (void) memset(buf, 0, n)
#define ngx_memcpy(dst, src, n)  (void) memcpy(dst, src, n)

#define NGX_LOG_ERR              4
#define ngx_log_error(level, log, err, ...)  ((void) 0)


#endif /* _NGX_CORE_H_INCLUDED_ */
