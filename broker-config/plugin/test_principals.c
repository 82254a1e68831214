/* test_principals.c - unit tests for the principal store (verifiers with a
 * known answer computed with Python's hmac), set_principal and positions,
 * the state file, sync replies and the sync thread against a fake service,
 * the throttle (fake clock), stats and quota reports, and the quota of the
 * internal user's publishes. Run from test_plugin__run(). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_harness.h"

#define RULES "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_x/${clientid}/#\"}]"
/* HMAC-SHA256(K, "u@org_x\0p"), K = HMAC-SHA256("s3cret", "cloudsignal-verifier-v1") */
#define V_U_P "99d6b4125202ed72e27962d2861f815fc98db5ed9f34cbabde6794c8b7cc8c68"

static int64_t g_now;

static int64_t fake_now(void)
{
	return g_now;
}

/* The fake broker on a fake clock. */
static void start(const char *url, const char *state_file)
{
	th_start(url, "500", state_file);
	g_now = 5000000;
	g_cs->now_ms = fake_now;
	g_cs->state_written_ms = g_now;
	g_cs->stats_ms = g_now;
}

static int apply(const char *json, bool *more)
{
	const char *err = NULL;
	bool m = false;
	int rc = cs_sync__apply(g_cs, json, strlen(json), more ? more : &m, &err);

	return rc;
}

static void set_u(const char *version, const char *verifier, int position)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "{\"commands\":[{\"command\":\"set_principal\",\"username\":\"u@org_x\","
			"\"credential_version\":\"%s\",%s%s%s\"is_superuser\":false,\"expire_at\":null,\"acl\":" RULES ","
			"\"limits\":{\"org_id\":\"org_x\",\"max_connections\":null,\"messages_per_minute\":null},\"position\":%d}]}",
			version, verifier ? "\"verifier\":\"" : "", verifier ? verifier : "", verifier ? "\"," : "", position);
	CHECK(th_control_ok(cmd));
}

/* ---- verifiers and set_principal ------------------------------------------- */

static void hex(const unsigned char *in, char out[2 * CS_HMAC_LEN + 1])
{
	for(int i = 0; i < CS_HMAC_LEN; i++) snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* Known answers from Python:
 *   K = hmac.new(b"s3cret", b"cloudsignal-verifier-v1", sha256).digest()
 *   hmac.new(K, b"dev-1@org_k7xm4pqr2n5t\x00correct horse", sha256).hexdigest() */
static void test_verifier(void)
{
	unsigned char out[CS_HMAC_LEN];
	char h[2 * CS_HMAC_LEN + 1];

	start("http://127.0.0.1:1", NULL);
	hex(g_cs->verifier_key, h);
	CHECK(!strcmp(h, "74697c8d062dad64ecf736c721f31f7df3cec4bfc026fbbf9998cd9fd2025a00"));
	CHECK(cs_principals__verifier(g_cs, "dev-1@org_k7xm4pqr2n5t", "correct horse", out) == 0);
	hex(out, h);
	CHECK(!strcmp(h, "4b8edfd19959c978cef2d856f354146dc4692982d4218d571be2f27312241ce6"));
	CHECK(cs_principals__verifier(g_cs, "u@org_x", "p", out) == 0);
	hex(out, h);
	CHECK(!strcmp(h, V_U_P));
	/* The 0x00 separator: "ab" + "c" differs from "a" + "bc". */
	{
		unsigned char a[CS_HMAC_LEN], b[CS_HMAC_LEN];

		CHECK(cs_principals__verifier(g_cs, "ab", "c", a) == 0 && cs_principals__verifier(g_cs, "a", "bc", b) == 0);
		CHECK(memcmp(a, b, CS_HMAC_LEN) != 0);
	}
	th_stop();
}

static void test_set_principal(void)
{
	struct mosquitto c1 = { "c1", "u@org_x", "10.0.0.1", 5, true };
	struct cs_principal *p;

	start("http://127.0.0.1:1", NULL);
	/* Known user with a verifier: admitted with no HTTP. */
	set_u("aaaa000000000001", V_U_P, 10);
	p = cs_principals__find(g_cs, "u@org_x");
	CHECK(p && p->confirmed && p->has_verifier && p->position == 10 && g_cs->applied_position == 10);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(g_cs->stats.local_admits == 1 && g_cs->stats.http_calls == 0);
	CHECK(cs_clients__find(g_cs, "c1") != NULL);
	/* Wrong password: a miss (HTTP, unreachable here). */
	CHECK(th_auth(&c1, "nope") == MOSQ_ERR_AUTH);
	CHECK(g_cs->stats.http_calls == 1);
	/* Same version without verifier: kept. */
	set_u("aaaa000000000001", NULL, 11);
	CHECK(cs_principals__find(g_cs, "u@org_x")->has_verifier);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS && g_cs->stats.local_admits == 2);
	/* New version without verifier: dropped, a miss. */
	set_u("aaaa000000000002", NULL, 12);
	CHECK(!cs_principals__find(g_cs, "u@org_x")->has_verifier);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_AUTH && g_cs->stats.http_calls == 2);
	/* Invalid commands change nothing. */
	CHECK(!th_control_ok("{\"commands\":[{\"command\":\"set_principal\",\"username\":\"u@org_x\",\"credential_version\":\"x\",\"verifier\":\"zz\"}]}"));
	CHECK(!th_control_ok("{\"commands\":[{\"command\":\"set_principal\",\"username\":\"u@org_x\"}]}"));
	CHECK(!th_control_ok("{\"commands\":[{\"command\":\"kick\",\"clientid\":\"zz\",\"position\":-1}]}"));
	CHECK(cs_principals__find(g_cs, "u@org_x")->position == 12);
	/* kick_user and invalidate drop the principal; positions are remembered. */
	set_u("aaaa000000000002", V_U_P, 13);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"invalidate\",\"username\":\"u@org_x\",\"position\":14}]}"));
	CHECK(cs_principals__find(g_cs, "u@org_x") == NULL && g_cs->applied_position == 14);
	set_u("aaaa000000000002", V_U_P, 15);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"kick_user\",\"username\":\"u@org_x\"}]}"));
	CHECK(cs_principals__find(g_cs, "u@org_x") == NULL);
	/* set_rules with a position protects the principal from an older sync. */
	set_u("aaaa000000000002", V_U_P, 16);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_rules\",\"username\":\"u@org_x\",\"acl\":[],\"position\":20}]}"));
	CHECK(cs_principals__find(g_cs, "u@org_x")->position == 20);
	CHECK(apply("{\"store\":\"s1\",\"position\":18,\"principals\":[{\"username\":\"u@org_x\",\"credential_version\":\"old\","
			"\"acl\":" RULES "}]}", NULL) == 0);
	p = cs_principals__find(g_cs, "u@org_x");
	CHECK(p && p->has_verifier && p->rules.count == 0 && !strcmp(p->credential_version, "aaaa000000000002"));
	/* cache_ttl: not confirmed for that long = a miss, until the next sync. */
	g_now += 300 * 1000;
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_AUTH);
	CHECK(apply("{\"store\":\"s1\",\"position\":21}", NULL) == 0);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
	th_stop();
}

/* ---- state file ------------------------------------------------------------ */

static void test_state_file(void)
{
	char dir[] = "/tmp/cs_state_XXXXXX";
	char path[256], tmp[300], saved[8192];
	struct mosquitto c1 = { "org_x/c1", "u@org_x", "10.0.0.1", 5, true };
	struct stat st;
	struct cs_principal *p;
	FILE *f;

	if(mkdtemp(dir) == NULL) abort();
	snprintf(path, sizeof(path), "%s/state.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	/* No file yet: starts empty. */
	start("http://127.0.0.1:1", path);
	CHECK(g_cs->principals == NULL && strstr(test_log_all, "no state file") != NULL);
	CHECK(apply("{\"store\":\"s1\",\"position\":7,\"tenancy\":\"multi\",\"default_org\":null}", NULL) == 0);
	set_u("v1", V_U_P, 5);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_principal\",\"username\":\"t@org_y\",\"credential_version\":\"v9\","
			"\"is_superuser\":true,\"expire_at\":4102444800,\"acl\":[{\"permission\":\"deny\",\"action\":\"publish\",\"topic\":\"a/#\"},"
			"{\"permission\":\"allow\",\"action\":\"subscribe\",\"topic\":\"b/+\"}],\"limits\":null}]}"));
	/* Written at most every few seconds when dirty. */
	cs_principals__tick(g_cs);
	CHECK(access(path, F_OK) != 0);
	g_now += CS_STATE_WRITE_MS;
	cs_principals__tick(g_cs);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(access(tmp, F_OK) != 0);
	CHECK(!g_cs->state_dirty);
	th_stop();

	/* Loaded unconfirmed: a miss until a sync completes. */
	start("http://127.0.0.1:1", path);
	p = cs_principals__find(g_cs, "u@org_x");
	CHECK(p && !p->confirmed && p->has_verifier && p->position == 5);
	CHECK(!strcmp(g_cs->store_id, "s1") && g_cs->position == 7 && g_cs->tenancy == CS_TENANCY_MULTI);
	p = cs_principals__find(g_cs, "t@org_y");
	CHECK(p && p->is_superuser && p->expire_at == 4102444800 && p->rules.count == 2 && !p->has_verifier);
	CHECK(p && !p->rules.rules[0].allow && p->rules.rules[0].actions == CS_ACT_PUBLISH && !strcmp(p->rules.rules[1].topic, "b/+"));
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_AUTH && g_cs->stats.http_calls == 1);
	{
		bool more = true;

		/* A page with more=true confirms nothing yet. */
		CHECK(apply("{\"store\":\"s1\",\"position\":8,\"more\":true}", &more) == 0 && more);
		CHECK(!cs_principals__find(g_cs, "u@org_x")->confirmed);
		CHECK(apply("{\"store\":\"s1\",\"position\":9,\"more\":false}", &more) == 0 && !more);
	}
	CHECK(cs_principals__find(g_cs, "u@org_x")->confirmed);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS && g_cs->stats.http_calls == 1);
	th_stop();                                            /* saved at cleanup */
	f = fopen(path, "r");
	if(f == NULL) abort();
	saved[fread(saved, 1, sizeof(saved) - 1, f)] = '\0';
	fclose(f);

	/* A file that names no store (saved before any sync succeeded): its
	 * principals are left out, since no sync could check them; the limits stay. */
	f = fopen(path, "w");
	if(f == NULL) abort();
	fputs("{\"version\":1,\"store\":null,\"position\":0,\"limits\":[{\"org_id\":\"org_x\",\"max_connections\":4}],"
			"\"principals\":[{\"username\":\"u@org_x\",\"credential_version\":\"v1\",\"acl\":[]}]}", f);
	fclose(f);
	test_log_all[0] = '\0';
	start("http://127.0.0.1:1", path);
	CHECK(g_cs->principals == NULL && cs_orgs__find(g_cs, "org_x") && cs_orgs__find(g_cs, "org_x")->max_connections == 4);
	CHECK(strstr(test_log_all, "left out 1 principals") != NULL && strstr(test_log_all, "ignoring") == NULL);
	CHECK(apply("{\"store\":\"s1\",\"position\":9,\"more\":false}", NULL) == 0);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_AUTH && g_cs->stats.http_calls == 1);  /* a miss, not the file's verifier */
	th_stop();
	f = fopen(path, "w");
	if(f == NULL) abort();
	fputs(saved, f);
	fclose(f);

	/* A file the password changed behind: the sync drops the verifier. */
	start("http://127.0.0.1:1", path);
	CHECK(g_cs->position == 9);
	CHECK(apply("{\"store\":\"s1\",\"position\":12,\"principals\":[{\"username\":\"u@org_x\",\"credential_version\":\"v2\"}]}", NULL) == 0);
	CHECK(!cs_principals__find(g_cs, "u@org_x")->has_verifier);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_AUTH);
	th_stop();

	/* Malformed files: a warning, an empty start, never a refusal to start. */
	{
		const char *bad[] = { "not json", "{\"version\":2,\"principals\":[]}", "{\"version\":1,\"store\":5,\"principals\":[]}",
			"{\"version\":1,\"store\":null,\"principals\":[{\"username\":\"a\",\"credential_version\":\"x\",\"verifier\":\"12\"}]}",
			"{\"version\":1,\"store\":null}", "" };

		for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
			f = fopen(path, "w");
			if(f == NULL) abort();
			fputs(bad[i], f);
			fclose(f);
			test_log_all[0] = '\0';
			start("http://127.0.0.1:1", path);
			CHECK(g_cs->principals == NULL && g_cs->position == 0 && g_cs->store_id[0] == '\0');
			CHECK(strstr(test_log_all, "ignoring the state file") != NULL);
			th_stop();
		}
	}
	unlink(path);
	unlink(tmp);
	rmdir(dir);
}

/* The state file keeps each organization's last limits: after a restart
 * they are enforced before any sync, CONNECT reply or set_limits brings
 * them again; a later one replaces them. A file without them still loads. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if(f == NULL) abort();
	fputs(text, f);
	fclose(f);
}

static void test_state_limits(void)
{
	char dir[] = "/tmp/cs_limits_XXXXXX";
	char path[256], tmp[300];
	struct cs_org *org;
	struct cs_principal *p;

	if(mkdtemp(dir) == NULL) abort();
	snprintf(path, sizeof(path), "%s/state.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	start("http://127.0.0.1:1", path);
	CHECK(apply("{\"store\":\"s1\",\"position\":4}", NULL) == 0);
	set_u("v1", V_U_P, 5);
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_x\",\"max_connections\":3,"
			"\"messages_per_minute\":10,\"max_retained_messages\":5,\"max_payload_bytes\":100},"
			"{\"command\":\"set_limits\",\"org_id\":\"org_y\",\"max_connections\":null,\"messages_per_minute\":null,"
			"\"max_retained_messages\":null,\"max_payload_bytes\":7},"
			"{\"command\":\"set_limits\",\"org_id\":\"org_z\",\"max_connections\":null,\"messages_per_minute\":null}]}"));
	CHECK(g_cs->state_dirty);
	CHECK(cs_principals__save(g_cs) == MOSQ_ERR_SUCCESS);
	/* An unchanged set_limits changes nothing to save. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_y\",\"max_payload_bytes\":7}]}"));
	CHECK(!g_cs->state_dirty);
	th_stop();

	/* Loaded at start: enforced before any sync (the principals stay
	 * unconfirmed), the principal keeps all four limits too. */
	start("http://127.0.0.1:1", path);
	org = cs_orgs__find(g_cs, "org_x");
	CHECK(org && org->max_connections == 3 && org->messages_per_minute == 10
			&& org->max_retained_messages == 5 && org->max_payload_bytes == 100 && org->sessions == 0);
	CHECK(cs_orgs__check_payload(g_cs, "org_x", 100) == MOSQ_ERR_SUCCESS);
	CHECK(cs_orgs__check_payload(g_cs, "org_x", 101) == MOSQ_ERR_ACL_DENIED);
	org = cs_orgs__find(g_cs, "org_y");
	CHECK(org && org->max_connections == -1 && org->max_payload_bytes == 7);
	CHECK(cs_orgs__find(g_cs, "org_z") == NULL);
	p = cs_principals__find(g_cs, "u@org_x");
	CHECK(p && !p->confirmed && p->limits.max_payload_bytes == 100 && p->limits.max_retained_messages == 5);
	CHECK(!g_cs->state_dirty);
	/* A later set_limits replaces them, in the file too. */
	CHECK(th_control_ok("{\"commands\":[{\"command\":\"set_limits\",\"org_id\":\"org_y\",\"max_connections\":null}]}"));
	CHECK(cs_orgs__find(g_cs, "org_y") == NULL && g_cs->state_dirty);
	/* And so does a sync of a principal of the organization. */
	CHECK(apply("{\"store\":\"s1\",\"position\":9,\"principals\":[{\"username\":\"u@org_x\",\"credential_version\":\"v1\","
			"\"limits\":{\"org_id\":\"org_x\",\"max_payload_bytes\":200}}]}", NULL) == 0);
	org = cs_orgs__find(g_cs, "org_x");
	CHECK(org && org->max_connections == -1 && org->max_payload_bytes == 200);
	th_stop();

	start("http://127.0.0.1:1", path);
	CHECK(cs_orgs__find(g_cs, "org_y") == NULL);
	org = cs_orgs__find(g_cs, "org_x");
	CHECK(org && org->max_payload_bytes == 200 && org->max_connections == -1);
	th_stop();

	/* A file of an older plugin (no "limits", principals' limits with two
	 * fields) loads as before. */
	write_file(path, "{\"version\":1,\"store\":\"s1\",\"position\":4,\"tenancy\":\"multi\",\"default_org\":null,"
			"\"principals\":[{\"username\":\"u@org_x\",\"credential_version\":\"v1\",\"is_superuser\":false,"
			"\"expire_at\":null,\"position\":2,\"verifier\":\"" V_U_P "\",\"acl\":[],"
			"\"limits\":{\"org_id\":\"org_x\",\"max_connections\":4,\"messages_per_minute\":null}}]}");
	test_log_all[0] = '\0';
	start("http://127.0.0.1:1", path);
	CHECK(g_cs->position == 4 && cs_principals__find(g_cs, "u@org_x") != NULL);
	CHECK(strstr(test_log_all, "ignoring the state file") == NULL);
	CHECK(cs_orgs__find(g_cs, "org_x") == NULL);
	th_stop();

	/* Malformed limits: the file is ignored, as for any malformed part. */
	{
		const char *bad[] = {
			"{\"version\":1,\"store\":null,\"principals\":[],\"limits\":{}}",
			"{\"version\":1,\"store\":null,\"principals\":[],\"limits\":[{\"org_id\":\"\"}]}",
			"{\"version\":1,\"store\":null,\"principals\":[],\"limits\":[{\"org_id\":\"org_x\",\"max_payload_bytes\":-1}]}",
		};

		for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
			write_file(path, bad[i]);
			test_log_all[0] = '\0';
			start("http://127.0.0.1:1", path);
			CHECK(g_cs->orgs == NULL && strstr(test_log_all, "ignoring the state file") != NULL);
			th_stop();
		}
	}
	unlink(path);
	unlink(tmp);
	rmdir(dir);
}

/* ---- sync replies ---------------------------------------------------------- */

static void test_sync_apply(void)
{
	struct mosquitto c1 = { "c1", "u@org_x", "10.0.0.1", 5, true };
	struct cs_client *e;
	struct cs_principal *p;

	start("http://127.0.0.1:1", NULL);
	set_u("v1", V_U_P, 0);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(apply("{\"store\":\"s1\",\"position\":3,\"tenancy\":\"single\",\"default_org\":\"org_x\"}", NULL) == 0);
	CHECK(g_cs->tenancy == CS_TENANCY_SINGLE && !strcmp(g_cs->default_org, "org_x"));

	/* Unusable replies change nothing. */
	{
		const char *bad[] = { "", "[]", "{\"position\":4}", "{\"store\":\"s1\"}", "{\"store\":\"s\\\"1\",\"position\":4}",
			"{\"store\":\"s1\",\"position\":-1}", "{\"store\":\"s1\",\"position\":1.5}", "{\"store\":\"s1\",\"position\":4,\"reset\":1}",
			"{\"store\":\"s1\",\"position\":4,\"principals\":{}}", "{\"store\":\"s1\",\"position\":4,\"removed\":[1]}",
			"{\"store\":\"s1\",\"position\":4,\"tenancy\":\"both\"}",
			"{\"store\":\"s1\",\"position\":4,\"reset\":true,\"principals\":[{\"username\":\"u@org_x\"}]}" };

		for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
			CHECK(apply(bad[i], NULL) != 0);
		}
		CHECK(g_cs->position == 3 && cs_principals__find(g_cs, "u@org_x") != NULL);
	}

	/* Rules, expiry and limits of a held principal: the store, the
	 * connected client and the org table follow. Unheld ones are ignored. */
	CHECK(apply("{\"store\":\"s1\",\"position\":5,\"principals\":[{\"username\":\"u@org_x\",\"credential_version\":\"v1\","
			"\"acl\":[],\"expire_at\":4102444800,\"limits\":{\"org_id\":\"org_x\",\"max_connections\":7}},"
			"{\"username\":\"other@org_x\",\"credential_version\":\"z\"}]}", NULL) == 0);
	p = cs_principals__find(g_cs, "u@org_x");
	CHECK(p && p->has_verifier && p->rules.count == 0 && p->expire_at == 4102444800 && p->position == 5);
	e = cs_clients__find(g_cs, "c1");
	CHECK(e && e->rules.count == 0 && e->expire_at == 4102444800);
	CHECK(cs_orgs__find(g_cs, "org_x") && cs_orgs__find(g_cs, "org_x")->max_connections == 7);
	CHECK(cs_principals__find(g_cs, "other@org_x") == NULL);

	/* credential_version changed: the verifier goes. */
	CHECK(apply("{\"store\":\"s1\",\"position\":6,\"principals\":[{\"username\":\"u@org_x\",\"credential_version\":\"v2\"}]}", NULL) == 0);
	CHECK(!cs_principals__find(g_cs, "u@org_x")->has_verifier);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_AUTH);

	/* removed drops (unless a newer command touched it). */
	set_u("v3", V_U_P, 0);
	CHECK(apply("{\"store\":\"s1\",\"position\":7,\"removed\":[\"u@org_x\",\"nobody@org_x\"]}", NULL) == 0);
	CHECK(cs_principals__find(g_cs, "u@org_x") == NULL);
	set_u("v3", V_U_P, 9);
	CHECK(apply("{\"store\":\"s1\",\"position\":8,\"removed\":[\"u@org_x\"]}", NULL) == 0);
	CHECK(cs_principals__find(g_cs, "u@org_x") != NULL);

	/* reset, or another store: everything goes. */
	CHECK(apply("{\"store\":\"s1\",\"position\":10,\"reset\":true}", NULL) == 0);
	CHECK(g_cs->principals == NULL && g_cs->position == 10);
	set_u("v3", V_U_P, 0);
	CHECK(apply("{\"store\":\"s2\",\"position\":1}", NULL) == 0);
	CHECK(g_cs->principals == NULL && !strcmp(g_cs->store_id, "s2") && g_cs->position == 1);
	/* A service whose store is empty (null) is usable: nothing held survives it. */
	set_u("v3", V_U_P, 0);
	CHECK(apply("{\"store\":null,\"position\":0}", NULL) == 0);
	CHECK(g_cs->principals == NULL && g_cs->store_id[0] == '\0' && g_cs->position == 0);

	/* Request bodies. */
	{
		size_t len;
		char *b = cs_sync__request_body(0, "", &len);

		CHECK(b && !strcmp(b, "{\"after\":0,\"store\":null}") && len == strlen(b));
		free(b);
		b = cs_sync__request_body(42, "s2", &len);
		CHECK(b && !strcmp(b, "{\"after\":42,\"store\":\"s2\"}"));
		free(b);
	}
	th_stop();
}

/* ---- the sync thread against a fake service -------------------------------- */

static void test_sync_thread(void)
{
	char url[64];
	struct mosquitto_opt opts[4];
	struct cs_plugin *cs;
	int64_t start_ms;

	th_service_start(url, sizeof(url));

	/* The initial sync runs inside init, following "more". */
	th_service_sync_reply("{\"store\":\"st\",\"position\":3,\"reset\":false,\"more\":false,\"principals\":[],\"removed\":[],"
			"\"tenancy\":\"multi\",\"default_org\":null}");
	opts[0] = (struct mosquitto_opt)OPT("service_url", url);
	opts[1] = (struct mosquitto_opt)OPT("broker_secret", "s3cret");
	opts[2] = (struct mosquitto_opt)OPT("timeout_ms", "1000");
	opts[3] = (struct mosquitto_opt)OPT("sync_interval_ms", "100");
	CHECK(th_init(opts, 4) == MOSQ_ERR_SUCCESS);
	cs = g_cs;
	if(cs == NULL) return;
	CHECK(cs->position == 3 && !strcmp(cs->store_id, "st") && cs->tenancy == CS_TENANCY_MULTI && cs->sync.last_ok_ms > 0);
	CHECK(cs->sync_interval_ms == 100);
	pthread_mutex_lock(&th_svc.lock);
	CHECK(th_svc.sync_requests == 1 && !strcmp(th_svc.last_sync, "{\"after\":0,\"store\":null,\"retained\":true}"));
	pthread_mutex_unlock(&th_svc.lock);

	/* The thread calls with the held position; the TICK applies the reply. */
	/* It holds the retained topics from then on: no more "retained": true. */
	th_service_sync_reply("{\"store\":\"st\",\"position\":8,\"more\":false,\"retained\":{}}");
	start_ms = cs_util__now_ms();
	while(cs->position != 8 && cs_util__now_ms() - start_ms < 3000){
		usleep(20000);
		th_tick();
	}
	CHECK(cs->position == 8);
	usleep(300000);
	th_tick();
	pthread_mutex_lock(&th_svc.lock);
	CHECK(th_svc.sync_requests >= 3 && !strcmp(th_svc.last_sync, "{\"after\":8,\"store\":\"st\"}"));
	pthread_mutex_unlock(&th_svc.lock);
	/* An allow reply stores the principal with its version and the verifier
	 * of the password the client sent: the next CONNECT needs no HTTP. */
	{
		struct mosquitto c1 = { "org_x/c1", "u@org_x", "10.0.0.1", 5, true };
		struct mosquitto c2 = { "org_x/c2", "w@org_x", "10.0.0.7", 5, true };
		struct cs_principal *p;
		int n;

		th_service_auth_reply("{\"result\":\"allow\",\"credential_version\":\"c0ffee0000000001\",\"acl\":" RULES "}");
		CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
		p = cs_principals__find(cs, "u@org_x");
		CHECK(p && p->confirmed && p->has_verifier && !strcmp(p->credential_version, "c0ffee0000000001"));
		CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
		pthread_mutex_lock(&th_svc.lock);
		CHECK(th_svc.auth_requests == 1 && strstr(th_svc.last_auth, "verifier_version") == NULL);
		/* A password its verifier does not match: asked, naming that verifier's
		 * version, so the service refuses without hashing. */
		snprintf(th_svc.auth_reply, sizeof(th_svc.auth_reply), "{\"result\":\"deny\"}");
		pthread_mutex_unlock(&th_svc.lock);
		CHECK(th_auth(&c1, "not-p") == MOSQ_ERR_AUTH);
		pthread_mutex_lock(&th_svc.lock);
		CHECK(th_svc.auth_requests == 2 && strstr(th_svc.last_auth, "\"verifier_version\":\"c0ffee0000000001\"") != NULL);
		th_svc.auth_requests = 1;
		/* Three refusals by the service, then none are asked. */
		snprintf(th_svc.auth_reply, sizeof(th_svc.auth_reply), "{\"result\":\"deny\"}");
		pthread_mutex_unlock(&th_svc.lock);
		for(int i = 0; i < 5; i++) CHECK(th_auth(&c2, "guess") == MOSQ_ERR_AUTH);
		pthread_mutex_lock(&th_svc.lock);
		n = th_svc.auth_requests;
		pthread_mutex_unlock(&th_svc.lock);
		CHECK(n == 4 && cs->stats.throttled == 2);
	}

	/* An unusable reply is logged at the TICK and changes nothing. */
	th_service_sync_reply("{\"nope\":1}");
	test_log_all[0] = '\0';
	start_ms = cs_util__now_ms();
	while(strstr(test_log_all, "sync: unusable reply") == NULL && cs_util__now_ms() - start_ms < 3000){
		usleep(20000);
		th_tick();
	}
	CHECK(strstr(test_log_all, "sync: unusable reply") != NULL && cs->position == 8);
	th_stop();

	th_service_stop();

	/* Options. */
	{
		struct mosquitto_opt bad1[] = { OPT("service_url", "http://127.0.0.1:1"), OPT("broker_secret", "s"), OPT("sync_interval_ms", "5") };
		struct mosquitto_opt bad2[] = { OPT("service_url", "http://127.0.0.1:1"), OPT("broker_secret", "s"), OPT("state_file", "") };

		CHECK(th_init_rc(bad1, 3) == MOSQ_ERR_INVAL);
		CHECK(strstr(test_last_log, "plugin not started") != NULL);
		CHECK(th_init_rc(bad2, 3) == MOSQ_ERR_INVAL);
	}
}

/* ---- throttle -------------------------------------------------------------- */

static void test_throttle(void)
{
	struct mosquitto c1 = { "c1", "u@org_x", "10.0.0.1", 5, true };
	struct mosquitto c2 = { "c2", "w@org_x", "10.0.0.1", 5, true };
	struct mosquitto c3 = { "c3", "z@org_x", "10.0.0.2", 5, true };

	start("http://127.0.0.1:1", NULL);
	set_u("v1", V_U_P, 0);
	/* Two service refusals: not throttled yet; the third starts 1 s. */
	cs_throttle__refused(g_cs, "u@org_x", "10.0.0.1");
	cs_throttle__refused(g_cs, "u@org_x", "10.0.0.1");
	CHECK(!cs_throttle__blocked(g_cs, "u@org_x", NULL));
	cs_throttle__refused(g_cs, "u@org_x", "10.0.0.1");
	CHECK(cs_throttle__blocked(g_cs, "u@org_x", NULL) && cs_throttle__blocked(g_cs, "x@org_x", "10.0.0.1"));
	CHECK(!cs_throttle__blocked(g_cs, "x@org_x", "10.0.0.9"));

	/* Throttled: a wrong password is refused with no HTTP call... */
	CHECK(th_auth(&c1, "wrong") == MOSQ_ERR_AUTH);
	CHECK(g_cs->stats.http_calls == 0 && g_cs->stats.throttled == 1 && g_cs->stats.local_refusals == 1);
	CHECK(strstr(test_last_log, "too many refused attempts") != NULL);
	/* ...so is another user from that address without a verifier... */
	CHECK(th_auth(&c2, "x") == MOSQ_ERR_AUTH && g_cs->stats.http_calls == 0 && g_cs->stats.throttled == 2);
	/* ...and refusals in the window do not extend it. */
	g_now += 999;
	CHECK(cs_throttle__blocked(g_cs, "u@org_x", NULL));
	g_now += 1;
	CHECK(!cs_throttle__blocked(g_cs, "u@org_x", NULL));
	CHECK(th_auth(&c2, "x") == MOSQ_ERR_AUTH && g_cs->stats.http_calls == 1);   /* a miss again */

	/* Doubling up to 60 s. */
	cs_throttle__refused(g_cs, "u@org_x", NULL);                              /* 4th: 2 s */
	g_now += 1999;
	CHECK(cs_throttle__blocked(g_cs, "u@org_x", NULL));
	g_now += 1;
	CHECK(!cs_throttle__blocked(g_cs, "u@org_x", NULL));
	for(int i = 0; i < 20; i++) cs_throttle__refused(g_cs, "u@org_x", NULL);
	g_now += 59999;
	CHECK(cs_throttle__blocked(g_cs, "u@org_x", NULL));
	g_now += 1;
	CHECK(!cs_throttle__blocked(g_cs, "u@org_x", NULL));
	cs_throttle__refused(g_cs, "u@org_x", NULL);

	/* A matching verifier still admits, and resets the username's record. */
	CHECK(cs_throttle__blocked(g_cs, "u@org_x", NULL));
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(cs_throttle__find(g_cs, 'u', "u@org_x") == NULL);
	CHECK(cs_throttle__find(g_cs, 'a', "10.0.0.1") != NULL);               /* the address only ages out */

	/* Idle records are forgotten; the table is bounded. */
	g_now += CS_THROTTLE_FORGET_MS;
	cs_throttle__expire(g_cs);
	CHECK(g_cs->throttle == NULL && g_cs->throttle_count == 0);
	for(int i = 0; i < CS_THROTTLE_MAX + 10; i++){
		char name[32];

		snprintf(name, sizeof(name), "n%d@org_x", i);
		cs_throttle__refused(g_cs, name, NULL);
	}
	CHECK(g_cs->throttle_count == CS_THROTTLE_MAX && HASH_COUNT(g_cs->throttle) == CS_THROTTLE_MAX);
	CHECK(cs_throttle__find(g_cs, 'u', "n0@org_x") == NULL && cs_throttle__find(g_cs, 'u', "n10@org_x") != NULL);
	/* A long username works too. */
	{
		char big[600];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		for(int i = 0; i < 3; i++) cs_throttle__refused(g_cs, big, NULL);
		CHECK(cs_throttle__blocked(g_cs, big, NULL));
	}
	(void)c3;
	th_stop();
}

/* ---- reports and the internal user's quota --------------------------------- */

static void test_reports(void)
{
	struct mosquitto c1 = { "c1", "u@org_x", "10.0.0.1", 5, true };
	struct mosquitto svc = { "svc", "cloudsignal-internal", NULL, 5, true };

	start("http://127.0.0.1:1", NULL);
	set_u("v1", V_U_P, 0);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&c1, "p") == MOSQ_ERR_SUCCESS);
	CHECK(th_auth(&c1, "bad") == MOSQ_ERR_AUTH);
	/* Every 10 s, counts since the last report. */
	cs_events__report_stats(g_cs, false);
	CHECK(th_queued("\"type\":\"stats\"") == 0);
	g_now += CS_STATS_INTERVAL_MS;
	cs_events__report_stats(g_cs, false);
	CHECK(th_queued("\"type\":\"stats\",\"local_admits\":2,\"local_refusals\":0,\"http_calls\":1,\"throttled\":0,\"at\":") == 1);
	CHECK(g_cs->stats.local_admits == 0 && g_cs->stats.http_calls == 0);
	/* Nothing new: no report. */
	g_now += CS_STATS_INTERVAL_MS;
	cs_events__report_stats(g_cs, false);
	CHECK(th_queued("\"type\":\"stats\"") == 1);

	/* The internal user's publishes count against the topic's owner:
	 * multi tenancy, the first level; $ topics never. */
	{
		struct cs_limits l = { "org_m", -1, 2, -1, -1 };

		CHECK(cs_orgs__set_limits(g_cs, &l) == 0);
	}
	CHECK(th_auth(&svc, "s3cret") == MOSQ_ERR_SUCCESS);
	g_cs->tenancy = CS_TENANCY_MULTI;
	CHECK(th_publish(&svc, "org_m/a") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&svc, "$CONTROL/cloudsignal/v1") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&svc, "org_n/a") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&svc, "org_m/b") == MOSQ_ERR_SUCCESS);
	CHECK(th_publish(&svc, "org_m/c") == MOSQ_ERR_ACL_DENIED);
	CHECK(cs_orgs__find(g_cs, "org_m")->window_count == 2);
	CHECK(th_queued("\"type\":\"quota_refused\",\"org_id\":\"org_m\",\"quota\":\"messages_per_minute\",\"count\":1,") == 1);
	/* Single tenancy: default_org. */
	g_cs->tenancy = CS_TENANCY_SINGLE;
	strcpy(g_cs->default_org, "org_m");
	CHECK(th_publish(&svc, "anything") == MOSQ_ERR_ACL_DENIED);
	g_cs->default_org[0] = '\0';
	CHECK(th_publish(&svc, "anything") == MOSQ_ERR_SUCCESS);
	/* Reported a minute after the last report, with the count. */
	g_now += CS_QUOTA_REPORT_MS;
	cs_orgs__tick(g_cs);
	CHECK(th_queued("\"quota\":\"messages_per_minute\",\"count\":1,") == 2);
	CHECK(strstr(test_last_log, "over its message quota (2/min): 1 publishes refused") != NULL);

	/* max_connections refusals at CONNECT. */
	{
		struct cs_limits l = { "org_x", 1, -1, -1, -1 };
		struct mosquitto c9 = { "c9", "u@org_x", "10.0.0.1", 5, true };

		CHECK(cs_orgs__set_limits(g_cs, &l) == 0);
		CHECK(th_auth(&c9, "p") == MOSQ_ERR_AUTH);
		CHECK(g_cs->stats.local_refusals == 1);
		CHECK(th_queued("\"org_id\":\"org_x\",\"quota\":\"max_connections\",\"count\":1,") == 1);
	}
	th_stop();
}

void test_principals__run(void)
{
	long before = test_alloc_outstanding;

	test_verifier();
	test_set_principal();
	test_state_file();
	test_state_limits();
	test_sync_apply();
	test_sync_thread();
	test_throttle();
	test_reports();
	CHECK(test_alloc_outstanding == before);
}
