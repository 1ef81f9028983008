/*
 * httpd.h: the pilot's local /health and /metrics, served by nng's HTTP
 * server from its own threads.  The main loop publishes a copy of its view
 * (expo.h) after each change; a request renders from that copy, taken
 * under a lock, so a scraper never waits for a probe and never sees a half
 * update, and a pilot nobody scrapes renders nothing.  nng appears here
 * and in report.c only.
 */
#ifndef SEXTANT_PILOT_HTTPD_H
#define SEXTANT_PILOT_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "pilot/expo.h"

struct httpd;

/* Listen on url ("http://127.0.0.1:9618").  0 with *out (stop with
 * httpd_stop), or -1 with err. */
int httpd_start(const char *url, struct httpd **out, char *err, size_t errlen);
/* The port actually bound (for a url with port 0), or 0. */
int httpd_port(const struct httpd *h);
/* Replace the view (copied; its strings must outlive h).  /health
 * answers 200 when healthy, else 503, so a container health check can use
 * it as is. */
void httpd_publish(struct httpd *h, const struct expo_view *v);
/* Stop serving and free; accepts NULL. */
void httpd_stop(struct httpd *h);

#endif
