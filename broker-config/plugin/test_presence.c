/* test_presence.c - unit tests for presence.c (session filters, their
 * reports, $share/GROUP/FILTER for tenants) and retained.c (retained topics
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
	th_stop();
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
