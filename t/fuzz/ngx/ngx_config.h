
/*
 * Stand-in for nginx's ngx_config.h, for fuzz_resp only: the reply object
 * functions (ngx_http_lapor_replies.c) use nothing of nginx but its
 * allocation and memory macros, defined in ngx_core.h here.
 */


#ifndef _NGX_CONFIG_H_INCLUDED_
#define _NGX_CONFIG_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


#endif /* _NGX_CONFIG_H_INCLUDED_ */
