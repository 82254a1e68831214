/* test_harness.c - the fake broker and the fake service of test_harness.h. */
#define _GNU_SOURCE  /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_harness.h"

struct cs_plugin *g_cs;
struct mosquitto *th_live[TH_LIVE_MAX];
struct th_service th_svc;

/* ---- the fake broker ----------------------------------------------------- */

void th_live_add(struct mosquitto *c)
{
	for(int i = 0; i < TH_LIVE_MAX; i++){
		if(th_live[i] == c) return;
	}
	for(int i = 0; i < TH_LIVE_MAX; i++){
		if(th_live[i] == NULL){
			th_live[i] = c;
			return;
		}
	}
	abort();
}

void th_live_drop(struct mosquitto *c)
{
	for(int i = 0; i < TH_LIVE_MAX; i++){
		if(th_live[i] == c) th_live[i] = NULL;
	}
}

void th_disconnect(struct mosquitto *c)
{
	struct mosquitto_evt_disconnect ed;

	th_live_drop(c);
	memset(&ed, 0, sizeof(ed));
	ed.client = c;
	ed.reason = -1;
	cs_clients__disconnect_cb(MOSQ_EVT_DISCONNECT, &ed, g_cs);
}

/* Like Mosquitto 2.0.11: a kick fires MOSQ_EVT_DISCONNECT inside the call
 * (the plugin always kicks without will). */
static void th_kick_hook(const char *clientid, const char *username)
{
	for(int i = 0; i < TH_LIVE_MAX; i++){
		struct mosquitto *c = th_live[i];

		if(c && ((clientid && !strcmp(c->id, clientid)) || (username && !strcmp(c->username, username)))){
			th_disconnect(c);
		}
	}
}

int th_auth(struct mosquitto *c, const char *password)
{
	struct mosquitto_evt_basic_auth ed;

	memset(&ed, 0, sizeof(ed));
	ed.client = c;
	ed.username = (char *)c->username;
	ed.password = (char *)password;
	return cs_auth__basic_auth_cb(MOSQ_EVT_BASIC_AUTH, &ed, g_cs);
}

int th_connect_will(struct mosquitto *c, const char *password, const char *old_will, int *old_will_rc)
{
	int rc;

	if(old_will_rc) *old_will_rc = TH_NOT_CHECKED;
	rc = th_auth(c, password);
	if(rc != MOSQ_ERR_SUCCESS) return rc;
	for(int i = 0; i < TH_LIVE_MAX; i++){
		struct mosquitto *old = th_live[i];

		if(old && old != c && !strcmp(old->id, c->id)){
			if(old_will){
				int wrc = th_acl(old, MOSQ_ACL_WRITE, old_will);

				if(old_will_rc) *old_will_rc = wrc;
			}
			th_disconnect(old);
		}
	}
	th_live_add(c);
	return rc;
}

int th_connect(struct mosquitto *c, const char *password)
{
	return th_connect_will(c, password, NULL, NULL);
}

int th_check(struct mosquitto *c, int access, const char *topic, bool retain, uint32_t payloadlen)
{
	struct mosquitto_evt_acl_check ed;

	memset(&ed, 0, sizeof(ed));
	ed.client = c;
	ed.access = access;
	ed.topic = topic;
	ed.qos = 1;
	ed.retain = retain;
	ed.payloadlen = payloadlen;
	ed.payload = payloadlen ? "xxxxxxxxxxxxxxxx" : NULL;
	return cs_acl__check_cb(MOSQ_EVT_ACL_CHECK, &ed, g_cs);
}

int th_acl(struct mosquitto *c, int access, const char *topic)
{
	return th_check(c, access, topic, false, 0);
}

int th_publish(struct mosquitto *c, const char *topic)
{
	return th_check(c, MOSQ_ACL_WRITE, topic, false, 0);
}

int th_control_msg(struct mosquitto *c, const char *payload)
{
	struct mosquitto_evt_control ed;

	memset(&ed, 0, sizeof(ed));
	ed.client = c;
	ed.topic = CS_CONTROL_TOPIC;
	ed.payload = payload;
	ed.payloadlen = (uint32_t)strlen(payload);
	return cs_control__cb(MOSQ_EVT_CONTROL, &ed, g_cs);
}

void th_tick(void)
{
	cs_plugin__tick_cb(MOSQ_EVT_TICK, NULL, g_cs);
}

int th_init(struct mosquitto_opt *opts, int n)
{
	void *ud = NULL;
	int rc = mosquitto_plugin_init(NULL, &ud, opts, n);

	g_cs = rc == MOSQ_ERR_SUCCESS ? ud : NULL;
	return rc;
}

int th_init_rc(struct mosquitto_opt *opts, int n)
{
	int rc = th_init(opts, n);

	if(rc == MOSQ_ERR_SUCCESS) th_stop();
	return rc;
}

void th_start(const char *url, const char *timeout_ms, const char *state_file)
{
	struct mosquitto_opt opts[] = {
		OPT("service_url", url), OPT("broker_secret", "s3cret"), OPT("timeout_ms", timeout_ms),
		OPT("state_file", state_file),
	};

	if(th_init(opts, state_file ? 4 : 3) != MOSQ_ERR_SUCCESS) abort();
	cs_events__stop(&g_cs->events);
	cs_sync__stop(&g_cs->sync);
	memset(th_live, 0, sizeof(th_live));
	test_clear_sub_counts();
	test_kick_hook = th_kick_hook;
}

void th_stop(void)
{
	test_kick_hook = NULL;
	mosquitto_plugin_cleanup(g_cs, NULL, 0);
	g_cs = NULL;
}

/* ---- shortcuts ----------------------------------------------------------- */

int th_cache(const char *user, const char *password, bool su, time_t expire_at, const char *rules_json)
{
	struct cs_ruleset rs = { NULL, 0 };

	if(rules_json){
		cJSON *t = cJSON_Parse(rules_json);
		const char *err;

		if(cs_rules__parse(t, &rs, &err)) abort();
		cJSON_Delete(t);
	}
	return cs_principals__admitted(g_cs, user, password, NULL, su, expire_at, &rs, NULL);
}

cJSON *th_control(const char *payload)
{
	char *out = cs_control__handle(g_cs, payload, payload ? strlen(payload) : 0);
	cJSON *t;

	if(out == NULL) return NULL;
	t = cJSON_Parse(out);
	cJSON_free(out);
	return t;
}

int th_responses(const cJSON *reply)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(reply, "responses"));
}

static const cJSON *th_response(const cJSON *reply, int i)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(reply, "responses"), i);
}

bool th_response_ok(const cJSON *reply, int i)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(th_response(reply, i), "ok"));
}

const char *th_response_error(const cJSON *reply, int i)
{
	const cJSON *r = th_response(reply, i);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");

	return cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "ok")) && cJSON_IsString(e) ? e->valuestring : NULL;
}

bool th_control_ok(const char *payload)
{
	cJSON *t = th_control(payload);
	int n = th_responses(t);
	bool ok = n > 0;

	for(int i = 0; i < n; i++){
		if(!th_response_ok(t, i)) ok = false;
	}
	cJSON_Delete(t);
	return ok;
}

const char *th_control_error(const char *payload)
{
	static char error[256];
	cJSON *t = th_control(payload);
	const char *e = th_response_error(t, 0);

	snprintf(error, sizeof(error), "%s", e ? e : "");
	cJSON_Delete(t);
	return error;
}

int th_queued(const char *needle)
{
	int n = 0;

	for(const struct cs_event *e = g_cs->events.head; e; e = e->next){
		if(strstr(e->json, needle)) n++;
	}
	return n;
}

int th_count_in_log(const char *needle)
{
	int n = 0;

	for(const char *p = strstr(test_log_all, needle); p; p = strstr(p + 1, needle)) n++;
	return n;
}

/* ---- the fake service ---------------------------------------------------- */

static void *th_service_main(void *arg)
{
	struct th_service *svc = arg;

	for(;;){
		char req[8192], out[8192];
		size_t got = 0;
		int c = accept(svc->fd, NULL, NULL);

		if(c < 0) return NULL;
		for(;;){
			ssize_t n = recv(c, req + got, sizeof(req) - 1 - got, 0);
			char *end, *cl;

			if(n <= 0) break;
			got += (size_t)n;
			req[got] = '\0';
			end = strstr(req, "\r\n\r\n");
			cl = strcasestr(req, "\r\nContent-Length:");
			if(end && cl && got >= (size_t)(end + 4 - req) + strtoul(cl + 17, NULL, 10)) break;
			if(got >= sizeof(req) - 1) break;
		}
		req[got] = '\0';
		pthread_mutex_lock(&svc->lock);
		snprintf(svc->last_request, sizeof(svc->last_request), "%s", req);
		if(!strncmp(req, "POST /internal/broker/sync ", 27)){
			char *body = strstr(req, "\r\n\r\n");

			svc->sync_requests++;
			snprintf(svc->last_sync, sizeof(svc->last_sync), "%s", body ? body + 4 : "");
			snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
					"Content-Length: %zu\r\n\r\n%s", strlen(svc->sync_reply), svc->sync_reply);
		}else if(!strncmp(req, "POST /internal/broker/authenticate ", 35)){
			char *body = strstr(req, "\r\n\r\n");

			svc->auth_requests++;
			snprintf(svc->last_auth, sizeof(svc->last_auth), "%s", body ? body + 4 : "");
			snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
					"Content-Length: %zu\r\n\r\n%s", strlen(svc->auth_reply), svc->auth_reply);
		}else{
			svc->other_requests++;
			snprintf(out, sizeof(out), "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
		}
		pthread_mutex_unlock(&svc->lock);
		if(send(c, out, strlen(out), 0) < 0){ /* the test sees the failure */ }
		close(c);
	}
}

void th_service_start(char *url, size_t urllen)
{
	struct sockaddr_in addr;
	socklen_t alen = sizeof(addr);

	memset(&th_svc, 0, sizeof(th_svc));
	pthread_mutex_init(&th_svc.lock, NULL);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	th_svc.fd = socket(AF_INET, SOCK_STREAM, 0);
	if(th_svc.fd < 0 || bind(th_svc.fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(th_svc.fd, 8)
			|| getsockname(th_svc.fd, (struct sockaddr *)&addr, &alen)){
		abort();
	}
	snprintf(url, urllen, "http://127.0.0.1:%d", ntohs(addr.sin_port));
	if(pthread_create(&th_svc.thread, NULL, th_service_main, &th_svc)) abort();
}

void th_service_auth_reply(const char *json)
{
	pthread_mutex_lock(&th_svc.lock);
	snprintf(th_svc.auth_reply, sizeof(th_svc.auth_reply), "%s", json);
	pthread_mutex_unlock(&th_svc.lock);
}

void th_service_sync_reply(const char *json)
{
	pthread_mutex_lock(&th_svc.lock);
	snprintf(th_svc.sync_reply, sizeof(th_svc.sync_reply), "%s", json);
	pthread_mutex_unlock(&th_svc.lock);
}

int th_service_auth_requests(void)
{
	int n;

	pthread_mutex_lock(&th_svc.lock);
	n = th_svc.auth_requests;
	pthread_mutex_unlock(&th_svc.lock);
	return n;
}

void th_service_stop(void)
{
	shutdown(th_svc.fd, SHUT_RDWR);
	pthread_join(th_svc.thread, NULL);
	close(th_svc.fd);
	pthread_mutex_destroy(&th_svc.lock);
}
