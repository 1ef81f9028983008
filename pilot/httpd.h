/*
 * httpd.h: the pilot's local /health and /metrics, served by nng's HTTP
 * server from its own threads.  The main loop renders both bodies after
 * each change and publishes copies; a request only copies them out under
 * a lock, so a scraper never waits for a probe and never sees a half
 * update.  nng appears here and in report.c only.
 */
#ifndef SEXTANT_PILOT_HTTPD_H
#define SEXTANT_PILOT_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

struct httpd;

/* Listen on url ("http://127.0.0.1:9618").  0 with *out (stop with
 * httpd_stop), or -1 with err. */
int httpd_start(const char *url, struct httpd **out, char *err, size_t errlen);
/* The port actually bound (for a url with port 0), or 0. */
int httpd_port(const struct httpd *h);
/* Replace the bodies (copied).  /health answers 200 when healthy, else
 * 503, so a container health check can use it as is. */
void httpd_publish(struct httpd *h, const char *health, size_t hlen,
                   bool healthy, const char *metrics, size_t mlen);
/* Stop serving and free; accepts NULL. */
void httpd_stop(struct httpd *h);

#endif
