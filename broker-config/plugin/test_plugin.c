/* test_plugin.c - unit tests for options, CONNECT handling, the credential
 * cache, ACL checks, disconnect/expiry handling and $CONTROL commands,
 * through the fake broker of test_harness.c and the stubs of test_stubs.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "test_harness.h"

#define OWN_RULES "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_x/${clientid}/#\"}]"

static void test_options(void)
{
	long before = test_alloc_outstanding;
	char path[] = "/tmp/cs_test_secret_XXXXXX";
	int fd;

	struct mosquitto_opt no_url[] = { OPT("broker_secret", "s") };
	struct mosquitto_opt no_secret[] = { OPT("service_url", "http://127.0.0.1:1") };
	struct mosquitto_opt two_secrets[] = { OPT("service_url", "http://x"), OPT("broker_secret", "s"), OPT("broker_secret_file", "/nonexistent") };
	struct mosquitto_opt bad_scheme[] = { OPT("service_url", "ftp://x"), OPT("broker_secret", "s") };
	struct mosquitto_opt bad_timeout[] = { OPT("service_url", "http://x"), OPT("broker_secret", "s"), OPT("timeout_ms", "2s") };
	struct mosquitto_opt zero_timeout[] = { OPT("service_url", "http://x"), OPT("broker_secret", "s"), OPT("timeout_ms", "0") };
	struct mosquitto_opt bad_ttl[] = { OPT("service_url", "http://x"), OPT("broker_secret", "s"), OPT("cache_ttl", "-1") };
	struct mosquitto_opt empty_internal[] = { OPT("service_url", "http://x"), OPT("broker_secret", "s"), OPT("internal_username", "") };
	struct mosquitto_opt missing_file[] = { OPT("service_url", "http://x"), OPT("broker_secret_file", "/nonexistent/secret") };
	struct mosquitto_opt null_value[] = { OPT("service_url", "http://x"), OPT("broker_secret", NULL) };
	struct mosquitto_opt ok[] = { OPT("service_url", "http://x/"), OPT("broker_secret", "s"), OPT("cache_ttl", "0"), OPT("unknown", "1") };

	CHECK(th_init_rc(no_url, 1) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(no_secret, 1) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(two_secrets, 3) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(bad_scheme, 2) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(bad_timeout, 3) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(zero_timeout, 3) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(bad_ttl, 3) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(empty_internal, 3) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(missing_file, 2) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(null_value, 2) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(ok, 4) == MOSQ_ERR_SUCCESS);
	CHECK(test_alloc_outstanding == before);
	CHECK(test_registered == 0);

	/* Secret file: trailing whitespace and newline stripped. */
	fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "s3cret \n\n", 9) == 9);
	close(fd);
	{
		struct mosquitto_opt file_ok[] = { OPT("service_url", "http://127.0.0.1:1//"), OPT("broker_secret_file", path) };

		CHECK(th_init(file_ok, 2) == MOSQ_ERR_SUCCESS);
		CHECK(g_cs && !strcmp(g_cs->broker_secret, "s3cret"));
		CHECK(g_cs && !strcmp(g_cs->auth_url, "http://127.0.0.1:1/internal/broker/authenticate"));
		CHECK(g_cs && g_cs->timeout_ms == 2000 && g_cs->cache_ttl == 300 && !strcmp(g_cs->internal_username, "cloudsignal-internal"));
		CHECK(test_registered == 5);
		if(g_cs) th_stop();
	}
	unlink(path);
	CHECK(test_alloc_outstanding == before);
}

static void test_parse_reply(void)
{
	struct cs_auth_reply reply;
	enum cs_auth_result result;
	const char *err;
	const char *allow = "{\"result\":\"allow\",\"is_superuser\":false,\"expire_at\":1700000000,"
			"\"acl\":[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"a/#\"}]}";
	const char *bad[] = {
		"", "nope", "[]", "{}", "{\"result\":5}", "{\"result\":\"maybe\"}",
		"{\"result\":\"allow\",\"expire_at\":\"tomorrow\"}",
		"{\"result\":\"allow\",\"expire_at\":-5}",
		"{\"result\":\"allow\",\"acl\":{}}",
		"{\"result\":\"allow\",\"acl\":[{\"permission\":\"deny\"}]}",
	};

	CHECK(cs_auth__parse_reply(allow, strlen(allow), &result, &reply, &err) == 0 && result == CS_RESULT_ALLOW);
	CHECK(reply.expire_at == 1700000000 && !reply.is_superuser && reply.rules.count == 1);
	cs_rules__free(&reply.rules);
	CHECK(cs_auth__parse_reply("{\"result\":\"allow\",\"is_superuser\":true,\"expire_at\":null}", 55, &result, &reply, &err) == 0);
	CHECK(result == CS_RESULT_ALLOW && reply.is_superuser && reply.expire_at == 0 && reply.rules.count == 0);
	CHECK(cs_auth__parse_reply("{\"result\":\"deny\"}", 17, &result, &reply, &err) == 0 && result == CS_RESULT_DENY);
	{
		const char *v = "{\"result\":\"allow\",\"credential_version\":\"0123456789abcdef\"}";

		CHECK(cs_auth__parse_reply(v, strlen(v), &result, &reply, &err) == 0 && result == CS_RESULT_ALLOW);
		CHECK(!strcmp(reply.credential_version, "0123456789abcdef"));
		CHECK(cs_auth__parse_reply(allow, strlen(allow), &result, &reply, &err) == 0 && reply.credential_version[0] == '\0');
		cs_rules__free(&reply.rules);
	}
	CHECK(cs_auth__parse_reply("{\"result\":\"ignore\"}", 19, &result, &reply, &err) == 0 && result == CS_RESULT_IGNORE);
	for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
		err = NULL;
		CHECK(cs_auth__parse_reply(bad[i], strlen(bad[i]), &result, &reply, &err) != 0 && err != NULL);
	}
}

static void test_connect_and_acl(void)
{
	struct mosquitto internal = { "svc", "cloudsignal-internal", "127.0.0.1", 5, true };
	struct mosquitto c1 = { "c1", "u@org_x", "127.0.0.1", 4, true };
	struct mosquitto c1_other = { "c1", "u@org_x", "127.0.0.1", 4, false };
	struct mosquitto slash = { "a/b", "u@org_x", "127.0.0.1", 4, true };
	struct mosquitto stranger = { "nobody", "x@org_y", "127.0.0.1", 4, true };
	struct mosquitto su = { "su1", "root@org_x", "127.0.0.1", 5, true };
	struct mosquitto su_old = { "su1", "old@org_x", "127.0.0.1", 5, true };
	struct mosquitto anonymous = { "c1", NULL, "127.0.0.1", 4, true };
	struct mosquitto empty_user = { "c1", "", "127.0.0.1", 4, true };
	struct mosquitto long_user = { "c1", NULL, "127.0.0.1", 4, true };
	char *big = malloc(70000);

	if(big == NULL) abort();
	memset(big, 'A', 69999);
	big[69999] = '\0';
	long_user.username = big;

	/* Local refusals. */
	CHECK(th_auth(&anonymous, NULL) == MOSQ_ERR_AUTH);
	CHECK(strstr(test_last_log, "no username") != NULL);
	CHECK(th_auth(&empty_user, "p") == MOSQ_ERR_AUTH);
	CHECK(th_auth(&c1, big) == MOSQ_ERR_AUTH);
	CHECK(strstr(test_last_log, "longer than 4096") != NULL);
	CHECK(th_auth(&long_user, "p") == MOSQ_ERR_AUTH);
	CHECK(strlen(test_last_log) < 512);
	{
		struct mosquitto long_id = { big, "u@org_x", NULL, 4, true };
		CHECK(th_auth(&long_id, "p") == MOSQ_ERR_AUTH);
	}
	CHECK(th_auth(&c1, "p\n[fake log line]") == MOSQ_ERR_AUTH); /* unreachable */
	CHECK(strstr(test_last_log, "service unreachable") != NULL);
	CHECK(strstr(test_last_log, "fake") == NULL); /* password never logged */

	/* Internal user. */
	CHECK(th_auth(&internal, "wrong") == MOSQ_ERR_AUTH);
	CHECK(th_auth(&internal, NULL) == MOSQ_ERR_AUTH);
	CHECK(th_auth(&internal, "s3cre") == MOSQ_ERR_AUTH);
	CHECK(th_auth(&internal, "s3cret") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&internal, MOSQ_ACL_WRITE, "$CONTROL/cloudsignal/v1") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&internal, MOSQ_ACL_SUBSCRIBE, "$SYS/#") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&internal, MOSQ_ACL_READ, "anything") == MOSQ_ERR_SUCCESS);

	/* Credential cache. */
	CHECK(th_cache("u@org_x", "p", false, 0, OWN_RULES) == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&c1, "P") == MOSQ_ERR_AUTH); /* mismatch -> HTTP -> unreachable */
	CHECK(cs_principals__find(g_cs, "u@org_x") != NULL);        /* a mismatch does not evict */
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&slash, "p") == MOSQ_ERR_SUCCESS);

	/* ACL for a normal client. */
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/x") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c1, MOSQ_ACL_SUBSCRIBE, "org_x/c1/#") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c1, MOSQ_ACL_READ, "org_x/c1/x") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c2/x") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1, MOSQ_ACL_SUBSCRIBE, "org_x/#") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1, MOSQ_ACL_SUBSCRIBE, "$SYS/#") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "$CONTROL/cloudsignal/v1") == MOSQ_ERR_ACL_DENIED);
	/* $share/GROUP/FILTER is decided as FILTER; nothing else of '$' (test_presence.c). */
	CHECK(th_acl(&c1, MOSQ_ACL_SUBSCRIBE, "$share/g/org_x/c1/x") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c1, MOSQ_ACL_SUBSCRIBE, "$share/g/org_x/c2/x") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1, MOSQ_ACL_UNSUBSCRIBE, "whatever") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&slash, MOSQ_ACL_WRITE, "org_x/a/b/x") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&stranger, MOSQ_ACL_WRITE, "org_x/nobody/x") == MOSQ_ERR_ACL_DENIED);
	/* Another connection using c1's id: denied, except reads for a persistent session. */
	CHECK(th_acl(&c1_other, MOSQ_ACL_WRITE, "org_x/c1/x") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1_other, MOSQ_ACL_READ, "org_x/c1/x") == MOSQ_ERR_SUCCESS);
	c1_other.clean = true;
	CHECK(th_acl(&c1_other, MOSQ_ACL_READ, "org_x/c1/x") == MOSQ_ERR_ACL_DENIED);

	/* Superuser. */
	CHECK(th_cache("root@org_x", "r", true, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&su, "r") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&su, MOSQ_ACL_WRITE, "any/topic") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&su, MOSQ_ACL_SUBSCRIBE, "$SYS/#") == MOSQ_ERR_SUCCESS);

	/* A principal not confirmed for cache_ttl is not used (a miss), but kept:
	 * the next sync confirms it again. */
	cs_principals__find(g_cs, "root@org_x")->confirmed_ms -= (int64_t)g_cs->cache_ttl * 1000;
	CHECK(th_auth(&su, "r") == MOSQ_ERR_AUTH);
	CHECK(cs_principals__find(g_cs, "root@org_x") != NULL);
	CHECK(th_cache("old@org_x", "o", false, time(NULL) - 1, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&su_old, "o") == MOSQ_ERR_AUTH);

	/* Disconnect: another connection with the same id does not remove the entry. */
	c1_other.clean = true;
	th_disconnect(&c1_other);
	CHECK(cs_clients__find(g_cs, "c1") != NULL);
	th_disconnect(&c1);                       /* an MQTT 3.1.1 clean session ends */
	CHECK(cs_clients__find(g_cs, "c1") == NULL);
	/* Its will, checked after the DISCONNECT: its own rules, until the TICK. */
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/x") == MOSQ_ERR_SUCCESS);
	th_tick();
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/x") == MOSQ_ERR_ACL_DENIED);
	th_disconnect(&slash);
	CHECK(cs_clients__find(g_cs, "a/b") == NULL);

	free(big);
}

static void test_control(void)
{
	struct mosquitto c1 = { "c1", "u@org_x", "127.0.0.1", 4, true };
	struct mosquitto c2 = { "c2", "u@org_x", "127.0.0.1", 4, false };
	struct mosquitto internal = { "svc", "cloudsignal-internal", "127.0.0.1", 5, true };
	struct mosquitto fake = { "fake", "cloudsignal-internal", "127.0.0.1", 5, true };
	const char *kick = "{\"commands\":[{\"command\":\"kick\",\"clientid\":\"zz\"}]}";
	cJSON *t;
	char *huge;
	size_t pos;

	CHECK(th_cache("u@org_x", "p", false, 0, OWN_RULES) == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&c2, "p") == MOSQ_ERR_SUCCESS);

	/* Malformed payloads: one failed response. */
	const char *malformed[] = { "not json", "[]", "{\"commands\":5}", "{}", "{\"commands\":[", "\"x\"" };
	for(size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++){
		t = th_control(malformed[i]);
		CHECK(t && th_responses(t) == 1 && th_response_error(t, 0) != NULL);
		cJSON_Delete(t);
	}
	t = th_control(NULL);
	CHECK(t && th_responses(t) == 1 && th_response_error(t, 0) != NULL);
	cJSON_Delete(t);

	/* A mix of bad and good commands, answered in order. */
	test_kick_count = 0;
	t = th_control("{\"commands\":[1,{},{\"command\":7},{\"command\":\"nope\"},"
			"{\"command\":\"kick\"},{\"command\":\"kick\",\"clientid\":5},{\"command\":\"kick\",\"clientid\":\"c9\"},"
			"{\"command\":\"invalidate\"},{\"command\":\"invalidate\",\"org_id\":\"\"},"
			"{\"command\":\"set_rules\",\"username\":\"u@org_x\"},{\"command\":\"set_rules\",\"username\":\"u@org_x\",\"acl\":[{\"topic\":\"#\"}]},"
			"{\"command\":\"set_expiry\",\"username\":\"u@org_x\",\"expire_at\":\"soon\"},{\"command\":\"set_expiry\",\"expire_at\":1},"
			"{\"command\":\"kick_user\"},{\"command\":\"kick_user\",\"username\":null}]}");
	CHECK(t && th_responses(t) == 15);
	for(int i = 0; i < 15; i++) CHECK(t && (i == 6 ? th_response_ok(t, i) : th_response_error(t, i) != NULL));
	CHECK(test_kick_count == 1 && !strcmp(test_last_kick_id, "c9"));
	cJSON_Delete(t);
	/* Failed set_rules left the rules alone. */
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/x") == MOSQ_ERR_SUCCESS);

	/* set_rules: every entry of the user and the cache entry, rendered per client. */
	t = th_control("{\"commands\":[{\"command\":\"set_rules\",\"username\":\"u@org_x\",\"acl\":["
			"{\"permission\":\"deny\",\"action\":\"publish\",\"topic\":\"org_x/${clientid}/ro\"},"
			"{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_x/${clientid}/#\"},"
			"{\"permission\":\"allow\",\"action\":\"subscribe\",\"topic\":\"org_x/shared/#\"}]}]}");
	CHECK(t && th_responses(t) == 1 && th_response_ok(t, 0));
	cJSON_Delete(t);
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/ro") == MOSQ_ERR_ACL_DENIED);
	CHECK(th_acl(&c1, MOSQ_ACL_SUBSCRIBE, "org_x/shared/#") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c2, MOSQ_ACL_SUBSCRIBE, "org_x/shared/x") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c2, MOSQ_ACL_WRITE, "org_x/c2/x") == MOSQ_ERR_SUCCESS);
	CHECK(th_acl(&c2, MOSQ_ACL_WRITE, "org_x/c1/x") == MOSQ_ERR_ACL_DENIED);
	CHECK(cs_principals__find(g_cs, "u@org_x")->rules.count == 3);

	/* set_expiry in the past: ACL denied at once, kicked at the next tick. */
	t = th_control("{\"commands\":[{\"command\":\"set_expiry\",\"username\":\"u@org_x\",\"expire_at\":1000}]}");
	CHECK(t && th_response_ok(t, 0));
	cJSON_Delete(t);
	CHECK(cs_principals__find(g_cs, "u@org_x")->expire_at == 1000);
	CHECK(th_acl(&c1, MOSQ_ACL_WRITE, "org_x/c1/x") == MOSQ_ERR_ACL_DENIED);
	test_kick_count = 0;
	g_cs->last_tick_ms = 0;
	th_tick();
	CHECK(test_kick_count == 2);
	CHECK(cs_clients__find(g_cs, "c1") == NULL && cs_clients__find(g_cs, "c2") == NULL);
	CHECK(cs_principals__find(g_cs, "u@org_x") == NULL);
	th_tick();   /* rate limited: nothing to do anyway */
	CHECK(test_kick_count == 2);

	/* invalidate by username / org, kick_user drops the cache entry. */
	CHECK(th_cache("a@org_1", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("b@org_1", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("c@org_12", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("org_1", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("d@org_2", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	CHECK(th_cache("e@org_2", "p", false, 0, "[]") == MOSQ_ERR_SUCCESS);
	t = th_control("{\"commands\":[{\"command\":\"invalidate\",\"org_id\":\"org_1\"},"
			"{\"command\":\"invalidate\",\"username\":\"d@org_2\"},{\"command\":\"kick_user\",\"username\":\"e@org_2\"}]}");
	CHECK(t && th_responses(t) == 3 && th_response_ok(t, 0) && th_response_ok(t, 1) && th_response_ok(t, 2));
	cJSON_Delete(t);
	CHECK(cs_principals__find(g_cs, "a@org_1") == NULL && cs_principals__find(g_cs, "b@org_1") == NULL);
	CHECK(cs_principals__find(g_cs, "c@org_12") != NULL && cs_principals__find(g_cs, "org_1") != NULL);
	CHECK(cs_principals__find(g_cs, "d@org_2") == NULL && cs_principals__find(g_cs, "e@org_2") == NULL);
	CHECK(!strcmp(test_last_kick_user, "e@org_2"));

	/* Huge arrays. */
	huge = malloc(20001 * 16 + 64);
	if(huge == NULL) abort();
	pos = (size_t)sprintf(huge, "{\"commands\":[");
	for(int i = 0; i < 20001; i++) pos += (size_t)sprintf(huge + pos, "%s{}", i ? "," : "");
	sprintf(huge + pos, "]}");
	t = th_control(huge);
	CHECK(t && th_responses(t) == 1 && th_response_error(t, 0) != NULL);
	cJSON_Delete(t);
	pos = (size_t)sprintf(huge, "{\"commands\":[");
	for(int i = 0; i < 5000; i++) pos += (size_t)sprintf(huge + pos, "%s[1]", i ? "," : "");
	sprintf(huge + pos, "]}");
	t = th_control(huge);
	CHECK(t && th_responses(t) == 5000 && th_response_error(t, 4999) != NULL);
	cJSON_Delete(t);
	free(huge);

	/* The callback: only the authenticated internal connection gets a reply. */
	CHECK(th_auth(&internal, "s3cret") == MOSQ_ERR_SUCCESS);
	free(test_last_publish);
	test_last_publish = NULL;
	CHECK(th_control_msg(&fake, kick) == MOSQ_ERR_SUCCESS);
	CHECK(test_last_publish == NULL && strstr(test_last_log, "not the internal user"));
	CHECK(th_control_msg(&c1, kick) == MOSQ_ERR_SUCCESS && test_last_publish == NULL);
	CHECK(th_control_msg(&internal, kick) == MOSQ_ERR_SUCCESS);
	CHECK(test_last_publish && !strcmp(test_last_publish, "{\"responses\":[{\"command\":\"kick\",\"ok\":true}]}"));
	CHECK(!strcmp(test_last_publish_topic, "$CONTROL/cloudsignal/v1/response"));
}

/* Fail every allocation in turn: no crash, no leak, state stays usable. */
static void test_out_of_memory(void)
{
	struct mosquitto c5 = { "c5", "u5@org_x", NULL, 4, true };
	const char *cmd = "{\"commands\":[{\"command\":\"set_rules\",\"username\":\"u5@org_x\",\"acl\":" OWN_RULES "},"
			"{\"command\":\"invalidate\",\"org_id\":\"org_x\"}]}";
	bool leak = false, crash_free = true;

	cs_principals__drop_org(g_cs, "org_x");
	for(long i = 0; i < 80; i++){
		long before = test_alloc_outstanding;
		struct cs_client *e;
		char *out;

		CHECK(th_cache("u5@org_x", "p", false, 0, OWN_RULES) == MOSQ_ERR_SUCCESS);
		test_fail_alloc_after = i;
		if(th_auth(&c5, "p") == MOSQ_ERR_SUCCESS){
			test_fail_alloc_after = -1;
			crash_free = crash_free && th_acl(&c5, MOSQ_ACL_WRITE, "org_x/c5/x") == MOSQ_ERR_SUCCESS;
		}
		test_fail_alloc_after = i;
		out = cs_control__handle(g_cs, cmd, strlen(cmd));
		test_fail_alloc_after = -1;
		cJSON_free(out);
		cs_sessions__close(g_cs, &c5);
		e = cs_clients__find(g_cs, "c5");
		if(e) cs_clients__remove(g_cs, e);
		cs_principals__drop(g_cs, "u5@org_x");
		if(test_alloc_outstanding != before) leak = true;
	}
	CHECK(!leak);
	CHECK(crash_free);
}

/* listen_backlog: the option's bounds, and a listening socket of this
 * process gets the wider queue (a connected one is left alone). */
static void test_listen_backlog(void)
{
	struct mosquitto_opt negative[] = { OPT("service_url", "http://x"), OPT("broker_secret", "s"), OPT("listen_backlog", "-1") };
	struct mosquitto_opt huge[] = { OPT("service_url", "http://x"), OPT("broker_secret", "s"), OPT("listen_backlog", "70000") };
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	int server, client, before, after;

	CHECK(th_init_rc(negative, 3) == MOSQ_ERR_INVAL);
	CHECK(th_init_rc(huge, 3) == MOSQ_ERR_INVAL);

	server = socket(AF_INET, SOCK_STREAM, 0);
	client = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(server >= 0 && client >= 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(server, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(listen(server, 1) == 0);
	CHECK(getsockname(server, (struct sockaddr *)&addr, &len) == 0);
	CHECK(connect(client, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	before = cs_plugin__widen_listeners(64);
	after = cs_plugin__widen_listeners(64);
	CHECK(before >= 1);
	CHECK(after == before);        /* the connected socket is not counted */
	/* A listening socket's TCP_INFO reports its backlog in tcpi_sacked. */
	{
		struct tcp_info info;
		socklen_t info_len = sizeof(info);

		CHECK(getsockopt(server, IPPROTO_TCP, TCP_INFO, &info, &info_len) == 0);
		CHECK(info.tcpi_sacked == 64);
	}
	close(client);
	close(server);
}

void test_plugin__run(void)
{
	test_options();
	test_parse_reply();
	test_listen_backlog();

	/* No background POSTs here: session events just queue up (test_events.c). */
	th_start("http://127.0.0.1:1", "500", NULL);
	CHECK(g_cs != NULL);
	test_connect_and_acl();
	test_control();
	test_out_of_memory();
	th_stop();
	CHECK(test_registered == 0);
	CHECK(test_alloc_outstanding == 0);
	/* test_topic.c's main() runs the suites it knows; the store's run here. */
	test_principals__run();
}
