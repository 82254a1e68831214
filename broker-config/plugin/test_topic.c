/* test_topic.c - unit tests for topic.c (covers, validation,
 * ${clientid} rendering) and ordered rule evaluation; main() of the runner
 * (test_plugin.c, test_events.c hold the other tests). */
#include <stdlib.h>
#include <string.h>

#include "test.h"

int cs_test_passed;
int cs_test_failed;

static bool covers(const char *rule, const char *request)
{
	char **levels;
	int n;
	bool r;

	if(cs_topic__split(rule, &levels, &n)) abort();
	r = cs_topic__covers(levels, n, request);
	cs_topic__free_levels(levels);
	return r;
}

/* Parse a JSON rule list and render it for clientid. */
static int make_rules(struct cs_ruleset *out, const char *json, const char *clientid)
{
	cJSON *tree = cJSON_Parse(json);
	struct cs_ruleset tmpl;
	const char *error = NULL;
	int rc;

	rc = cs_rules__parse(tree, &tmpl, &error);
	cJSON_Delete(tree);
	if(rc) return rc;
	rc = cs_rules__render(&tmpl, clientid, out);
	cs_rules__free(&tmpl);
	return rc;
}

static char *render(const char *tmpl, const char *clientid, bool broaden)
{
	static char buf[256];
	char *out = NULL;
	int rc = cs_topic__render(tmpl, clientid, broaden, &out);

	if(rc == CS_RENDER_DROP) return NULL;
	if(rc != CS_RENDER_OK) abort();
	snprintf(buf, sizeof(buf), "%s", out);
	mosquitto_free(out);
	return buf;
}

static void test_split(void)
{
	char **l;
	int n;

	CHECK(cs_topic__split("a/b", &l, &n) == 0 && n == 2 && !strcmp(l[0], "a") && !strcmp(l[1], "b"));
	cs_topic__free_levels(l);
	CHECK(cs_topic__split("a//b", &l, &n) == 0 && n == 3 && !strcmp(l[1], "") && !strcmp(l[2], "b"));
	cs_topic__free_levels(l);
	CHECK(cs_topic__split("/", &l, &n) == 0 && n == 2 && !strcmp(l[0], "") && !strcmp(l[1], ""));
	cs_topic__free_levels(l);
	CHECK(cs_topic__split("#", &l, &n) == 0 && n == 1 && !strcmp(l[0], "#"));
	cs_topic__free_levels(l);
}

static void test_valid_filter(void)
{
	CHECK(cs_topic__valid_filter("a/b"));
	CHECK(cs_topic__valid_filter("#"));
	CHECK(cs_topic__valid_filter("a/#"));
	CHECK(cs_topic__valid_filter("+/+/c"));
	CHECK(cs_topic__valid_filter("/"));
	CHECK(!cs_topic__valid_filter(""));
	CHECK(!cs_topic__valid_filter("a/#/b"));
	CHECK(!cs_topic__valid_filter("a/b#"));
	CHECK(!cs_topic__valid_filter("a+/b"));
	CHECK(!cs_topic__valid_filter("a/+b"));
	CHECK(!cs_topic__valid_filter("##"));
}

static void test_covers(void)
{
	CHECK(covers("a/#", "a"));             /* '#' includes the parent level */
	CHECK(covers("a/#", "a/b/c"));
	CHECK(covers("a/#", "a/#"));
	CHECK(covers("a/#", "a/+/c"));
	CHECK(covers("a/#", "a/"));
	CHECK(!covers("a/#", "b"));
	CHECK(!covers("a/#", "#"));
	CHECK(!covers("a/+", "a/#"));           /* request '#' needs rule '#' */
	CHECK(covers("a/+", "a/b"));
	CHECK(covers("a/+", "a/+"));
	CHECK(covers("a/+", "a/"));            /* '+' matches an empty level */
	CHECK(!covers("a/+", "a"));
	CHECK(!covers("a/+", "a/b/c"));
	CHECK(covers("a/b", "a/b"));
	CHECK(!covers("a/b", "a/+"));           /* literal covers only itself */
	CHECK(!covers("a/b", "a"));
	CHECK(!covers("a/b", "a/b/c"));
	CHECK(!covers("a/b", "a/bc"));
	CHECK(covers("#", "anything/at/all"));
	CHECK(covers("#", "#"));
	CHECK(covers("+/#", "a"));
	CHECK(covers("+/+/c", "x/+/c"));
	CHECK(!covers("+/+/c", "x/+/#"));
	CHECK(!covers("org_x/c1/#", "org_x/c2/x"));
}

static void test_render(void)
{
	char *s;

	s = render("org_x/${clientid}/#", "c1", false);
	CHECK(s && !strcmp(s, "org_x/c1/#"));
	s = render("dev-${clientid}/in", "c1", false);
	CHECK(s && !strcmp(s, "dev-c1/in"));
	s = render("${clientid}/${clientid}", "ab", false);
	CHECK(s && !strcmp(s, "ab/ab"));
	s = render("org_x/static/#", "a/b", false);   /* no placeholder: kept */
	CHECK(s && !strcmp(s, "org_x/static/#"));
	s = render("org_x/${clientid", "c1", false);  /* not a placeholder */
	CHECK(s && !strcmp(s, "org_x/${clientid"));
	CHECK(render("org_x/${clientid}/#", "a/b", false) == NULL);  /* '/' in id: dropped */
	CHECK(render("org_x/${clientid}/#", "a+", false) == NULL);
	CHECK(render("org_x/${clientid}/#", "a#", false) == NULL);
	CHECK(render("org_x/${clientid}/#", "", false) == NULL);
	/* Deny rules are broadened instead of dropped. */
	s = render("org_x/${clientid}/secret", "a/b", true);
	CHECK(s && !strcmp(s, "org_x/#"));
	s = render("pre-${clientid}/x", "+", true);
	CHECK(s && !strcmp(s, "#"));
	CHECK(cs_topic__clientid_safe("c1"));
	CHECK(!cs_topic__clientid_safe(""));
	CHECK(!cs_topic__clientid_safe("a/b"));
}

static void test_parse_rules(void)
{
	struct cs_ruleset rs;
	const char *err = NULL;
	cJSON *t;

	t = cJSON_Parse("[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"a/#\"},"
			"{\"permission\":\"deny\",\"action\":\"publish\",\"topic\":\"org/${clientid}/x\"}]");
	CHECK(cs_rules__parse(t, &rs, &err) == MOSQ_ERR_SUCCESS && rs.count == 2);
	CHECK(rs.count == 2 && rs.rules[0].allow && rs.rules[0].actions == (CS_ACT_PUBLISH | CS_ACT_SUBSCRIBE));
	CHECK(rs.count == 2 && !rs.rules[1].allow && rs.rules[1].actions == CS_ACT_PUBLISH);
	cs_rules__free(&rs);
	cJSON_Delete(t);

	CHECK(cs_rules__parse(NULL, &rs, &err) == MOSQ_ERR_SUCCESS && rs.count == 0);

	const char *bad[] = {
		"{}", "\"x\"", "[1]", "[{}]",
		"[{\"permission\":\"maybe\",\"action\":\"all\",\"topic\":\"a\"}]",
		"[{\"permission\":\"allow\",\"action\":\"read\",\"topic\":\"a\"}]",
		"[{\"permission\":\"allow\",\"action\":\"all\"}]",
		"[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"\"}]",
		"[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"a/#/b\"}]",
		"[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":7}]",
		"[{\"permission\":true,\"action\":\"all\",\"topic\":\"a\"}]",
		/* a valid rule followed by an invalid one rejects the list */
		"[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"a\"},{\"permission\":\"deny\"}]",
	};
	for(size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++){
		long before = test_alloc_outstanding;

		t = cJSON_Parse(bad[i]);
		err = NULL;
		CHECK(cs_rules__parse(t, &rs, &err) != MOSQ_ERR_SUCCESS && err != NULL && rs.count == 0);
		CHECK(test_alloc_outstanding == before);
		cJSON_Delete(t);
	}
}

static bool eval(const char *json, const char *clientid, int access, const char *topic)
{
	struct cs_ruleset rs;
	bool r;

	if(make_rules(&rs, json, clientid)) abort();
	r = cs_topic__evaluate(&rs, access, topic);
	cs_rules__free(&rs);
	return r;
}

static void test_evaluate(void)
{
	const char *ordered = "[{\"permission\":\"deny\",\"action\":\"all\",\"topic\":\"a/secret\"},"
			"{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"a/#\"}]";
	const char *pub_only = "[{\"permission\":\"allow\",\"action\":\"publish\",\"topic\":\"a/#\"}]";
	const char *sub_only = "[{\"permission\":\"allow\",\"action\":\"subscribe\",\"topic\":\"a/#\"}]";
	const char *own = "[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_x/${clientid}/#\"}]";
	const char *deny_own = "[{\"permission\":\"deny\",\"action\":\"all\",\"topic\":\"org_x/${clientid}/secret\"},"
			"{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"org_x/#\"}]";

	CHECK(eval(ordered, "c", MOSQ_ACL_WRITE, "a/x"));
	CHECK(!eval(ordered, "c", MOSQ_ACL_WRITE, "a/secret"));
	/* A deny that only overlaps a filter: granted, deliveries filtered. */
	CHECK(eval(ordered, "c", MOSQ_ACL_SUBSCRIBE, "a/#"));
	CHECK(eval(ordered, "c", MOSQ_ACL_SUBSCRIBE, "a/+"));
	CHECK(!eval(ordered, "c", MOSQ_ACL_SUBSCRIBE, "a/secret"));
	CHECK(eval(ordered, "c", MOSQ_ACL_SUBSCRIBE, "a/x/#"));
	CHECK(!eval(ordered, "c", MOSQ_ACL_READ, "a/secret"));
	CHECK(eval(ordered, "c", MOSQ_ACL_READ, "a/public"));
	CHECK(!eval(ordered, "c", MOSQ_ACL_WRITE, "b"));          /* no match: denied */
	CHECK(!eval(ordered, "c", MOSQ_ACL_UNSUBSCRIBE, "a/x"));  /* handled by the callback */
	/* Order matters: allow first wins. */
	CHECK(eval("[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"a/#\"},"
			"{\"permission\":\"deny\",\"action\":\"all\",\"topic\":\"a/secret\"}]", "c", MOSQ_ACL_WRITE, "a/secret"));
	/* An allow that only partly covers a filter does not match; the next rule decides. */
	CHECK(!eval("[{\"permission\":\"allow\",\"action\":\"all\",\"topic\":\"a/b\"}]", "c", MOSQ_ACL_SUBSCRIBE, "a/+"));
	CHECK(eval(pub_only, "c", MOSQ_ACL_WRITE, "a/x"));
	CHECK(!eval(pub_only, "c", MOSQ_ACL_SUBSCRIBE, "a/x"));
	CHECK(!eval(pub_only, "c", MOSQ_ACL_READ, "a/x"));
	CHECK(eval(sub_only, "c", MOSQ_ACL_SUBSCRIBE, "a/x"));
	CHECK(eval(sub_only, "c", MOSQ_ACL_READ, "a/x"));
	CHECK(!eval(sub_only, "c", MOSQ_ACL_WRITE, "a/x"));
	/* Action mismatch is skipped, not decisive. */
	CHECK(eval("[{\"permission\":\"deny\",\"action\":\"subscribe\",\"topic\":\"#\"},"
			"{\"permission\":\"allow\",\"action\":\"publish\",\"topic\":\"#\"}]", "c", MOSQ_ACL_WRITE, "x"));
	CHECK(!eval("[]", "c", MOSQ_ACL_WRITE, "x"));
	/* ${clientid} */
	CHECK(eval(own, "c1", MOSQ_ACL_WRITE, "org_x/c1/x"));
	CHECK(eval(own, "c1", MOSQ_ACL_SUBSCRIBE, "org_x/c1/#"));
	CHECK(!eval(own, "c1", MOSQ_ACL_WRITE, "org_x/c2/x"));
	CHECK(!eval(own, "a/b", MOSQ_ACL_WRITE, "org_x/a/b/x"));  /* rule dropped */
	CHECK(!eval(own, "+", MOSQ_ACL_SUBSCRIBE, "org_x/+/x"));
	CHECK(!eval(own, "", MOSQ_ACL_WRITE, "org_x//x"));
	CHECK(!eval(deny_own, "c1", MOSQ_ACL_WRITE, "org_x/c1/secret"));
	CHECK(eval(deny_own, "c1", MOSQ_ACL_WRITE, "org_x/c2/secret"));
	/* Unsafe id: the deny is broadened, never dropped. */
	CHECK(!eval(deny_own, "a/b", MOSQ_ACL_WRITE, "org_x/a/b/secret"));
}

/* A client id as its user knows it: its own organization's prefix goes. */
static void test_local_clientid(void)
{
	CHECK(!strcmp(cs_topic__local_clientid("org_a/dev7", "org_a"), "dev7"));
	CHECK(!strcmp(cs_topic__local_clientid("org_a/a/b", "org_a"), "a/b"));
	CHECK(!strcmp(cs_topic__local_clientid("org_a/", "org_a"), ""));
	CHECK(!strcmp(cs_topic__local_clientid("org_b/dev7", "org_a"), "org_b/dev7"));
	CHECK(!strcmp(cs_topic__local_clientid("org_ab/dev7", "org_a"), "org_ab/dev7"));
	CHECK(!strcmp(cs_topic__local_clientid("org_a", "org_a"), "org_a"));
	CHECK(!strcmp(cs_topic__local_clientid("dev7", "org_a"), "dev7"));
	CHECK(!strcmp(cs_topic__local_clientid("org_a/dev7", NULL), "org_a/dev7"));
	CHECK(!strcmp(cs_topic__local_clientid("org_a/dev7", ""), "org_a/dev7"));
	CHECK(cs_topic__local_clientid(NULL, "org_a") == NULL);
	/* Stripped, the id is one safe level; another organization's is not. */
	CHECK(cs_topic__clientid_safe(cs_topic__local_clientid("org_a/dev7", "org_a")));
	CHECK(!cs_topic__clientid_safe(cs_topic__local_clientid("org_b/dev7", "org_a")));
}

/* The shared table of access decisions (broker-config/acl-cases.json), the
 * same rows the Python evaluator is tested against. Rules are given as
 * [permission, action, topic] in the API's spelling. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if(f == NULL) return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if(buf && fread(buf, 1, (size_t)n, f) != (size_t)n){
		free(buf);
		buf = NULL;
	}
	if(buf) buf[n] = '\0';
	fclose(f);
	return buf;
}

static cJSON *case_rules(const cJSON *rules)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *r;

	cJSON_ArrayForEach(r, rules){
		cJSON *o = cJSON_CreateObject();
		const char *action = cJSON_GetArrayItem(r, 1)->valuestring;
		char topic[256], *w = topic;
		const char *p = cJSON_GetArrayItem(r, 2)->valuestring;

		/* {client_id} is the broker's ${clientid}. */
		while(*p && w < topic + sizeof(topic) - 12){
			if(!strncmp(p, "{client_id}", 11)){
				w += sprintf(w, "${clientid}");
				p += 11;
			}else{
				*w++ = *p++;
			}
		}
		*w = '\0';
		cJSON_AddStringToObject(o, "permission", cJSON_GetArrayItem(r, 0)->valuestring);
		cJSON_AddStringToObject(o, "action", strcmp(action, "both") ? action : "all");
		cJSON_AddStringToObject(o, "topic", topic);
		cJSON_AddItemToArray(out, o);
	}
	return out;
}

static void test_shared_cases(void)
{
	char *text = read_file("../acl-cases.json");
	cJSON *tree = text ? cJSON_Parse(text) : NULL;
	const cJSON *c;
	int count = 0;

	CHECK(tree != NULL);
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(tree, "cases")){
		const cJSON *id = cJSON_GetObjectItem(c, "client_id");
		const char *action = cJSON_GetObjectItem(c, "action")->valuestring;
		int access = !strcmp(action, "publish") ? MOSQ_ACL_WRITE
			: !strcmp(action, "subscribe") ? MOSQ_ACL_SUBSCRIBE : MOSQ_ACL_READ;
		cJSON *rules = case_rules(cJSON_GetObjectItem(c, "rules"));
		char *json = cJSON_PrintUnformatted(rules);
		bool expected = cJSON_IsTrue(cJSON_GetObjectItem(c, "allowed"));
		/* Every case is of organization org_x: its id renders without "org_x/",
		 * as clients.c renders it (cs_topic__local_clientid). */
		bool got = eval(json, cs_topic__local_clientid(cJSON_IsString(id) ? id->valuestring : "client", "org_x"),
				access, cJSON_GetObjectItem(c, "topic")->valuestring);

		if(got != expected) fprintf(stderr, "acl-cases.json: \"%s\"\n", cJSON_GetObjectItem(c, "name")->valuestring);
		CHECK(got == expected);
		cJSON_free(json);
		cJSON_Delete(rules);
		count++;
	}
	CHECK(count > 0);
	cJSON_Delete(tree);
	free(text);
}

int main(void)
{
	test_split();
	test_valid_filter();
	test_covers();
	test_render();
	test_parse_rules();
	test_evaluate();
	test_local_clientid();
	test_shared_cases();
	test_plugin__run();
	test_events__run();
	test_orgs__run();
	test_will__run();
	test_presence__run();

	free(test_last_publish);
	printf("%d passed, %d failed\n", cs_test_passed, cs_test_failed);
	return cs_test_failed ? 1 : 0;
}
