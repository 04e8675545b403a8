
/*
 * JSON request bodies: content type, size, strict parsing into a tree.
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


#endif /* _NGX_HTTP_LAPOR_BODY_H_INCLUDED_ */
