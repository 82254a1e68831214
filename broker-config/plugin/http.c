/*
 * http.c - minimal libcurl wrapper: one easy handle, configured once and
 * reused for every call so the connection to the service is kept alive.
 * A struct cs_http belongs to one thread: the broker thread has one for
 * authentication, the events.c sender thread and the sync.c poller their
 * own. The sync handle's reply buffer is libc-allocated and grows on the
 * poller thread (cs_http__init_large), since mosquitto_malloc is not
 * thread-safe.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cloudsignal.h"

/* Collect the reply into the buffer (growing a libc one); abort beyond the cap. */
static size_t cs_http__write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct cs_http *h = userdata;
	size_t n = size * nmemb;

	if(n > h->max_reply - h->reply_len){
		h->too_large = true;
		return 0;
	}
	if(h->reply_len + n + 1 > h->reply_cap){
		size_t cap = h->reply_cap;
		char *bigger;

		if(!h->libc_reply) return 0; /* cannot happen: cap is max_reply + 1 */
		while(cap < h->reply_len + n + 1) cap *= 2;
		if(cap > h->max_reply + 1) cap = h->max_reply + 1;
		bigger = realloc(h->reply, cap);
		if(bigger == NULL) return 0;
		h->reply = bigger;
		h->reply_cap = cap;
	}
	memcpy(h->reply + h->reply_len, ptr, n);
	h->reply_len += n;
	return n;
}

#define CS_SETOPT(h, opt, val) \
	do{ if(curl_easy_setopt((h)->curl, (opt), (val)) != CURLE_OK) goto error; }while(0)

int cs_http__init(struct cs_http *h, const char *url, const char *secret, long timeout_ms)
{
	struct curl_slist *list;
	char *auth = NULL;
	size_t auth_len;

	if(!h->libc_reply){
		memset(h, 0, sizeof(*h));
		h->max_reply = CS_MAX_REPLY_BYTES;
		h->reply_cap = CS_MAX_REPLY_BYTES + 1;
		h->reply = mosquitto_malloc(h->reply_cap);
	}
	if(h->reply == NULL) goto error;
	h->curl = curl_easy_init();
	if(h->curl == NULL) goto error;

	/* curl_slist_append copies the string; wipe our copy of the secret. */
	auth_len = strlen("Authorization: Bearer ") + strlen(secret) + 1;
	auth = mosquitto_malloc(auth_len);
	if(auth == NULL) goto error;
	snprintf(auth, auth_len, "Authorization: Bearer %s", secret);
	list = curl_slist_append(NULL, auth);
	OPENSSL_cleanse(auth, auth_len);
	mosquitto_free(auth);
	if(list == NULL) goto error;
	h->headers = list;
	list = curl_slist_append(h->headers, "Content-Type: application/json");
	if(list == NULL) goto error;
	list = curl_slist_append(h->headers, "Accept: application/json");
	if(list == NULL) goto error;
	/* No "Expect: 100-continue" round trip for larger bodies. */
	list = curl_slist_append(h->headers, "Expect:");
	if(list == NULL) goto error;

	CS_SETOPT(h, CURLOPT_URL, url);
	CS_SETOPT(h, CURLOPT_HTTPHEADER, h->headers);
	CS_SETOPT(h, CURLOPT_POST, 1L);
	CS_SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	CS_SETOPT(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	CS_SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	CS_SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	CS_SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
	CS_SETOPT(h, CURLOPT_USERAGENT, "cloudsignal-mosquitto-plugin/1");
	CS_SETOPT(h, CURLOPT_WRITEFUNCTION, cs_http__write_cb);
	CS_SETOPT(h, CURLOPT_WRITEDATA, h);
	CS_SETOPT(h, CURLOPT_ERRORBUFFER, h->errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
	CS_SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	return MOSQ_ERR_SUCCESS;

error:
	cs_http__cleanup(h);
	return MOSQ_ERR_NOMEM;
}

/* Like cs_http__init, for replies up to max_reply bytes in a libc buffer
 * that starts at 64 KiB and grows as needed. */
int cs_http__init_large(struct cs_http *h, const char *url, const char *secret, long timeout_ms, size_t max_reply)
{
	memset(h, 0, sizeof(*h));
	h->libc_reply = true;
	h->max_reply = max_reply;
	h->reply_cap = 65536;
	h->reply = malloc(h->reply_cap);
	return cs_http__init(h, url, secret, timeout_ms);
}

/* POST body; on success *status holds the HTTP status and h->reply the
 * NUL-terminated reply. On transport failure *error says why. */
int cs_http__post(struct cs_http *h, const char *body, size_t len, long *status, const char **error)
{
	CURLcode code;

	*status = 0;
	h->reply_len = 0;
	h->reply[0] = '\0';
	h->too_large = false;
	h->errbuf[0] = '\0';

	if(curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)len) != CURLE_OK
			|| curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body) != CURLE_OK){
		*error = "cannot set request body";
		return MOSQ_ERR_UNKNOWN;
	}
	code = curl_easy_perform(h->curl);
	/* The body holds a password and is freed by the caller: forget it. */
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, 0L);
	if(code != CURLE_OK){
		*error = h->too_large ? "reply too large" : curl_easy_strerror(code);
		return MOSQ_ERR_UNKNOWN;
	}
	if(curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status) != CURLE_OK){
		*error = "no HTTP status";
		return MOSQ_ERR_UNKNOWN;
	}
	h->reply[h->reply_len] = '\0';
	return MOSQ_ERR_SUCCESS;
}

/* Total and connect timeout of the following calls. */
int cs_http__set_timeout(struct cs_http *h, long timeout_ms)
{
	if(timeout_ms < 1) timeout_ms = 1;
	if(curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK
			|| curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK){
		return MOSQ_ERR_UNKNOWN;
	}
	return MOSQ_ERR_SUCCESS;
}

void cs_http__cleanup(struct cs_http *h)
{
	if(h->curl) curl_easy_cleanup(h->curl);
	h->curl = NULL;
	if(h->headers){
		/* The first header carries the broker secret. */
		OPENSSL_cleanse(h->headers->data, strlen(h->headers->data));
		curl_slist_free_all(h->headers);
	}
	h->headers = NULL;
	if(h->libc_reply){
		free(h->reply);
	}else{
		mosquitto_free(h->reply);
	}
	h->reply = NULL;
}
