
/*
 * Reporter identity at rest: "lapor_identity_key" and AES-256-GCM sealing
 * of the name and contact, bound to the report they belong to.
 */


#ifndef _NGX_HTTP_LAPOR_IDENTITY_H_INCLUDED_
#define _NGX_HTTP_LAPOR_IDENTITY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


char *ngx_http_lapor_identity_key_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* the first byte of a sealed identity: name, NUL, contact follow */
#define NGX_HTTP_LAPOR_IDENTITY_MARK  0x01

/* seals plain into "v1." followed by base64url(nonce | ciphertext | tag) */
ngx_int_t ngx_http_lapor_seal(ngx_pool_t *pool, const u_char *key,
    ngx_str_t *aad, ngx_str_t *plain, ngx_str_t *sealed);

/* NGX_OK, NGX_DECLINED for a text that does not open, or NGX_ERROR */
ngx_int_t ngx_http_lapor_unseal(ngx_pool_t *pool, const u_char *key,
    ngx_str_t *aad, ngx_str_t *sealed, ngx_str_t *plain);


#endif /* _NGX_HTTP_LAPOR_IDENTITY_H_INCLUDED_ */
