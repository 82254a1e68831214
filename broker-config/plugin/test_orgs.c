/* test_orgs.c - unit tests for orgs.c: limits parsing, the connection quota
 * (cache and HTTP paths), the message quota with a fake clock, set_limits,
 * and no client id takeover across organizations, against the stubs of
 * test_stubs.c and a small local authenticate service. */
#include <string.h>

#include "test_harness.h"

#define ALLOW_ALL "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"#\"}]"

static long org_sessions(const char *org_id)
{
	struct cs_org *org = cs_orgs__find(g_cs, org_id);

	return org ? org->sessions : 0;
}

/* Every organization's counter equals its sessions in the session table. */
static bool counts_exact(void)
{
	struct cs_org *org, *otmp;
	struct cs_session *s, *stmp;

	HASH_ITER(hh, g_cs->orgs, org, otmp){
		long n = 0;

		HASH_ITER(hh, g_cs->sessions, s, stmp){
			const char *o = cs_orgs__of(s->username);

			if(o && !strcmp(o, org->org_id)) n++;
		}
		if(n != org->sessions) return false;
	}
	HASH_ITER(hh, g_cs->sessions, s, stmp){
		const char *o = cs_orgs__of(s->username);

		if(o && o[0] && strlen(o) <= CS_MAX_ORG_ID_LEN && cs_orgs__find(g_cs, o) == NULL) return false;
	}
	return true;
}

/* ---- limits parsing ------------------------------------------------------ */

static void test_parse_limits(void)
{
	struct cs_auth_reply reply;
	enum cs_auth_result result;
	const char *err;
	const char *bad[] = {
		"{\"result\":\"allow\",\"limits\":5}",
		"{\"result\":\"allow\",\"limits\":\"org_aaaaaaaaaaaa\"}",
		"{\"result\":\"allow\",\"limits\":[]}",
		"{\"result\":\"allow\",\"limits\":{}}",
		"{\"result\":\"allow\",\"limits\":{\"max_connections\":2}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":5}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":null}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"\"}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"a@b\"}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_0123456789012345678901234567890123456789012345678901234567890\"}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_a\",\"max_connections\":\"2\"}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_a\",\"max_connections\":true}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_a\",\"max_connections\":1.5}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_a\",\"max_connections\":-1}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_a\",\"max_connections\":1e16}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_a\",\"messages_per_minute\":{}}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_a\",\"messages_per_minute\":[5]}}",
		"{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_a\",\"messages_per_minute\":false}}",
	};
	const char *r;

	/* Absent and null: no limits. */
	r = "{\"result\":\"allow\",\"acl\":" ALLOW_ALL "}";
	CHECK(cs_auth__parse_reply(r, strlen(r), &result, &reply, &err) == 0 && result == CS_RESULT_ALLOW);
	CHECK(reply.limits.org_id[0] == '\0' && reply.limits.max_connections == -1 && reply.limits.messages_per_minute == -1);
	CHECK(reply.rules.count == 1);
	cs_rules__free(&reply.rules);
	r = "{\"result\":\"allow\",\"limits\":null}";
	CHECK(cs_auth__parse_reply(r, strlen(r), &result, &reply, &err) == 0);
	CHECK(reply.limits.org_id[0] == '\0' && reply.limits.max_connections == -1 && reply.limits.messages_per_minute == -1);

	/* Present. */
	r = "{\"result\":\"allow\",\"is_superuser\":false,\"acl\":" ALLOW_ALL ",\"expire_at\":null,"
		"\"limits\":{\"org_id\":\"org_aaaaaaaaaaaa\",\"max_connections\":2,\"messages_per_minute\":5}}";
	CHECK(cs_auth__parse_reply(r, strlen(r), &result, &reply, &err) == 0 && result == CS_RESULT_ALLOW);
	CHECK(!strcmp(reply.limits.org_id, "org_aaaaaaaaaaaa") && reply.limits.max_connections == 2
			&& reply.limits.messages_per_minute == 5 && reply.rules.count == 1);
	cs_rules__free(&reply.rules);
	/* Null or absent fields: unlimited; 0 is a limit; 5.0 is an integer. */
	r = "{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_b\",\"max_connections\":null}}";
	CHECK(cs_auth__parse_reply(r, strlen(r), &result, &reply, &err) == 0);
	CHECK(!strcmp(reply.limits.org_id, "org_b") && reply.limits.max_connections == -1 && reply.limits.messages_per_minute == -1);
	r = "{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_b\",\"max_connections\":0,\"messages_per_minute\":5.0}}";
	CHECK(cs_auth__parse_reply(r, strlen(r), &result, &reply, &err) == 0);
	CHECK(reply.limits.max_connections == 0 && reply.limits.messages_per_minute == 5);
	r = "{\"result\":\"allow\",\"limits\":{\"org_id\":\"org_b\",\"max_connections\":9007199254740991,\"messages_per_minute\":null,\"extra\":1}}";
	CHECK(cs_auth__parse_reply(r, strlen(r), &result, &reply, &err) == 0);
	CHECK(reply.limits.max_connections == 9007199254740991LL && reply.limits.messages_per_minute == -1);
	/* deny/ignore never look at limits. */
	r = "{\"result\":\"deny\",\"limits\":5}";
	CHECK(cs_auth__parse_reply(r, strlen(r), &result, &reply, &err) == 0 && result == CS_RESULT_DENY);

	/* Wrong types (or values): the whole reply is unparseable. */
	for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
		err = NULL;
		CHECK(cs_auth__parse_reply(bad[i], strlen(bad[i]), &result, &reply, &err) == MOSQ_ERR_INVAL && err != NULL);
	}
	CHECK(cs_auth__parse_reply(bad[10], strlen(bad[10]), &result, &reply, &err) != 0
			&& !strcmp(err, "'max_connections' must be a non-negative integer or null"));
	/* No rules leaked on a bad limits object after a good acl. */
	r = "{\"result\":\"allow\",\"acl\":" ALLOW_ALL ",\"limits\":{\"org_id\":7}}";
	CHECK(cs_auth__parse_reply(r, strlen(r), &result, &reply, &err) != 0 && reply.rules.count == 0);

	/* Organization of a username. */
	CHECK(!strcmp(cs_orgs__of("u@org_a"), "org_a") && !strcmp(cs_orgs__of("a@b@org_a"), "org_a"));
	CHECK(cs_orgs__of("internal") == NULL && !strcmp(cs_orgs__of("u@"), ""));
	CHECK(cs_orgs__same("u@org_a", "v@org_a") && !cs_orgs__same("u@org_a", "u@org_b"));
	CHECK(cs_orgs__same("x", "x") && !cs_orgs__same("x", "y"));
	CHECK(!cs_orgs__same("x", "u@x") && !cs_orgs__same("u@x", "x") && !cs_orgs__same(NULL, "x"));
}

/* ---- connection quota ---------------------------------------------------- */

static void test_connection_quota(void)
{
	struct mosquitto q1 = { "q1", "a@org_q", NULL, 4, true };
	struct mosquitto q2 = { "q2", "b@org_q", NULL, 4, true };
	struct mosquitto q2b = { "q2", "a@org_q", NULL, 4, true };
	struct mosquitto q3 = { "q3", "a@org_q", NULL, 4, true };
	struct mosquitto q4 = { "q4", "b@org_q", NULL, 4, true };
	struct mosquitto r[4] = {
		{ "r1", "a@org_r", NULL, 4, true }, { "r2", "a@org_r", NULL, 4, true },
		{ "r3", "a@org_r", NULL, 4, true }, { "r4", "a@org_r", NULL, 4, true },
	};
	struct mosquitto internal = { "svc", "cloudsignal-internal", NULL, 4, true };
	long before = test_alloc_outstanding;

	th_start("http://127.0.0.1:1", "2000", NULL);
	CHECK(th_cache("a@org_q", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("b@org_q", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("a@org_r", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_q\",\"max_connections\":2,\"messages_per_minute\":null}]}"));
	CHECK(cs_orgs__find(g_cs, "org_q") && cs_orgs__find(g_cs, "org_q")->max_connections == 2);

	/* N allowed, N+1 refused; other organizations unaffected. */
	CHECK(th_connect(&q1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&q2, "p") == MOSQ_ERR_SUCCESS);
	CHECK(org_sessions("org_q") == 2);
	test_log_all[0] = '\0';
	CHECK(th_connect(&q3, "p") == MOSQ_ERR_AUTH);
	CHECK(strstr(test_log_all, "cloudsignal: refusing a@org_q (client q3): organization org_q is at its connection quota (2)\n") != NULL);
	CHECK(test_last_log_level == MOSQ_LOG_NOTICE);
	CHECK(cs_clients__find(g_cs, "q3") == NULL && cs_sessions__find(g_cs, &q3) == NULL);
	th_disconnect(&q3);                                   /* the broker drops the refused client */
	CHECK(org_sessions("org_q") == 2);
	for(int i = 0; i < 4; i++) CHECK(th_connect(&r[i], "p") == MOSQ_ERR_SUCCESS);
	CHECK(org_sessions("org_r") == 4 && counts_exact());
	/* The internal user is never limited (and belongs to no organization). */
	CHECK(th_connect(&internal, "s3cret") == MOSQ_ERR_SUCCESS);

	/* A takeover within the organization is not counted against it. */
	CHECK(th_connect(&q2b, "p") == MOSQ_ERR_SUCCESS);    /* replaces q2 (another user, same org) */
	CHECK(org_sessions("org_q") == 2 && counts_exact());
	CHECK(cs_sessions__find(g_cs, &q2) == NULL && cs_sessions__find(g_cs, &q2b) != NULL);
	CHECK(th_connect(&q4, "p") == MOSQ_ERR_AUTH);

	/* A disconnect frees a slot. */
	th_disconnect(&q1);
	CHECK(org_sessions("org_q") == 1);
	CHECK(th_connect(&q3, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&q4, "p") == MOSQ_ERR_AUTH);
	CHECK(org_sessions("org_q") == 2 && counts_exact());

	/* Lowering the limit kicks nobody; raising it admits at once. */
	test_kick_count = 0;
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_q\",\"max_connections\":1}]}"));
	CHECK(test_kick_count == 0 && org_sessions("org_q") == 2);
	CHECK(th_connect(&q4, "p") == MOSQ_ERR_AUTH);
	CHECK(strstr(test_last_log, "connection quota (1)") != NULL);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_q\",\"max_connections\":3}]}"));
	CHECK(th_connect(&q4, "p") == MOSQ_ERR_SUCCESS);
	CHECK(org_sessions("org_q") == 3);
	/* Zero admits no new session. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_r\",\"max_connections\":0}]}"));
	{
		struct mosquitto r5 = { "r5", "a@org_r", NULL, 4, true };

		CHECK(th_connect(&r5, "p") == MOSQ_ERR_AUTH);
	}
	/* A takeover keeps the count, so it passes even at the quota. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_r\",\"max_connections\":4}]}"));
	{
		struct mosquitto r1b = { "r1", "a@org_r", NULL, 4, true };

		CHECK(th_connect(&r1b, "p") == MOSQ_ERR_SUCCESS);
		CHECK(org_sessions("org_r") == 4);
		th_disconnect(&r1b);
	}
	/* Unlimited again (null fields): entries without sessions go away. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_q\",\"max_connections\":null,\"messages_per_minute\":null}]}"));
	CHECK(cs_orgs__find(g_cs, "org_q") && cs_orgs__find(g_cs, "org_q")->max_connections == -1);
	th_disconnect(&q2b);
	th_disconnect(&q3);
	th_disconnect(&q4);
	CHECK(cs_orgs__find(g_cs, "org_q") == NULL);
	CHECK(counts_exact());

	th_stop();
	CHECK(test_alloc_outstanding == before);
}

/* ---- HTTP path: limits from the reply ------------------------------------ */

static void test_reply_limits(void)
{
	struct mosquitto h1 = { "h1", "u@org_h", NULL, 4, true };
	struct mosquitto h2 = { "h2", "u@org_h", NULL, 4, true };
	struct mosquitto h3 = { "h3", "v@org_h", NULL, 4, true };
	struct mosquitto h4 = { "h4", "w@org_h", NULL, 4, true };
	struct mosquitto z1 = { "h1", "z@org_z", NULL, 4, true };
	struct mosquitto m1 = { "m1", "x@org_h", NULL, 4, true };
	char url[64];
	struct cs_principal *e;
	struct cs_org *org;
	long before = test_alloc_outstanding;

	th_service_start(url, sizeof(url));
	th_start(url, "2000", NULL);

	th_service_auth_reply("{\"result\":\"allow\",\"acl\":" ALLOW_ALL ",\"limits\":{\"org_id\":\"org_h\",\"max_connections\":1,\"messages_per_minute\":2}}");
	CHECK(th_connect(&h1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_service_auth_requests() == 1);
	pthread_mutex_lock(&th_svc.lock);
	CHECK(strstr(th_svc.last_auth, "\"username\":\"u@org_h\"") != NULL);
	pthread_mutex_unlock(&th_svc.lock);
	org = cs_orgs__find(g_cs, "org_h");
	CHECK(org && org->max_connections == 1 && org->messages_per_minute == 2 && org->sessions == 1);
	e = cs_principals__find(g_cs, "u@org_h");
	CHECK(e && !strcmp(e->limits.org_id, "org_h") && e->limits.max_connections == 1 && e->limits.messages_per_minute == 2);

	/* Cache path: refused at the quota without asking the service. */
	test_log_all[0] = '\0';
	CHECK(th_connect(&h2, "p") == MOSQ_ERR_AUTH);
	CHECK(th_service_auth_requests() == 1);
	CHECK(strstr(test_log_all, "refusing u@org_h (client h2): organization org_h is at its connection quota (1)") != NULL);

	/* A cache hit applies nothing: set_limits wins until the next reply. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_h\",\"max_connections\":2}]}"));
	CHECK(cs_principals__find(g_cs, "u@org_h")->limits.max_connections == 2);
	CHECK(cs_principals__find(g_cs, "u@org_h")->limits.messages_per_minute == -1);
	CHECK(th_connect(&h2, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_service_auth_requests() == 1);
	CHECK(cs_orgs__find(g_cs, "org_h")->max_connections == 2);

	/* HTTP path: the reply's limits are stored first (last reply wins), then
	 * the quota refuses; a refused login is not cached. */
	th_service_auth_reply("{\"result\":\"allow\",\"acl\":[],\"limits\":{\"org_id\":\"org_h\",\"max_connections\":2,\"messages_per_minute\":7}}");
	test_log_all[0] = '\0';
	CHECK(th_connect(&h3, "p") == MOSQ_ERR_AUTH);
	CHECK(th_service_auth_requests() == 2);
	CHECK(cs_orgs__find(g_cs, "org_h")->messages_per_minute == 7);
	CHECK(strstr(test_log_all, "refusing v@org_h (client h3): organization org_h is at its connection quota (2)") != NULL);
	CHECK(cs_principals__find(g_cs, "v@org_h") == NULL && cs_clients__find(g_cs, "h3") == NULL);
	th_service_auth_reply("{\"result\":\"allow\",\"acl\":[],\"limits\":{\"org_id\":\"org_h\",\"max_connections\":3,\"messages_per_minute\":null}}");
	CHECK(th_connect(&h3, "p") == MOSQ_ERR_SUCCESS);
	CHECK(cs_orgs__find(g_cs, "org_h")->max_connections == 3 && cs_orgs__find(g_cs, "org_h")->messages_per_minute == -1);
	CHECK(org_sessions("org_h") == 3 && counts_exact());

	/* No limits in the reply: the table keeps what it had. */
	th_service_auth_reply("{\"result\":\"allow\",\"acl\":[]}");
	CHECK(th_connect(&h4, "p") == MOSQ_ERR_AUTH);
	CHECK(cs_orgs__find(g_cs, "org_h")->max_connections == 3);
	CHECK(cs_principals__find(g_cs, "w@org_h") == NULL);

	/* Another organization's client id: refused on the HTTP path too. */
	test_log_all[0] = '\0';
	CHECK(th_connect(&z1, "p") == MOSQ_ERR_AUTH);
	CHECK(strstr(test_log_all, "cloudsignal: refusing z@org_z (client h1): client id in use by another organization\n") != NULL);
	CHECK(cs_clients__find(g_cs, "h1")->client == &h1 && cs_sessions__find(g_cs, &h1) != NULL);

	/* Limits naming another organization: stored there, with a warning. */
	th_service_auth_reply("{\"result\":\"allow\",\"acl\":[],\"limits\":{\"org_id\":\"org_other\",\"max_connections\":5}}");
	test_log_all[0] = '\0';
	CHECK(th_connect(&m1, "p") == MOSQ_ERR_AUTH);   /* org_h still at 3 */
	CHECK(strstr(test_log_all, "the service sent limits of organization org_other for x@org_h (client m1)") != NULL);
	CHECK(cs_orgs__find(g_cs, "org_other") && cs_orgs__find(g_cs, "org_other")->max_connections == 5);

	/* Bad limits types: unparseable reply, refused. */
	th_service_auth_reply("{\"result\":\"allow\",\"acl\":[],\"limits\":{\"org_id\":\"org_h\",\"max_connections\":\"9\"}}");
	test_log_all[0] = '\0';
	CHECK(th_connect(&h4, "p") == MOSQ_ERR_AUTH);
	CHECK(strstr(test_log_all, "unparseable service reply: 'max_connections' must be a non-negative integer or null") != NULL);
	CHECK(cs_orgs__find(g_cs, "org_h")->max_connections == 3);

	/* Out of memory anywhere on the HTTP path: refused or admitted, never
	 * a leak, and the counts stay exact. */
	th_service_auth_reply("{\"result\":\"allow\",\"acl\":" ALLOW_ALL ",\"limits\":{\"org_id\":\"org_k\",\"max_connections\":1,\"messages_per_minute\":1}}");
	{
		bool leak = false, exact = true, refused = false, admitted = false;

		for(long i = 0; i < 16; i++){
			struct mosquitto k1 = { "k1", "k@org_k", NULL, 4, true };
			long outstanding = test_alloc_outstanding;
			int rc;

			test_fail_alloc_after = i;
			rc = th_connect(&k1, "p");
			test_fail_alloc_after = -1;
			if(rc == MOSQ_ERR_SUCCESS) admitted = true; else refused = true;
			if(!counts_exact()) exact = false;
			th_disconnect(&k1);
			cs_clients__forget_departed(g_cs);  /* the TICK after the will check */
			cs_principals__drop(g_cs, "k@org_k");
			CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_k\"}]}"));
			if(test_alloc_outstanding != outstanding) leak = true;
		}
		CHECK(!leak && exact && refused && admitted);
	}

	th_stop();
	th_service_stop();
	CHECK(test_alloc_outstanding == before);
}

/* ---- message quota ------------------------------------------------------- */

static int64_t g_now_ms;

static int64_t fake_now(void)
{
	return g_now_ms;
}

static void test_message_quota(void)
{
	struct mosquitto m1 = { "m1", "a@org_m", NULL, 4, true };
	struct mosquitto m2 = { "m2", "b@org_m", NULL, 4, true };
	struct mosquitto su = { "msu", "root@org_m", NULL, 4, true };
	struct mosquitto n1 = { "n1", "a@org_n", NULL, 4, true };
	struct mosquitto internal = { "svc", "cloudsignal-internal", NULL, 4, true };
	const char *rules = "[{\"permission\":\"deny\",\"action\":\"publish\",\"topic\":\"secret/#\"},"
			"{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"#\"}]";
	const char *over = "cloudsignal: organization org_m is over its message quota (3/min)";
	long before = test_alloc_outstanding;
	struct cs_org *org;

	th_start("http://127.0.0.1:1", "2000", NULL);
	g_now_ms = 1000000;
	g_cs->now_ms = fake_now;
	CHECK(th_cache("a@org_m", "p", false, 0, rules) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("b@org_m", "p", false, 0, rules) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("root@org_m", "p", true, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("a@org_n", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_m\",\"messages_per_minute\":3},"
			"{\"command\":\"set_limits\",\"org_id\":\"org_n\",\"messages_per_minute\":100}]}"));
	CHECK(th_connect(&m1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&m2, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&su, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&n1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&internal, "s3cret") == MOSQ_ERR_SUCCESS);
	org = cs_orgs__find(g_cs, "org_m");

	/* The window counts every client of the organization. */
	test_log_all[0] = '\0';
	CHECK(th_publish(&m1, "a/1") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&m1, "secret/x") == MOSQ_ERR_ACL_DENIED);       /* rule denial: not counted */
	CHECK(th_acl(&m1, MOSQ_ACL_SUBSCRIBE, "a/#") == MOSQ_ERR_SUCCESS); /* only publishes count */
	CHECK(th_acl(&m1, MOSQ_ACL_READ, "a/1") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&m2, "a/2") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&su, "$CONTROL/other") == MOSQ_ERR_SUCCESS);    /* superusers count too */
	CHECK(org && org->window_count == 3);
	CHECK(test_log_all[0] == '\0');
	CHECK(th_publish(&m1, "a/4") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_publish(&m2, "a/5") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_publish(&su, "x") == MOSQ_ERR_ACL_DENIED);
	CHECK(org->window_count == 3);                                 /* denials not counted */
	CHECK(th_count_in_log(over) == 1);                                /* the first at once, then once a minute */
	CHECK(th_count_in_log("over its message quota (3/min): 1 publishes refused") == 1);
	CHECK(th_queued("\"type\":\"quota_refused\",\"org_id\":\"org_m\",\"quota\":\"messages_per_minute\",\"count\":1,") == 1);
	CHECK(th_acl(&m1, MOSQ_ACL_READ, "a/1") == MOSQ_ERR_SUCCESS);     /* deliveries still flow */

	/* Other organizations and the internal user are unaffected. */
	for(int i = 0; i < 50; i++) CHECK(th_publish(&n1, "n/x") == MOSQ_ERR_SUCCESS);
	CHECK(cs_orgs__find(g_cs, "org_n")->window_count == 50);
	for(int i = 0; i < 10; i++) CHECK(th_publish(&internal, "$CONTROL/cloudsignal/v1") == MOSQ_ERR_SUCCESS);

	/* The window resets 60 s after it started. */
	g_now_ms += 59999;
	CHECK(th_publish(&m1, "a/6") == MOSQ_ERR_ACL_DENIED);
	g_now_ms += 1;
	CHECK(th_publish(&m1, "a/7") == MOSQ_ERR_SUCCESS);
	CHECK(org->window_count == 1 && org->window_start_ms == g_now_ms);
	CHECK(th_publish(&m1, "a/8") == MOSQ_ERR_SUCCESS);
	g_now_ms += 30000;                                             /* fixed window: no sliding */
	CHECK(th_publish(&m1, "a/9") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&m1, "a/10") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_count_in_log(over) == 2);                                /* a minute after the first report */
	CHECK(th_count_in_log("over its message quota (3/min): 4 publishes refused") == 1); /* a/5, x, a/6, a/10 */
	CHECK(th_queued("\"quota\":\"messages_per_minute\",\"count\":4,") == 1);
	CHECK(th_publish(&n1, "n/x") == MOSQ_ERR_SUCCESS);
	CHECK(cs_orgs__find(g_cs, "org_n")->window_count == 1);       /* org_n's window reset too */

	/* A raised limit applies in the running window; 0 stops everything. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_m\",\"messages_per_minute\":4}]}"));
	CHECK(th_publish(&m1, "a/11") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&m1, "a/12") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_count_in_log("over its message quota (4/min)") == 0);   /* held back for a minute */
	g_now_ms += 59999;
	cs_orgs__tick(g_cs);
	CHECK(th_count_in_log("over its message quota (4/min)") == 0);
	g_now_ms += 1;
	cs_orgs__tick(g_cs);
	CHECK(strstr(test_last_log, "over its message quota (4/min): 1 publishes refused") != NULL);
	cs_orgs__tick(g_cs);
	CHECK(th_count_in_log("over its message quota (4/min)") == 1);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_m\",\"messages_per_minute\":0}]}"));
	g_now_ms += 60000;
	CHECK(th_publish(&m1, "a/13") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_m\"}]}"));
	for(int i = 0; i < 20; i++) CHECK(th_publish(&m1, "a/x") == MOSQ_ERR_SUCCESS);

	th_disconnect(&m1);
	th_disconnect(&m2);
	th_disconnect(&su);
	CHECK(cs_orgs__find(g_cs, "org_m") == NULL);                  /* unlimited, no sessions */
	th_stop();
	CHECK(test_alloc_outstanding == before);
}

/* ---- client ids across organizations ------------------------------------- */

static void test_cross_org(void)
{
	struct mosquitto a1 = { "shared", "a@org_a", NULL, 4, false };   /* persistent */
	struct mosquitto b1 = { "shared", "b@org_b", NULL, 4, true };
	struct mosquitto a2 = { "live", "a@org_a", NULL, 4, true };
	struct mosquitto b2 = { "live", "b@org_b", NULL, 4, true };
	struct mosquitto a3 = { "live", "c@org_a", NULL, 4, true };      /* other user, same org */
	struct mosquitto b3 = { "svc", "b@org_b", NULL, 4, true };
	struct mosquitto internal = { "svc", "cloudsignal-internal", NULL, 4, true };
	struct mosquitto internal2 = { "live", "cloudsignal-internal", NULL, 4, true };
	long before = test_alloc_outstanding;

	th_start("http://127.0.0.1:1", "2000", NULL);
	CHECK(th_cache("a@org_a", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("c@org_a", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("b@org_b", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);

	/* Offline persistent session of org_a: org_b may not take the id. */
	CHECK(th_connect(&a1, "p") == MOSQ_ERR_SUCCESS);
	th_disconnect(&a1);
	CHECK(cs_clients__find(g_cs, "shared") != NULL && cs_sessions__find_id(g_cs, "shared") == NULL);
	test_log_all[0] = '\0';
	CHECK(th_connect(&b1, "p") == MOSQ_ERR_AUTH);
	CHECK(strstr(test_log_all, "cloudsignal: refusing b@org_b (client shared): client id in use by another organization\n") != NULL);
	CHECK(test_last_log_level == MOSQ_LOG_NOTICE);
	CHECK(!strcmp(cs_clients__find(g_cs, "shared")->username, "a@org_a"));
	/* Queued deliveries of org_a's session are still allowed. */
	CHECK(th_acl(&a1, MOSQ_ACL_READ, "x") == MOSQ_ERR_SUCCESS);
	/* The owner resumes it. */
	CHECK(th_connect(&a1, "p") == MOSQ_ERR_SUCCESS);

	/* Live session: refused for org_b, a takeover for another user of org_a. */
	CHECK(th_connect(&a2, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&b2, "p") == MOSQ_ERR_AUTH);
	CHECK(cs_sessions__find(g_cs, &a2) != NULL && org_sessions("org_b") == 0);
	CHECK(th_connect(&a3, "p") == MOSQ_ERR_SUCCESS);
	CHECK(cs_sessions__find(g_cs, &a2) == NULL && !strcmp(cs_clients__find(g_cs, "live")->username, "c@org_a"));
	CHECK(org_sessions("org_a") == 2);

	/* The internal user's id is nobody else's; the internal user itself
	 * is trusted and may take any id. */
	CHECK(th_connect(&internal, "s3cret") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&b3, "p") == MOSQ_ERR_AUTH);
	CHECK(th_connect(&internal2, "s3cret") == MOSQ_ERR_SUCCESS);
	CHECK(org_sessions("org_a") == 1 && counts_exact());
	CHECK(th_connect(&b2, "p") == MOSQ_ERR_AUTH);       /* now held by the internal user */
	th_disconnect(&internal2);

	/* Once the id is free (clean disconnect), any organization may use it. */
	CHECK(cs_clients__find(g_cs, "live") == NULL);
	CHECK(th_connect(&b2, "p") == MOSQ_ERR_SUCCESS);
	a1.clean = true;
	th_disconnect(&a1);
	CHECK(th_connect(&b1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(org_sessions("org_b") == 2 && org_sessions("org_a") == 0 && counts_exact());

	th_stop();
	CHECK(test_alloc_outstanding == before);
}

/* ---- client ids belong to an organization (multi tenancy) ----------------- */

#define OWN_DEVICE "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_a/devices/${clientid}/#\"}]"

static void test_clientid_prefix(void)
{
	struct mosquitto b_bare = { "dashboard", "b@org_b", NULL, 5, false };
	struct mosquitto b_own = { "org_b/dashboard", "b@org_b", NULL, 5, false };   /* persistent */
	struct mosquitto a_own = { "org_a/dashboard", "a@org_a", NULL, 5, false };
	struct mosquitto a_foreign = { "org_b/dashboard", "a@org_a", NULL, 5, true };
	struct mosquitto a_empty = { "", "a@org_a", NULL, 5, true };
	struct mosquitto a_assigned = { "auto-5E3C2A9B-1111-2222-3333-444455556666", "a@org_a", NULL, 5, true };
	struct mosquitto a_prefix_only = { "org_a/", "a@org_a", NULL, 5, true };
	struct mosquitto a_lookalike = { "org_ab/x", "a@org_a", NULL, 5, true };
	struct mosquitto a_dev = { "org_a/dev7", "a@org_a", NULL, 5, true };
	struct mosquitto a_nested = { "org_a/dev7/x", "a@org_a", NULL, 5, true };
	struct mosquitto no_org = { "org_a/x", "nobody", NULL, 5, true };
	struct mosquitto internal = { "svc", "cloudsignal-internal", NULL, 5, true };
	long before = test_alloc_outstanding;

	th_start("http://127.0.0.1:1", "2000", NULL);
	g_cs->tenancy = CS_TENANCY_MULTI;
	CHECK(th_cache("a@org_a", "p", false, 0, OWN_DEVICE) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("b@org_b", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("nobody", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);

	/* The attack: B takes "dashboard" persistently. Without its prefix it
	 * is refused, with a log line that says the rule. */
	test_log_all[0] = '\0';
	CHECK(th_connect(&b_bare, "p") == MOSQ_ERR_AUTH);
	CHECK(strstr(test_log_all, "cloudsignal: refusing b@org_b (client dashboard): client id must start with \"org_b/\"") != NULL);
	CHECK(test_last_log_level == MOSQ_LOG_NOTICE && cs_clients__find(g_cs, "dashboard") == NULL);
	CHECK(g_cs->stats.local_refusals == 1);
	/* With its prefix B holds its own id; A's "dashboard" is another id. */
	CHECK(th_connect(&b_own, "p") == MOSQ_ERR_SUCCESS);
	th_disconnect(&b_own);
	CHECK(cs_clients__find(g_cs, "org_b/dashboard") != NULL);
	CHECK(th_connect(&a_own, "p") == MOSQ_ERR_SUCCESS);
	CHECK(!strcmp(cs_clients__find(g_cs, "org_a/dashboard")->username, "a@org_a"));
	CHECK(!strcmp(cs_clients__find(g_cs, "org_b/dashboard")->username, "b@org_b"));
	/* A cannot use B's prefix, an empty or broker-assigned id, the prefix
	 * alone, or an organization whose id merely starts like its own. */
	test_log_all[0] = '\0';
	CHECK(th_connect(&a_foreign, "p") == MOSQ_ERR_AUTH);
	CHECK(th_connect(&a_empty, "p") == MOSQ_ERR_AUTH);
	CHECK(th_connect(&a_assigned, "p") == MOSQ_ERR_AUTH);
	CHECK(th_connect(&a_prefix_only, "p") == MOSQ_ERR_AUTH);
	CHECK(th_connect(&a_lookalike, "p") == MOSQ_ERR_AUTH);
	CHECK(th_count_in_log("client id must start with \"org_a/\"") == 5);
	CHECK(strstr(test_log_all, "an empty client id is refused") != NULL);
	CHECK(!strcmp(cs_clients__find(g_cs, "org_b/dashboard")->username, "b@org_b"));
	/* A username without an organization cannot own any id. */
	CHECK(th_connect(&no_org, "p") == MOSQ_ERR_AUTH);
	CHECK(strstr(test_last_log, "the username names no organization") != NULL);
	/* The internal user is trusted with any id. */
	CHECK(th_connect(&internal, "s3cret") == MOSQ_ERR_SUCCESS);
	th_disconnect(&internal);

	/* ${clientid} renders the id as its user knows it (no prefix). */
	CHECK(th_connect(&a_dev, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&a_dev, "org_a/devices/dev7/up") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&a_dev, "org_a/devices/org_a/dev7/up") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_publish(&a_dev, "org_a/devices/dashboard/up") == MOSQ_ERR_ACL_DENIED);
	/* ... also when the rules change while it is connected. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_rules\",\"username\":\"a@org_a\",\"acl\":"
			"[{\"permission\":\"allow\",\"action\":\"publish\",\"topic\":\"org_a/d/${clientid}\"}]}]}"));
	CHECK(th_publish(&a_dev, "org_a/d/dev7") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&a_dev, "org_a/devices/dev7/up") == MOSQ_ERR_ACL_DENIED);
	/* An id with a '/' after the prefix is still unsafe: the allow is void. */
	CHECK(th_connect(&a_nested, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&a_nested, "org_a/d/dev7/x") == MOSQ_ERR_ACL_DENIED);
	th_disconnect(&a_nested);
	th_disconnect(&a_dev);
	th_disconnect(&a_own);

	/* Single tenancy (and before the first sync): any id, as before. */
	g_cs->tenancy = CS_TENANCY_SINGLE;
	b_bare.clean = true;
	CHECK(th_connect(&b_bare, "p") == MOSQ_ERR_SUCCESS);
	th_disconnect(&b_bare);
	g_cs->tenancy = CS_TENANCY_UNKNOWN;
	CHECK(th_connect(&b_bare, "p") == MOSQ_ERR_SUCCESS);
	th_disconnect(&b_bare);

	th_stop();
	CHECK(test_alloc_outstanding == before);
}

/* A kick names the client's owner; the plugin checks the client that holds
 * the id now (the service's view may be a batch behind). */
static void test_kick_owner(void)
{
	struct mosquitto a_x = { "x", "a@org_a", NULL, 4, true };   /* clean: its id is free once it leaves */
	struct mosquitto b_x = { "x", "b@org_b", NULL, 4, true };
	struct mosquitto a_own = { "org_a/x", "a@org_a", NULL, 5, true };
	struct mosquitto a2_own = { "org_a/y", "a2@org_a", NULL, 5, false };
	long before = test_alloc_outstanding;

	th_start("http://127.0.0.1:1", "2000", NULL);
	CHECK(th_cache("a@org_a", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("a2@org_a", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("b@org_b", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);

	/* The race of item 4, with ids that do not carry their organization
	 * (single tenancy or before the first sync): A's "x" left, B's "x"
	 * connected, A's kick arrives. B stays. */
	CHECK(th_connect(&a_x, "p") == MOSQ_ERR_SUCCESS);
	th_disconnect(&a_x);
	CHECK(th_connect(&b_x, "p") == MOSQ_ERR_SUCCESS);
	test_kick_count = 0;
	test_log_all[0] = '\0';
	CHECK(!strcmp(th_control_error("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"x\",\"org_id\":\"org_a\"}]}"),
			"the client with this client id belongs to someone else"));
	CHECK(!strcmp(th_control_error("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"x\",\"username\":\"a@org_a\"}]}"),
			"the client with this client id belongs to someone else"));
	CHECK(test_kick_count == 0 && cs_sessions__find(g_cs, &b_x) != NULL);
	CHECK(strstr(test_log_all, "cloudsignal: refusing to kick client x: it belongs to b@org_b, not to org_a\n") != NULL);
	CHECK(strstr(test_log_all, "cloudsignal: refusing to kick client x: it belongs to b@org_b, not to a@org_a\n") != NULL);
	/* Both named: both must hold. */
	CHECK(th_control_error("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"x\",\"username\":\"b@org_b\",\"org_id\":\"org_a\"}]}")[0]);
	CHECK(test_kick_count == 0);
	/* Its owner may kick it. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"x\",\"org_id\":\"org_b\"}]}"));
	CHECK(test_kick_count == 1 && cs_sessions__find(g_cs, &b_x) == NULL);
	/* Nobody holds the id: nothing to kick. */
	CHECK(!strcmp(th_control_error("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"x\",\"org_id\":\"org_b\"}]}"),
			"no client with this client id"));
	CHECK(test_kick_count == 1);
	/* Malformed owners. */
	CHECK(th_control_error("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"x\",\"org_id\":5}]}")[0]);
	CHECK(th_control_error("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"x\",\"username\":\"\"}]}")[0]);
	CHECK(test_kick_count == 1);

	/* Multi tenancy: a kick must name the owner. */
	g_cs->tenancy = CS_TENANCY_MULTI;
	CHECK(th_connect(&a_own, "p") == MOSQ_ERR_SUCCESS);
	CHECK(strstr(th_control_error("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"org_a/x\"}]}"), "missing 'username' or 'org_id'"));
	CHECK(th_control_error("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"org_a/x\",\"org_id\":\"org_b\"}]}")[0]);
	CHECK(test_kick_count == 1 && cs_sessions__find(g_cs, &a_own) != NULL);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"org_a/x\",\"org_id\":\"org_a\"}]}"));
	CHECK(test_kick_count == 2 && cs_sessions__find(g_cs, &a_own) == NULL);
	/* An offline persistent session answers for its id too. */
	CHECK(th_connect(&a2_own, "p") == MOSQ_ERR_SUCCESS);
	th_disconnect(&a2_own);
	CHECK(th_control_error("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"org_a/y\",\"username\":\"a@org_a\"}]}")[0]);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"org_a/y\",\"username\":\"a2@org_a\"}]}"));
	CHECK(test_kick_count == 3);

	th_stop();
	CHECK(test_alloc_outstanding == before);
}

/* ---- set_limits ---------------------------------------------------------- */

static void test_set_limits(void)
{
	struct cs_org *org;
	long before = test_alloc_outstanding;

	th_start("http://127.0.0.1:1", "2000", NULL);
	CHECK(th_cache("a@org_s", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("b@org_t", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);

	CHECK(!strcmp(th_control_error("{\"commands\":[{\"command\":\"set_limits\"}]}"),
			"'org_id' must be a non-empty string of at most 64 bytes without '@'"));
	CHECK(th_control_error("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":5}]}")[0] != '\0');
	CHECK(th_control_error("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"\"}]}")[0] != '\0');
	CHECK(th_control_error("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"a@org_s\"}]}")[0] != '\0');
	CHECK(!strcmp(th_control_error("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_s\",\"max_connections\":\"2\"}]}"),
			"'max_connections' must be a non-negative integer or null"));
	CHECK(!strcmp(th_control_error("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_s\",\"messages_per_minute\":-3}]}"),
			"'messages_per_minute' must be a non-negative integer or null"));
	CHECK(th_control_error("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_s\",\"max_connections\":1.5}]}")[0] != '\0');
	CHECK(th_control_error("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_s\",\"max_connections\":true}]}")[0] != '\0');
	CHECK(cs_orgs__find(g_cs, "org_s") == NULL);          /* failed commands change nothing */

	/* Exact reply of the callback path's handler. */
	{
		const char *cmd = "{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_s\",\"max_connections\":2,\"messages_per_minute\":5}]}";
		char *out = cs_control__handle(g_cs, cmd, strlen(cmd));

		CHECK(out && !strcmp(out, "{\"responses\":[{\"command\":\"set_limits\",\"ok\":true}]}"));
		cJSON_free(out);
	}
	org = cs_orgs__find(g_cs, "org_s");
	CHECK(org && org->max_connections == 2 && org->messages_per_minute == 5 && org->sessions == 0);
	CHECK(cs_principals__find(g_cs, "a@org_s")->limits.max_connections == 2);
	CHECK(!strcmp(cs_principals__find(g_cs, "a@org_s")->limits.org_id, "org_s"));
	CHECK(cs_principals__find(g_cs, "b@org_t")->limits.org_id[0] == '\0');

	/* Replaces: absent fields are unlimited. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_s\",\"messages_per_minute\":7}]}"));
	org = cs_orgs__find(g_cs, "org_s");
	CHECK(org && org->max_connections == -1 && org->messages_per_minute == 7);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_s\",\"max_connections\":null,\"messages_per_minute\":null}]}"));
	CHECK(cs_orgs__find(g_cs, "org_s") == NULL);          /* unlimited and idle: no entry */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_new\"}]}"));
	CHECK(cs_orgs__find(g_cs, "org_new") == NULL);

	/* Limits set before any session: the count starts right. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_t\",\"max_connections\":1}]}"));
	{
		struct mosquitto t1 = { "t1", "b@org_t", NULL, 4, true };
		struct mosquitto t2 = { "t2", "b@org_t", NULL, 4, true };

		CHECK(th_connect(&t1, "p") == MOSQ_ERR_SUCCESS);
		CHECK(th_connect(&t2, "p") == MOSQ_ERR_AUTH);
		th_disconnect(&t2);
		th_disconnect(&t1);
		CHECK(org_sessions("org_t") == 0 && cs_orgs__find(g_cs, "org_t") != NULL);  /* limited: kept */
	}
	th_stop();
	CHECK(test_alloc_outstanding == before);
}

/* ---- out of memory ------------------------------------------------------- */

static void test_orgs_oom(void)
{
	const char *cmd = "{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_o\",\"max_connections\":1,\"messages_per_minute\":1}]}";
	bool leak = false, exact = true, never_over = true;

	th_start("http://127.0.0.1:1", "2000", NULL);
	CHECK(th_cache("a@org_o", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("a@org_p", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	for(long i = 0; i < 40; i++){
		struct mosquitto o1 = { "o1", "a@org_o", NULL, 4, true };
		struct mosquitto o2 = { "o2", "a@org_o", NULL, 4, true };
		struct mosquitto p1 = { "p1", "a@org_p", NULL, 4, true };
		long outstanding = test_alloc_outstanding;
		char *out;

		test_fail_alloc_after = i;
		out = cs_control__handle(g_cs, cmd, strlen(cmd));
		cJSON_free(out);
		test_fail_alloc_after = i;
		(void)th_connect(&p1, "p");
		test_fail_alloc_after = i;
		(void)th_connect(&o1, "p");
		(void)th_connect(&o2, "p");
		test_fail_alloc_after = -1;
		if(!counts_exact()) exact = false;
		if(org_sessions("org_o") > 1) never_over = false;
		th_disconnect(&o1);
		th_disconnect(&o2);
		th_disconnect(&p1);
		cs_clients__forget_departed(g_cs);  /* the TICK after the will checks */
		CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_o\"}]}"));
		if(cs_orgs__find(g_cs, "org_o") || cs_orgs__find(g_cs, "org_p")) leak = true;
		if(test_alloc_outstanding != outstanding) leak = true;
	}
	CHECK(!leak);
	CHECK(exact);
	CHECK(never_over);

	/* The "connected" event cannot be queued: the session is not kept, so
	 * it is not counted either (the CONNECT is still admitted). */
	{
		struct mosquitto o1 = { "o1", "a@org_o", NULL, 4, true };

		CHECK(th_control_ok(cmd));
		g_cs->events.sync_ready = false;          /* cs_events__enqueue fails */
		CHECK(th_connect(&o1, "p") == MOSQ_ERR_SUCCESS);
		g_cs->events.sync_ready = true;
		CHECK(cs_sessions__find(g_cs, &o1) == NULL && org_sessions("org_o") == 0 && counts_exact());
		th_disconnect(&o1);
	}
	th_stop();
}

/* max_payload_bytes: a longer payload is denied before it counts against
 * the message quota, reported as quota_refused "max_payload_bytes"; set_limits
 * without it lifts it; other organizations are not concerned. */
static void test_payload_quota(void)
{
	struct mosquitto q1 = { "q1", "a@org_q", NULL, 4, true };
	struct mosquitto r1 = { "r1", "a@org_r", NULL, 4, true };
	struct cs_org *org;

	th_start("http://127.0.0.1:1", "2000", NULL);
	g_now_ms = 1000000;
	g_cs->now_ms = fake_now;
	CHECK(th_cache("a@org_q", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("a@org_r", "p", false, 0, ALLOW_ALL) == MOSQ_ERR_SUCCESS);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_q\",\"max_payload_bytes\":100,"
			"\"messages_per_minute\":10}]}"));
	CHECK(!th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_q\",\"max_payload_bytes\":-1}]}"));
	CHECK(th_connect(&q1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect(&r1, "p") == MOSQ_ERR_SUCCESS);
	org = cs_orgs__find(g_cs, "org_q");
	CHECK(org && org->max_payload_bytes == 100);
	test_log_all[0] = '\0';
	CHECK(th_check(&q1, MOSQ_ACL_WRITE, "t", false, 100) == MOSQ_ERR_SUCCESS);
	CHECK(th_check(&q1, MOSQ_ACL_WRITE, "t", false, 101) == MOSQ_ERR_ACL_DENIED);
	CHECK(th_check(&q1, MOSQ_ACL_WRITE, "t", true, 5000) == MOSQ_ERR_ACL_DENIED);
	CHECK(org->window_count == 1);                     /* refusals do not count as messages */
	CHECK(org->retained_count == 0);                   /* nor as retained topics */
	CHECK(th_count_in_log("organization org_q is over its payload size quota (100 bytes): 1 publishes refused") == 1);
	CHECK(th_queued("\"type\":\"quota_refused\",\"org_id\":\"org_q\",\"quota\":\"max_payload_bytes\",\"count\":1,") == 1);
	CHECK(th_check(&r1, MOSQ_ACL_WRITE, "t", false, 1000000) == MOSQ_ERR_SUCCESS);   /* org_r has no limit */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_q\"}]}"));
	CHECK(th_check(&q1, MOSQ_ACL_WRITE, "t", false, 5000) == MOSQ_ERR_SUCCESS);
	th_disconnect(&q1);
	th_disconnect(&r1);
	th_stop();
}

void test_orgs__run(void)
{
	long before = test_alloc_outstanding;

	test_parse_limits();
	test_connection_quota();
	test_reply_limits();
	test_message_quota();
	test_payload_quota();
	test_cross_org();
	test_clientid_prefix();
	test_kick_owner();
	test_set_limits();
	test_orgs_oom();
	CHECK(test_alloc_outstanding == before);
}
