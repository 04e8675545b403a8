
/*
 * Who is asking.  Officer tokens are known only by their SHA-256 (the
 * "lapor_tokens" file, read again on every configuration reload); a bearer
 * token that is no officer's may be a reporter's tracking token, which the
 * report itself verifies.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_auth.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_problem.h"
#include "lapor_request.h"
#include "lapor_workflow.h"


#define NGX_HTTP_LAPOR_TOKENS_MAX_SIZE  (4 * 1024 * 1024)


static ngx_http_lapor_text_t  ngx_http_lapor_t_unauthorized = {
    "Token tidak berlaku", "Invalid token"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_unauthorized = {
    "Kirim token sebagai \"Authorization: Bearer <token>\"; token ini tidak "
    "berlaku di sini.",
    "Send the token as \"Authorization: Bearer <token>\"; this token is not "
    "valid here."
};


char *
ngx_http_lapor_tokens_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_lapor_loc_conf_t  *llcf = conf;

    char                           err[LAPOR_TOKENS_ERR_LEN];
    ngx_str_t                     *value, text;
    ngx_http_lapor_tokens_conf_t  *tc;

    if (llcf->tokens != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    tc = ngx_pcalloc(cf->pool, sizeof(ngx_http_lapor_tokens_conf_t));
    if (tc == NULL) {
        return NGX_CONF_ERROR;
    }

    tc->file = value[1];

    if (ngx_http_lapor_read_conf_file(cf, "lapor_tokens", &tc->file,
                                      NGX_HTTP_LAPOR_TOKENS_MAX_SIZE, &text)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (lapor_tokens_parse(text.data, text.len, ngx_http_lapor_pool_alloc,
                           cf->pool, &tc->tokens, err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_tokens\" file \"%V\" %s", &tc->file, err);
        return NGX_CONF_ERROR;
    }

    llcf->tokens = tc;

    return NGX_CONF_OK;
}


char *
ngx_http_lapor_tokens_check(ngx_conf_t *cf, ngx_http_lapor_tokens_conf_t *tc,
    lapor_catalog_t *cat)
{
    size_t          i;
    lapor_token_t  *t;

    for (i = 0; i < tc->tokens.n; i++) {
        t = &tc->tokens.tokens[i];

        if (t->role == LAPOR_ROLE_AGENCY
            && lapor_catalog_agency(cat, t->agency, ngx_strlen(t->agency))
               == NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"lapor_tokens\" file \"%V\" line %uz: "
                               "agency \"%s\" is not in the catalog",
                               &tc->file, t->line, t->agency);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_lapor_principal(ngx_http_request_t *r, ngx_http_lapor_principal_t *p)
{
    size_t                      len;
    ngx_str_t                  *value, token;
    const unsigned char        *data;
    const lapor_token_t        *t;
    ngx_http_lapor_loc_conf_t  *llcf;
    unsigned char               digest[LAPOR_SHA256_LEN];

    ngx_memzero(p, sizeof(ngx_http_lapor_principal_t));

    if (r->headers_in.authorization == NULL) {
        return NGX_OK;
    }

    value = &r->headers_in.authorization->value;

    if (lapor_request_bearer(value->data, value->len, &data, &len) != 0) {
        return NGX_DECLINED;
    }

    token.data = (u_char *) data;
    token.len = len;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    if (llcf->tokens) {
        if (lapor_sha256(token.data, token.len, digest) != 0) {
            return NGX_ERROR;
        }

        t = lapor_tokens_find(&llcf->tokens->tokens, digest);

        if (t) {
            p->role = t->role;
            p->agency.data = (u_char *) t->agency;
            p->agency.len = ngx_strlen(t->agency);
            p->label.data = (u_char *) t->label;
            p->label.len = ngx_strlen(t->label);

            return NGX_OK;
        }
    }

    p->bearer = token;

    return NGX_OK;
}


ngx_int_t
ngx_http_lapor_unauthorized(ngx_http_request_t *r)
{
    ngx_http_lapor_problem_t  pr;

    static ngx_str_t  name = ngx_string("WWW-Authenticate");
    static ngx_str_t  value = ngx_string("Bearer error=\"invalid_token\"");

    if (ngx_http_lapor_header_add(r, &name, &value) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    pr.status = NGX_HTTP_UNAUTHORIZED;
    pr.type = "invalid-token";
    pr.title = &ngx_http_lapor_t_unauthorized;
    pr.detail = &ngx_http_lapor_d_unauthorized;

    return ngx_http_lapor_problem_send(r, &pr);
}


ngx_int_t
ngx_http_lapor_tracking_token(redisReply *stored, ngx_str_t *token)
{
    char           hex[2 * LAPOR_SHA256_LEN];
    unsigned char  digest[LAPOR_SHA256_LEN];

    if (lapor_sha256(token->data, token->len, digest) != 0) {
        return NGX_ERROR;
    }

    lapor_hex(digest, LAPOR_SHA256_LEN, hex);

    /* hashes of equal length, compared in constant time */

    if (stored->type != REDIS_REPLY_STRING || stored->len != sizeof(hex)
        || !lapor_equal(stored->str, hex, sizeof(hex)))
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}
