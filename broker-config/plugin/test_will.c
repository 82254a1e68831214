/* test_will.c - unit tests for Last Will checks (the departed entry of
 * clients.c, acl.c) with a tiny broker that follows Mosquitto 2.0.11:
 *   - a lost connection fires MOSQ_EVT_DISCONNECT, then the will's ACL
 *     write check (context__disconnect, context__send_will);
 *   - a takeover checks the old client's will after the new client's
 *     BASIC_AUTH and before the old client's DISCONNECT
 *     (connect__on_authorised);
 *   - a clean DISCONNECT or a kick without will checks no will;
 *   - every loop iteration ends with a TICK. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_harness.h"

#define NO_WILL NULL
#define NOT_CHECKED TH_NOT_CHECKED

/* Connection lost (or DISCONNECT with reason 0x04): the DISCONNECT event,
 * then the will check. Returns its result, or NOT_CHECKED without a will. */
static int lose(struct mosquitto *c, const char *will)
{
	th_disconnect(c);
	return will ? th_acl(c, MOSQ_ACL_WRITE, will) : NOT_CHECKED;
}

#define OWN_RULES "[{\"permission\":\"deny\",\"action\":\"publish\",\"topic\":\"org_x/${clientid}/ro\"}," \
		"{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_x/${clientid}/#\"}," \
		"{\"permission\":\"allow\",\"action\":\"publish\",\"topic\":\"agents/${clientid}/state\"}]"

/* ---- tests --------------------------------------------------------------- */

/* A clean-session client that loses its connection: its will meets its own
 * rules, only for that client and only until the TICK. */
static void test_lost_connection(void)
{
	struct mosquitto c1 = { "c1", "u@org_x", NULL, 4, true };
	struct mosquitto c2 = { "c2", "u@org_x", NULL, 4, true };
	struct mosquitto c1_other = { "c1", "u@org_x", NULL, 4, true };
	struct mosquitto agent = { "agent-01", "u@org_x", NULL, 4, true };

	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(th_cache("u@org_x", "p", false, 0, OWN_RULES) == MOSQ_ERR_SUCCESS);

	CHECK(th_connect_will(&agent, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(lose(&agent, "agents/agent-01/state") == MOSQ_ERR_SUCCESS);
	CHECK(cs_clients__find(g_cs, "agent-01") == NULL);   /* the id table is as before */
	th_tick();
	CHECK(g_cs->departed == NULL);

	CHECK(th_connect_will(&c1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_connect_will(&c2, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(lose(&c1, NO_WILL) == NOT_CHECKED);
	/* The same rules as its publishes. */
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/offline") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/ro") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c2/offline") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_y/will") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "$SYS/broker/x") == MOSQ_ERR_ACL_DENIED);
	/* Only writes: nothing is delivered to or subscribed by a departed client. */
	CHECK(th_acl(&c1, MOSQ_ACL_READ, "org_x/c1/x") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1, MOSQ_ACL_SUBSCRIBE, "org_x/c1/#") == MOSQ_ERR_ACL_DENIED);
	/* Only that connection: same id, other connection. */
	CHECK(th_acl(&c1_other, MOSQ_ACL_WRITE, "org_x/c1/offline") == MOSQ_ERR_ACL_DENIED);
	/* Only that client id on that pointer. */
	c1.id = "c1-renamed";
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/offline") == MOSQ_ERR_ACL_DENIED);
	c1.id = "c1";
	/* Other clients are unaffected. */
	CHECK(th_acl(&c2, MOSQ_ACL_WRITE, "org_x/c2/x") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c2, MOSQ_ACL_WRITE, "org_x/c1/x") == MOSQ_ERR_ACL_DENIED);

	/* The next departure replaces the slot. */
	CHECK(lose(&c2, "org_x/c2/offline") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/offline") == MOSQ_ERR_ACL_DENIED);
	CHECK(g_cs->departed && g_cs->departed->client == &c2);

	/* The TICK ends it. */
	th_tick();
	CHECK(g_cs->departed == NULL);
	CHECK(th_acl(&c2, MOSQ_ACL_WRITE, "org_x/c2/offline") == MOSQ_ERR_ACL_DENIED);

	/* A will outside the rules is denied at once. */
	CHECK(th_connect_will(&c1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(lose(&c1, "org_y/will") == MOSQ_ERR_ACL_DENIED);
	th_tick();

	/* Cleanup with a client still departed frees it. */
	CHECK(th_connect_will(&c1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(lose(&c1, NO_WILL) == NOT_CHECKED);
	CHECK(g_cs->departed != NULL);
	th_stop();
}

/* The will counts against the organization's message quota, like a publish. */
static void test_quota(void)
{
	struct mosquitto q1 = { "q1", "q@org_q", NULL, 4, true };
	struct mosquitto q2 = { "q2", "q@org_q", NULL, 4, true };

	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(th_cache("q@org_q", "p", false, 0, "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_q/#\"}]") == MOSQ_ERR_SUCCESS);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_q\",\"messages_per_minute\":2}]}"));
	CHECK(th_connect_will(&q1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_connect_will(&q2, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&q1, MOSQ_ACL_WRITE, "org_q/data") == MOSQ_ERR_SUCCESS);
	CHECK(lose(&q1, "org_q/q1/state") == MOSQ_ERR_SUCCESS);
	CHECK(cs_orgs__find(g_cs, "org_q")->window_count == 2);
	th_tick();
	CHECK(lose(&q2, "org_q/q2/state") == MOSQ_ERR_ACL_DENIED);   /* over quota */
	CHECK(cs_orgs__find(g_cs, "org_q")->window_count == 2);
	th_tick();
	th_stop();
}

/* Takeover: the old client's will meets the old client's rules; the new
 * client's entry is untouched, before and after the TICK. */
static void test_takeover(void)
{
	struct mosquitto t1 = { "dup", "a@org_x", NULL, 4, true };
	struct mosquitto t2 = { "dup", "b@org_x", NULL, 4, true };
	struct mosquitto t3 = { "dup", "b@org_x", NULL, 4, true };
	struct mosquitto y1 = { "dup", "y@org_y", NULL, 4, true };
	int will_rc;

	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(th_cache("a@org_x", "p", false, 0, "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_x/a/#\"}]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("b@org_x", "p", false, 0, "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_x/b/#\"}]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("y@org_y", "p", false, 0, "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"#\"}]") == MOSQ_ERR_SUCCESS);

	CHECK(th_connect_will(&t1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_connect_will(&t2, "p", "org_x/a/offline", &will_rc) == MOSQ_ERR_SUCCESS);
	CHECK(will_rc == MOSQ_ERR_SUCCESS);
	CHECK(cs_clients__find(g_cs, "dup")->client == &t2);
	CHECK(th_acl(&t2, MOSQ_ACL_WRITE, "org_x/b/x") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&t2, MOSQ_ACL_WRITE, "org_x/a/x") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&t1, MOSQ_ACL_WRITE, "org_x/b/x") == MOSQ_ERR_ACL_DENIED);  /* not the new owner's rules */
	th_tick();
	CHECK(th_acl(&t1, MOSQ_ACL_WRITE, "org_x/a/offline") == MOSQ_ERR_ACL_DENIED);
	CHECK(cs_clients__find(g_cs, "dup")->client == &t2);
	CHECK(th_acl(&t2, MOSQ_ACL_WRITE, "org_x/b/x") == MOSQ_ERR_SUCCESS);

	/* The old client's will outside its rules. */
	CHECK(th_connect_will(&t3, "p", "org_x/a/offline", &will_rc) == MOSQ_ERR_SUCCESS);
	CHECK(will_rc == MOSQ_ERR_ACL_DENIED);
	CHECK(cs_clients__find(g_cs, "dup")->client == &t3);

	/* Another organization cannot take the id over: no will, nothing departs. */
	th_tick();
	CHECK(th_connect_will(&y1, "p", "org_x/b/offline", &will_rc) == MOSQ_ERR_AUTH && will_rc == NOT_CHECKED);
	CHECK(g_cs->departed == NULL && cs_clients__find(g_cs, "dup")->client == &t3);

	/* Out of memory during the takeover: a refused CONNECT leaves the old
	 * client's entry alone, an admitted one makes it depart; no leak. */
	CHECK(lose(&t3, NO_WILL) == NOT_CHECKED);
	th_tick();
	{
		bool leak = false, kept = true, refused = false, admitted = false;

		for(long i = 0; i < 40; i++){
			long outstanding = test_alloc_outstanding;
			int rc;

			CHECK(th_connect_will(&t2, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
			th_tick();
			test_fail_alloc_after = i;
			rc = th_connect_will(&t3, "p", "org_x/b/offline", &will_rc);
			test_fail_alloc_after = -1;
			if(rc == MOSQ_ERR_SUCCESS){
				admitted = true;
				if(will_rc != MOSQ_ERR_SUCCESS || cs_clients__find(g_cs, "dup")->client != &t3) kept = false;
				lose(&t3, NO_WILL);
			}else{
				refused = true;
				if(cs_clients__find(g_cs, "dup")->client != &t2 || g_cs->departed != NULL) kept = false;
				lose(&t2, NO_WILL);
			}
			th_tick();
			if(test_alloc_outstanding != outstanding) leak = true;
		}
		CHECK(!leak && kept && refused && admitted);
	}
	th_stop();
}

/* A reconnect with the same id is unaffected by the departed entry, and a
 * CONNECT on the departed client's pointer drops it. */
static void test_reconnect(void)
{
	struct mosquitto c1 = { "c1", "u@org_x", NULL, 4, true };
	struct mosquitto c1b = { "c1", "u@org_x", NULL, 4, true };

	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(th_cache("u@org_x", "p", false, 0, OWN_RULES) == MOSQ_ERR_SUCCESS);

	CHECK(th_connect_will(&c1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(lose(&c1, "org_x/c1/offline") == MOSQ_ERR_SUCCESS);
	CHECK(th_connect_will(&c1b, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);   /* before the TICK */
	CHECK(cs_clients__find(g_cs, "c1")->client == &c1b);
	CHECK(th_acl(&c1b, MOSQ_ACL_WRITE, "org_x/c1/x") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c1b, MOSQ_ACL_READ, "org_x/c1/x") == MOSQ_ERR_SUCCESS);
	th_tick();
	CHECK(cs_clients__find(g_cs, "c1")->client == &c1b);
	CHECK(th_acl(&c1b, MOSQ_ACL_SUBSCRIBE, "org_x/c1/#") == MOSQ_ERR_SUCCESS);
	CHECK(lose(&c1b, "org_x/c1/offline") == MOSQ_ERR_SUCCESS);
	th_tick();

	/* No TICK in between: the pointer's next CONNECT drops the departed entry. */
	CHECK(th_connect_will(&c1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(lose(&c1, NO_WILL) == NOT_CHECKED);
	CHECK(g_cs->departed && g_cs->departed->client == &c1);
	CHECK(th_connect_will(&c1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(g_cs->departed == NULL);
	CHECK(cs_clients__find(g_cs, "c1")->client == &c1);
	th_stop();
}

/* Persistent sessions keep their entry: their wills were and are checked
 * normally, also after the TICK (an MQTT 5 Will Delay Interval). */
static void test_persistent(void)
{
	struct mosquitto p1 = { "p1", "u@org_x", NULL, 4, false };

	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(th_cache("u@org_x", "p", false, 0, OWN_RULES) == MOSQ_ERR_SUCCESS);
	CHECK(th_connect_will(&p1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(lose(&p1, "org_x/p1/offline") == MOSQ_ERR_SUCCESS);
	CHECK(g_cs->departed == NULL && cs_clients__find(g_cs, "p1") != NULL);
	th_tick();
	CHECK(th_acl(&p1, MOSQ_ACL_WRITE, "org_x/p1/offline") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&p1, MOSQ_ACL_WRITE, "org_y/will") == MOSQ_ERR_ACL_DENIED);
	th_stop();
}

/* An MQTT 5 client keeps its session for its Session Expiry Interval,
 * whatever CleanStart said (the plugin cannot see the interval): its entry
 * stays, offline, so messages queued while it is away pass the read check
 * and a delayed will (sent seconds later, after TICKs) meets its rules. */
static void test_mqtt5_session(void)
{
	struct mosquitto m = { "m5", "u@org_x", NULL, 5, true };
	struct mosquitto m_back = { "m5", "u@org_x", NULL, 5, true };

	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(th_cache("u@org_x", "p", false, 0, OWN_RULES) == MOSQ_ERR_SUCCESS);
	CHECK(th_connect_will(&m, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(lose(&m, NO_WILL) == NOT_CHECKED);
	th_tick();
	CHECK(g_cs->departed == NULL && cs_clients__find(g_cs, "m5") != NULL && g_cs->offline_clients == 1);
	CHECK(th_acl(&m, MOSQ_ACL_READ, "org_x/m5/queued") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&m, MOSQ_ACL_READ, "org_x/other/queued") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&m, MOSQ_ACL_WRITE, "org_x/m5/will") == MOSQ_ERR_SUCCESS);     /* delayed will */
	CHECK(th_acl(&m, MOSQ_ACL_WRITE, "org_x/m5/ro") == MOSQ_ERR_ACL_DENIED);
	/* A second DISCONNECT of the same connection changes nothing. */
	th_disconnect(&m);
	CHECK(g_cs->offline_clients == 1);
	/* It comes back: a new entry, online. */
	CHECK(th_connect_will(&m_back, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(cs_clients__find(g_cs, "m5")->client == &m_back && g_cs->offline_clients == 0);
	CHECK(th_acl(&m_back, MOSQ_ACL_READ, "org_x/m5/queued") == MOSQ_ERR_SUCCESS);
	th_stop();
}

/* Kicks never ask for the will; expired credentials deny the will. */
static void test_kick_and_expiry(void)
{
	struct mosquitto k1 = { "k1", "u@org_x", NULL, 4, true };
	struct mosquitto k2 = { "k2", "v@org_x", NULL, 4, true };
	struct mosquitto e1 = { "e1", "e@org_x", NULL, 4, true };
	struct mosquitto e2 = { "e2", "f@org_x", NULL, 4, true };

	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(th_cache("u@org_x", "p", false, 0, OWN_RULES) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("v@org_x", "p", false, 0, OWN_RULES) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("e@org_x", "p", false, time(NULL) + 3600, OWN_RULES) == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("f@org_x", "p", false, time(NULL) + 3600, OWN_RULES) == MOSQ_ERR_SUCCESS);
	test_kicks_with_will = 0;
	test_kick_count = 0;

	CHECK(th_connect_will(&k1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_connect_will(&k2, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"k1\"},{\"command\":\"kick_user\",\"username\":\"v@org_x\"}]}"));
	CHECK(test_kick_count == 2 && test_kicks_with_will == 0);
	CHECK(cs_clients__find(g_cs, "k1") == NULL && cs_clients__find(g_cs, "k2") == NULL);

	/* Expired before the TICK could kick: the will is denied like a publish. */
	CHECK(th_connect_will(&e1, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_expiry\",\"username\":\"e@org_x\",\"expire_at\":1000}]}"));
	CHECK(lose(&e1, "org_x/e1/offline") == MOSQ_ERR_ACL_DENIED);

	/* Kicked at the TICK for expiry: without will. */
	CHECK(th_connect_will(&e2, "p", NO_WILL, NULL) == MOSQ_ERR_SUCCESS);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_expiry\",\"username\":\"f@org_x\",\"expire_at\":1000}]}"));
	g_cs->last_tick_ms = 0;
	th_tick();
	CHECK(test_kick_count == 3 && test_kicks_with_will == 0 && !strcmp(test_last_kick_id, "e2"));
	CHECK(cs_clients__find(g_cs, "e2") == NULL);
	th_tick();
	CHECK(g_cs->departed == NULL);
	th_stop();
}

/* The internal user's will is never limited, like its publishes. */
static void test_internal(void)
{
	struct mosquitto svc = { "svc", "cloudsignal-internal", NULL, 4, true };

	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(th_auth(&svc, "s3cret") == MOSQ_ERR_SUCCESS);
	CHECK(lose(&svc, "anything/at/all") == MOSQ_ERR_SUCCESS);
	th_tick();
	CHECK(th_acl(&svc, MOSQ_ACL_WRITE, "anything/at/all") == MOSQ_ERR_ACL_DENIED);
	th_stop();
}

void test_will__run(void)
{
	long before = test_alloc_outstanding;

	test_lost_connection();
	test_quota();
	test_takeover();
	test_reconnect();
	test_persistent();
	test_mqtt5_session();
	test_kick_and_expiry();
	test_internal();
	CHECK(test_alloc_outstanding == before);
}
