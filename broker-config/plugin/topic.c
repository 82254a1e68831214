/*
 * topic.c - pure topic functions: split, validate, covers,
 * ${clientid} rendering and ordered rule evaluation. No broker state.
 */
#include <string.h>

#include "cloudsignal.h"

/* Split at '/' into an array of levels. levels[0] owns the copied buffer. */
int cs_topic__split(const char *topic, char ***levels_out, int *count_out)
{
	char *buf = NULL;
	char **levels = NULL;
	int count = 1;
	int i = 1;

	*levels_out = NULL;
	*count_out = 0;
	for(const char *p = topic; *p; p++){
		if(*p == '/') count++;
	}
	buf = mosquitto_strdup(topic);
	if(buf == NULL) goto error;
	levels = mosquitto_calloc((size_t)count, sizeof(char *));
	if(levels == NULL) goto error;

	levels[0] = buf;
	for(char *p = buf; *p; p++){
		if(*p == '/'){
			*p = '\0';
			levels[i++] = p + 1;
		}
	}
	*levels_out = levels;
	*count_out = count;
	return MOSQ_ERR_SUCCESS;

error:
	mosquitto_free(buf);
	mosquitto_free(levels);
	return MOSQ_ERR_NOMEM;
}

void cs_topic__free_levels(char **levels)
{
	if(levels == NULL) return;
	mosquitto_free(levels[0]);
	mosquitto_free(levels);
}

/* A valid MQTT filter: '+' and '#' only as whole levels, '#' only last. */
bool cs_topic__valid_filter(const char *filter)
{
	const char *p = filter;

	if(filter == NULL || filter[0] == '\0') return false;
	if(strlen(filter) > CS_MAX_TOPIC_LEN) return false;
	for(;;){
		size_t n = strcspn(p, "/");
		if(memchr(p, '+', n) && n != 1) return false;
		if(memchr(p, '#', n) && (n != 1 || p[n] != '\0')) return false;
		if(p[n] == '\0') break;
		p += n + 1;
	}
	return true;
}

static bool level_is(const char *p, size_t n, char c)
{
	return n == 1 && p[0] == c;
}

/* Advance to the next request level; sets *done when none is left. */
static const char *next_level(const char *p, size_t n, bool *done)
{
	if(p[n] == '/') return p + n + 1;
	*done = true;
	return p + n;
}

/* Does the rule filter match every topic the request (topic or filter) can
 * match? Rule '#' covers the rest, including the parent level itself; rule
 * '+' covers one literal or '+'; a request '#' is covered only by a rule '#'. */
bool cs_topic__covers(char *const *rule, int rule_count, const char *request)
{
	const char *p = request;
	bool done = false;

	for(int i = 0; i < rule_count; i++){
		const char *r = rule[i];
		size_t n;

		if(!strcmp(r, "#")) return true;
		if(done) return false;
		n = strcspn(p, "/");
		if(level_is(p, n, '#')) return false;
		if(strcmp(r, "+")){
			if(level_is(p, n, '+')) return false;
			if(strlen(r) != n || memcmp(r, p, n)) return false;
		}
		p = next_level(p, n, &done);
	}
	return done;
}

/* The client id as its user knows it: without its organization's "<org_id>/"
 * prefix (multi tenancy puts it in front of every client id, as in front of
 * topics). An id without that prefix, or org_id NULL/empty, is returned as it
 * is. Rules render ${clientid} with this, so "devices/${clientid}/#" means
 * the id the SDKs show, in both tenancy modes. */
const char *cs_topic__local_clientid(const char *clientid, const char *org_id)
{
	size_t n;

	if(clientid == NULL || org_id == NULL || org_id[0] == '\0') return clientid;
	n = strlen(org_id);
	if(!strncmp(clientid, org_id, n) && clientid[n] == '/') return clientid + n + 1;
	return clientid;
}

/* A client id can be substituted into a topic only if it is one plain level. */
bool cs_topic__clientid_safe(const char *clientid)
{
	return clientid != NULL && clientid[0] != '\0' && strpbrk(clientid, "/+#") == NULL;
}

/* Render ${clientid}. With an unsafe client id the rule is dropped, unless
 * broaden is set (deny rules): then it becomes "<levels before the
 * placeholder>/#", a superset, so that removing it never widens access. */
int cs_topic__render(const char *tmpl, const char *clientid, bool broaden, char **out)
{
	const size_t ph_len = strlen(CS_PLACEHOLDER);
	const char *first = strstr(tmpl, CS_PLACEHOLDER);
	size_t len, id_len, count = 0;
	char *buf, *w;

	*out = NULL;
	if(first == NULL){
		*out = mosquitto_strdup(tmpl);
		return *out ? CS_RENDER_OK : CS_RENDER_NOMEM;
	}

	if(!cs_topic__clientid_safe(clientid)){
		const char *start = first;
		size_t prefix;

		if(!broaden) return CS_RENDER_DROP;
		while(start > tmpl && start[-1] != '/') start--;
		prefix = (size_t)(start - tmpl);
		buf = mosquitto_malloc(prefix + 2);
		if(buf == NULL) return CS_RENDER_NOMEM;
		memcpy(buf, tmpl, prefix);
		buf[prefix] = '#';
		buf[prefix + 1] = '\0';
		*out = buf;
		return CS_RENDER_OK;
	}

	for(const char *p = first; p; p = strstr(p + ph_len, CS_PLACEHOLDER)) count++;
	id_len = strlen(clientid);
	len = strlen(tmpl) - count * ph_len + count * id_len;
	buf = mosquitto_malloc(len + 1);
	if(buf == NULL) return CS_RENDER_NOMEM;

	w = buf;
	for(const char *p = tmpl;;){
		const char *hit = strstr(p, CS_PLACEHOLDER);
		size_t lit = hit ? (size_t)(hit - p) : strlen(p);

		memcpy(w, p, lit);
		w += lit;
		if(hit == NULL) break;
		memcpy(w, clientid, id_len);
		w += id_len;
		p = hit + ph_len;
	}
	*w = '\0';
	*out = buf;
	return CS_RENDER_OK;
}

/* Ordered evaluation: the first applicable rule that matches decides; a
 * rule matches when it covers the whole request. A deny rule that only
 * overlaps a subscription filter does not refuse it: the broker checks every
 * delivery (MOSQ_ACL_READ, a topic name), where that deny covers the topics
 * it names, so they are withheld while the rest of the filter is delivered. */
bool cs_topic__evaluate(const struct cs_ruleset *rs, int access, const char *topic)
{
	uint8_t need;

	if(access == MOSQ_ACL_WRITE){
		need = CS_ACT_PUBLISH;
	}else if(access == MOSQ_ACL_SUBSCRIBE || access == MOSQ_ACL_READ){
		need = CS_ACT_SUBSCRIBE;
	}else{
		return false;
	}
	if(rs == NULL || topic == NULL) return false;

	for(int i = 0; i < rs->count; i++){
		const struct cs_rule *r = &rs->rules[i];

		if(!(r->actions & need)) continue;
		if(cs_topic__covers(r->levels, r->level_count, topic)) return r->allow;
	}
	return false;
}
