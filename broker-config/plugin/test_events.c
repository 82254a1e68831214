/* test_events.c - unit tests for events.c (queue order, batching, overflow,
 * retry/backoff, shutdown flush, the HTTP request on the wire) and
 * sessions.c (event JSON shapes and disconnect reasons), against a fake
 * post function (failures, timing and gating without HTTP), the fake
 * service of test_harness.c (the request on the wire) and the stubs of
 * test_stubs.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_harness.h"

#define MAX_BODIES 64

/* ---- fake post ----------------------------------------------------------- */

struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int fail;                  /* fail this many more calls */
	long fail_status;          /* 0: transport error, else this HTTP status */
	bool gated;                /* calls wait until the gate opens */
	bool gate_open;
	int calls;
	char *bodies[MAX_BODIES];
	int64_t at_ms[MAX_BODIES];
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
}

static void fake_free(struct fake *f)
{
	for(int i = 0; i < MAX_BODIES; i++) free(f->bodies[i]);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
}

/* Runs on the sender thread. */
static int fake_post(struct cs_events *ev, const char *body, size_t len, long timeout_ms,
		long *status, const char **error)
{
	struct fake *f = ev->post_data;
	int rc = MOSQ_ERR_SUCCESS;

	(void)timeout_ms;
	pthread_mutex_lock(&f->lock);
	if(f->calls < MAX_BODIES){
		f->bodies[f->calls] = strndup(body, len);
		f->at_ms[f->calls] = cs_util__now_ms();
	}
	f->calls++;
	pthread_cond_broadcast(&f->cond);
	while(f->gated && !f->gate_open) pthread_cond_wait(&f->cond, &f->lock);
	*status = 200;
	if(f->fail > 0){
		f->fail--;
		if(f->fail_status){
			*status = f->fail_status;
		}else{
			*error = "Couldn't connect to server";
			rc = MOSQ_ERR_UNKNOWN;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static void fake_open_gate(struct fake *f)
{
	pthread_mutex_lock(&f->lock);
	f->gate_open = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

/* Wait (max 5 s) until the fake saw at least n calls. */
static bool fake_wait_calls(struct fake *f, int n)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&f->lock);
	while(f->calls < n){
		if(pthread_cond_timedwait(&f->cond, &f->lock, &ts) != 0) break;
	}
	ok = f->calls >= n;
	pthread_mutex_unlock(&f->lock);
	return ok;
}

static int fake_calls(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->calls;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* Wait (max 5 s) until n events were delivered. */
static bool wait_posted(struct cs_events *ev, uint64_t n)
{
	for(int i = 0; i < 500; i++){
		uint64_t posted;

		pthread_mutex_lock(&ev->lock);
		posted = ev->posted;
		pthread_mutex_unlock(&ev->lock);
		if(posted >= n) return true;
		usleep(10000);
	}
	return false;
}

/* ---- helpers ------------------------------------------------------------- */

static void new_events(struct cs_events *ev, struct fake *f)
{
	memset(ev, 0, sizeof(*ev));
	if(cs_events__init(ev, "http://127.0.0.1:1/internal/broker/events", "s3cret", 500) != MOSQ_ERR_SUCCESS) abort();
	if(f){
		ev->post = fake_post;
		ev->post_data = f;
	}
}

static void enqueue_n(struct cs_events *ev, int from, int to)
{
	char buf[32];

	for(int i = from; i <= to; i++){
		int n = snprintf(buf, sizeof(buf), "{\"n\":%d}", i);
		if(cs_events__enqueue(ev, buf, (size_t)n) != MOSQ_ERR_SUCCESS) abort();
	}
}

/* Number of events in a POST body, -1 if it is not the expected shape. */
static int body_events(const struct cs_events *ev, const char *body, cJSON **events_out)
{
	cJSON *t = cJSON_Parse(body);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "broker_id");
	cJSON *events = cJSON_GetObjectItemCaseSensitive(t, "events");
	int n = -1;

	if(cJSON_IsObject(t) && cJSON_GetArraySize(t) == 2 && cJSON_IsString(id)
			&& !strcmp(id->valuestring, ev->broker_id) && cJSON_IsArray(events)){
		n = cJSON_GetArraySize(events);
		if(events_out) *events_out = cJSON_Duplicate(events, true);
	}
	cJSON_Delete(t);
	return n;
}

/* Do the events of body carry "n" from first, first+1, ... (started = 0)? */
static bool body_sequence(const struct cs_events *ev, const char *body, int first, int count)
{
	cJSON *events = NULL;
	const cJSON *e;
	int want = first;
	bool ok;

	if(body == NULL || body_events(ev, body, &events) != count) return false;
	ok = true;
	cJSON_ArrayForEach(e, events){
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "n");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
		int got = cJSON_IsNumber(n) ? n->valueint
			: (cJSON_IsString(type) && !strcmp(type->valuestring, "broker_started")) ? 0 : -1;

		if(got != want++) ok = false;
	}
	cJSON_Delete(events);
	return ok;
}

static bool is_epoch_ms(const cJSON *at)
{
	int64_t now = cs_util__wall_ms();
	char *s;
	bool integral;

	if(!cJSON_IsNumber(at)) return false;
	s = cJSON_PrintUnformatted(at);
	integral = s && strspn(s, "0123456789") == strlen(s);
	cJSON_free(s);
	return integral && at->valuedouble > (double)(now - 60000) && at->valuedouble <= (double)now;
}

/* ---- queue (no thread) --------------------------------------------------- */

static void test_queue(void)
{
	struct cs_events ev;
	struct cs_event *batch, *e;
	char *body;
	size_t n, len;
	cJSON *t;
	int64_t now;
	bool ordered = true;
	int next = 1;

	new_events(&ev, NULL);
	CHECK(strlen(ev.broker_id) == 16 && strspn(ev.broker_id, "0123456789abcdef") == 16);

	/* broker_started is queued at init, first. */
	CHECK(ev.count == 1);
	n = cs_events__take(&ev, ev.batch_max, &batch);
	CHECK(n == 1 && batch && batch->next == NULL);
	t = batch ? cJSON_Parse(batch->json) : NULL;
	CHECK(t && cJSON_GetArraySize(t) == 2);
	CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "type"))
			&& !strcmp(cJSON_GetObjectItemCaseSensitive(t, "type")->valuestring, "broker_started"));
	CHECK(is_epoch_ms(cJSON_GetObjectItemCaseSensitive(t, "at")));
	CHECK(batch && !strncmp(batch->json, "{\"type\":\"broker_started\",\"at\":", 30));
	cJSON_Delete(t);
	cs_events__free_list(batch);
	CHECK(ev.count == 0 && ev.head == NULL && ev.tail == NULL);
	CHECK(!cs_events__ready(&ev, cs_util__now_ms() + 100000));

	/* Readiness: 200 queued, or 100 ms after the oldest. */
	enqueue_n(&ev, 1, 199);
	now = ev.head->queued_ms;
	CHECK(!cs_events__ready(&ev, now + 99));
	CHECK(cs_events__ready(&ev, now + 100));
	enqueue_n(&ev, 200, 200);
	CHECK(cs_events__ready(&ev, now));

	/* Batches of at most 500, in order. */
	enqueue_n(&ev, 201, 1200);
	CHECK(ev.count == 1200);
	for(int round = 0; round < 3; round++){
		size_t want = round < 2 ? 500 : 200;

		n = cs_events__take(&ev, ev.batch_max, &batch);
		CHECK(n == want);
		body = cs_events__body(&ev, batch, &len);
		CHECK(body && len == strlen(body));
		CHECK(body && body_sequence(&ev, body, next, (int)want));
		for(e = batch; e; e = e->next){
			char buf[32];

			snprintf(buf, sizeof(buf), "{\"n\":%d}", next++);
			if(strcmp(e->json, buf)) ordered = false;
		}
		free(body);
		cs_events__free_list(batch);
	}
	CHECK(ordered && next == 1201);
	CHECK(ev.count == 0 && ev.head == NULL && ev.tail == NULL);

	/* Exact body bytes. */
	enqueue_n(&ev, 1, 2);
	cs_events__take(&ev, 10, &batch);
	body = cs_events__body(&ev, batch, &len);
	{
		char want[128];

		snprintf(want, sizeof(want), "{\"broker_id\":\"%s\",\"events\":[{\"n\":1},{\"n\":2}]}", ev.broker_id);
		CHECK(body && !strcmp(body, want));
	}
	free(body);
	cs_events__free_list(batch);

	/* Overflow: the oldest are dropped and counted, once logged. */
	ev.max_queued = 5;
	test_log_all[0] = '\0';
	enqueue_n(&ev, 1, 8);
	CHECK(ev.count == 5 && ev.dropped == 3);
	CHECK(strstr(test_log_all, "session event queue full (5 events): dropping the oldest") != NULL);
	CHECK(strstr(strstr(test_log_all, "queue full") + 1, "queue full") == NULL);
	n = cs_events__take(&ev, 500, &batch);
	body = cs_events__body(&ev, batch, &len);
	CHECK(n == 5 && body && body_sequence(&ev, body, 4, 5));
	free(body);
	cs_events__free_list(batch);

	/* Backoff: 100 ms doubling, capped at 5 s. */
	{
		int64_t want[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000 };
		int64_t b = 0;
		bool ok = true;

		for(size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++){
			b = cs_events__next_backoff(&ev, b);
			if(b != want[i]) ok = false;
		}
		CHECK(ok);
	}

	enqueue_n(&ev, 1, 3);  /* left queued: freed by cleanup */
	test_log_all[0] = '\0';
	cs_events__cleanup(&ev);
	CHECK(strstr(test_log_all, "3 session events not delivered") != NULL);
	CHECK(!ev.sync_ready && ev.http.curl == NULL);
}

/* ---- sender thread ------------------------------------------------------- */

static void test_sender_batches(void)
{
	struct cs_events ev;
	struct fake f;
	int64_t queued;

	/* Queued before the thread starts: 1 + 1200 events -> 500, 500, 201. */
	fake_init(&f);
	new_events(&ev, &f);
	enqueue_n(&ev, 1, 1200);
	CHECK(cs_events__start(&ev) == MOSQ_ERR_SUCCESS);
	CHECK(wait_posted(&ev, 1201));
	CHECK(fake_wait_calls(&f, 3) && fake_calls(&f) == 3);
	CHECK(body_sequence(&ev, f.bodies[0], 0, 500));
	CHECK(body_sequence(&ev, f.bodies[1], 500, 500));
	CHECK(body_sequence(&ev, f.bodies[2], 1000, 201));

	/* A single event waits 100 ms for company. */
	queued = cs_util__now_ms();
	enqueue_n(&ev, 1, 1);
	CHECK(fake_wait_calls(&f, 4));
	CHECK(f.at_ms[3] - queued >= 99);
	CHECK(body_sequence(&ev, f.bodies[3], 1, 1));

	/* No log from the sender on success. */
	test_log_all[0] = '\0';
	cs_events__tick(&ev);
	CHECK(test_log_all[0] == '\0');
	cs_events__cleanup(&ev);
	CHECK(test_log_all[0] == '\0');
	CHECK(fake_calls(&f) == 4);
	fake_free(&f);
}

static void test_sender_retry(void)
{
	struct cs_events ev;
	struct fake f;

	/* Transport errors: the same batch again after 100 ms, 200 ms; one
	 * warning per streak and one notice when it works again. */
	fake_init(&f);
	f.fail = 2;
	new_events(&ev, &f);
	enqueue_n(&ev, 1, 2);
	CHECK(cs_events__start(&ev) == MOSQ_ERR_SUCCESS);
	CHECK(wait_posted(&ev, 3));
	CHECK(fake_calls(&f) == 3);
	CHECK(f.bodies[0] && f.bodies[1] && f.bodies[2]
			&& !strcmp(f.bodies[0], f.bodies[1]) && !strcmp(f.bodies[1], f.bodies[2]));
	CHECK(body_sequence(&ev, f.bodies[0], 0, 3));
	CHECK(f.at_ms[1] - f.at_ms[0] >= 99 && f.at_ms[2] - f.at_ms[1] >= 199);
	test_log_all[0] = '\0';
	cs_events__tick(&ev);
	CHECK(strstr(test_log_all, "cloudsignal: cannot post 3 session events: service unreachable: Couldn't connect to server; retrying\n") != NULL);
	CHECK(strstr(test_log_all, "cloudsignal: posting session events again (after 2 failed attempts)") != NULL);
	CHECK(strstr(strstr(test_log_all, "cannot post") + 1, "cannot post") == NULL);
	CHECK(test_last_log_level == MOSQ_LOG_NOTICE);

	/* A non-2xx reply is a failure too. */
	pthread_mutex_lock(&f.lock);
	f.fail = 1;
	f.fail_status = 503;
	pthread_mutex_unlock(&f.lock);
	enqueue_n(&ev, 3, 3);
	CHECK(wait_posted(&ev, 4));
	CHECK(fake_calls(&f) == 5 && f.bodies[3] && f.bodies[4] && !strcmp(f.bodies[3], f.bodies[4]));
	test_log_all[0] = '\0';
	cs_events__tick(&ev);
	CHECK(strstr(test_log_all, "cannot post 1 session events: service returned HTTP 503; retrying") != NULL);
	CHECK(strstr(test_log_all, "again (after 1 failed attempts)") != NULL);
	cs_events__cleanup(&ev);
	fake_free(&f);
}

static void test_sender_overflow(void)
{
	struct cs_events ev;
	struct fake f;

	/* While broker_started is in flight (and fails), 15 events arrive with
	 * room for 10: 1-5 are dropped; the failed batch is retried, then 6-15
	 * follow, and the drop count is logged. */
	fake_init(&f);
	f.gated = true;
	f.fail = 1;
	new_events(&ev, &f);
	ev.max_queued = 10;
	CHECK(cs_events__start(&ev) == MOSQ_ERR_SUCCESS);
	CHECK(fake_wait_calls(&f, 1));
	test_log_all[0] = '\0';
	enqueue_n(&ev, 1, 15);
	CHECK(strstr(test_log_all, "session event queue full (10 events)") != NULL);
	fake_open_gate(&f);
	CHECK(wait_posted(&ev, 11));
	CHECK(fake_calls(&f) == 3);
	CHECK(body_sequence(&ev, f.bodies[0], 0, 1) && body_sequence(&ev, f.bodies[1], 0, 1));
	CHECK(body_sequence(&ev, f.bodies[2], 6, 10));
	test_log_all[0] = '\0';
	cs_events__tick(&ev);
	CHECK(strstr(test_log_all, "cloudsignal: dropped 5 session events: queue was full (10)") != NULL);
	cs_events__cleanup(&ev);
	fake_free(&f);
}

static void test_sender_shutdown(void)
{
	struct cs_events ev;
	struct fake f;
	int64_t start;

	/* Stop before the 100 ms linger: the final flush still delivers. */
	fake_init(&f);
	new_events(&ev, &f);
	CHECK(cs_events__start(&ev) == MOSQ_ERR_SUCCESS);
	enqueue_n(&ev, 1, 3);
	cs_events__stop(&ev);
	CHECK(ev.posted == 4 && ev.unsent == 0 && ev.count == 0);
	CHECK(f.calls == 1 && body_sequence(&ev, f.bodies[0], 0, 4));
	cs_events__stop(&ev);    /* idempotent */
	cs_events__cleanup(&ev);
	fake_free(&f);

	/* Service down at shutdown: one try, bounded, then counted as lost. */
	fake_init(&f);
	f.fail = 1000;
	new_events(&ev, &f);
	enqueue_n(&ev, 1, 600);
	CHECK(cs_events__start(&ev) == MOSQ_ERR_SUCCESS);
	CHECK(fake_wait_calls(&f, 1));
	start = cs_util__now_ms();
	test_log_all[0] = '\0';
	cs_events__cleanup(&ev);
	CHECK(cs_util__now_ms() - start < 500);
	CHECK(strstr(test_log_all, "cannot post 500 session events at shutdown: service unreachable") != NULL);
	CHECK(strstr(test_log_all, "601 session events not delivered") != NULL);
	CHECK(f.calls == 2);
	fake_free(&f);

	/* The real HTTP client against a closed port fails fast, same report. */
	new_events(&ev, NULL);
	CHECK(cs_events__start(&ev) == MOSQ_ERR_SUCCESS);
	test_log_all[0] = '\0';
	cs_events__cleanup(&ev);
	CHECK(strstr(test_log_all, "cannot post 1 session events at shutdown: service unreachable: ") != NULL);
	CHECK(strstr(test_log_all, "1 session events not delivered") != NULL);
}

/* ---- the request on the wire: the fake service of test_harness.c -------- */

static void test_sender_http(void)
{
	struct cs_events ev;
	char url[128];
	char request[sizeof(th_svc.last_request)];
	const char *body;
	int requests;

	th_service_start(url, sizeof(url));
	snprintf(url + strlen(url), sizeof(url) - strlen(url), "%s", CS_EVENTS_PATH);
	memset(&ev, 0, sizeof(ev));
	CHECK(cs_events__init(&ev, url, "s3cret", 2000) == MOSQ_ERR_SUCCESS);
	CHECK(cs_events__start(&ev) == MOSQ_ERR_SUCCESS);
	CHECK(wait_posted(&ev, 1));
	cs_events__cleanup(&ev);
	pthread_mutex_lock(&th_svc.lock);
	requests = th_svc.other_requests;
	snprintf(request, sizeof(request), "%s", th_svc.last_request);
	pthread_mutex_unlock(&th_svc.lock);
	th_service_stop();

	CHECK(requests == 1);
	CHECK(!strncmp(request, "POST /internal/broker/events HTTP/1.1\r\n", 39));
	CHECK(strstr(request, "\r\nAuthorization: Bearer s3cret\r\n") != NULL);
	CHECK(strstr(request, "\r\nContent-Type: application/json\r\n") != NULL);
	body = strstr(request, "\r\n\r\n");
	CHECK(body && body_sequence(&ev, body + 4, 0, 1));
}

/* ---- sessions ------------------------------------------------------------ */

/* Take every queued event; returns a JSON array (caller deletes). */
static cJSON *drain(void)
{
	struct cs_event *batch, *e;
	cJSON *all = cJSON_CreateArray();

	cs_events__take(&g_cs->events, (size_t)-1, &batch);
	for(e = batch; e; e = e->next) cJSON_AddItemToArray(all, cJSON_Parse(e->json));
	cs_events__free_list(batch);
	return all;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool str_is(const cJSON *o, const char *key, const char *want)
{
	const char *v = str(o, key);

	return v && !strcmp(v, want);
}

/* Is e a "disconnected" event of this session with this reason (exact keys)? */
static bool is_disconnected(const cJSON *e, const char *sid, const char *clientid, const char *username,
		const char *reason)
{
	return cJSON_GetArraySize(e) == 6 && str_is(e, "type", "disconnected") && str_is(e, "session_id", sid)
		&& str_is(e, "clientid", clientid) && str_is(e, "username", username) && str_is(e, "reason", reason)
		&& is_epoch_ms(cJSON_GetObjectItemCaseSensitive(e, "at"));
}

static void test_sessions(void)
{
	struct mosquitto c1 = { "c1", "u@org_x", "10.0.0.7", 4, true };
	struct mosquitto c2 = { "c2", "u@org_x", NULL, 5, false };
	struct mosquitto c3 = { "c3", "v@org_x", "10.0.0.9", 3, true };
	struct mosquitto t1 = { "dup", "v@org_x", "10.0.0.1", 4, true };
	struct mosquitto t2 = { "dup", "v@org_x", "10.0.0.2", 4, true };
	struct mosquitto internal = { "svc", "cloudsignal-internal", "127.0.0.1", 5, true };
	struct mosquitto refused = { "r1", "nobody@org_x", "10.0.0.3", 4, true };
	char sid[64];
	const char *bid;
	long before = test_alloc_outstanding;
	cJSON *ev, *e;

	/* The sender is stopped (its last flush to port 1 fails): events stay queued. */
	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(g_cs != NULL);
	bid = g_cs->events.broker_id;
	ev = drain();
	cJSON_Delete(ev);

	/* connected: exact shape, session ids <broker_id>-<n> from 1. */
	CHECK(th_cache("u@org_x", "p", false, 0, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("v@org_x", "p", false, 0, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&c1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&c2, "p") == MOSQ_ERR_SUCCESS);
	ev = drain();
	CHECK(cJSON_GetArraySize(ev) == 2);
	e = cJSON_GetArrayItem(ev, 0);
	snprintf(sid, sizeof(sid), "%s-1", bid);
	CHECK(cJSON_GetArraySize(e) == 8 && str_is(e, "type", "connected") && str_is(e, "session_id", sid)
			&& str_is(e, "clientid", "c1") && str_is(e, "username", "u@org_x") && str_is(e, "peerhost", "10.0.0.7")
			&& cJSON_GetObjectItemCaseSensitive(e, "proto_ver")->valuedouble == 4
			&& cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "clean_start"))
			&& is_epoch_ms(cJSON_GetObjectItemCaseSensitive(e, "at")));
	{
		char *s = cJSON_PrintUnformatted(e);
		char want[256];

		/* Key order as documented. */
		snprintf(want, sizeof(want), "{\"type\":\"connected\",\"session_id\":\"%s\",\"clientid\":\"c1\",\"username\":\"u@org_x\","
				"\"peerhost\":\"10.0.0.7\",\"proto_ver\":4,\"clean_start\":true,\"at\":", sid);
		CHECK(s && !strncmp(s, want, strlen(want)));
		cJSON_free(s);
	}
	e = cJSON_GetArrayItem(ev, 1);
	snprintf(sid, sizeof(sid), "%s-2", bid);
	CHECK(str_is(e, "session_id", sid) && cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "peerhost"))
			&& cJSON_GetObjectItemCaseSensitive(e, "proto_ver")->valuedouble == 5
			&& cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "clean_start")));
	cJSON_Delete(ev);
	CHECK(HASH_CNT(hh, g_cs->sessions) == 2);

	/* Plain client disconnect. */
	th_disconnect(&c1);
	ev = drain();
	snprintf(sid, sizeof(sid), "%s-1", bid);
	CHECK(cJSON_GetArraySize(ev) == 1 && is_disconnected(cJSON_GetArrayItem(ev, 0), sid, "c1", "u@org_x", "client"));
	{
		char *s = cJSON_PrintUnformatted(cJSON_GetArrayItem(ev, 0));
		char want[256];

		snprintf(want, sizeof(want), "{\"type\":\"disconnected\",\"session_id\":\"%s\",\"clientid\":\"c1\",\"username\":\"u@org_x\","
				"\"reason\":\"client\",\"at\":", sid);
		CHECK(s && !strncmp(s, want, strlen(want)));
		cJSON_free(s);
	}
	cJSON_Delete(ev);
	th_disconnect(&c1);                   /* no session any more: nothing */
	ev = drain();
	CHECK(cJSON_GetArraySize(ev) == 0);
	cJSON_Delete(ev);

	/* Refused CONNECTs and the internal user: nothing at all. */
	CHECK(th_connect(&refused, "p") == MOSQ_ERR_AUTH);       /* service unreachable */
	CHECK(th_connect(&c3, "wrong") == MOSQ_ERR_AUTH);
	th_disconnect(&refused);
	th_disconnect(&c3);
	CHECK(th_connect(&internal, "s3cret") == MOSQ_ERR_SUCCESS);
	th_disconnect(&internal);
	CHECK(th_connect(&internal, "s3cret") == MOSQ_ERR_SUCCESS);
	ev = drain();
	CHECK(cJSON_GetArraySize(ev) == 0);
	cJSON_Delete(ev);
	CHECK(HASH_CNT(hh, g_cs->sessions) == 1);

	/* $CONTROL kick: reason "kicked" (DISCONNECT inside the kick). */
	CHECK(th_connect(&c1, "p") == MOSQ_ERR_SUCCESS);     /* session 3 */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"c1\"},{\"command\":\"kick\",\"clientid\":\"nope\"}]}"));
	ev = drain();
	snprintf(sid, sizeof(sid), "%s-3", bid);
	CHECK(cJSON_GetArraySize(ev) == 2 && str_is(cJSON_GetArrayItem(ev, 0), "type", "connected")
			&& is_disconnected(cJSON_GetArrayItem(ev, 1), sid, "c1", "u@org_x", "kicked"));
	cJSON_Delete(ev);

	/* kick_user: every session of the user, no one else. */
	CHECK(th_cache("u@org_x", "p", false, 0, NULL) == MOSQ_ERR_SUCCESS);                          /* kick_user dropped it */
	CHECK(th_connect(&c1, "p") == MOSQ_ERR_SUCCESS);     /* session 4; c2 is session 2 */
	CHECK(th_connect(&c3, "p") == MOSQ_ERR_SUCCESS);     /* session 5 */
	cJSON_Delete(drain());
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"kick_user\",\"username\":\"u@org_x\"}]}"));
	ev = drain();
	CHECK(cJSON_GetArraySize(ev) == 2);
	cJSON_ArrayForEach(e, ev){
		CHECK(str_is(e, "type", "disconnected") && str_is(e, "username", "u@org_x") && str_is(e, "reason", "kicked"));
	}
	cJSON_Delete(ev);
	CHECK(HASH_CNT(hh, g_cs->sessions) == 1 && cs_sessions__find(g_cs, &c3) != NULL);
	th_disconnect(&c3);
	ev = drain();
	snprintf(sid, sizeof(sid), "%s-5", bid);
	CHECK(cJSON_GetArraySize(ev) == 1 && is_disconnected(cJSON_GetArrayItem(ev, 0), sid, "c3", "v@org_x", "client"));
	cJSON_Delete(ev);

	/* Takeover: t2 connects with t1's id while t1 is live. */
	CHECK(th_connect(&t1, "p") == MOSQ_ERR_SUCCESS);     /* session 6 */
	CHECK(th_connect(&t2, "p") == MOSQ_ERR_SUCCESS);     /* session 7; t1 dropped by "the broker" */
	ev = drain();
	CHECK(cJSON_GetArraySize(ev) == 3);
	snprintf(sid, sizeof(sid), "%s-7", bid);
	CHECK(str_is(cJSON_GetArrayItem(ev, 1), "type", "connected") && str_is(cJSON_GetArrayItem(ev, 1), "session_id", sid));
	snprintf(sid, sizeof(sid), "%s-6", bid);
	CHECK(is_disconnected(cJSON_GetArrayItem(ev, 2), sid, "dup", "v@org_x", "takeover"));
	cJSON_Delete(ev);
	CHECK(cs_sessions__find_id(g_cs, "dup") == cs_sessions__find(g_cs, &t2));
	th_disconnect(&t2);
	ev = drain();
	snprintf(sid, sizeof(sid), "%s-7", bid);
	CHECK(cJSON_GetArraySize(ev) == 1 && is_disconnected(cJSON_GetArrayItem(ev, 0), sid, "dup", "v@org_x", "client"));
	cJSON_Delete(ev);
	/* A reconnect after a clean disconnect is no takeover. */
	CHECK(th_connect(&t1, "p") == MOSQ_ERR_SUCCESS);     /* session 8 */
	th_disconnect(&t1);
	ev = drain();
	CHECK(cJSON_GetArraySize(ev) == 2 && str_is(cJSON_GetArrayItem(ev, 1), "reason", "client"));
	cJSON_Delete(ev);

	/* Expiry at the TICK: reason "credentials_expired". */
	CHECK(th_cache("e@org_x", "p", false, time(NULL) + 3600, NULL) == MOSQ_ERR_SUCCESS);
	{
		struct mosquitto ex = { "ex1", "e@org_x", "10.0.0.4", 4, false };

		CHECK(th_connect(&ex, "p") == MOSQ_ERR_SUCCESS);  /* session 9 */
		CHECK(th_connect(&c3, "p") == MOSQ_ERR_SUCCESS);  /* session 10, not expiring */
		cJSON_Delete(drain());
		cs_clients__set_expiry(g_cs, "e@org_x", 1000);
		g_cs->last_tick_ms = 0;
		cs_plugin__tick_cb(MOSQ_EVT_TICK, NULL, g_cs);
		ev = drain();
		snprintf(sid, sizeof(sid), "%s-9", bid);
		CHECK(cJSON_GetArraySize(ev) == 1 && is_disconnected(cJSON_GetArrayItem(ev, 0), sid, "ex1", "e@org_x", "credentials_expired"));
		cJSON_Delete(ev);
		CHECK(cs_sessions__find(g_cs, &ex) == NULL);
	}

	/* A second CONNECT on the same connection closes the first session. */
	CHECK(th_connect(&c3, "p") == MOSQ_ERR_SUCCESS);     /* session 11 */
	ev = drain();
	snprintf(sid, sizeof(sid), "%s-10", bid);
	CHECK(cJSON_GetArraySize(ev) == 2 && is_disconnected(cJSON_GetArrayItem(ev, 0), sid, "c3", "v@org_x", "client"));
	cJSON_Delete(ev);
	CHECK(HASH_CNT(hh, g_cs->sessions) == 1 && HASH_CNT(hh_id, g_cs->sessions_by_id) == 1);

	/* Out of memory at any allocation: no crash, no leak, CONNECT still admitted. */
	{
		struct mosquitto m = { "m1", "v@org_x", "10.0.0.5", 4, true };
		bool leak = false, sessionless = false;
		int sessions = 0;

		/* Early failures hit the client entry (CONNECT refused), later ones
		 * the session (CONNECT admitted, no events for it). */
		for(long i = 0; i < 12; i++){
			long outstanding = test_alloc_outstanding;
			int rc;

			test_log_all[0] = '\0';
			test_fail_alloc_after = i;
			rc = th_connect(&m, "p");
			test_fail_alloc_after = -1;
			if(rc == MOSQ_ERR_SUCCESS && cs_sessions__find(g_cs, &m) == NULL
					&& strstr(test_log_all, "no session events for client m1: out of memory")){
				sessionless = true;
			}
			if(cs_sessions__find(g_cs, &m)) sessions++;
			th_disconnect(&m);
			cs_clients__forget_departed(g_cs);  /* the TICK after the will check */
			if(test_alloc_outstanding != outstanding) leak = true;
		}
		CHECK(!leak);
		CHECK(sessionless && sessions > 0);
		ev = drain();
		CHECK(cJSON_GetArraySize(ev) == 2 * sessions);
		cJSON_Delete(ev);
	}

	/* Cleanup frees open sessions (c3 is still open) without events. */
	CHECK(HASH_CNT(hh, g_cs->sessions) == 1);
	th_stop();
	CHECK(test_alloc_outstanding == before);
}

void test_events__run(void)
{
	test_queue();
	test_sender_batches();
	test_sender_retry();
	test_sender_overflow();
	test_sender_shutdown();
	test_sender_http();
	test_sessions();
}
