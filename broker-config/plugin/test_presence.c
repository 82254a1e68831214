/* test_presence.c - unit tests for presence.c (session filters, their
 * reports, $share/GROUP/FILTER for tenants) and retained.c (retained topics
 * per organization, the max_retained_messages quota, the list a sync reply
 * hands over), against the stubs of test_stubs.c. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define OPT(k, v) { (char *)(k), (char *)(v) }

static struct cs_plugin *g_cs;

static void start_plugin(void)
{
	struct mosquitto_opt opts[] = {
		OPT("service_url", "http://127.0.0.1:1"), OPT("broker_secret", "s3cret"), OPT("timeout_ms", "200"),
	};
	void *ud = NULL;

	if(mosquitto_plugin_init(NULL, &ud, opts, 3) != MOSQ_ERR_SUCCESS) abort();
	g_cs = ud;
	cs_events__stop(&g_cs->events);
	cs_sync__stop(&g_cs->sync);
}

static void stop_plugin(void)
{
	struct mosquitto_opt opts[] = { OPT("service_url", "http://x") };

	mosquitto_plugin_cleanup(g_cs, opts, 1);
	g_cs = NULL;
}

static void cache(const char *user, const char *rules_json)
{
	cJSON *t = cJSON_Parse(rules_json);
	struct cs_ruleset rs;
	const char *err;

	if(cs_rules__parse(t, &rs, &err)) abort();
	cJSON_Delete(t);
	CHECK(cs_principals__admitted(g_cs, user, "p", NULL, false, 0, &rs, NULL) == MOSQ_ERR_SUCCESS);
}

static int connect_as(struct mosquitto *c)
{
	struct mosquitto_evt_basic_auth ed;

	memset(&ed, 0, sizeof(ed));
	ed.client = c;
	ed.username = (char *)c->username;
	ed.password = (char *)"p";
	return cs_auth__basic_auth_cb(MOSQ_EVT_BASIC_AUTH, &ed, g_cs);
}

static void disconnect(struct mosquitto *c)
{
	struct mosquitto_evt_disconnect ed;

	memset(&ed, 0, sizeof(ed));
	ed.client = c;
	ed.reason = -1;
	cs_clients__disconnect_cb(MOSQ_EVT_DISCONNECT, &ed, g_cs);
}

static int check(struct mosquitto *c, int access, const char *topic, bool retain, uint32_t len)
{
	struct mosquitto_evt_acl_check ed;

	memset(&ed, 0, sizeof(ed));
	ed.client = c;
	ed.access = access;
	ed.topic = topic;
	ed.qos = 1;
	ed.retain = retain;
	ed.payloadlen = len;
	ed.payload = len ? "xxxxxxxxxxxxxxxx" : NULL;
	return cs_acl__check_cb(MOSQ_EVT_ACL_CHECK, &ed, g_cs);
}

static int queued(const char *needle)
{
	int n = 0;

	for(const struct cs_event *e = g_cs->events.head; e; e = e->next){
		if(strstr(e->json, needle)) n++;
	}
	return n;
}

static void test_shared_filter(void)
{
	CHECK(!strcmp(cs_presence__shared_filter("$share/workers/jobs/#"), "jobs/#"));
	CHECK(!strcmp(cs_presence__shared_filter("$share/g/org_a/x"), "org_a/x"));
	CHECK(cs_presence__shared_filter("$share/workers") == NULL);
	CHECK(cs_presence__shared_filter("$share/workers/") == NULL);
	CHECK(cs_presence__shared_filter("$share//jobs") == NULL);
	CHECK(cs_presence__shared_filter("$share/w+/jobs") == NULL);
	CHECK(cs_presence__shared_filter("$share/w#/jobs") == NULL);
	CHECK(cs_presence__shared_filter("$share/g/$SYS/#") == NULL);
	CHECK(cs_presence__shared_filter("$share/g/a/#/b") == NULL);
	CHECK(cs_presence__shared_filter("$SYS/broker") == NULL);
	CHECK(cs_presence__shared_filter("$sharex/g/a") == NULL);
	CHECK(cs_presence__shared_filter("jobs/#") == NULL);
}

static void test_share_acl(void)
{
	struct mosquitto a = { "org_a/w1", "w@org_a", "127.0.0.1", 5, true };
	struct mosquitto b = { "org_b/w1", "w@org_b", "127.0.0.1", 5, true };

	start_plugin();
	cache("w@org_a", "[{\"permission\":\"deny\",\"action\":\"subscribe\",\"topic\":\"org_a/jobs/secret/#\"},"
			"{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_a/jobs/#\"}]");
	cache("w@org_b", "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_b/jobs/#\"}]");
	CHECK(connect_as(&a) == MOSQ_ERR_SUCCESS);
	CHECK(connect_as(&b) == MOSQ_ERR_SUCCESS);
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "$share/workers/org_a/jobs/#", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "$share/workers/org_a/jobs/secret/x", false, 0) == MOSQ_ERR_ACL_DENIED);
	/* Same group name, the other organization's filter. */
	CHECK(check(&b, MOSQ_ACL_SUBSCRIBE, "$share/workers/org_a/jobs/#", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(check(&b, MOSQ_ACL_SUBSCRIBE, "$share/workers/org_b/jobs/#", false, 0) == MOSQ_ERR_SUCCESS);
	/* Nothing else of '$'. */
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "$SYS/#", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "$CONTROL/cloudsignal/v1", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "$share/g/$SYS/#", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "$share/g+/org_a/jobs/#", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(check(&a, MOSQ_ACL_WRITE, "$share/workers/org_a/jobs/1", false, 3) == MOSQ_ERR_ACL_DENIED);
	CHECK(check(&a, MOSQ_ACL_READ, "$share/workers/org_a/jobs/1", false, 3) == MOSQ_ERR_ACL_DENIED);
	/* Deliveries to a shared subscription are checked on the topic name. */
	CHECK(check(&a, MOSQ_ACL_READ, "org_a/jobs/1", false, 3) == MOSQ_ERR_SUCCESS);
	disconnect(&a);
	disconnect(&b);
	stop_plugin();
}

static void test_filters(void)
{
	struct mosquitto a = { "org_a/p1", "p@org_a", "127.0.0.1", 5, true };
	struct cs_session *s;

	start_plugin();
	cache("p@org_a", "[{\"permission\":\"allow\",\"action\":\"subscribe\",\"topic\":\"org_a/room/#\"}]");
	CHECK(connect_as(&a) == MOSQ_ERR_SUCCESS);
	s = cs_sessions__find(g_cs, &a);
	CHECK(s != NULL);
	if(s == NULL) goto out;
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/room/1", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/room/+", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/room/1", false, 0) == MOSQ_ERR_SUCCESS); /* again */
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/other", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(s->filter_count == 2);
	CHECK(queued("\"type\":\"subscribed\"") == 2);
	CHECK(queued("\"filter\":\"org_a/room/1\"") == 1);
	CHECK(queued("org_a/other") == 0);
	CHECK(queued(s->session_id) >= 3); /* connected + 2 */

	CHECK(check(&a, MOSQ_ACL_UNSUBSCRIBE, "org_a/room/1", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(check(&a, MOSQ_ACL_UNSUBSCRIBE, "org_a/never", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(s->filter_count == 1 && !strcmp(s->filters[0], "org_a/room/+"));
	CHECK(queued("\"type\":\"unsubscribed\"") == 1);

	/* Bounded per session. */
	test_log_all[0] = '\0';
	for(int i = 0; i < CS_MAX_SESSION_FILTERS + 5; i++){
		char f[64];

		snprintf(f, sizeof(f), "org_a/room/%d", i);
		check(&a, MOSQ_ACL_SUBSCRIBE, f, false, 0);
	}
	CHECK(s->filter_count == CS_MAX_SESSION_FILTERS && s->filters_full);
	CHECK(strstr(test_log_all, "presence shows no more") != NULL);

	/* Out of memory: the subscription stands, the filter is not kept. */
	check(&a, MOSQ_ACL_UNSUBSCRIBE, "org_a/room/3", false, 0);
	test_fail_alloc_after = 0;
	CHECK(check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/room/x", false, 0) == MOSQ_ERR_SUCCESS);
	test_fail_alloc_after = -1;
	CHECK(s->filter_count == CS_MAX_SESSION_FILTERS - 1);
out:
	disconnect(&a); /* frees the filters (leak check below) */
	stop_plugin();
}

static void test_retained_quota(void)
{
	struct mosquitto a = { "org_a/r1", "r@org_a", "127.0.0.1", 5, true };
	struct cs_limits lim;
	struct cs_org *org;

	start_plugin();
	cache("r@org_a", "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_a/#\"}]");
	CHECK(connect_as(&a) == MOSQ_ERR_SUCCESS);
	memset(&lim, 0, sizeof(lim));
	strcpy(lim.org_id, "org_a");
	lim.max_connections = -1;
	lim.messages_per_minute = -1;
	lim.max_retained_messages = 2;
	lim.max_payload_bytes = -1;
	CHECK(cs_orgs__set_limits(g_cs, &lim) == MOSQ_ERR_SUCCESS);
	org = cs_orgs__find(g_cs, "org_a");

	test_log_all[0] = '\0';
	CHECK(check(&a, MOSQ_ACL_WRITE, "org_a/s/1", true, 5) == MOSQ_ERR_SUCCESS);
	CHECK(check(&a, MOSQ_ACL_WRITE, "org_a/s/1", true, 7) == MOSQ_ERR_SUCCESS); /* replaces */
	CHECK(check(&a, MOSQ_ACL_WRITE, "org_a/s/2", true, 5) == MOSQ_ERR_SUCCESS);
	CHECK(org->retained_count == 2);
	CHECK(check(&a, MOSQ_ACL_WRITE, "org_a/s/3", false, 5) == MOSQ_ERR_SUCCESS); /* not retained */
	CHECK(check(&a, MOSQ_ACL_WRITE, "org_a/s/3", true, 5) == MOSQ_ERR_ACL_DENIED);
	CHECK(check(&a, MOSQ_ACL_WRITE, "org_a/s/2", true, 9) == MOSQ_ERR_SUCCESS); /* an existing one may change */
	CHECK(queued("\"quota\":\"max_retained_messages\"") == 1);
	CHECK(queued("\"type\":\"retained\"") == 4);
	CHECK(queued("\"topic\":\"org_a/s/1\",\"size\":7") == 1);
	CHECK(strstr(test_log_all, "retained message quota (2)") != NULL);
	/* A clear frees a place, and is reported with size 0. */
	CHECK(check(&a, MOSQ_ACL_WRITE, "org_a/s/1", true, 0) == MOSQ_ERR_SUCCESS);
	CHECK(org->retained_count == 1 && !cs_retained__has(g_cs, "org_a", "org_a/s/1"));
	CHECK(queued("\"topic\":\"org_a/s/1\",\"size\":0") == 1);
	CHECK(check(&a, MOSQ_ACL_WRITE, "org_a/s/3", true, 5) == MOSQ_ERR_SUCCESS);
	/* Refused by the rules: neither counted nor reported. */
	CHECK(check(&a, MOSQ_ACL_WRITE, "org_b/s/1", true, 5) == MOSQ_ERR_ACL_DENIED);
	CHECK(queued("org_b/s/1") == 0);

	/* Without limits and sessions the entry lives on while it holds retained topics. */
	disconnect(&a);
	lim.max_retained_messages = -1;
	CHECK(cs_orgs__set_limits(g_cs, &lim) == MOSQ_ERR_SUCCESS);
	org = cs_orgs__find(g_cs, "org_a");
	CHECK(org != NULL && org->retained_count == 2);
	stop_plugin();
}

static void test_retained_load(void)
{
	bool more = false;
	const char *error = NULL;
	cJSON *bad = cJSON_Parse("{\"org_a\": [1]}");
	struct cs_org *org;
	const char *reply = "{\"store\":\"s1\",\"position\":3,\"reset\":false,\"more\":false,\"principals\":[],"
		"\"removed\":[],\"tenancy\":\"multi\",\"default_org\":null,"
		"\"retained\":{\"org_a\":[\"org_a/x\",\"org_a/y\"],\"org_b\":[]}}";

	start_plugin();
	CHECK(!g_cs->retained_loaded);
	CHECK(cs_retained__load(g_cs, bad, &error) == MOSQ_ERR_INVAL && error != NULL);
	CHECK(!g_cs->retained_loaded && cs_orgs__find(g_cs, "org_a") == NULL);
	cJSON_Delete(bad);
	CHECK(cs_sync__apply(g_cs, reply, strlen(reply), &more, &error) == MOSQ_ERR_SUCCESS);
	CHECK(g_cs->retained_loaded);
	org = cs_orgs__find(g_cs, "org_a");
	CHECK(org && org->retained_count == 2 && cs_retained__has(g_cs, "org_a", "org_a/y"));
	CHECK(cs_orgs__find(g_cs, "org_b") == NULL);
	CHECK(queued("\"type\":\"retained\"") == 0); /* loading reports nothing */
	/* Loading again merges. */
	CHECK(cs_sync__apply(g_cs, reply, strlen(reply), &more, &error) == MOSQ_ERR_SUCCESS);
	CHECK(org->retained_count == 2);
	stop_plugin();
}

void test_presence__run(void)
{
	long before = test_alloc_outstanding;

	test_shared_filter();
	test_share_acl();
	test_filters();
	test_retained_quota();
	test_retained_load();
	CHECK(test_alloc_outstanding == before);
}
