/* test_presence.c - unit tests for presence.c (session filters, their
 * reports, their carry-over to a resumed persistent session, $share/GROUP/FILTER
 * for tenants) and retained.c (retained topics
 * per organization, the max_retained_messages quota, the list a sync reply
 * hands over), against the stubs of test_stubs.c. */
#include <stdlib.h>
#include <string.h>

#include "test_harness.h"

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

	th_start("http://127.0.0.1:1", "200", NULL);
	CHECK(th_cache("w@org_a", "p", false, 0, "[{\"permission\":\"deny\",\"action\":\"subscribe\",\"topic\":\"org_a/jobs/secret/#\"},"
			"{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_a/jobs/#\"}]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("w@org_b", "p", false, 0, "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_b/jobs/#\"}]") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&a, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&b, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "$share/workers/org_a/jobs/#", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "$share/workers/org_a/jobs/secret/x", false, 0) == MOSQ_ERR_ACL_DENIED);
	/* Same group name, the other organization's filter. */
	CHECK(th_check(&b, MOSQ_ACL_SUBSCRIBE, "$share/workers/org_a/jobs/#", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(th_check(&b, MOSQ_ACL_SUBSCRIBE, "$share/workers/org_b/jobs/#", false, 0) == MOSQ_ERR_SUCCESS);
	/* Nothing else of '$'. */
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "$SYS/#", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "$CONTROL/cloudsignal/v1", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "$share/g/$SYS/#", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "$share/g+/org_a/jobs/#", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "$share/workers/org_a/jobs/1", false, 3) == MOSQ_ERR_ACL_DENIED);
	CHECK(th_check(&a, MOSQ_ACL_READ, "$share/workers/org_a/jobs/1", false, 3) == MOSQ_ERR_ACL_DENIED);
	/* Deliveries to a shared subscription are checked on the topic name. */
	CHECK(th_check(&a, MOSQ_ACL_READ, "org_a/jobs/1", false, 3) == MOSQ_ERR_SUCCESS);
	th_disconnect(&a);
	th_disconnect(&b);
	th_stop();
}

static void test_filters(void)
{
	struct mosquitto a = { "org_a/p1", "p@org_a", "127.0.0.1", 5, true };
	struct cs_session *s;

	th_start("http://127.0.0.1:1", "200", NULL);
	CHECK(th_cache("p@org_a", "p", false, 0, "[{\"permission\":\"allow\",\"action\":\"subscribe\",\"topic\":\"org_a/room/#\"}]") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&a, "p") == MOSQ_ERR_SUCCESS);
	s = cs_sessions__find(g_cs, &a);
	CHECK(s != NULL);
	if(s == NULL) goto out;
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/room/1", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/room/+", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/room/1", false, 0) == MOSQ_ERR_SUCCESS); /* again */
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/other", false, 0) == MOSQ_ERR_ACL_DENIED);
	CHECK(s->filter_count == 2);
	CHECK(th_queued("\"type\":\"subscribed\"") == 2);
	CHECK(th_queued("\"filter\":\"org_a/room/1\"") == 1);
	CHECK(th_queued("org_a/other") == 0);
	CHECK(th_queued(s->session_id) >= 3); /* connected + 2 */

	CHECK(th_check(&a, MOSQ_ACL_UNSUBSCRIBE, "org_a/room/1", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(th_check(&a, MOSQ_ACL_UNSUBSCRIBE, "org_a/never", false, 0) == MOSQ_ERR_SUCCESS);
	CHECK(s->filter_count == 1 && !strcmp(s->filters[0], "org_a/room/+"));
	CHECK(th_queued("\"type\":\"unsubscribed\"") == 1);

	/* Bounded per session. */
	test_log_all[0] = '\0';
	for(int i = 0; i < CS_MAX_SESSION_FILTERS + 5; i++){
		char f[64];

		snprintf(f, sizeof(f), "org_a/room/%d", i);
		th_check(&a, MOSQ_ACL_SUBSCRIBE, f, false, 0);
	}
	CHECK(s->filter_count == CS_MAX_SESSION_FILTERS && s->filters_full);
	CHECK(strstr(test_log_all, "presence shows no more") != NULL);

	/* Out of memory: the subscription stands, the filter is not kept. */
	th_check(&a, MOSQ_ACL_UNSUBSCRIBE, "org_a/room/3", false, 0);
	test_fail_alloc_after = 0;
	CHECK(th_check(&a, MOSQ_ACL_SUBSCRIBE, "org_a/room/x", false, 0) == MOSQ_ERR_SUCCESS);
	test_fail_alloc_after = -1;
	CHECK(s->filter_count == CS_MAX_SESSION_FILTERS - 1);
out:
	th_disconnect(&a); /* frees the filters (leak check below) */
	th_stop();
}

/* The session filters of a persistent session that resumes (sessionPresent):
 * kept with the offline entry, handed to the next session of the client id
 * when it does not start clean, reported for it once the broker shows the
 * session was resumed (its subscriptions moved to the new client). */
#define RESUME_RULES "[{\"permission\":\"allow\",\"action\":\"subscribe\",\"topic\":\"org_a/news/#\"}]"

static int subscribed_of(const struct cs_session *s)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "\"type\":\"subscribed\",\"session_id\":\"%s\"", s->session_id);
	return th_queued(needle);
}

static bool holds(const struct cs_session *s, const char *filter)
{
	for(int i = 0; s && i < s->filter_count; i++){
		if(!strcmp(s->filters[i], filter)) return true;
	}
	return false;
}

static void test_resume(void)
{
	struct mosquitto a1 = { "org_a/n1", "n@org_a", "127.0.0.1", 5, false };
	struct mosquitto a2 = a1, a3 = a1, a4 = a1, a5 = a1, a6 = a1, a7 = a1;
	struct mosquitto v1 = { "org_a/v3", "n@org_a", "127.0.0.1", 4, false };
	struct mosquitto v2 = v1;
	struct cs_client *e;
	struct cs_session *s;

	th_start("http://127.0.0.1:1", "200", NULL);
	CHECK(th_cache("n@org_a", "p", false, 0, RESUME_RULES) == MOSQ_ERR_SUCCESS);

	/* MQTT 5 with session expiry: subscribes, goes away. */
	CHECK(th_connect(&a1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&a1, MOSQ_ACL_SUBSCRIBE, "org_a/news/#") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&a1, MOSQ_ACL_SUBSCRIBE, "org_a/news/x") == MOSQ_ERR_SUCCESS);
	test_set_sub_count(&a1, 2);
	th_disconnect(&a1);
	e = cs_clients__find(g_cs, "org_a/n1");
	CHECK(e && e->offline && e->filter_count == 2);

	/* It comes back without a clean start; the broker resumes the session
	 * after BASIC_AUTH (connect__on_authorised moves the subscriptions). */
	CHECK(th_connect(&a2, "p") == MOSQ_ERR_SUCCESS);
	s = cs_sessions__find(g_cs, &a2);
	CHECK(s != NULL);
	if(s == NULL) goto out;
	CHECK(subscribed_of(s) == 0); /* not before the broker shows the resume */
	test_set_sub_count(&a2, 2);
	th_tick();
	CHECK(s->filter_count == 2 && holds(s, "org_a/news/#") && holds(s, "org_a/news/x"));
	CHECK(subscribed_of(s) == 2);
	CHECK(th_queued("\"filter\":\"org_a/news/#\"") == 2); /* the first session's and this one's */
	/* Held already: not reported again. */
	CHECK(th_acl(&a2, MOSQ_ACL_SUBSCRIBE, "org_a/news/#") == MOSQ_ERR_SUCCESS);
	CHECK(subscribed_of(s) == 2);
	th_tick();
	CHECK(subscribed_of(s) == 2);

	/* A clean start: the broker discarded the subscriptions, so do we. */
	th_disconnect(&a2);
	CHECK(cs_clients__find(g_cs, "org_a/n1")->filter_count == 2);
	a3.clean = true;
	CHECK(th_connect(&a3, "p") == MOSQ_ERR_SUCCESS);
	s = cs_sessions__find(g_cs, &a3);
	th_tick();
	CHECK(s && s->filter_count == 0 && subscribed_of(s) == 0);
	CHECK(th_acl(&a3, MOSQ_ACL_SUBSCRIBE, "org_a/news/y") == MOSQ_ERR_SUCCESS);

	/* No clean start, but the broker has no session any more (expired, or
	 * MQTT 5 with a session expiry of 0): nothing carried over. */
	th_disconnect(&a3);
	CHECK(cs_clients__find(g_cs, "org_a/n1")->filter_count == 1);
	CHECK(th_connect(&a4, "p") == MOSQ_ERR_SUCCESS);
	s = cs_sessions__find(g_cs, &a4);
	th_tick();
	CHECK(s && s->filter_count == 0 && subscribed_of(s) == 0);

	/* A SUBSCRIBE and an UNSUBSCRIBE before the TICK: the resume is
	 * settled first (the ACL check comes before the broker adds the
	 * subscription, so the count is still the resumed session's). */
	CHECK(th_acl(&a4, MOSQ_ACL_SUBSCRIBE, "org_a/news/1") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&a4, MOSQ_ACL_SUBSCRIBE, "org_a/news/2") == MOSQ_ERR_SUCCESS);
	test_set_sub_count(&a4, 2);
	th_disconnect(&a4);
	CHECK(th_connect(&a5, "p") == MOSQ_ERR_SUCCESS);
	s = cs_sessions__find(g_cs, &a5);
	test_set_sub_count(&a5, 2);
	CHECK(th_acl(&a5, MOSQ_ACL_UNSUBSCRIBE, "org_a/news/1") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&a5, MOSQ_ACL_SUBSCRIBE, "org_a/news/3") == MOSQ_ERR_SUCCESS);
	CHECK(s && s->filter_count == 2 && holds(s, "org_a/news/2") && holds(s, "org_a/news/3"));
	CHECK(s && subscribed_of(s) == 3);
	CHECK(th_queued("\"type\":\"unsubscribed\"") == 1);
	th_tick();
	CHECK(s && s->filter_count == 2 && subscribed_of(s) == 3);

	/* A takeover of the live session without a clean start resumes it too. */
	test_set_sub_count(&a6, 0);
	CHECK(th_connect(&a6, "p") == MOSQ_ERR_SUCCESS);
	CHECK(cs_sessions__find(g_cs, &a5) == NULL); /* taken over */
	s = cs_sessions__find(g_cs, &a6);
	test_set_sub_count(&a6, 2);
	th_tick();
	CHECK(s && s->filter_count == 2 && holds(s, "org_a/news/3") && subscribed_of(s) == 2);

	/* Gone before the TICK: settled at its DISCONNECT, kept offline. */
	th_disconnect(&a6);
	CHECK(th_connect(&a7, "p") == MOSQ_ERR_SUCCESS);
	test_set_sub_count(&a7, 2);
	th_disconnect(&a7);
	e = cs_clients__find(g_cs, "org_a/n1");
	CHECK(e && e->offline && e->filter_count == 2);

	/* MQTT 3.1.1, clean_session=0. */
	CHECK(th_connect(&v1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&v1, MOSQ_ACL_SUBSCRIBE, "org_a/news/#") == MOSQ_ERR_SUCCESS);
	test_set_sub_count(&v1, 1);
	th_disconnect(&v1);
	CHECK(th_connect(&v2, "p") == MOSQ_ERR_SUCCESS);
	test_set_sub_count(&v2, 1);
	th_tick();
	s = cs_sessions__find(g_cs, &v2);
	CHECK(s && s->filter_count == 1 && subscribed_of(s) == 1);
	th_disconnect(&v2);

out:
	th_stop(); /* frees offline entries and their filters (leak check below) */
}

static void test_retained_quota(void)
{
	struct mosquitto a = { "org_a/r1", "r@org_a", "127.0.0.1", 5, true };
	struct cs_limits lim;
	struct cs_org *org;

	th_start("http://127.0.0.1:1", "200", NULL);
	CHECK(th_cache("r@org_a", "p", false, 0, "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_a/#\"}]") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&a, "p") == MOSQ_ERR_SUCCESS);
	memset(&lim, 0, sizeof(lim));
	strcpy(lim.org_id, "org_a");
	lim.max_connections = -1;
	lim.messages_per_minute = -1;
	lim.max_retained_messages = 2;
	lim.max_payload_bytes = -1;
	CHECK(cs_orgs__set_limits(g_cs, &lim) == MOSQ_ERR_SUCCESS);
	org = cs_orgs__find(g_cs, "org_a");

	test_log_all[0] = '\0';
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "org_a/s/1", true, 5) == MOSQ_ERR_SUCCESS);
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "org_a/s/1", true, 7) == MOSQ_ERR_SUCCESS); /* replaces */
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "org_a/s/2", true, 5) == MOSQ_ERR_SUCCESS);
	CHECK(org->retained_count == 2);
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "org_a/s/3", false, 5) == MOSQ_ERR_SUCCESS); /* not retained */
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "org_a/s/3", true, 5) == MOSQ_ERR_ACL_DENIED);
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "org_a/s/2", true, 9) == MOSQ_ERR_SUCCESS); /* an existing one may change */
	CHECK(th_queued("\"quota\":\"max_retained_messages\"") == 1);
	CHECK(th_queued("\"type\":\"retained\"") == 4);
	CHECK(th_queued("\"topic\":\"org_a/s/1\",\"size\":7") == 1);
	CHECK(strstr(test_log_all, "retained message quota (2)") != NULL);
	/* A clear frees a place, and is reported with size 0. */
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "org_a/s/1", true, 0) == MOSQ_ERR_SUCCESS);
	CHECK(org->retained_count == 1 && !cs_retained__has(g_cs, "org_a", "org_a/s/1"));
	CHECK(th_queued("\"topic\":\"org_a/s/1\",\"size\":0") == 1);
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "org_a/s/3", true, 5) == MOSQ_ERR_SUCCESS);
	/* Refused by the rules: neither counted nor reported. */
	CHECK(th_check(&a, MOSQ_ACL_WRITE, "org_b/s/1", true, 5) == MOSQ_ERR_ACL_DENIED);
	CHECK(th_queued("org_b/s/1") == 0);

	/* Without limits and sessions the entry lives on while it holds retained topics. */
	th_disconnect(&a);
	lim.max_retained_messages = -1;
	CHECK(cs_orgs__set_limits(g_cs, &lim) == MOSQ_ERR_SUCCESS);
	org = cs_orgs__find(g_cs, "org_a");
	CHECK(org != NULL && org->retained_count == 2);
	th_stop();
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

	th_start("http://127.0.0.1:1", "200", NULL);
	CHECK(!g_cs->retained_loaded);
	CHECK(cs_retained__load(g_cs, bad, &error) == MOSQ_ERR_INVAL && error != NULL);
	CHECK(!g_cs->retained_loaded && cs_orgs__find(g_cs, "org_a") == NULL);
	cJSON_Delete(bad);
	CHECK(cs_sync__apply(g_cs, reply, strlen(reply), &more, &error) == MOSQ_ERR_SUCCESS);
	CHECK(g_cs->retained_loaded);
	org = cs_orgs__find(g_cs, "org_a");
	CHECK(org && org->retained_count == 2 && cs_retained__has(g_cs, "org_a", "org_a/y"));
	CHECK(cs_orgs__find(g_cs, "org_b") == NULL);
	CHECK(th_queued("\"type\":\"retained\"") == 0); /* loading reports nothing */
	/* Loading again merges. */
	CHECK(cs_sync__apply(g_cs, reply, strlen(reply), &more, &error) == MOSQ_ERR_SUCCESS);
	CHECK(org->retained_count == 2);
	/* After a crash the service finds x and y gone from the broker; y was
	 * published again in this run meanwhile: only x leaves the count. */
	cs_retained__record(g_cs, "org_a", "org_a/y", 3, 1);
	CHECK(th_control_error("{\"commands\":[{\"command\":\"forget_retained\",\"org_id\":\"org_a\"}]}") != NULL);
	CHECK(th_control_error("{\"commands\":[{\"command\":\"forget_retained\",\"org_id\":\"org_a\",\"topics\":[1]}]}") != NULL);
	CHECK(org->retained_count == 2);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"forget_retained\",\"org_id\":\"org_a\","
		"\"topics\":[\"org_a/x\",\"org_a/y\",\"org_a/never\"]}]}"));
	CHECK(org->retained_count == 1 && !cs_retained__has(g_cs, "org_a", "org_a/x") && cs_retained__has(g_cs, "org_a", "org_a/y"));
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"forget_retained\",\"org_id\":\"org_none\",\"topics\":[]}]}"));
	th_stop();
}

void test_presence__run(void)
{
	long before = test_alloc_outstanding;

	test_shared_filter();
	test_share_acl();
	test_filters();
	test_resume();
	test_retained_quota();
	test_retained_load();
	CHECK(test_alloc_outstanding == before);
}
