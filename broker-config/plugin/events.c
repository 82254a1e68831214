/*
 * events.c - session events for the service (broker_started, connected,
 * disconnected), POSTed in batches to {service_url}/internal/broker/events
 * by one background thread, so the broker loop never waits on the service.
 *
 * Besides session events the broker thread queues reports: "stats" (CONNECT
 * decision counters, every CS_STATS_INTERVAL_MS when any is non-zero) and
 * "quota_refused" (orgs.c).
 *
 * Broker thread: builds each event with cJSON, prints it, and appends the
 * ready JSON string to a bounded queue (mutex held for O(1) work, no I/O).
 * Past max_queued the oldest queued event is dropped and counted.
 *
 * Sender thread: waits until batch_min events are queued or linger_ms has
 * passed since the oldest was queued, takes up to batch_max, and POSTs
 * {"broker_id": "<16 hex>", "events": [...]} with its own easy handle. A
 * failed POST (transport error or non-2xx) is retried with the same body
 * after a backoff doubling from backoff_min_ms up to backoff_max_ms, so
 * events arrive in order. On stop: one last try for everything still
 * queued, bounded by timeout_ms, then the thread exits.
 *
 * Logging: the sender never calls mosquitto_log_printf. In 2.0.11 it is
 * not thread-safe as a whole: its fprintf to stdout/stderr/log file is
 * locked per FILE by glibc, but log__vprintf also uses localtime() (static
 * buffer) with log_timestamp_format and, with "log_dest topic",
 * db__messages_easy_queue(), which edits the broker's message store without
 * any lock. So the sender records its messages in ev->log and
 * cs_events__tick() logs them from MOSQ_EVT_TICK on the broker thread. For
 * the same reason the sender calls no mosquitto_* function at all (the
 * mosquitto_malloc/free accounting counters are not atomic) and no cJSON
 * (its allocator hooks are process-wide): only libc, libcurl and this file.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "cloudsignal.h"

#define CS_LOCK(ev)   pthread_mutex_lock(&(ev)->lock)
#define CS_UNLOCK(ev) pthread_mutex_unlock(&(ev)->lock)

/* Record a message for cs_events__tick(). Lock held. */
__attribute__((format(printf, 3, 4)))
static void cs_events__note(struct cs_events *ev, int level, const char *fmt, ...)
{
	va_list va;

	if(ev->log_count >= CS_EVENTS_LOG_SLOTS){
		ev->log_lost++;
		return;
	}
	va_start(va, fmt);
	vsnprintf(ev->log[ev->log_count].text, CS_EVENTS_LOG_LEN, fmt, va);
	va_end(va);
	ev->log[ev->log_count].level = level;
	ev->log_count++;
}

/* Broker thread (MOSQ_EVT_TICK, cleanup): log what the sender recorded. */
void cs_events__tick(struct cs_events *ev)
{
	struct cs_events_log log[CS_EVENTS_LOG_SLOTS];
	int count;
	unsigned lost;

	if(!ev->sync_ready) return;
	CS_LOCK(ev);
	count = ev->log_count;
	lost = ev->log_lost;
	if(count > 0) memcpy(log, ev->log, sizeof(log[0]) * (size_t)count);
	ev->log_count = 0;
	ev->log_lost = 0;
	CS_UNLOCK(ev);

	for(int i = 0; i < count; i++) mosquitto_log_printf(log[i].level, "%s", log[i].text);
	if(lost) mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: %u more session event sender messages not logged", lost);
}

/* ---- queue --------------------------------------------------------------- */

void cs_events__free_list(struct cs_event *list)
{
	while(list){
		struct cs_event *next = list->next;

		free(list);
		list = next;
	}
}

/* Broker thread: append one ready JSON event (copied). O(1), no I/O. */
int cs_events__enqueue(struct cs_events *ev, const char *json, size_t len)
{
	struct cs_event *e, *dropped = NULL;
	size_t count;

	if(!ev->sync_ready) return MOSQ_ERR_INVAL;
	e = malloc(sizeof(struct cs_event) + len + 1);
	if(e == NULL) return MOSQ_ERR_NOMEM;
	e->next = NULL;
	e->len = len;
	memcpy(e->json, json, len);
	e->json[len] = '\0';
	e->queued_ms = cs_util__now_ms();

	CS_LOCK(ev);
	if(ev->count >= ev->max_queued && ev->head){
		dropped = ev->head;
		ev->head = dropped->next;
		if(ev->head == NULL) ev->tail = NULL;
		ev->count--;
		ev->dropped++;
	}
	if(ev->tail){
		ev->tail->next = e;
	}else{
		ev->head = e;
	}
	ev->tail = e;
	ev->count++;
	count = ev->count;
	/* The sender waits for the first event or for a full batch. */
	if(count == 1 || count == ev->batch_min) pthread_cond_signal(&ev->cond);
	CS_UNLOCK(ev);

	free(dropped);
	if(dropped && !ev->queue_full_logged){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: session event queue full (%zu events): dropping the oldest", ev->max_queued);
		ev->queue_full_logged = true;
	}else if(!dropped && count <= ev->max_queued / 2){
		ev->queue_full_logged = false;
	}
	return MOSQ_ERR_SUCCESS;
}

/* Lock held: is a batch due? */
bool cs_events__ready(const struct cs_events *ev, int64_t now_ms)
{
	return ev->count > 0
		&& (ev->count >= ev->batch_min || now_ms - ev->head->queued_ms >= ev->linger_ms);
}

/* Lock held: detach up to max of the oldest events, in order. */
size_t cs_events__take(struct cs_events *ev, size_t max, struct cs_event **batch)
{
	struct cs_event *last = NULL;
	size_t n = 0;

	*batch = NULL;
	for(struct cs_event *e = ev->head; e && n < max; e = e->next){
		last = e;
		n++;
	}
	if(n == 0) return 0;
	*batch = ev->head;
	ev->head = last->next;
	if(ev->head == NULL) ev->tail = NULL;
	last->next = NULL;
	ev->count -= n;
	return n;
}

/* {"broker_id":"...","events":[e1,e2,...]}, libc-allocated. */
char *cs_events__body(const struct cs_events *ev, const struct cs_event *batch, size_t *len)
{
	char prefix[64 + CS_MAX_BROKER_NAME_LEN + 16];
	int plen;
	size_t total;
	char *buf, *w;

	if(ev->broker_name[0]){  /* several brokers: which one reports (a broker_started closes its own) */
		plen = snprintf(prefix, sizeof(prefix), "{\"broker_id\":\"%s\",\"broker\":\"%s\",\"events\":[",
				ev->broker_id, ev->broker_name);
	}else{
		plen = snprintf(prefix, sizeof(prefix), "{\"broker_id\":\"%s\",\"events\":[", ev->broker_id);
	}
	if(plen < 0 || (size_t)plen >= sizeof(prefix)) return NULL;
	total = (size_t)plen + strlen("]}") + 1;
	for(const struct cs_event *e = batch; e; e = e->next) total += e->len + 1;

	buf = malloc(total);
	if(buf == NULL) return NULL;
	memcpy(buf, prefix, (size_t)plen);
	w = buf + plen;
	for(const struct cs_event *e = batch; e; e = e->next){
		if(e != batch) *w++ = ',';
		memcpy(w, e->json, e->len);
		w += e->len;
	}
	memcpy(w, "]}", 3);
	*len = (size_t)(w + 2 - buf);
	return buf;
}

int64_t cs_events__next_backoff(const struct cs_events *ev, int64_t backoff_ms)
{
	if(backoff_ms <= 0) return ev->backoff_min_ms;
	return backoff_ms >= ev->backoff_max_ms / 2 ? ev->backoff_max_ms : backoff_ms * 2;
}

/* ---- sender thread ------------------------------------------------------- */

/* Default post: the sender's own easy handle. */
static int cs_events__http_post(struct cs_events *ev, const char *body, size_t len,
		long timeout_ms, long *status, const char **error)
{
	if(cs_http__set_timeout(&ev->http, timeout_ms) != MOSQ_ERR_SUCCESS){
		*error = "cannot set the timeout";
		return MOSQ_ERR_UNKNOWN;
	}
	return cs_http__post(&ev->http, body, len, status, error);
}

/* Aborts a POST still running when the shutdown deadline has passed. */
static int cs_events__progress_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
		curl_off_t ultotal, curl_off_t ulnow)
{
	struct cs_events *ev = userdata;
	bool late;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	CS_LOCK(ev);
	late = ev->stop && cs_util__now_ms() >= ev->stop_deadline_ms;
	CS_UNLOCK(ev);
	return late ? 1 : 0;
}

/* Lock held: sleep until deadline_ms (monotonic), a signal, or a spurious wakeup. */
static void cs_events__wait_until(struct cs_events *ev, int64_t deadline_ms)
{
	struct timespec ts;

	if(deadline_ms < 0) deadline_ms = 0;
	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000;
	pthread_cond_timedwait(&ev->cond, &ev->lock, &ts);
}

/* No lock held: POST one body. On failure, why says what went wrong. */
static bool cs_events__send(struct cs_events *ev, const char *body, size_t len, long timeout_ms,
		char *why, size_t whylen)
{
	const char *error = "unknown error";
	long status = 0;

	if(ev->post(ev, body, len, timeout_ms, &status, &error) != MOSQ_ERR_SUCCESS){
		snprintf(why, whylen, "service unreachable: %s", error ? error : "unknown error");
		return false;
	}
	if(status < 200 || status > 299){
		snprintf(why, whylen, "service returned HTTP %ld", status);
		return false;
	}
	return true;
}

/* Lock held on entry and exit: take a batch and turn it into a body. */
static char *cs_events__next_body(struct cs_events *ev, size_t *n, size_t *len)
{
	struct cs_event *batch;
	char *body;

	*n = cs_events__take(ev, ev->batch_max, &batch);
	if(*n == 0) return NULL;
	CS_UNLOCK(ev);
	body = cs_events__body(ev, batch, len);
	cs_events__free_list(batch);
	CS_LOCK(ev);
	if(body == NULL){
		cs_events__note(ev, MOSQ_LOG_ERR, "cloudsignal: out of memory: dropping %zu session events", *n);
		ev->unsent += *n;
	}
	return body;
}

/* Lock held: after stop, one last try for everything left, until
 * stop_deadline_ms. body/n: a batch still to be delivered, or NULL. */
static void cs_events__final_flush(struct cs_events *ev, char *body, size_t n, size_t len)
{
	char why[CS_EVENTS_LOG_LEN / 2];

	for(;;){
		int64_t left;
		bool ok;

		if(body == NULL){
			if(ev->count == 0) break;
			body = cs_events__next_body(ev, &n, &len);
			if(body == NULL) continue;
		}
		left = ev->stop_deadline_ms - cs_util__now_ms();
		if(left <= 0){
			cs_events__note(ev, MOSQ_LOG_WARNING, "cloudsignal: no time left to post %zu session events at shutdown", n);
			break;
		}
		ev->posts++;
		CS_UNLOCK(ev);
		ok = cs_events__send(ev, body, len, (long)left, why, sizeof(why));
		CS_LOCK(ev);
		if(!ok){
			cs_events__note(ev, MOSQ_LOG_WARNING, "cloudsignal: cannot post %zu session events at shutdown: %s", n, why);
			break;
		}
		ev->posted += n;
		free(body);
		body = NULL;
	}
	if(body){
		ev->unsent += n;
		free(body);
	}
	/* What is still queued is counted and freed by cs_events__cleanup(). */
}

static void *cs_events__main(void *arg)
{
	struct cs_events *ev = arg;
	char *body = NULL;
	size_t n = 0, len = 0;
	int64_t backoff = 0, retry_at = 0;
	unsigned failures = 0;
	char why[CS_EVENTS_LOG_LEN / 2];

	CS_LOCK(ev);
	while(!ev->stop){
		bool ok;

		if(body == NULL){
			if(!cs_events__ready(ev, cs_util__now_ms())){
				if(ev->count == 0){
					pthread_cond_wait(&ev->cond, &ev->lock);
				}else{
					cs_events__wait_until(ev, ev->head->queued_ms + ev->linger_ms);
				}
				continue;
			}
			body = cs_events__next_body(ev, &n, &len);
			if(body == NULL) continue;
		}else if(cs_util__now_ms() < retry_at){
			cs_events__wait_until(ev, retry_at);
			continue;
		}

		ev->posts++;
		CS_UNLOCK(ev);
		ok = cs_events__send(ev, body, len, ev->timeout_ms, why, sizeof(why));
		CS_LOCK(ev);
		if(ok){
			if(failures){
				cs_events__note(ev, MOSQ_LOG_NOTICE, "cloudsignal: posting session events again (after %u failed attempts)", failures);
			}
			if(ev->dropped){
				cs_events__note(ev, MOSQ_LOG_WARNING, "cloudsignal: dropped %" PRIu64 " session events: queue was full (%zu)",
						ev->dropped, ev->max_queued);
				ev->dropped = 0;
			}
			ev->posted += n;
			failures = 0;
			backoff = 0;
			free(body);
			body = NULL;
		}else{
			if(failures == 0){
				cs_events__note(ev, MOSQ_LOG_WARNING, "cloudsignal: cannot post %zu session events: %s; retrying", n, why);
			}
			failures++;
			backoff = cs_events__next_backoff(ev, backoff);
			retry_at = cs_util__now_ms() + backoff;
		}
	}
	cs_events__final_flush(ev, body, n, len);
	CS_UNLOCK(ev);
	return NULL;
}

/* ---- lifecycle ----------------------------------------------------------- */

/* Set up the queue and the sender's HTTP handle, draw this run's broker id
 * and queue broker_started. The thread starts with cs_events__start(). */
int cs_events__init(struct cs_events *ev, const char *url, const char *secret, long timeout_ms)
{
	pthread_condattr_t attr;
	unsigned char id[CS_BROKER_ID_LEN / 2];

	ev->timeout_ms = timeout_ms;
	ev->post = cs_events__http_post;
	ev->max_queued = CS_EVENTS_MAX_QUEUED;
	ev->batch_min = CS_EVENTS_BATCH_MIN;
	ev->batch_max = CS_EVENTS_BATCH_MAX;
	ev->linger_ms = CS_EVENTS_LINGER_MS;
	ev->backoff_min_ms = CS_EVENTS_BACKOFF_MIN_MS;
	ev->backoff_max_ms = CS_EVENTS_BACKOFF_MAX_MS;

	if(RAND_bytes(id, (int)sizeof(id)) != 1){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot get random bytes for the broker id");
		return MOSQ_ERR_UNKNOWN;
	}
	for(size_t i = 0; i < sizeof(id); i++) snprintf(ev->broker_id + 2 * i, 3, "%02x", id[i]);

	if(pthread_mutex_init(&ev->lock, NULL) != 0) goto error;
	if(pthread_condattr_init(&attr) != 0){
		pthread_mutex_destroy(&ev->lock);
		goto error;
	}
	/* Deadlines use cs_util__now_ms(), i.e. CLOCK_MONOTONIC. */
	if(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 || pthread_cond_init(&ev->cond, &attr) != 0){
		pthread_condattr_destroy(&attr);
		pthread_mutex_destroy(&ev->lock);
		goto error;
	}
	pthread_condattr_destroy(&attr);
	ev->sync_ready = true;

	if(cs_http__init(&ev->http, url, secret, timeout_ms) != MOSQ_ERR_SUCCESS
			|| curl_easy_setopt(ev->http.curl, CURLOPT_XFERINFOFUNCTION, cs_events__progress_cb) != CURLE_OK
			|| curl_easy_setopt(ev->http.curl, CURLOPT_XFERINFODATA, ev) != CURLE_OK
			|| curl_easy_setopt(ev->http.curl, CURLOPT_NOPROGRESS, 0L) != CURLE_OK){
		goto error;
	}
	return cs_events__broker_started(ev);

error:
	mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot set up the session event sender");
	return MOSQ_ERR_NOMEM;
}

int cs_events__start(struct cs_events *ev)
{
	sigset_t all, old;
	int rc;

	if(!ev->sync_ready || ev->running) return MOSQ_ERR_INVAL;
	/* Broker signals (SIGTERM, SIGHUP, ...) must go to the broker thread:
	 * the sender starts with every signal blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&ev->thread, NULL, cs_events__main, ev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if(rc != 0){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot start the session event sender: %s", strerror(rc));
		return MOSQ_ERR_UNKNOWN;
	}
	ev->running = true;
	return MOSQ_ERR_SUCCESS;
}

/* Ask the sender for a last flush (bounded by timeout_ms) and join it. */
void cs_events__stop(struct cs_events *ev)
{
	if(!ev->running) return;
	CS_LOCK(ev);
	ev->stop = true;
	ev->stop_deadline_ms = cs_util__now_ms() + ev->timeout_ms;
	pthread_cond_signal(&ev->cond);
	CS_UNLOCK(ev);
	pthread_join(ev->thread, NULL);
	ev->running = false;
}

void cs_events__cleanup(struct cs_events *ev)
{
	cs_events__stop(ev);
	if(ev->sync_ready){
		uint64_t unsent = ev->unsent + ev->count;

		cs_events__tick(ev);
		if(unsent){
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: %" PRIu64 " session events not delivered", unsent);
		}
		cs_events__free_list(ev->head);
		ev->head = ev->tail = NULL;
		ev->count = 0;
		pthread_cond_destroy(&ev->cond);
		pthread_mutex_destroy(&ev->lock);
		ev->sync_ready = false;
	}
	cs_http__cleanup(&ev->http);
}

/* ---- events -------------------------------------------------------------- */

/* Add "at", print and queue. Always deletes o. */
static int cs_events__push(struct cs_events *ev, cJSON *o)
{
	char *json = NULL;
	int rc = MOSQ_ERR_NOMEM;

	if(cJSON_AddNumberToObject(o, "at", (double)cs_util__wall_ms()) == NULL) goto done;
	json = cJSON_PrintUnformatted(o);
	if(json == NULL) goto done;
	rc = cs_events__enqueue(ev, json, strlen(json));
done:
	cJSON_free(json);
	cJSON_Delete(o);
	return rc;
}

/* {"type":"broker_started","at":ms} */
int cs_events__broker_started(struct cs_events *ev)
{
	cJSON *o = cJSON_CreateObject();

	if(o == NULL) return MOSQ_ERR_NOMEM;
	if(cJSON_AddStringToObject(o, "type", "broker_started") == NULL){
		cJSON_Delete(o);
		return MOSQ_ERR_NOMEM;
	}
	return cs_events__push(ev, o);
}

/* {"type":"connected","session_id","clientid","username","peerhost"|null,
 *  "proto_ver","clean_start","at"} */
int cs_events__connected(struct cs_events *ev, const struct cs_session *s, const struct mosquitto *client)
{
	cJSON *o = cJSON_CreateObject();
	const char *addr;

	if(o == NULL) return MOSQ_ERR_NOMEM;
	addr = mosquitto_client_address(client);
	if(cJSON_AddStringToObject(o, "type", "connected") == NULL
			|| cJSON_AddStringToObject(o, "session_id", s->session_id) == NULL
			|| cJSON_AddStringToObject(o, "clientid", s->clientid) == NULL
			|| cJSON_AddStringToObject(o, "username", s->username) == NULL
			|| (addr ? cJSON_AddStringToObject(o, "peerhost", addr) : cJSON_AddNullToObject(o, "peerhost")) == NULL
			|| cJSON_AddNumberToObject(o, "proto_ver", mosquitto_client_protocol_version(client)) == NULL
			|| cJSON_AddBoolToObject(o, "clean_start", mosquitto_client_clean_session(client)) == NULL){
		cJSON_Delete(o);
		return MOSQ_ERR_NOMEM;
	}
	return cs_events__push(ev, o);
}

/* {"type":"disconnected","session_id","clientid","username","reason","at"} */
int cs_events__disconnected(struct cs_events *ev, const struct cs_session *s)
{
	cJSON *o = cJSON_CreateObject();

	if(o == NULL) return MOSQ_ERR_NOMEM;
	if(cJSON_AddStringToObject(o, "type", "disconnected") == NULL
			|| cJSON_AddStringToObject(o, "session_id", s->session_id) == NULL
			|| cJSON_AddStringToObject(o, "clientid", s->clientid) == NULL
			|| cJSON_AddStringToObject(o, "username", s->username) == NULL
			|| cJSON_AddStringToObject(o, "reason", s->reason) == NULL){
		cJSON_Delete(o);
		return MOSQ_ERR_NOMEM;
	}
	return cs_events__push(ev, o);
}

/* {"type":"stats","local_admits","local_refusals","http_calls","throttled","at"} */
int cs_events__stats(struct cs_events *ev, const struct cs_stats *st)
{
	cJSON *o = cJSON_CreateObject();

	if(o == NULL) return MOSQ_ERR_NOMEM;
	if(cJSON_AddStringToObject(o, "type", "stats") == NULL
			|| cJSON_AddNumberToObject(o, "local_admits", (double)st->local_admits) == NULL
			|| cJSON_AddNumberToObject(o, "local_refusals", (double)st->local_refusals) == NULL
			|| cJSON_AddNumberToObject(o, "http_calls", (double)st->http_calls) == NULL
			|| cJSON_AddNumberToObject(o, "throttled", (double)st->throttled) == NULL){
		cJSON_Delete(o);
		return MOSQ_ERR_NOMEM;
	}
	return cs_events__push(ev, o);
}

/* The name of a quota in reports ("quota_refused") and in the service. */
const char *cs_events__quota_name(int quota)
{
	switch(quota){
		case CS_QUOTA_CONNECTIONS: return "max_connections";
		case CS_QUOTA_MESSAGES: return "messages_per_minute";
		case CS_QUOTA_PAYLOAD: return "max_payload_bytes";
		default: return "max_retained_messages";
	}
}

/* {"type":"quota_refused","org_id","quota","count","at"} */
int cs_events__quota_refused(struct cs_events *ev, const char *org_id, int quota, int64_t count)
{
	cJSON *o = cJSON_CreateObject();

	if(o == NULL) return MOSQ_ERR_NOMEM;
	if(cJSON_AddStringToObject(o, "type", "quota_refused") == NULL
			|| cJSON_AddStringToObject(o, "org_id", org_id) == NULL
			|| cJSON_AddStringToObject(o, "quota", cs_events__quota_name(quota)) == NULL
			|| cJSON_AddNumberToObject(o, "count", (double)count) == NULL){
		cJSON_Delete(o);
		return MOSQ_ERR_NOMEM;
	}
	return cs_events__push(ev, o);
}

/* {"type":"subscribed"|"unsubscribed","session_id","filter","at"} */
int cs_events__filter(struct cs_events *ev, const struct cs_session *s, const char *filter, bool subscribed)
{
	cJSON *o = cJSON_CreateObject();

	if(o == NULL) return MOSQ_ERR_NOMEM;
	if(cJSON_AddStringToObject(o, "type", subscribed ? "subscribed" : "unsubscribed") == NULL
			|| cJSON_AddStringToObject(o, "session_id", s->session_id) == NULL
			|| cJSON_AddStringToObject(o, "filter", filter) == NULL){
		cJSON_Delete(o);
		return MOSQ_ERR_NOMEM;
	}
	return cs_events__push(ev, o);
}

/* {"type":"retained","org_id","topic","size","qos","at"}: size 0 = cleared. */
int cs_events__retained(struct cs_events *ev, const char *org_id, const char *topic, uint32_t size, int qos)
{
	cJSON *o = cJSON_CreateObject();

	if(o == NULL) return MOSQ_ERR_NOMEM;
	if(cJSON_AddStringToObject(o, "type", "retained") == NULL
			|| cJSON_AddStringToObject(o, "org_id", org_id) == NULL
			|| cJSON_AddStringToObject(o, "topic", topic) == NULL
			|| cJSON_AddNumberToObject(o, "size", (double)size) == NULL
			|| cJSON_AddNumberToObject(o, "qos", qos) == NULL){
		cJSON_Delete(o);
		return MOSQ_ERR_NOMEM;
	}
	return cs_events__push(ev, o);
}

/* TICK (and cleanup, force): every CS_STATS_INTERVAL_MS, report the counters
 * since the last report, unless all are zero. */
void cs_events__report_stats(struct cs_plugin *cs, bool force)
{
	struct cs_stats *st = &cs->stats;
	int64_t now = cs->now_ms();

	if(!force && now - cs->stats_ms < CS_STATS_INTERVAL_MS) return;
	cs->stats_ms = now;
	if(st->local_admits == 0 && st->local_refusals == 0 && st->http_calls == 0 && st->throttled == 0) return;
	if(cs_events__stats(&cs->events, st) != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot queue the stats report: out of memory");
		return;
	}
	memset(st, 0, sizeof(*st));
}
