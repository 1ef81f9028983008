#include "pilot/httpd.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "common/prom.h"

struct httpd {
	nng_http_server *srv;
	nng_http_handler *h_health, *h_metrics;
	int port;
	pthread_mutex_t mu;
	struct expo_view view;
	bool published;
};

static void
respond(nng_aio *aio, uint16_t status, const char *ctype, const void *data,
        size_t len)
{
	nng_http_res *res = NULL;

	if (nng_http_res_alloc(&res) != 0 ||
	    nng_http_res_set_status(res, status) != 0 ||
	    nng_http_res_set_header(res, "Content-Type", ctype) != 0 ||
	    nng_http_res_set_header(res, "Cache-Control", "no-store") != 0 ||
	    nng_http_res_copy_data(res, data, len) != 0) {
		if (res)
			nng_http_res_free(res);
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void
serve(nng_aio *aio, bool health)
{
	nng_http_handler *hd = nng_aio_get_input(aio, 1);
	struct httpd *h = nng_http_handler_get_data(hd);
	struct prom_buf b = {.max = 1024 * 1024};
	struct expo_view v;
	bool published;
	uint16_t status = 200;

	pthread_mutex_lock(&h->mu);
	published = h->published;
	v = h->view;
	pthread_mutex_unlock(&h->mu);
	if (!published) {
		respond(aio, 503, "text/plain; charset=utf-8", "starting\n", 9);
		return;
	}
	if (health) {
		expo_health_json(&v, &b);
		if (!expo_healthy(&v))
			status = 503;
	} else
		expo_metrics(&v, &b);
	if (b.failed) {
		prom_buf_free(&b);
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	respond(aio, status, health ? "application/json" : PROM_CONTENT_TYPE,
	        b.data, b.len);
	prom_buf_free(&b);
}

static void
serve_health(nng_aio *aio)
{
	serve(aio, true);
}

static void
serve_metrics(nng_aio *aio)
{
	serve(aio, false);
}

static int
add(struct httpd *h, nng_http_handler **hd, const char *path,
    void (*cb)(nng_aio *))
{
	int rc;

	if ((rc = nng_http_handler_alloc(hd, path, cb)) != 0)
		return rc;
	if ((rc = nng_http_handler_set_data(*hd, h, NULL)) != 0 ||
	    (rc = nng_http_server_add_handler(h->srv, *hd)) != 0) {
		nng_http_handler_free(*hd);
		*hd = NULL;
	}
	return rc;
}

int
httpd_start(const char *url, struct httpd **out, char *err, size_t errlen)
{
	struct httpd *h;
	nng_url *u = NULL;
	nng_sockaddr sa;
	int rc;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&h->mu, NULL);
	if ((rc = nng_url_parse(&u, url)) != 0 ||
	    (rc = nng_http_server_hold(&h->srv, u)) != 0 ||
	    (rc = add(h, &h->h_health, "/health", serve_health)) != 0 ||
	    (rc = add(h, &h->h_metrics, "/metrics", serve_metrics)) != 0 ||
	    (rc = nng_http_server_start(h->srv)) != 0) {
		snprintf(err, errlen, "%s: %s", url, nng_strerror(rc));
		if (u)
			nng_url_free(u);
		httpd_stop(h);
		return -1;
	}
	nng_url_free(u);
	if (nng_http_server_get_addr(h->srv, &sa) == 0) {
		if (sa.s_family == NNG_AF_INET)
			h->port = ntohs(sa.s_in.sa_port);
		else if (sa.s_family == NNG_AF_INET6)
			h->port = ntohs(sa.s_in6.sa_port);
	}
	*out = h;
	return 0;
}

int
httpd_port(const struct httpd *h)
{
	return h ? h->port : 0;
}

void
httpd_publish(struct httpd *h, const struct expo_view *v)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->view = *v;
	h->published = true;
	pthread_mutex_unlock(&h->mu);
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	if (h->srv) {
		nng_http_server_stop(h->srv);
		nng_http_server_release(h->srv);
	}
	pthread_mutex_destroy(&h->mu);
	free(h);
}
