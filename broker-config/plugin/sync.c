/*
 * sync.c - keeps the principal store current: POST
 * {service_url}/internal/broker/sync with {"after": position, "store": id}
 * (docs/broker-protocol.md, "Sync").
 *
 * Once at init, on the broker thread, before the listeners open (Mosquitto
 * 2.0.11 calls plugin init after dropping privileges and restoring
 * persistence, before listeners start): pages are fetched and applied until
 * "more" is false, all within timeout_ms. A failure there only leaves the
 * principals of the state file unconfirmed (their CONNECTs are misses).
 *
 * Then every interval_ms from a background thread with its own curl handle.
 * The thread never parses: it hands the raw reply body (libc-allocated) to
 * the broker thread, which parses and applies it at the next MOSQ_EVT_TICK
 * (cs_sync__tick) and sets the next request (after, store). The thread does
 * not call again before that, so a reply is never applied twice or out of
 * order; "more" makes it call again at once. Like the events.c sender, the
 * thread calls no mosquitto_* function, no cJSON and never logs: its
 * messages wait in s->log for the TICK (see events.c for why).
 *
 * Applying a reply: "reset" (or a store id other than the one held, null
 * when the service's store is still empty) drops every principal; "principals" update only held entries (cs_principals__update:
 * verifier dropped when credential_version changed, entries a newer command
 * touched are left alone); "removed" drops; tenancy and default_org are
 * kept for the quota of the internal user's publishes (orgs.c). The cursor
 * moves to "position". When a reply says more=false every held principal
 * is confirmed: the state file's entries start to admit only then.
 * A reply that does not parse changes nothing.
 */
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloudsignal.h"

#define CS_LOCK(s)   pthread_mutex_lock(&(s)->lock)
#define CS_UNLOCK(s) pthread_mutex_unlock(&(s)->lock)

/* Lock held (thread), or before the thread starts. */
__attribute__((format(printf, 3, 4)))
static void cs_sync__note(struct cs_sync *s, int level, const char *fmt, ...)
{
	va_list va;

	if(s->log_count >= CS_EVENTS_LOG_SLOTS){
		s->log_lost++;
		return;
	}
	va_start(va, fmt);
	vsnprintf(s->log[s->log_count].text, CS_EVENTS_LOG_LEN, fmt, va);
	va_end(va);
	s->log[s->log_count].level = level;
	s->log_count++;
}

/* {"after":N,"store":"id"|null}, libc-allocated (either thread). The store
 * id was validated when it was accepted (no quote, no backslash). */
char *cs_sync__request_body(int64_t after, const char *store, size_t *len)
{
	size_t cap = 64 + strlen(store);
	char *body = malloc(cap);
	int n;

	if(body == NULL) return NULL;
	if(store[0]){
		n = snprintf(body, cap, "{\"after\":%" PRId64 ",\"store\":\"%s\"}", after, store);
	}else{
		n = snprintf(body, cap, "{\"after\":%" PRId64 ",\"store\":null}", after);
	}
	if(n < 0 || (size_t)n >= cap){
		free(body);
		return NULL;
	}
	*len = (size_t)n;
	return body;
}

/* POST one request with h; on success *reply and *len get a libc copy of the
 * body. why: a message on failure. Any thread (h is that thread's). */
static int cs_sync__call(struct cs_http *h, int64_t after, const char *store, bool retained, const char *broker,
		long timeout_ms, char **reply, size_t *len, char *why, size_t whylen)
{
	const char *error = "unknown error";
	long status = 0;
	size_t blen = 0;
	char *body = cs_sync__request_body(after, store, &blen);
	int rc;

	*reply = NULL;
	if(body && retained){
		/* Ask for the retained topics too (retained.c): ..., "retained": true} */
		char *longer = realloc(body, blen + 32);

		if(longer == NULL){
			free(body);
			body = NULL;
		}else{
			body = longer;
			blen = (size_t)(blen - 1) + (size_t)sprintf(body + blen - 1, ",\"retained\":true}");
		}
	}
	if(body && broker && broker[0]){
		/* Several brokers: this broker's name (validated, no quotes): ..., "broker": "NAME"} */
		char *longer = realloc(body, blen + 16 + strlen(broker));

		if(longer == NULL){
			free(body);
			body = NULL;
		}else{
			body = longer;
			blen = (size_t)(blen - 1) + (size_t)sprintf(body + blen - 1, ",\"broker\":\"%s\"}", broker);
		}
	}
	if(body == NULL){
		snprintf(why, whylen, "out of memory");
		return MOSQ_ERR_NOMEM;
	}
	if(cs_http__set_timeout(h, timeout_ms) != MOSQ_ERR_SUCCESS){
		free(body);
		snprintf(why, whylen, "cannot set the timeout");
		return MOSQ_ERR_UNKNOWN;
	}
	rc = cs_http__post(h, body, blen, &status, &error);
	free(body);
	if(rc != MOSQ_ERR_SUCCESS){
		snprintf(why, whylen, "service unreachable: %s", error ? error : "unknown error");
		return rc;
	}
	if(status != 200){
		snprintf(why, whylen, "service returned HTTP %ld", status);
		return MOSQ_ERR_UNKNOWN;
	}
	*reply = malloc(h->reply_len + 1);
	if(*reply == NULL){
		snprintf(why, whylen, "out of memory");
		return MOSQ_ERR_NOMEM;
	}
	memcpy(*reply, h->reply, h->reply_len + 1);
	*len = h->reply_len;
	return MOSQ_ERR_SUCCESS;
}

/* ---- applying a reply (broker thread) -------------------------------------- */

static bool cs_sync__valid_store(const char *id)
{
	size_t n = strlen(id);

	if(n == 0 || n > CS_MAX_STORE_ID_LEN) return false;
	for(; *id; id++){
		if(*id < 0x21 || *id > 0x7e || *id == '"' || *id == '\\') return false;
	}
	return true;
}

static void cs_sync__free_list(struct cs_principal **list, int n)
{
	for(int i = 0; i < n; i++) cs_principals__free(list[i]);
	mosquitto_free(list);
}

int cs_sync__apply(struct cs_plugin *cs, const char *body, size_t len, bool *more, const char **error)
{
	cJSON *tree;
	const cJSON *store, *pos, *reset, *more_item, *principals, *removed, *tenancy, *def_org, *item, *retained;
	struct cs_principal **list = NULL;
	int count = 0, n = 0, rc = MOSQ_ERR_INVAL;
	double v;
	int64_t position;
	bool drop_all;
	const char *store_id;

	*more = false;
	tree = cJSON_ParseWithLength(body, len);
	if(!cJSON_IsObject(tree)){
		*error = "reply is not a JSON object";
		goto done;
	}
	/* null: the service's store holds no event yet. */
	store = cJSON_GetObjectItemCaseSensitive(tree, "store");
	if(!cJSON_IsNull(store) && !(cJSON_IsString(store) && cs_sync__valid_store(store->valuestring))){
		*error = "missing or invalid 'store'";
		goto done;
	}
	store_id = cJSON_IsString(store) ? store->valuestring : "";
	pos = cJSON_GetObjectItemCaseSensitive(tree, "position");
	v = cJSON_IsNumber(pos) ? pos->valuedouble : -1;
	if(!isfinite(v) || v < 0 || v > (double)CS_MAX_POSITION || v != (double)(int64_t)v){
		*error = "missing or invalid 'position'";
		goto done;
	}
	position = (int64_t)v;
	reset = cJSON_GetObjectItemCaseSensitive(tree, "reset");
	more_item = cJSON_GetObjectItemCaseSensitive(tree, "more");
	if((reset && !cJSON_IsBool(reset)) || (more_item && !cJSON_IsBool(more_item))){
		*error = "'reset' and 'more' must be booleans";
		goto done;
	}
	principals = cJSON_GetObjectItemCaseSensitive(tree, "principals");
	removed = cJSON_GetObjectItemCaseSensitive(tree, "removed");
	if((principals && !cJSON_IsNull(principals) && !cJSON_IsArray(principals))
			|| (removed && !cJSON_IsNull(removed) && !cJSON_IsArray(removed))){
		*error = "'principals' and 'removed' must be arrays";
		goto done;
	}
	cJSON_ArrayForEach(item, removed){
		if(!cJSON_IsString(item)){
			*error = "'removed' must hold usernames";
			goto done;
		}
	}
	tenancy = cJSON_GetObjectItemCaseSensitive(tree, "tenancy");
	if(tenancy && !cJSON_IsNull(tenancy) && !(cJSON_IsString(tenancy)
				&& (!strcmp(tenancy->valuestring, "single") || !strcmp(tenancy->valuestring, "multi")))){
		*error = "'tenancy' must be \"single\" or \"multi\"";
		goto done;
	}
	def_org = cJSON_GetObjectItemCaseSensitive(tree, "default_org");
	if(def_org && !cJSON_IsNull(def_org) && !(cJSON_IsString(def_org) && def_org->valuestring[0]
				&& strlen(def_org->valuestring) <= CS_MAX_ORG_ID_LEN && !strchr(def_org->valuestring, '@'))){
		*error = "invalid 'default_org'";
		goto done;
	}

	/* Parse every principal before changing anything. */
	count = cJSON_IsArray(principals) ? cJSON_GetArraySize(principals) : 0;
	if(count > 0){
		list = mosquitto_calloc((size_t)count, sizeof(*list));
		if(list == NULL){
			*error = "out of memory";
			rc = MOSQ_ERR_NOMEM;
			goto done;
		}
		cJSON_ArrayForEach(item, principals){
			rc = cs_principals__parse(item, &list[n], error);
			if(rc != MOSQ_ERR_SUCCESS) goto done;
			n++;
		}
	}

	/* Apply. */
	drop_all = cJSON_IsTrue(reset) || (cs->store_id[0] && strcmp(cs->store_id, store_id));
	if(drop_all){
		if(cs->principals){
			mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: sync reset: dropping %u principals",
					HASH_COUNT(cs->principals));
		}
		cs_principals__drop_all(cs);
		cs->applied_position = 0;
	}
	rc = MOSQ_ERR_SUCCESS;
	for(int i = 0; i < n; i++){
		/* Out of memory drops that principal: a later miss, never stale. */
		if(cs_principals__update(cs, list[i], position) != MOSQ_ERR_SUCCESS) rc = MOSQ_ERR_NOMEM;
	}
	cJSON_ArrayForEach(item, removed){
		struct cs_principal *p = cs_principals__find(cs, item->valuestring);

		if(p && p->position <= position) cs_principals__drop(cs, item->valuestring);
	}
	if(cJSON_IsString(tenancy)){
		cs->tenancy = strcmp(tenancy->valuestring, "multi") ? CS_TENANCY_SINGLE : CS_TENANCY_MULTI;
	}
	if(cJSON_IsString(def_org)){
		strcpy(cs->default_org, def_org->valuestring);
	}else if(def_org){
		cs->default_org[0] = '\0';
	}
	if(strcmp(cs->store_id, store_id) || cs->position != position) cs->state_position_dirty = true;
	strcpy(cs->store_id, store_id);
	cs->position = position;
	cs_principals__applied(cs, position);
	retained = cJSON_GetObjectItemCaseSensitive(tree, "retained");
	if(retained && !cJSON_IsNull(retained)){
		const char *why = NULL;

		if(cs_retained__load(cs, retained, &why) == MOSQ_ERR_INVAL){
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: sync: retained topics not loaded: %s", why);
		}
	}
	*more = cJSON_IsTrue(more_item);
	if(!*more){
		struct cs_principal *p, *tmp;

		HASH_ITER(hh, cs->principals, p, tmp){
			if(!p->confirmed){
				p->confirmed = true;
				cs->state_dirty = true;
			}
		}
		cs->sync.last_ok_ms = cs->now_ms();
	}
	if(rc != MOSQ_ERR_SUCCESS) *error = "out of memory";

done:
	cs_sync__free_list(list, n);
	cJSON_Delete(tree);
	return rc;
}

/* ---- the thread ------------------------------------------------------------ */

/* Aborts a call still running when the plugin stops. */
static int cs_sync__progress_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
		curl_off_t ultotal, curl_off_t ulnow)
{
	struct cs_sync *s = userdata;
	bool stop;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	CS_LOCK(s);
	stop = s->stop;
	CS_UNLOCK(s);
	return stop ? 1 : 0;
}

static void cs_sync__wait_until(struct cs_sync *s, int64_t deadline_ms)
{
	struct timespec ts;

	if(deadline_ms < 0) deadline_ms = 0;
	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000;
	pthread_cond_timedwait(&s->cond, &s->lock, &ts);
}

static void *cs_sync__main(void *arg)
{
	struct cs_sync *s = arg;
	int64_t next_ms = cs_util__now_ms() + s->interval_ms;
	char why[CS_EVENTS_LOG_LEN / 2];

	CS_LOCK(s);
	while(!s->stop){
		char store[CS_MAX_STORE_ID_LEN + 1];
		int64_t after;
		bool retained;
		char *reply = NULL;
		size_t len = 0;
		int rc;

		/* One reply at a time: wait until the broker thread took the last. */
		if(s->waiting || (!s->now && cs_util__now_ms() < next_ms)){
			if(s->waiting){
				pthread_cond_wait(&s->cond, &s->lock);
			}else{
				cs_sync__wait_until(s, next_ms);
			}
			continue;
		}
		s->now = false;
		after = s->after;
		retained = s->want_retained;
		memcpy(store, s->store, sizeof(store));
		CS_UNLOCK(s);
		rc = cs_sync__call(&s->http, after, store, retained, s->broker_name, s->timeout_ms, &reply, &len, why, sizeof(why));
		CS_LOCK(s);
		next_ms = cs_util__now_ms() + s->interval_ms;
		if(rc == MOSQ_ERR_SUCCESS){
			if(s->thread_failures){
				cs_sync__note(s, MOSQ_LOG_NOTICE, "cloudsignal: sync works again (after %u failed attempts)", s->thread_failures);
			}
			s->thread_failures = 0;
			s->reply = reply;
			s->reply_len = len;
			s->waiting = true;
		}else if(!s->stop){
			if(s->thread_failures == 0){
				cs_sync__note(s, MOSQ_LOG_WARNING, "cloudsignal: sync failed: %s; retrying every %ld ms", why, s->interval_ms);
			}
			s->thread_failures++;
		}
	}
	CS_UNLOCK(s);
	return NULL;
}

/* ---- lifecycle (broker thread) --------------------------------------------- */

int cs_sync__init(struct cs_sync *s, const char *url, const char *secret, long timeout_ms, long interval_ms)
{
	pthread_condattr_t attr;

	s->timeout_ms = timeout_ms;
	s->interval_ms = interval_ms;
	if(pthread_mutex_init(&s->lock, NULL) != 0) goto error;
	if(pthread_condattr_init(&attr) != 0){
		pthread_mutex_destroy(&s->lock);
		goto error;
	}
	if(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&s->cond, &attr) != 0){
		pthread_condattr_destroy(&attr);
		pthread_mutex_destroy(&s->lock);
		goto error;
	}
	pthread_condattr_destroy(&attr);
	s->sync_ready = true;
	if(cs_http__init_large(&s->http, url, secret, timeout_ms, CS_SYNC_MAX_REPLY_BYTES) != MOSQ_ERR_SUCCESS
			|| curl_easy_setopt(s->http.curl, CURLOPT_XFERINFOFUNCTION, cs_sync__progress_cb) != CURLE_OK
			|| curl_easy_setopt(s->http.curl, CURLOPT_XFERINFODATA, s) != CURLE_OK
			|| curl_easy_setopt(s->http.curl, CURLOPT_NOPROGRESS, 0L) != CURLE_OK){
		goto error;
	}
	return MOSQ_ERR_SUCCESS;

error:
	mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot set up the sync client");
	return MOSQ_ERR_NOMEM;
}

/* Init, before the listeners open: sync until done or timeout_ms is spent. */
void cs_sync__initial(struct cs_plugin *cs)
{
	int64_t deadline = cs_util__now_ms() + cs->sync.timeout_ms;
	char why[CS_EVENTS_LOG_LEN / 2];
	unsigned pages = 0;

	for(;;){
		int64_t left = deadline - cs_util__now_ms();
		const char *error = NULL;
		char *reply = NULL;
		size_t len = 0;
		bool more = false;
		int rc;

		if(left <= 0){
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: initial sync not finished within %ld ms (%u pages): "
					"the background sync continues", cs->sync.timeout_ms, pages);
			break;
		}
		rc = cs_sync__call(&cs->sync.http, cs->position, cs->store_id, !cs->retained_loaded, cs->sync.broker_name,
				(long)left, &reply, &len, why, sizeof(why));
		if(rc != MOSQ_ERR_SUCCESS){
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: initial sync failed: %s; %u principals stay unconfirmed",
					why, HASH_COUNT(cs->principals));
			cs->sync.failures++;
			break;
		}
		rc = cs_sync__apply(cs, reply, len, &more, &error);
		free(reply);
		if(rc != MOSQ_ERR_SUCCESS){
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: initial sync: unusable reply: %s", error);
			cs->sync.failures++;
			break;
		}
		pages++;
		if(!more){
			mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: synced to position %lld (%u principals held)",
					(long long)cs->position, HASH_COUNT(cs->principals));
			break;
		}
	}
}

int cs_sync__start(struct cs_plugin *cs)
{
	struct cs_sync *s = &cs->sync;
	sigset_t all, old;
	int rc;

	if(!s->sync_ready || s->running) return MOSQ_ERR_INVAL;
	s->after = cs->position;
	s->want_retained = !cs->retained_loaded;
	strcpy(s->store, cs->store_id);
	/* Broker signals must go to the broker thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, cs_sync__main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if(rc != 0){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot start the sync thread: %s", strerror(rc));
		return MOSQ_ERR_UNKNOWN;
	}
	s->running = true;
	return MOSQ_ERR_SUCCESS;
}

/* TICK: log the thread's messages, apply a waiting reply, set the next
 * request. */
void cs_sync__tick(struct cs_plugin *cs)
{
	struct cs_sync *s = &cs->sync;
	struct cs_events_log log[CS_EVENTS_LOG_SLOTS];
	char *reply;
	size_t len;
	int count;
	unsigned lost;
	bool more = false;
	const char *error = NULL;

	if(!s->sync_ready) return;
	CS_LOCK(s);
	count = s->log_count;
	lost = s->log_lost;
	if(count > 0) memcpy(log, s->log, sizeof(log[0]) * (size_t)count);
	s->log_count = 0;
	s->log_lost = 0;
	reply = s->waiting ? s->reply : NULL;
	len = s->reply_len;
	s->reply = NULL;
	CS_UNLOCK(s);

	for(int i = 0; i < count; i++) mosquitto_log_printf(log[i].level, "%s", log[i].text);
	if(lost) mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: %u more sync messages not logged", lost);
	if(reply == NULL) return;

	if(cs_sync__apply(cs, reply, len, &more, &error) != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: sync: unusable reply: %s", error);
		more = false;
	}
	free(reply);

	CS_LOCK(s);
	s->after = cs->position;
	s->want_retained = !cs->retained_loaded;
	strcpy(s->store, cs->store_id);
	s->waiting = false;
	s->now = more;
	pthread_cond_signal(&s->cond);
	CS_UNLOCK(s);
}

void cs_sync__stop(struct cs_sync *s)
{
	if(!s->running) return;
	CS_LOCK(s);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	CS_UNLOCK(s);
	pthread_join(s->thread, NULL);
	s->running = false;
}

void cs_sync__cleanup(struct cs_sync *s)
{
	cs_sync__stop(s);
	if(s->sync_ready){
		for(int i = 0; i < s->log_count; i++) mosquitto_log_printf(s->log[i].level, "%s", s->log[i].text);
		s->log_count = 0;
		free(s->reply);
		s->reply = NULL;
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		s->sync_ready = false;
	}
	cs_http__cleanup(&s->http);
}
