
/*
 * Reports: POST reports, the submission.
 *
 * A submission takes up to three round trips, each a step that behaves like
 * a content handler:
 *
 *   1. the "submit" rate limit (ngx_http_lapor_limit);
 *   2. claim: the next id from the namespace's sequence and, with an
 *      Idempotency-Key, a short "pending" claim of the key, in one
 *      MULTI/EXEC;
 *   3. write: the report hash, queue entries, statistics, the event
 *      stream and the idempotency record, in one MULTI/EXEC (no timeline:
 *      its first entry follows from the hash), sent with those of the
 *      other submissions this worker finishes in the same turn of its
 *      event loop (ngx_http_lapor_group.c).
 *
 * 201 is sent only after EXEC answered with every command applied.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_report.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_body.h"
#include "ngx_http_lapor_identity.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_group.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_store.h"
#include "ngx_http_lapor_transition.h"
#include "ngx_http_lapor_metrics.h"
#include "lapor_crypto.h"
#include "lapor_report.h"
#include "lapor_request.h"


#define NGX_HTTP_LAPOR_TOKEN_BYTES       24
#define NGX_HTTP_LAPOR_IDEM_KEY_MAX      255
#define NGX_HTTP_LAPOR_IDEM_PENDING_MS   60000
#define NGX_HTTP_LAPOR_IDEM_TTL_MS       (24 * 60 * 60 * 1000)

/*
 * Report numbers are reserved from the namespace's sequence in blocks per
 * worker: most submissions then need one round trip to Redis, not two.
 * Numbers stay unique; they increase within a worker, and a worker that
 * exits leaves the rest of its block unused.  A block holds only while the
 * connection it came over does: after a reconnect Redis may be another
 * server, or have lost data, and hand the same numbers out again.  The next
 * block is asked for when half of the current one is used, so that the
 * submissions arriving meanwhile need no round trip of their own.
 */
#define NGX_HTTP_LAPOR_ID_BLOCK          64
#define NGX_HTTP_LAPOR_EVENTS_MAXLEN     "100000"
#define NGX_HTTP_LAPOR_UNPROCESSABLE     422


const char  *ngx_http_lapor_fields[] = {
    "id", "type", "category", "agency", "title", "body", "place", "lat",
    "lon", "occurred_on", "anonymous", "confidential", "channel", "status",
    "created_at", "updated_at", "due_at", "version", "token_sha256",
    "reporter", "entered_at", "flagged", "dispatched_at", "responded_at",
    "followed_up_at", "closed_at", "rating", "resolved", "dispatch_late",
    "returned_by", "media_url"
};


/* what a field absent from the hash reads as */
static redisReply  ngx_http_lapor_field_nil = { .type = REDIS_REPLY_NIL };


typedef struct {
    ngx_http_lapor_redis_t         *rds;
    ngx_http_lapor_loc_conf_t      *llcf;
    lapor_catalog_t                *cat;
    lapor_report_t                  rep;
    char                            body_hex[2 * LAPOR_SHA256_LEN];
    ngx_str_t                      *idem_key;     /* NULL without header */
    int64_t                         id;
    int64_t                         now;
    int64_t                         due;
    ngx_str_t                       response;     /* the 201 body */
    ngx_uint_t                      expect;       /* replies in EXEC */
    ngx_uint_t                      generation;   /* of the block fetch */
    time_t                          retry_after;
    ngx_http_lapor_created_pt       created;      /* makes the answer */
    unsigned                        fetching:1;   /* a block of numbers */
} ngx_http_lapor_submit_t;


static ngx_int_t ngx_http_lapor_submit_body(ngx_http_request_t *r,
    lapor_json_t *doc, u_char *digest);
static ngx_int_t ngx_http_lapor_submit_claim(ngx_http_request_t *r,
    void *data);
static void ngx_http_lapor_submit_claimed(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_http_lapor_tenant_t *ngx_http_lapor_submit_tenant(
    ngx_http_request_t *r, ngx_http_lapor_submit_t *sub);
static void ngx_http_lapor_submit_prefetch(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub, ngx_http_lapor_tenant_t *t);
static void ngx_http_lapor_submit_prefetched(void *data, redisReply *reply,
    ngx_int_t rc);
static ngx_int_t ngx_http_lapor_submit_limited_ok(ngx_http_request_t *r,
    void *data);
static ngx_int_t ngx_http_lapor_submit_release(ngx_http_request_t *r,
    void *data, time_t retry_after);
static void ngx_http_lapor_submit_released(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_submit_existing(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub, redisReply *value);
static ngx_int_t ngx_http_lapor_submit_write(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub);
static ngx_int_t ngx_http_lapor_submit_identity(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub, ngx_str_t *report_key, ngx_str_t *sealed);
static ngx_int_t ngx_http_lapor_submit_response(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub, ngx_str_t *token);
static void ngx_http_lapor_submit_written(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_submit_created(ngx_http_request_t *r,
    int64_t id, ngx_str_t *body, ngx_uint_t replayed);
static ngx_int_t ngx_http_lapor_idempotency_key(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub);

static ngx_http_lapor_text_t  ngx_http_lapor_t_invalid_report = {
    "Laporan tidak valid", "Invalid report"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_invalid_report = {
    "Beberapa isian laporan perlu diperbaiki; lihat daftar errors.",
    "Some fields of the report need correcting; see the errors list."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_invalid_action = {
    "Isian tindakan tidak valid", "Invalid action"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_invalid_action = {
    "Beberapa isian tindakan perlu diperbaiki; lihat daftar errors.",
    "Some fields of the action need correcting; see the errors list."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_bad_idem = {
    "Idempotency-Key tidak valid", "Invalid Idempotency-Key"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_bad_idem = {
    "Idempotency-Key harus 1 sampai 255 karakter ASCII yang terlihat.",
    "An Idempotency-Key must be 1 to 255 visible ASCII characters."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_in_flight = {
    "Permintaan yang sama sedang diproses",
    "The same request is in progress"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_in_flight = {
    "Laporan dengan Idempotency-Key ini masih diproses; ulangi sebentar "
    "lagi untuk mendapatkan jawabannya.",
    "A report with this Idempotency-Key is still being processed; repeat "
    "the request shortly to get its answer."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_idem_reused = {
    "Idempotency-Key sudah dipakai", "Idempotency-Key already used"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_idem_reused = {
    "Idempotency-Key ini sudah dipakai untuk laporan dengan isi yang "
    "berbeda.",
    "This Idempotency-Key was already used for a report with a different "
    "body."
};

/* the messages for lapor_report_error_e, in its order */

static ngx_http_lapor_text_t  ngx_http_lapor_report_messages[] = {
    { "", "" },
    { "isi permintaan harus berupa objek JSON",
      "the request body must be a JSON object" },
    { "wajib diisi", "is required" },
    { "bukan isian yang dikenal", "is not a known field" },
    { "harus bertipe %s", "must be of type %s" },
    { "minimal %s karakter", "must have at least %s characters" },
    { "maksimal %s karakter", "must have at most %s characters" },
    { "harus satu baris, tanpa baris baru atau tab",
      "must be one line, without line breaks or tabs" },
    { "tidak boleh hanya spasi", "must not be only white space" },
    { "harus salah satu dari: %s", "must be one of: %s" },
    { "bukan jenis laporan yang dikenal", "is not a known report type" },
    { "bukan kategori yang dikenal", "is not a known category" },
    { "bukan instansi yang dikenal", "is not a known agency" },
    { "harus dalam rentang %s", "must be within %s" },
    { "bukan tanggal YYYY-MM-DD yang valid",
      "is not a valid YYYY-MM-DD date" },
    { "tidak boleh setelah hari ini", "must not be after today" },
    { "identitas pelapor wajib diisi kecuali laporan anonim",
      "the reporter's identity is required unless the report is "
      "anonymous" },
    { "harus alamat e-mail atau nomor telepon",
      "must be an e-mail address or a phone number" },
    { "lat dan lon harus diisi bersama",
      "lat and lon must be given together" },
    { "hanya boleh diisi sekali", "must be given only once" },
    { "lokasi wajib: lat dan long, address_string atau address_id",
      "a location is required: lat and long, address_string or "
      "address_id" },
    { "harus URL http atau https", "must be an http or https URL" },
    { "tidak boleh kosong: isi atau hilangkan",
      "must not be empty: give a text or leave the field out" }
};


ngx_int_t
ngx_http_lapor_reports_post(ngx_http_request_t *r)
{
    return ngx_http_lapor_read_json(r, ngx_http_lapor_submit_body);
}


static ngx_int_t
ngx_http_lapor_submit_body(ngx_http_request_t *r, lapor_json_t *doc,
    u_char *digest)
{
    size_t                       n;
    ngx_time_t                  *tp;
    lapor_report_t               rep;
    lapor_report_error_t         errs[LAPOR_REPORT_MAX_ERRORS];
    ngx_http_lapor_loc_conf_t   *llcf;

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    tp = ngx_timeofday();

    n = lapor_report_validate(doc, llcf->catalog->catalog, tp->sec, &rep,
                              errs, LAPOR_REPORT_MAX_ERRORS);
    if (n) {
        return ngx_http_lapor_report_invalid(r, errs,
                                             ngx_min(n,
                                                     LAPOR_REPORT_MAX_ERRORS),
                                             0);
    }

    return ngx_http_lapor_submit(r, &rep, tp->sec, digest,
                                 ngx_http_lapor_submit_created);
}


/*
 * Stores a valid report (POST reports, and POST requests of Open311):
 * the Idempotency-Key, the "submit" limit, the number and the one
 * MULTI/EXEC; created makes the answer, also for a replayed key.
 */

ngx_int_t
ngx_http_lapor_submit(ngx_http_request_t *r, lapor_report_t *rep,
    int64_t now, u_char *digest, ngx_http_lapor_created_pt created)
{
    ngx_http_lapor_submit_t     *sub;
    ngx_http_lapor_main_conf_t  *lmcf;

    sub = ngx_palloc(r->pool, sizeof(ngx_http_lapor_submit_t));
    if (sub == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    sub->rds = lmcf->redis_conn;
    sub->llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);
    sub->cat = sub->llcf->catalog->catalog;
    sub->rep = *rep;
    sub->idem_key = NULL;
    sub->id = 0;
    sub->now = now;
    sub->due = 0;
    ngx_str_null(&sub->response);
    sub->expect = 0;
    sub->generation = 0;
    sub->retry_after = 0;
    sub->fetching = 0;
    sub->created = created;

    lapor_hex(digest, LAPOR_SHA256_LEN, sub->body_hex);

    if (ngx_http_lapor_idempotency_key(r, sub) != NGX_OK) {
        return ngx_http_lapor_problem(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid-idempotency-key",
                                      &ngx_http_lapor_t_bad_idem,
                                      &ngx_http_lapor_d_bad_idem);
    }

    /*
     * With an Idempotency-Key the key is looked up first: a repeat is
     * answered from its record and never counts against the limit.
     */

    if (sub->idem_key) {
        return ngx_http_lapor_submit_claim(r, sub);
    }

    return ngx_http_lapor_limit(r, "submit", ngx_http_lapor_submit_claim,
                                NULL, sub);
}


ngx_int_t
ngx_http_lapor_report_invalid(ngx_http_request_t *r,
    lapor_report_error_t *errs, size_t n, ngx_uint_t action)
{
    size_t                     i;
    ngx_str_t                  field, arg;
    ngx_http_lapor_problem_t   pr;

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    pr.status = NGX_HTTP_BAD_REQUEST;

    if (action) {
        pr.type = "invalid-action";
        pr.title = &ngx_http_lapor_t_invalid_action;
        pr.detail = &ngx_http_lapor_d_invalid_action;

    } else {
        pr.type = "invalid-report";
        pr.title = &ngx_http_lapor_t_invalid_report;
        pr.detail = &ngx_http_lapor_d_invalid_report;
    }

    for (i = 0; i < n; i++) {

        /* the validator's buffers live on this stack frame: copy */

        field.len = ngx_strlen(errs[i].field);
        field.data = ngx_pnalloc(r->pool, field.len + 1);
        if (field.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(field.data, errs[i].field, field.len);

        if (errs[i].arg) {
            arg.data = (u_char *) errs[i].arg;
            arg.len = ngx_strlen(errs[i].arg);
        }

        if (ngx_http_lapor_problem_error(r, &pr, &field,
                                         &ngx_http_lapor_report_messages[
                                             errs[i].code],
                                         errs[i].arg ? &arg : NULL)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_lapor_problem_send(r, &pr);
}


/*
 * The key a client sent is never stored: its SHA-256 names the record, and
 * a reused key with another body is told apart by the body's SHA-256.
 */

static ngx_int_t
ngx_http_lapor_idempotency_key(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub)
{
    char              hex[2 * LAPOR_SHA256_LEN];
    ngx_table_elt_t  *h;
    unsigned char     digest[LAPOR_SHA256_LEN];

    h = ngx_http_lapor_header_in(r, "Idempotency-Key");

    if (h == NULL) {
        return NGX_OK;
    }

    if (lapor_request_idem_key(h->value.data, h->value.len,
                               NGX_HTTP_LAPOR_IDEM_KEY_MAX)
        != 0)
    {
        return NGX_DECLINED;
    }

    if (lapor_sha256(h->value.data, h->value.len, digest) != 0) {
        return NGX_ERROR;
    }

    lapor_hex(digest, LAPOR_SHA256_LEN, hex);

    sub->idem_key = ngx_http_lapor_key(r->pool, &sub->llcf->namespace,
                                       "idem:%*s", sizeof(hex), hex);
    if (sub->idem_key == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_http_lapor_tenant_t *
ngx_http_lapor_submit_tenant(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub)
{
    ngx_http_lapor_tenant_t     *t;
    ngx_http_lapor_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);
    t = lmcf->tenants.elts;

    return &t[sub->llcf->tenant];
}


static ngx_int_t
ngx_http_lapor_submit_claim(ngx_http_request_t *r, void *data)
{
    ngx_http_lapor_submit_t  *sub = data;

    u_char                      *p;
    ngx_int_t                    rc;
    ngx_uint_t                   gen;
    ngx_http_lapor_batch_t       b;
    ngx_http_lapor_tenant_t     *t;

    t = ngx_http_lapor_submit_tenant(r, sub);
    gen = ngx_http_lapor_redis_generation(sub->rds);

    if (t->id_pending && t->id_pending_generation != gen) {
        /* fetched over a connection since lost: no longer ours */
        t->id_pending = 0;
    }

    if ((t->id_next == 0 || t->id_next > t->id_last) && t->id_pending) {
        /* the current block is used up: the next one takes over */
        t->id_last = t->id_pending;
        t->id_next = t->id_pending - (NGX_HTTP_LAPOR_ID_BLOCK - 1);
        t->id_generation = gen;
        t->id_pending = 0;
    }

    if (sub->idem_key == NULL && t->id_next && t->id_next <= t->id_last
        && t->id_generation == gen)
    {
        /* a number of this worker's block: straight to the write */
        sub->id = t->id_next++;

        if (t->id_last - t->id_next < NGX_HTTP_LAPOR_ID_BLOCK / 2) {
            ngx_http_lapor_submit_prefetch(r, sub, t);
        }

        return ngx_http_lapor_submit_write(r, sub);
    }

    if (ngx_http_lapor_batch_init(&b, r->pool, &sub->llcf->namespace, 5)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (sub->idem_key) {
        p = ngx_pnalloc(r->pool, sizeof("pending:") - 1
                                 + sizeof(sub->body_hex));
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(p, "pending:", sizeof("pending:") - 1);
        ngx_memcpy(p + sizeof("pending:") - 1, sub->body_hex,
                   sizeof(sub->body_hex));

        ngx_http_lapor_batch_cmd(&b, "MULTI");

        /* a short claim: a write that never finished frees it soon */
        ngx_http_lapor_batch_cmd(&b, "SET");
        ngx_http_lapor_batch_str(&b, sub->idem_key);
        ngx_http_lapor_batch_arg(&b, p, sizeof("pending:") - 1
                                        + sizeof(sub->body_hex));
        ngx_http_lapor_batch_cstr(&b, "NX");
        ngx_http_lapor_batch_cstr(&b, "PX");
        ngx_http_lapor_batch_int(&b, NGX_HTTP_LAPOR_IDEM_PENDING_MS);

        ngx_http_lapor_batch_cmd(&b, "GET");
        ngx_http_lapor_batch_str(&b, sub->idem_key);
    }

    if (sub->idem_key) {
        ngx_http_lapor_batch_cmd(&b, "INCR");
        ngx_http_lapor_batch_key(&b, "seq:report");
        ngx_http_lapor_batch_cmd(&b, "EXEC");

    } else if (t->id_fetching
               && ngx_current_msec - t->id_fetch_at < 10000)
    {
        /*
         * One block at a time: meanwhile a number of its own.  (A fetch
         * whose client went away never reports back: after a while it is
         * given up.)
         */
        ngx_http_lapor_batch_cmd(&b, "INCR");
        ngx_http_lapor_batch_key(&b, "seq:report");

    } else {
        sub->fetching = 1;
        sub->generation = ngx_http_lapor_redis_generation(sub->rds);
        t->id_fetching = 1;
        t->id_fetch_at = ngx_current_msec;

        ngx_http_lapor_batch_cmd(&b, "INCRBY");
        ngx_http_lapor_batch_key(&b, "seq:report");
        ngx_http_lapor_batch_int(&b, NGX_HTTP_LAPOR_ID_BLOCK);
    }

    if (sub->idem_key) {
        /* with the other claims of this turn: one INCRBY for the numbers */
        return ngx_http_lapor_group_send(r, &b, ngx_http_lapor_submit_claimed,
                                         sub);
    }

    rc = ngx_http_lapor_batch_send(r, sub->rds, &b,
                                   ngx_http_lapor_submit_claimed, sub);

    if (rc != NGX_DONE && sub->fetching) {
        sub->fetching = 0;
        t->id_fetching = 0;
    }

    return rc;
}


static void
ngx_http_lapor_submit_claimed(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_submit_t  *sub = data;

    redisReply               *seq;
    ngx_http_lapor_tenant_t  *t;

    t = ngx_http_lapor_submit_tenant(r, sub);

    if (sub->fetching) {
        t->id_fetching = 0;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, sub->rds, rc, reply));
        return;
    }

    seq = reply;

    if (sub->idem_key) {
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
            ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                             r, sub->rds, NGX_OK, reply));
            return;
        }

        if (reply->element[0]->type == REDIS_REPLY_NIL) {
            /* the key was there before: answer from its record */
            ngx_http_finalize_request(r, ngx_http_lapor_submit_existing(
                                             r, sub, reply->element[1]));
            return;
        }

        seq = reply->element[2];
    }

    if (ngx_http_lapor_redis_int(seq, &sub->id) != NGX_OK || sub->id <= 0) {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, sub->rds, NGX_OK, seq));
        return;
    }

    if (sub->fetching) {
        /* a new block: the first number for this report, the rest later */
        t->id_last = sub->id;
        t->id_generation = sub->generation;
        sub->id -= NGX_HTTP_LAPOR_ID_BLOCK - 1;
        t->id_next = sub->id + 1;
    }

    if (sub->idem_key) {
        ngx_http_finalize_request(r, ngx_http_lapor_limit(
                                         r, "submit",
                                         ngx_http_lapor_submit_limited_ok,
                                         ngx_http_lapor_submit_release,
                                         sub));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_lapor_submit_write(r, sub));
}


/*
 * Asks for the next block without holding up this request: the reply is
 * kept aside until the current block is used up.  Without a pending block
 * or a fetch on its way only; a failure just leaves the slower path.
 */

static void
ngx_http_lapor_submit_prefetch(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub, ngx_http_lapor_tenant_t *t)
{
    ngx_uint_t                   n;
    ngx_http_lapor_batch_t       b;
    ngx_http_lapor_redis_cmd_t  *cmds;

    if (t->id_fetching || t->id_pending) {
        return;
    }

    if (ngx_http_lapor_batch_init(&b, r->pool, &sub->llcf->namespace, 1)
        != NGX_OK)
    {
        return;
    }

    ngx_http_lapor_batch_cmd(&b, "INCRBY");
    ngx_http_lapor_batch_key(&b, "seq:report");
    ngx_http_lapor_batch_int(&b, NGX_HTTP_LAPOR_ID_BLOCK);

    cmds = ngx_http_lapor_batch_commands(&b, &n);
    if (cmds == NULL) {
        return;
    }

    t->id_fetch_generation = ngx_http_lapor_redis_generation(sub->rds);

    if (ngx_http_lapor_redis_send_internal(sub->rds, cmds, n,
                                           ngx_http_lapor_submit_prefetched,
                                           t)
        == NGX_OK)
    {
        t->id_fetching = 1;
        t->id_fetch_at = ngx_current_msec;
    }
}


/* called once, also with an error or when the worker exits */

static void
ngx_http_lapor_submit_prefetched(void *data, redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_tenant_t  *t = data;

    int64_t  last;

    t->id_fetching = 0;

    if (rc != NGX_OK
        || ngx_http_lapor_redis_int(reply, &last) != NGX_OK
        || last < NGX_HTTP_LAPOR_ID_BLOCK)
    {
        return;
    }

    t->id_pending = last;
    t->id_pending_generation = t->id_fetch_generation;
}


static ngx_int_t
ngx_http_lapor_submit_limited_ok(ngx_http_request_t *r, void *data)
{
    return ngx_http_lapor_submit_write(r, data);
}


/* over the limit: the claim on the key goes, so a later retry is not 409 */

static ngx_int_t
ngx_http_lapor_submit_release(ngx_http_request_t *r, void *data,
    time_t retry_after)
{
    ngx_http_lapor_submit_t  *sub = data;

    ngx_int_t                    rc;
    ngx_uint_t                   n;
    ngx_http_lapor_batch_t       b;
    ngx_http_lapor_redis_cmd_t  *cmds;

    sub->retry_after = retry_after;

    if (ngx_http_lapor_batch_init(&b, r->pool, &sub->llcf->namespace, 1)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_lapor_batch_cmd(&b, "DEL");
    ngx_http_lapor_batch_str(&b, sub->idem_key);

    cmds = ngx_http_lapor_batch_commands(&b, &n);
    if (cmds == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_lapor_redis_send(r, sub->rds, cmds, n,
                                   ngx_http_lapor_submit_released, sub);

    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    /* the claim expires by itself within a minute */
    return ngx_http_lapor_limited(r, retry_after);
}


static void
ngx_http_lapor_submit_released(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_submit_t  *sub = data;

    ngx_http_finalize_request(r, ngx_http_lapor_limited(r, sub->retry_after));
}


/*
 * A repeated Idempotency-Key: "pending:<body>" while the first request is
 * still being written, "done:<body>:<id>:<sealed 201 body>" afterwards.
 */

static ngx_int_t
ngx_http_lapor_submit_existing(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub, redisReply *value)
{
    u_char                    *p, *last;
    int64_t                    id;
    ngx_int_t                  rc;
    ngx_str_t                  sealed, body;
    ngx_http_lapor_problem_t   pr;

    if (value->type != REDIS_REPLY_STRING) {
        /* expired between SET and GET: rare, and retrying is right */
        ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));
        pr.status = NGX_HTTP_CONFLICT;
        pr.type = "request-in-progress";
        pr.title = &ngx_http_lapor_t_in_flight;
        pr.detail = &ngx_http_lapor_d_in_flight;
        pr.retry_after = 1;
        return ngx_http_lapor_problem_send(r, &pr);
    }

    p = (u_char *) value->str;
    last = p + value->len;

    if (value->len >= sizeof("pending:") - 1 + sizeof(sub->body_hex)
        && ngx_strncmp(p, "pending:", sizeof("pending:") - 1) == 0)
    {
        p += sizeof("pending:") - 1;

        if (!lapor_equal(p, sub->body_hex, sizeof(sub->body_hex))) {
            goto reused;
        }

        ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));
        pr.status = NGX_HTTP_CONFLICT;
        pr.type = "request-in-progress";
        pr.title = &ngx_http_lapor_t_in_flight;
        pr.detail = &ngx_http_lapor_d_in_flight;
        pr.retry_after = 1;
        return ngx_http_lapor_problem_send(r, &pr);
    }

    if (value->len < sizeof("done:") - 1 + sizeof(sub->body_hex) + 3
        || ngx_strncmp(p, "done:", sizeof("done:") - 1) != 0)
    {
        goto broken;
    }

    p += sizeof("done:") - 1;

    if (!lapor_equal(p, sub->body_hex, sizeof(sub->body_hex))) {
        goto reused;
    }

    p += sizeof(sub->body_hex);

    if (*p++ != ':') {
        goto broken;
    }

    for (id = 0; p < last && *p >= '0' && *p <= '9'; p++) {
        id = id * 10 + (*p - '0');

        if (id > INT64_MAX / 10) {
            goto broken;
        }
    }

    if (id <= 0 || p == last || *p++ != ':') {
        goto broken;
    }

    sealed.data = p;
    sealed.len = last - p;

    rc = ngx_http_lapor_unseal(r->pool, sub->llcf->identity_key,
                               sub->idem_key, &sealed, &body);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        goto broken;
    }

    ngx_http_lapor_metrics_replay(r);

    return sub->created(r, id, &body, 1);

reused:

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));
    pr.status = NGX_HTTP_LAPOR_UNPROCESSABLE;
    pr.type = "idempotency-key-reused";
    pr.title = &ngx_http_lapor_t_idem_reused;
    pr.detail = &ngx_http_lapor_d_idem_reused;
    return ngx_http_lapor_problem_send(r, &pr);

broken:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "lapor: unreadable idempotency record \"%V\"",
                  sub->idem_key);

    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static ngx_int_t
ngx_http_lapor_submit_write(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub)
{
    u_char                      *p;
    ngx_str_t                   *report_key, token, sealed, idem_value;
    ngx_str_t                    token_hex;
    lapor_report_t              *rep;
    ngx_http_lapor_batch_t       b;
    ngx_http_lapor_place_t       place;
    u_char                       raw[NGX_HTTP_LAPOR_TOKEN_BYTES];
    unsigned char                digest[LAPOR_SHA256_LEN];

    rep = &sub->rep;

    sub->due = ngx_http_lapor_store_due(sub->cat, rep->category,
                                        LAPOR_STATE_SUBMITTED, sub->now);

    if (sub->due == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "lapor: no dispatch deadline within the calendar");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the tracking token: shown once, only its hash is kept */

    if (lapor_random(raw, sizeof(raw)) != 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "lapor: the random number generator failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    token.data = ngx_pnalloc(r->pool, lapor_base64url_len(sizeof(raw)));
    token_hex.data = ngx_pnalloc(r->pool, 2 * LAPOR_SHA256_LEN);

    if (token.data == NULL || token_hex.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    token.len = lapor_base64url_encode(raw, sizeof(raw), (char *) token.data);
    ngx_memzero(raw, sizeof(raw));

    if (lapor_sha256(token.data, token.len, digest) != 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lapor_hex(digest, LAPOR_SHA256_LEN, (char *) token_hex.data);
    token_hex.len = 2 * LAPOR_SHA256_LEN;

    report_key = ngx_http_lapor_key(r->pool, &sub->llcf->namespace,
                                    "report:%L", sub->id);
    if (report_key == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_lapor_submit_identity(r, sub, report_key, &sealed)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_lapor_submit_response(r, sub, &token) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_lapor_batch_init(&b, r->pool, &sub->llcf->namespace, 16)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_lapor_batch_cmd(&b, "MULTI");

    /* the report */

    ngx_http_lapor_batch_cmd(&b, "HSET");
    ngx_http_lapor_batch_str(&b, report_key);

#define ngx_http_lapor_field(f)                                               \
    ngx_http_lapor_batch_cstr(&b, ngx_http_lapor_fields[f])

    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_ID);
    ngx_http_lapor_batch_int(&b, sub->id);
    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_TYPE);
    ngx_http_lapor_batch_cstr(&b, rep->type->code);
    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_CATEGORY);
    ngx_http_lapor_batch_cstr(&b, rep->category->code);
    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_AGENCY);
    ngx_http_lapor_batch_cstr(&b, rep->agency->code);
    if (rep->lat.data) {
        ngx_http_lapor_field(NGX_HTTP_LAPOR_F_LAT);
        ngx_http_lapor_batch_arg(&b, (u_char *) rep->lat.data, rep->lat.len);
        ngx_http_lapor_field(NGX_HTTP_LAPOR_F_LON);
        ngx_http_lapor_batch_arg(&b, (u_char *) rep->lon.data, rep->lon.len);
    }

    if (rep->occurred_on.data) {
        ngx_http_lapor_field(NGX_HTTP_LAPOR_F_OCCURRED_ON);
        ngx_http_lapor_batch_arg(&b, (u_char *) rep->occurred_on.data,
                                 rep->occurred_on.len);
    }

    /*
     * Fields at their first value are not written: anonymous and
     * confidential when "0", flagged "0", version 1, updated_at and
     * entered_at equal to created_at.  Readers take absence for that value
     * (ngx_http_lapor_report_int); HSET of a new report is 30 % cheaper.
     */

    if (rep->anonymous) {
        ngx_http_lapor_field(NGX_HTTP_LAPOR_F_ANONYMOUS);
        ngx_http_lapor_batch_cstr(&b, "1");
    }

    if (rep->confidential) {
        ngx_http_lapor_field(NGX_HTTP_LAPOR_F_CONFIDENTIAL);
        ngx_http_lapor_batch_cstr(&b, "1");
    }

    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_CHANNEL);
    ngx_http_lapor_batch_cstr(&b, rep->channel);
    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_STATUS);
    ngx_http_lapor_batch_cstr(&b, "submitted");
    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_CREATED_AT);
    ngx_http_lapor_batch_int(&b, sub->now);
    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_DUE_AT);
    ngx_http_lapor_batch_int(&b, sub->due);
    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_TOKEN);
    ngx_http_lapor_batch_str(&b, &token_hex);

    if (sealed.len) {
        ngx_http_lapor_field(NGX_HTTP_LAPOR_F_REPORTER);
        ngx_http_lapor_batch_str(&b, &sealed);
    }

    /*
     * The texts last: a small hash is a listpack that grows with each
     * field written, and every field before a long text moved it again
     * (HSET 10 % faster this way).
     */

    if (rep->media_url.data) {
        /* Open311's link to a photo or a document */
        ngx_http_lapor_field(NGX_HTTP_LAPOR_F_MEDIA_URL);
        ngx_http_lapor_batch_arg(&b, (u_char *) rep->media_url.data,
                                 rep->media_url.len);
    }

    if (rep->place.data) {
        ngx_http_lapor_field(NGX_HTTP_LAPOR_F_PLACE);
        ngx_http_lapor_batch_arg(&b, (u_char *) rep->place.data,
                                 rep->place.len);
    }

    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_TITLE);
    ngx_http_lapor_batch_arg(&b, (u_char *) rep->title.data, rep->title.len);
    ngx_http_lapor_field(NGX_HTTP_LAPOR_F_BODY);
    ngx_http_lapor_batch_arg(&b, (u_char *) rep->body.data, rep->body.len);

#undef ngx_http_lapor_field

    /*
     * No timeline: its first entry, the submission, follows from
     * created_at and is made up by its readers (ngx_http_lapor_timeline.c);
     * the list starts with the first action.
     */

    /* the admins' queue by age, and the deadline index */

    place.state = LAPOR_STATE_SUBMITTED;
    place.agency.data = (u_char *) rep->agency->code;
    place.agency.len = rep->agency->code_len;
    place.entered_at = sub->now;
    place.due = sub->due;
    place.created_at = sub->now;

    ngx_http_lapor_store_place(&b, sub->id, &place);

    /* the lists by creation time: its category's open reports */

    ngx_http_lapor_store_created(&b, sub->id, sub->now, rep->category, 0);

    /* statistics, incrementally: totals, and per year and month */

    /*
     * One counter per combination of type, category, agency and channel
     * instead of one per figure: Redis works through a transaction alone,
     * and each command less is time won for everybody.  GET stats adds
     * them up (codes hold no ':').
     */

    ngx_http_lapor_batch_cmd(&b, "HINCRBY");
    ngx_http_lapor_batch_key(&b, "stats");
    ngx_http_lapor_batch_fmt(&b, "sub:%s:%s:%s:%s", rep->type->code,
                             rep->category->code, rep->agency->code,
                             rep->channel);
    ngx_http_lapor_batch_int(&b, 1);

    ngx_http_lapor_batch_cmd(&b, "HINCRBY");
    ngx_http_lapor_batch_key(&b, "stats");
    ngx_http_lapor_batch_cstr(&b, "status:submitted");
    ngx_http_lapor_batch_int(&b, 1);

    ngx_http_lapor_stats_cohort(&b, sub->cat, sub->now, "submitted");

    /* the namespace's event stream: no personal data in it */

    ngx_http_lapor_batch_cmd(&b, "XADD");
    ngx_http_lapor_batch_key(&b, "events");
    ngx_http_lapor_batch_cstr(&b, "MAXLEN");
    ngx_http_lapor_batch_cstr(&b, "~");
    ngx_http_lapor_batch_cstr(&b, NGX_HTTP_LAPOR_EVENTS_MAXLEN);
    ngx_http_lapor_batch_cstr(&b, "*");
    ngx_http_lapor_batch_cstr(&b, "event");
    ngx_http_lapor_batch_cstr(&b, "report.submitted");
    ngx_http_lapor_batch_cstr(&b, "id");
    ngx_http_lapor_batch_int(&b, sub->id);
    ngx_http_lapor_batch_cstr(&b, "status");
    ngx_http_lapor_batch_cstr(&b, "submitted");
    ngx_http_lapor_batch_cstr(&b, "type");
    ngx_http_lapor_batch_cstr(&b, rep->type->code);
    ngx_http_lapor_batch_cstr(&b, "category");
    ngx_http_lapor_batch_cstr(&b, rep->category->code);
    ngx_http_lapor_batch_cstr(&b, "agency");
    ngx_http_lapor_batch_cstr(&b, rep->agency->code);
    ngx_http_lapor_batch_cstr(&b, "channel");
    ngx_http_lapor_batch_cstr(&b, rep->channel);
    ngx_http_lapor_batch_cstr(&b, "at");
    ngx_http_lapor_batch_int(&b, sub->now);

    /* the answer to a repeated Idempotency-Key, sealed: it holds the token */

    if (sub->idem_key) {
        if (ngx_http_lapor_seal(r->pool, sub->llcf->identity_key,
                                sub->idem_key, &sub->response, &sealed)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_pnalloc(r->pool, sizeof("done:") - 1 + sizeof(sub->body_hex)
                                 + 1 + NGX_INT64_LEN + 1 + sealed.len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        idem_value.data = p;
        p = ngx_sprintf(p, "done:%*s:%L:%V", sizeof(sub->body_hex),
                        sub->body_hex, sub->id, &sealed);
        idem_value.len = p - idem_value.data;

        ngx_http_lapor_batch_cmd(&b, "SET");
        ngx_http_lapor_batch_str(&b, sub->idem_key);
        ngx_http_lapor_batch_str(&b, &idem_value);
        ngx_http_lapor_batch_cstr(&b, "PX");
        ngx_http_lapor_batch_int(&b, NGX_HTTP_LAPOR_IDEM_TTL_MS);
    }

    ngx_http_lapor_batch_cmd(&b, "EXEC");

    /* a 201 waits for lapor_redis_wait replicas */
    b.durable = 1;

    /* the commands inside MULTI, each answered inside EXEC's array */
    sub->expect = b.cmds.nelts - 2;

    /* with the other submissions of this turn of the event loop */
    return ngx_http_lapor_group_send(r, &b, ngx_http_lapor_submit_written,
                                     sub);
}


/*
 * The identity, sealed, or empty for an anonymous report that gave none.
 * The plaintext is NGX_HTTP_LAPOR_IDENTITY_MARK, the name, a NUL and the
 * contact: validated text holds neither control characters nor NUL, and
 * opening it for a view needs no JSON parser.  (The first identities were
 * sealed as JSON {"name","contact"}; views still read those.)
 */

static ngx_int_t
ngx_http_lapor_submit_identity(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub, ngx_str_t *report_key, ngx_str_t *sealed)
{
    u_char     *p;
    ngx_str_t   plain;

    ngx_str_null(sealed);

    if (!sub->rep.has_reporter) {
        return NGX_OK;
    }

    plain.len = 1 + sub->rep.reporter_name.len + 1
                + sub->rep.reporter_contact.len;

    plain.data = ngx_pnalloc(r->pool, plain.len);
    if (plain.data == NULL) {
        return NGX_ERROR;
    }

    p = plain.data;
    *p++ = NGX_HTTP_LAPOR_IDENTITY_MARK;
    p = ngx_cpymem(p, sub->rep.reporter_name.data,
                   sub->rep.reporter_name.len);
    *p++ = '\0';
    ngx_memcpy(p, sub->rep.reporter_contact.data,
               sub->rep.reporter_contact.len);

    /* the report's key is the associated data: it opens nowhere else */

    return ngx_http_lapor_seal(r->pool, sub->llcf->identity_key, report_key,
                               &plain, sealed);
}


static ngx_int_t
ngx_http_lapor_submit_response(ngx_http_request_t *r,
    ngx_http_lapor_submit_t *sub, ngx_str_t *token)
{
    size_t                len;
    ngx_str_t             created, due;
    lapor_jsonw_t         w;
    const unsigned char  *buf;

    if (ngx_http_lapor_catalog_time(r->pool, sub->cat, sub->now, &created)
        != NGX_OK
        || ngx_http_lapor_catalog_time(r->pool, sub->cat, sub->due, &due)
           != NGX_OK
        || ngx_http_lapor_jsonw_init(r, &w, 256) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* all of it our own text: base64url, times, literals */

    lapor_jsonw_map_open(&w);
    lapor_jsonw_literal(&w, "id");
    lapor_jsonw_integer(&w, sub->id);
    lapor_jsonw_literal(&w, "tracking_token");
    lapor_jsonw_string(&w, token->data, token->len);
    lapor_jsonw_literal(&w, "status");
    lapor_jsonw_literal(&w, "submitted");
    lapor_jsonw_literal(&w, "created_at");
    lapor_jsonw_string(&w, created.data, created.len);
    lapor_jsonw_literal(&w, "due_at");
    lapor_jsonw_string(&w, due.data, due.len);
    lapor_jsonw_map_close(&w);

    buf = lapor_jsonw_result(&w, &len);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    sub->response.data = (u_char *) buf;
    sub->response.len = len;

    return NGX_OK;
}


static void
ngx_http_lapor_submit_written(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_submit_t  *sub = data;

    if (rc != NGX_OK || !ngx_http_lapor_redis_exec_ok(reply, sub->expect)) {
        /*
         * Nothing was applied unless EXEC ran; a pending idempotency claim
         * expires on its own, so a retry with the same key gets through.
         */

        if (rc == NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "lapor: storing report %L failed", sub->id);
        }

        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, sub->rds, rc, reply));
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "lapor: report %L submitted", sub->id);

    ngx_http_finalize_request(r, sub->created(r, sub->id, &sub->response,
                                              0));
}


static ngx_int_t
ngx_http_lapor_submit_created(ngx_http_request_t *r, int64_t id,
    ngx_str_t *body, ngx_uint_t replayed)
{
    u_char                    *p;
    ngx_table_elt_t           *location;
    ngx_http_core_loc_conf_t  *clcf;

    static ngx_str_t  replayed_name = ngx_string("Idempotent-Replayed");
    static ngx_str_t  replayed_value = ngx_string("true");

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    location = ngx_list_push(&r->headers_out.headers);
    p = ngx_pnalloc(r->pool, clcf->name.len + sizeof("/reports/") - 1
                             + NGX_INT64_LEN);

    if (location == NULL || p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location->hash = 1;
    ngx_str_set(&location->key, "Location");
    location->value.data = p;

    p = ngx_cpymem(p, clcf->name.data, clcf->name.len);

    if (clcf->name.len == 0 || clcf->name.data[clcf->name.len - 1] != '/') {
        *p++ = '/';
    }

    p = ngx_sprintf(p, "reports/%L", id);
    location->value.len = p - location->value.data;
    location->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    location->next = NULL;
#endif

    if (replayed
        && ngx_http_lapor_header_add(r, &replayed_name, &replayed_value)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_json_send_buf(r, NGX_HTTP_CREATED,
                                        &ngx_http_lapor_json_type,
                                        body->data, body->len);
}


/*
 * The fields of an HGETALL reply ([name, value, ...]) in the order of
 * ngx_http_lapor_field_e, the absent ones as a nil reply (as HMGET would
 * answer).  HGETALL walks a report's hash once where HMGET searches it
 * for every name: a third less of Redis's time for a view.  The names come
 * mostly in the order they were written, so the search starts after the
 * last one found.  NULL when memory runs out.
 */

redisReply **
ngx_http_lapor_report_fields(ngx_pool_t *pool, redisReply *hash)
{
    size_t        i, k, j, hint;
    const char   *name;
    redisReply  **f, *key;

    f = ngx_palloc(pool, NGX_HTTP_LAPOR_F_COUNT * sizeof(redisReply *));
    if (f == NULL) {
        return NULL;
    }

    for (j = 0; j < NGX_HTTP_LAPOR_F_COUNT; j++) {
        f[j] = &ngx_http_lapor_field_nil;
    }

    if (hash->type != REDIS_REPLY_ARRAY) {
        return f;
    }

    hint = 0;

    for (i = 0; i + 1 < hash->elements; i += 2) {
        key = hash->element[i];

        if (key->type != REDIS_REPLY_STRING) {
            continue;
        }

        for (k = 0; k < NGX_HTTP_LAPOR_F_COUNT; k++) {
            j = (hint + k) % NGX_HTTP_LAPOR_F_COUNT;
            name = ngx_http_lapor_fields[j];

            /* field names in Redis may hold any byte, even NUL */
            if (ngx_strlen(name) == key->len
                && ngx_memcmp(name, key->str, key->len) == 0)
            {
                f[j] = hash->element[i + 1];
                hint = j + 1;
                break;
            }
        }
    }

    return f;
}


/* an integer field, or dflt when the field is absent (its first value) */

ngx_int_t
ngx_http_lapor_report_int(redisReply *v, int64_t dflt, int64_t *out)
{
    if (v->type == REDIS_REPLY_NIL) {
        *out = dflt;
        return NGX_OK;
    }

    return ngx_http_lapor_redis_int(v, out);
}
