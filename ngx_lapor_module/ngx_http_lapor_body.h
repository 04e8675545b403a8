
/*
 * Request bodies: JSON (content type, size, strict parsing into a tree)
 * and, for Open311, application/x-www-form-urlencoded.
 */


#ifndef _NGX_HTTP_LAPOR_BODY_H_INCLUDED_
#define _NGX_HTTP_LAPOR_BODY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "lapor_json.h"
#include "lapor_crypto.h"


#include "ngx_http_lapor_module.h"


/*
 * Reads the body of a JSON request: 415 for another content type, 413
 * from nginx for a body over client_max_body_size, 400 for anything that
 * is not one strict JSON document.  Returns like a content handler.
 */
ngx_int_t ngx_http_lapor_read_json(ngx_http_request_t *r,
    ngx_http_lapor_body_pt handler);

/*
 * Reads an application/x-www-form-urlencoded body (optionally "; charset=
 * utf-8") of at most max bytes into one buffer: 415 for another content
 * type, 413 for a longer body.  Returns like a content handler.
 */
ngx_int_t ngx_http_lapor_read_form(ngx_http_request_t *r,
    ngx_http_lapor_form_pt handler, size_t max);


#endif /* _NGX_HTTP_LAPOR_BODY_H_INCLUDED_ */
