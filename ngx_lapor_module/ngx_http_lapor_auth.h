
/*
 * Who is asking: an officer (admin or agency, by "lapor_tokens"), a
 * reporter with a tracking token, or the public.
 */


#ifndef _NGX_HTTP_LAPOR_AUTH_H_INCLUDED_
#define _NGX_HTTP_LAPOR_AUTH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>

#include "lapor_tokens.h"


typedef struct {
    ngx_str_t                     file;
    lapor_tokens_t                tokens;
} ngx_http_lapor_tokens_conf_t;


typedef struct {
    unsigned                      role;     /* LAPOR_ROLE_ADMIN, _AGENCY,
                                               or 0 */
    ngx_str_t                     agency;   /* an agency officer's */
    ngx_str_t                     label;    /* for logs */
    ngx_str_t                     bearer;   /* not an officer's: perhaps a
                                               tracking token */
} ngx_http_lapor_principal_t;


char *ngx_http_lapor_tokens_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* every agency of the tokens must be in the catalog; NGX_CONF_OK or error */
char *ngx_http_lapor_tokens_check(ngx_conf_t *cf,
    ngx_http_lapor_tokens_conf_t *tc, lapor_catalog_t *cat);

/*
 * NGX_OK with *p filled (role 0 and an empty bearer for the public), or
 * NGX_DECLINED for an Authorization header that is not "Bearer <token>".
 */
ngx_int_t ngx_http_lapor_principal(ngx_http_request_t *r,
    ngx_http_lapor_principal_t *p);

/*
 * Is token the report's tracking token (stored: the report's token_sha256
 * field)?  NGX_OK, NGX_DECLINED, or NGX_ERROR.
 */
ngx_int_t ngx_http_lapor_tracking_token(redisReply *stored, ngx_str_t *token);

/* 401 problem+json with WWW-Authenticate */
ngx_int_t ngx_http_lapor_unauthorized(ngx_http_request_t *r);


#endif /* _NGX_HTTP_LAPOR_AUTH_H_INCLUDED_ */
