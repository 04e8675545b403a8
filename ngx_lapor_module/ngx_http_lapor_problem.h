
/*
 * Error answers: RFC 9457 application/problem+json, built in one place, in
 * Indonesian or English by Accept-Language.
 */


#ifndef _NGX_HTTP_LAPOR_PROBLEM_H_INCLUDED_
#define _NGX_HTTP_LAPOR_PROBLEM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <yajl/yajl_gen.h>

#include "ngx_http_lapor_redis.h"


typedef enum {
    NGX_HTTP_LAPOR_LANG_ID = 0,
    NGX_HTTP_LAPOR_LANG_EN
} ngx_http_lapor_lang_e;


/* one human-readable text in both languages */
typedef struct {
    const char                *id;
    const char                *en;
} ngx_http_lapor_text_t;


/* one entry of "errors": the field (a JSON path) and what is wrong */
typedef struct {
    ngx_str_t                  field;
    const ngx_http_lapor_text_t  *message;
    ngx_str_t                  arg;      /* substituted for "%s", or empty */
} ngx_http_lapor_field_error_t;


typedef struct {
    ngx_uint_t                 status;
    const char                *type;          /* after "urn:lapor:problem:" */
    const ngx_http_lapor_text_t  *title;
    const ngx_http_lapor_text_t  *detail;
    time_t                     retry_after;   /* seconds; 0: none */
    ngx_str_t                  allow;         /* 405: the Allow header */
    ngx_array_t               *errors;        /* field errors, or NULL */

    /* more members of the problem object, written into the open map */
    void                     (*extend)(yajl_gen g, void *data);
    void                      *data;
} ngx_http_lapor_problem_t;


/* the title of every 403: views, actions and queues */
extern const ngx_http_lapor_text_t  ngx_http_lapor_t_forbidden;


ngx_http_lapor_lang_e ngx_http_lapor_lang(ngx_http_request_t *r);
const char *ngx_http_lapor_text(ngx_http_request_t *r,
    const ngx_http_lapor_text_t *t);

ngx_int_t ngx_http_lapor_problem_send(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr);

/*
 * Adds an entry to pr->errors, made on first use (field and arg are not
 * copied: they must live as long as the request); NGX_ERROR without memory.
 */
ngx_int_t ngx_http_lapor_problem_error(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr, ngx_str_t *field,
    const ngx_http_lapor_text_t *message, ngx_str_t *arg);

/* a field error's message in the reader's language, its "%s" filled in */
void ngx_http_lapor_problem_message(ngx_http_request_t *r,
    ngx_http_lapor_field_error_t *fe, ngx_str_t *out);

/* the common case: a status, a type, a title and a detail */
ngx_int_t ngx_http_lapor_problem(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, const ngx_http_lapor_text_t *title,
    const ngx_http_lapor_text_t *detail);

/*
 * The answer for a Redis failure: rc as given to a Redis handler (or
 * returned by ngx_http_lapor_redis_send), and the error reply if any.
 */
ngx_int_t ngx_http_lapor_problem_redis(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_int_t rc, redisReply *reply);

/*
 * A sent answer returns what the output filter returned, often NGX_OK;
 * where NGX_OK means "go on", this turns it into a value that cannot be
 * mistaken for it (NGX_DECLINED stands for NGX_OK) and back.
 */
#define ngx_http_lapor_answered(rc)  ((rc) == NGX_OK ? NGX_DECLINED : (rc))

/*
 * 400 invalid-query with one field error (GET reports, GET queue); returns
 * as ngx_http_lapor_answered() does
 */
ngx_int_t ngx_http_lapor_problem_bad_query(ngx_http_request_t *r,
    const char *field, const ngx_http_lapor_text_t *message);

/* the same answer as Open311 errors, JSON or XML (ngx_http_lapor_open311) */
ngx_int_t ngx_http_lapor_open311_problem(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr);

/*
 * The body of an nginx error page below "lapor_open311" (JSON or XML by
 * the path's extension) and its content type; NULL without memory
 */
ngx_buf_t *ngx_http_lapor_open311_error_page(ngx_http_request_t *r,
    ngx_uint_t status, const char *detail, ngx_str_t **type);

/* replaces nginx's own HTML error pages in API locations */
ngx_int_t ngx_http_lapor_error_filter_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_LAPOR_PROBLEM_H_INCLUDED_ */
