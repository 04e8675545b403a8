
/*
 * The auto-close sweep: followed-up reports without a reporter's reply for
 * the catalog's auto-close working days become closed.
 */


#ifndef _NGX_HTTP_LAPOR_SWEEP_H_INCLUDED_
#define _NGX_HTTP_LAPOR_SWEEP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


void *ngx_http_lapor_sweep_create(ngx_cycle_t *cycle, void *lmcf);
void ngx_http_lapor_sweep_destroy(void *sweep);


#endif /* _NGX_HTTP_LAPOR_SWEEP_H_INCLUDED_ */
