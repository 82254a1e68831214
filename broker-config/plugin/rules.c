/*
 * rules.c - ACL rule lists: parsed from the service's JSON (templates with
 * ${clientid}), rendered per client and pre-split into levels, copied,
 * freed. Decisions over them are topic.c's (cs_topic__evaluate) and the
 * MOSQ_EVT_ACL_CHECK callback is acl.c's.
 */
#include <string.h>

#include "cloudsignal.h"

void cs_rules__free(struct cs_ruleset *rs)
{
	if(rs == NULL) return;
	for(int i = 0; i < rs->count; i++){
		mosquitto_free(rs->rules[i].topic);
		cs_topic__free_levels(rs->rules[i].levels);
	}
	mosquitto_free(rs->rules);
	rs->rules = NULL;
	rs->count = 0;
}

/* Check that a template is a valid filter once ${clientid} is substituted. */
static bool cs_rules__valid_template(const char *tmpl)
{
	char *rendered = NULL;
	bool ok;

	if(cs_topic__render(tmpl, "x", false, &rendered) != CS_RENDER_OK) return false;
	ok = cs_topic__valid_filter(rendered);
	mosquitto_free(rendered);
	return ok;
}

/* Parse [{"permission","action","topic"}...] keeping list order. Absent or
 * null means no rules. Any invalid rule rejects the whole list: skipping a
 * deny rule would silently widen access. */
int cs_rules__parse(const cJSON *acl, struct cs_ruleset *out, const char **error)
{
	const cJSON *item;
	int n;

	out->rules = NULL;
	out->count = 0;
	if(acl == NULL || cJSON_IsNull(acl)) return MOSQ_ERR_SUCCESS;
	if(!cJSON_IsArray(acl)){
		*error = "'acl' must be an array";
		return MOSQ_ERR_INVAL;
	}
	n = cJSON_GetArraySize(acl);
	if(n > CS_MAX_RULES){
		*error = "too many acl rules";
		return MOSQ_ERR_INVAL;
	}
	if(n == 0) return MOSQ_ERR_SUCCESS;

	out->rules = mosquitto_calloc((size_t)n, sizeof(struct cs_rule));
	if(out->rules == NULL){
		*error = "out of memory";
		return MOSQ_ERR_NOMEM;
	}

	cJSON_ArrayForEach(item, acl){
		const cJSON *perm, *action, *topic;
		struct cs_rule *r = &out->rules[out->count];

		if(!cJSON_IsObject(item)){
			*error = "acl rule must be an object";
			goto invalid;
		}
		perm = cJSON_GetObjectItemCaseSensitive(item, "permission");
		action = cJSON_GetObjectItemCaseSensitive(item, "action");
		topic = cJSON_GetObjectItemCaseSensitive(item, "topic");
		if(!cJSON_IsString(perm) || (strcmp(perm->valuestring, "allow") && strcmp(perm->valuestring, "deny"))){
			*error = "acl rule 'permission' must be \"allow\" or \"deny\"";
			goto invalid;
		}
		if(!cJSON_IsString(action)){
			*error = "acl rule 'action' must be a string";
			goto invalid;
		}
		if(!strcmp(action->valuestring, "publish")){
			r->actions = CS_ACT_PUBLISH;
		}else if(!strcmp(action->valuestring, "subscribe")){
			r->actions = CS_ACT_SUBSCRIBE;
		}else if(!strcmp(action->valuestring, "all")){
			r->actions = CS_ACT_PUBLISH | CS_ACT_SUBSCRIBE;
		}else{
			*error = "acl rule 'action' must be \"publish\", \"subscribe\" or \"all\"";
			goto invalid;
		}
		if(!cJSON_IsString(topic) || !cs_rules__valid_template(topic->valuestring)){
			*error = "acl rule 'topic' must be a valid topic filter";
			goto invalid;
		}
		r->allow = !strcmp(perm->valuestring, "allow");
		r->topic = mosquitto_strdup(topic->valuestring);
		if(r->topic == NULL){
			*error = "out of memory";
			cs_rules__free(out);
			return MOSQ_ERR_NOMEM;
		}
		out->count++;
	}
	return MOSQ_ERR_SUCCESS;

invalid:
	cs_rules__free(out);
	return MOSQ_ERR_INVAL;
}

/* Render templates for one client id and pre-split them into levels. The
 * caller passes the id as its user knows it (clients.c strips the
 * organization prefix with cs_topic__local_clientid); an id that still
 * holds a '/' (another organization's prefix, or a nested id) is unsafe:
 * allows naming it are dropped, denies broadened. */
int cs_rules__render(const struct cs_ruleset *tmpl, const char *clientid, struct cs_ruleset *out)
{
	out->rules = NULL;
	out->count = 0;
	if(tmpl == NULL || tmpl->count == 0) return MOSQ_ERR_SUCCESS;

	out->rules = mosquitto_calloc((size_t)tmpl->count, sizeof(struct cs_rule));
	if(out->rules == NULL) return MOSQ_ERR_NOMEM;

	for(int i = 0; i < tmpl->count; i++){
		const struct cs_rule *t = &tmpl->rules[i];
		struct cs_rule *r = &out->rules[out->count];
		int rc = cs_topic__render(t->topic, clientid, !t->allow, &r->topic);

		if(rc == CS_RENDER_DROP) continue;
		if(rc != CS_RENDER_OK) goto error;
		if(cs_topic__split(r->topic, &r->levels, &r->level_count) != MOSQ_ERR_SUCCESS){
			mosquitto_free(r->topic);
			r->topic = NULL;
			goto error;
		}
		r->actions = t->actions;
		r->allow = t->allow;
		out->count++;
	}
	return MOSQ_ERR_SUCCESS;

error:
	cs_rules__free(out);
	return MOSQ_ERR_NOMEM;
}

/* Deep copy of template rules (topic only). */
int cs_rules__copy(const struct cs_ruleset *src, struct cs_ruleset *dst)
{
	dst->rules = NULL;
	dst->count = 0;
	if(src == NULL || src->count == 0) return MOSQ_ERR_SUCCESS;

	dst->rules = mosquitto_calloc((size_t)src->count, sizeof(struct cs_rule));
	if(dst->rules == NULL) return MOSQ_ERR_NOMEM;
	for(int i = 0; i < src->count; i++){
		dst->rules[i].topic = mosquitto_strdup(src->rules[i].topic);
		if(dst->rules[i].topic == NULL) goto error;
		dst->rules[i].actions = src->rules[i].actions;
		dst->rules[i].allow = src->rules[i].allow;
		dst->count++;
	}
	return MOSQ_ERR_SUCCESS;

error:
	cs_rules__free(dst);
	return MOSQ_ERR_NOMEM;
}
