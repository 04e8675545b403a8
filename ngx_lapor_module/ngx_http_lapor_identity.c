
/*
 * Reporter identity at rest.  People are afraid to report: someone who can
 * read Redis (an operator, a backup, a stolen disk) must not learn who
 * reported.  Name and contact are stored only sealed with AES-256-GCM under
 * the key of "lapor_identity_key", with the namespace and report id as
 * associated data, so a sealed identity copied to another report does not
 * open either.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_identity.h"
#include "lapor_crypto.h"


#define NGX_HTTP_LAPOR_SEAL_PREFIX      "v1."
#define NGX_HTTP_LAPOR_SEAL_PREFIX_LEN  3


char *
ngx_http_lapor_identity_key_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_lapor_loc_conf_t  *llcf = conf;

    u_char      *key;
    ngx_str_t   *value, name, text;
    const char  *err;

    if (llcf->identity_key != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_http_lapor_read_conf_file(cf, "lapor_identity_key", &name, 4096,
                                      &text)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    key = ngx_pnalloc(cf->pool, LAPOR_KEY_LEN);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    if (lapor_key_parse(text.data, text.len, key, &err) != 0) {
        ngx_memzero(text.data, text.len);
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_identity_key\" file \"%V\" %s",
                           &name, err);
        return NGX_CONF_ERROR;
    }

    /* the text copy of the key is not needed any more */
    ngx_memzero(text.data, text.len);

    llcf->identity_key = key;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_lapor_seal(ngx_pool_t *pool, const u_char *key, ngx_str_t *aad,
    ngx_str_t *plain, ngx_str_t *sealed)
{
    u_char  *raw, *p;
    size_t   rawlen;

    rawlen = plain->len + LAPOR_SEAL_OVERHEAD;

    raw = ngx_pnalloc(pool, rawlen);
    p = ngx_pnalloc(pool, NGX_HTTP_LAPOR_SEAL_PREFIX_LEN
                          + lapor_base64url_len(rawlen));

    if (raw == NULL || p == NULL) {
        return NGX_ERROR;
    }

    if (lapor_seal(key, aad->data, aad->len, plain->data, plain->len, raw)
        != 0)
    {
        return NGX_ERROR;
    }

    sealed->data = p;
    p = ngx_cpymem(p, NGX_HTTP_LAPOR_SEAL_PREFIX,
                   NGX_HTTP_LAPOR_SEAL_PREFIX_LEN);
    p += lapor_base64url_encode(raw, rawlen, (char *) p);
    sealed->len = p - sealed->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_lapor_unseal(ngx_pool_t *pool, const u_char *key, ngx_str_t *aad,
    ngx_str_t *sealed, ngx_str_t *plain)
{
    long     rawlen;
    u_char  *raw, *pt;
    size_t   len;

    if (sealed->len < NGX_HTTP_LAPOR_SEAL_PREFIX_LEN
        || ngx_strncmp(sealed->data, NGX_HTTP_LAPOR_SEAL_PREFIX,
                       NGX_HTTP_LAPOR_SEAL_PREFIX_LEN) != 0)
    {
        return NGX_DECLINED;
    }

    len = sealed->len - NGX_HTTP_LAPOR_SEAL_PREFIX_LEN;

    raw = ngx_pnalloc(pool, len * 3 / 4 + 1);
    if (raw == NULL) {
        return NGX_ERROR;
    }

    rawlen = lapor_base64url_decode((const char *) sealed->data
                                    + NGX_HTTP_LAPOR_SEAL_PREFIX_LEN,
                                    len, raw);

    if (rawlen < LAPOR_SEAL_OVERHEAD) {
        return NGX_DECLINED;
    }

    pt = ngx_pnalloc(pool, rawlen - LAPOR_SEAL_OVERHEAD + 1);
    if (pt == NULL) {
        return NGX_ERROR;
    }

    if (lapor_open(key, aad->data, aad->len, raw, rawlen, pt) != 0) {
        return NGX_DECLINED;
    }

    pt[rawlen - LAPOR_SEAL_OVERHEAD] = '\0';

    plain->data = pt;
    plain->len = rawlen - LAPOR_SEAL_OVERHEAD;

    return NGX_OK;
}
