/* sink_chat.c: the chat channels (Slack incoming webhooks, Telegram Bot
 * API sendMessage, Discord webhooks): one grouped text message each. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commander/sink.h"
#include "common/util.h"

#define TEXT_MAX 16384

static int
slack_format(const struct sink_conf *c, const struct alert *a, size_t n,
             struct sink_req *out)
{
	char text[TEXT_MAX], section[3001];
	cJSON *root = cJSON_CreateObject(), *blocks, *b, *t;

	sink_render_text(a, n, text, sizeof(text));
	/* a section block holds at most 3000 characters */
	util_strlcpy(section, text, sizeof(section));
	sink_cut_utf8(section, 3000);
	memset(out, 0, sizeof(*out));
	util_strlcpy(out->url, c->url, sizeof(out->url));
	if (root == NULL)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "text", text);
	blocks = cJSON_AddArrayToObject(root, "blocks");
	b = cJSON_CreateObject();
	cJSON_AddItemToArray(blocks, b);
	cJSON_AddStringToObject(b, "type", "section");
	t = cJSON_AddObjectToObject(b, "text");
	cJSON_AddStringToObject(t, "type", "mrkdwn");
	cJSON_AddStringToObject(t, "text", section);
	return sink_json_out(root, out);
}

static enum sink_outcome
slack_classify(long status, const char *body, size_t len, long ra,
               uint64_t *retry_ms)
{
	return sink_classify_http(status, ra, retry_ms);
}

static int
telegram_format(const struct sink_conf *c, const struct alert *a, size_t n,
                struct sink_req *out)
{
	char raw[TEXT_MAX], esc[2 * TEXT_MAX + 64];
	cJSON *root;

	sink_render_text(a, n, raw, sizeof(raw));
	/* the limit is 4096 characters after entity parsing: cut the plain
	 * text (escapes do not count), keeping room for the heading */
	sink_cut_utf8(raw, 4000);
	if (c->html) {
		size_t h =
		    (size_t)snprintf(esc, sizeof(esc), "<b>sextant</b>\n");
		sink_escape_html(raw, esc + h, sizeof(esc) - h);
	} else {
		size_t h = (size_t)snprintf(esc, sizeof(esc), "*sextant*\n");
		sink_escape_mdv2(raw, esc + h, sizeof(esc) - h);
	}
	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(out->url, sizeof(out->url), "%s/bot%s/sendMessage",
	                     c->url, c->token) >= sizeof(out->url))
		return -EINVAL;
	if ((root = cJSON_CreateObject()) == NULL)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "chat_id", c->chat_id);
	cJSON_AddStringToObject(root, "text", esc);
	cJSON_AddStringToObject(root, "parse_mode",
	                        c->html ? "HTML" : "MarkdownV2");
	cJSON_AddBoolToObject(root, "disable_web_page_preview", 1);
	return sink_json_out(root, out);
}

static enum sink_outcome
telegram_classify(long status, const char *body, size_t len, long ra,
                  uint64_t *retry_ms)
{
	enum sink_outcome o = sink_classify_http(status, ra, retry_ms);
	cJSON *root, *p, *r;

	/* Telegram names its wait in the body: parameters.retry_after */
	if (status == 429 && body && len < 65536 &&
	    (root = cJSON_ParseWithLength(body, len)) != NULL) {
		p = cJSON_GetObjectItemCaseSensitive(root, "parameters");
		r = cJSON_GetObjectItemCaseSensitive(p, "retry_after");
		if (cJSON_IsNumber(r) && r->valuedouble > 0 &&
		    r->valuedouble < 86400)
			*retry_ms = (uint64_t)(r->valuedouble * 1000);
		cJSON_Delete(root);
	}
	return o;
}

static int
discord_format(const struct sink_conf *c, const struct alert *a, size_t n,
               struct sink_req *out)
{
	char text[TEXT_MAX];
	cJSON *root;

	sink_render_text(a, n, text, sizeof(text));
	sink_cut_utf8(text, 2000);
	memset(out, 0, sizeof(*out));
	util_strlcpy(out->url, c->url, sizeof(out->url));
	if ((root = cJSON_CreateObject()) == NULL)
		return -ENOMEM;
	cJSON_AddStringToObject(root, "content", text);
	cJSON_AddStringToObject(root, "username", "sextant");
	/* nobody gets pinged by a node name that looks like a mention */
	cJSON_AddArrayToObject(
	    cJSON_AddObjectToObject(root, "allowed_mentions"), "parse");
	return sink_json_out(root, out);
}

static enum sink_outcome
discord_classify(long status, const char *body, size_t len, long ra,
                 uint64_t *retry_ms)
{
	enum sink_outcome o = sink_classify_http(status, ra, retry_ms);
	cJSON *root, *r;

	/* Discord's retry_after is a float number of seconds */
	if (status == 429 && body && len < 65536 &&
	    (root = cJSON_ParseWithLength(body, len)) != NULL) {
		r = cJSON_GetObjectItemCaseSensitive(root, "retry_after");
		if (cJSON_IsNumber(r) && r->valuedouble > 0 &&
		    r->valuedouble < 86400)
			*retry_ms = (uint64_t)ceil(r->valuedouble * 1000);
		cJSON_Delete(root);
	}
	return o;
}

const struct sink_ops sink_slack_ops = {
    .type = SINK_SLACK,
    .name = "slack",
    .max_batch = 32,
    .format = slack_format,
    .classify = slack_classify,
};

const struct sink_ops sink_telegram_ops = {
    .type = SINK_TELEGRAM,
    .name = "telegram",
    .max_batch = 32,
    .format = telegram_format,
    .classify = telegram_classify,
};

const struct sink_ops sink_discord_ops = {
    .type = SINK_DISCORD,
    .name = "discord",
    .max_batch = 16,
    .format = discord_format,
    .classify = discord_classify,
};
