/*
 * retained.c - the retained topics of each organization, counted in the
 * broker for the max_retained_messages quota and reported to the service.
 *
 * The write checks (acl.c, for clients and for the internal user's HTTP
 * publishes and clears) see the retain flag and the payload length of each
 * publish. Once the rules and the message quota allowed it:
 *   - a retained publish with a payload adds its topic (or replaces it: the
 *     count does not change) and is reported {"type": "retained", "org_id",
 *     "topic", "size", "qos"};
 *   - an empty retained payload clears the topic (Mosquitto deletes the
 *     retained message) and is reported with size 0.
 * Before that, cs_retained__check refuses a retained publish that would add
 * a topic when the organization already holds max_retained_messages
 * (MOSQ_ERR_ACL_DENIED: "Not authorized" at QoS 1 and 2, dropped at QoS 0,
 * counted and reported as a quota_refused "max_retained_messages").
 *
 * Retained messages outlive a broker restart in Mosquitto's persistence, but
 * the plugin starts empty and no plugin event lists them. The service keeps
 * the list (it recorded every report) and hands it over in the reply to the
 * first sync of each run that asks for it ("retained": true in the request;
 * cs_retained__load merges {"org_id": ["topic", ...]}), so the count is
 * right from the first CONNECT whenever the initial sync succeeds.
 * Topics are absolute (with the organization's prefix in multi tenancy).
 */
#include <string.h>

#include "cloudsignal.h"

static struct cs_retained *cs_retained__find(struct cs_org *org, const char *topic)
{
	struct cs_retained *r = NULL;

	if(org == NULL) return NULL;
	HASH_FIND(hh, org->retained, topic, strlen(topic), r);
	return r;
}

bool cs_retained__has(struct cs_plugin *cs, const char *org_id, const char *topic)
{
	return cs_retained__find(cs_orgs__find(cs, org_id), topic) != NULL;
}

/* Add topic (absolute) to org's table: MOSQ_ERR_SUCCESS also when present.
 * published: a publish of this run (else: loaded from the service's list). */
static int cs_retained__add(struct cs_org *org, const char *topic, bool published)
{
	struct cs_retained *r = cs_retained__find(org, topic);

	if(r){
		r->published = r->published || published;
		return MOSQ_ERR_SUCCESS;
	}
	r = mosquitto_calloc(1, sizeof(struct cs_retained));
	if(r == NULL) return MOSQ_ERR_NOMEM;
	r->topic = mosquitto_strdup(topic);
	if(r->topic == NULL){
		mosquitto_free(r);
		return MOSQ_ERR_NOMEM;
	}
	r->published = published;
	HASH_ADD_KEYPTR(hh, org->retained, r->topic, strlen(r->topic), r);
	if(r->hh.tbl == NULL){
		mosquitto_free(r->topic);
		mosquitto_free(r);
		return MOSQ_ERR_NOMEM;
	}
	org->retained_count++;
	return MOSQ_ERR_SUCCESS;
}

static void cs_retained__remove(struct cs_org *org, struct cs_retained *r)
{
	HASH_DELETE(hh, org->retained, r);
	mosquitto_free(r->topic);
	mosquitto_free(r);
	org->retained_count--;
}

/* Before the publish is counted: may this retained publish of org_id happen? */
int cs_retained__check(struct cs_plugin *cs, const char *org_id, const char *topic, uint32_t payloadlen)
{
	struct cs_org *org = cs_orgs__find(cs, org_id);

	if(org == NULL || payloadlen == 0 || org->max_retained_messages < 0) return MOSQ_ERR_SUCCESS;
	if(org->retained_count < org->max_retained_messages || cs_retained__find(org, topic)) return MOSQ_ERR_SUCCESS;
	cs_orgs__refused(cs, org, CS_QUOTA_RETAINED);
	return MOSQ_ERR_ACL_DENIED;
}

/* An allowed retained publish of org_id: keep the table and report it. */
void cs_retained__record(struct cs_plugin *cs, const char *org_id, const char *topic, uint32_t payloadlen, int qos)
{
	struct cs_org *org;

	if(org_id == NULL || topic == NULL || topic[0] == '$') return;
	if(payloadlen == 0){
		org = cs_orgs__find(cs, org_id);
		struct cs_retained *r = cs_retained__find(org, topic);

		if(r){
			cs_retained__remove(org, r);
			cs_orgs__prune(cs, org);
		}
	}else{
		org = cs_orgs__get(cs, org_id);
		if(org == NULL || cs_retained__add(org, topic, true) != MOSQ_ERR_SUCCESS){
			mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot count a retained message: out of memory");
		}
	}
	/* Reported even when the table did not know it (a clear of a message
	 * from before the list was loaded): the service's list is the longer-lived one. */
	if(cs_events__retained(&cs->events, org_id, topic, payloadlen, qos) != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot queue a retained message report: out of memory");
	}
}

/* The sync reply's "retained": {"org_id": ["topic", ...], ...}, merged into
 * the tables (nothing is reported). Checked before anything is applied. */
int cs_retained__load(struct cs_plugin *cs, const cJSON *retained, const char **error)
{
	const cJSON *org_item, *topic;
	int rc = MOSQ_ERR_SUCCESS;

	if(!cJSON_IsObject(retained)){
		*error = "'retained' must be an object";
		return MOSQ_ERR_INVAL;
	}
	cJSON_ArrayForEach(org_item, retained){
		if(org_item->string == NULL || org_item->string[0] == '\0' || strlen(org_item->string) > CS_MAX_ORG_ID_LEN
				|| !cJSON_IsArray(org_item)){
			*error = "'retained' must map organization ids to arrays of topics";
			return MOSQ_ERR_INVAL;
		}
		cJSON_ArrayForEach(topic, org_item){
			if(!cJSON_IsString(topic) || topic->valuestring[0] == '\0'){
				*error = "'retained' topics must be non-empty strings";
				return MOSQ_ERR_INVAL;
			}
		}
	}
	cJSON_ArrayForEach(org_item, retained){
		struct cs_org *org = cJSON_GetArraySize(org_item) ? cs_orgs__get(cs, org_item->string) : NULL;

		if(org == NULL) continue;
		cJSON_ArrayForEach(topic, org_item){
			if(cs_retained__add(org, topic->valuestring, false) != MOSQ_ERR_SUCCESS) rc = MOSQ_ERR_NOMEM;
		}
	}
	cs->retained_loaded = true;
	return rc;
}

/* {"command":"forget_retained","org_id","topics":["absolute/topic", ...]}:
 * topics the service found missing from the broker after its restart (a
 * crash lost them with the persistence file's last changes) leave the count,
 * unless a publish of this run set them (the broker holds those). */
const char *cs_retained__forget(struct cs_plugin *cs, const cJSON *cmd)
{
	const cJSON *org_id = cJSON_GetObjectItemCaseSensitive(cmd, "org_id");
	const cJSON *topics = cJSON_GetObjectItemCaseSensitive(cmd, "topics");
	const cJSON *topic;
	struct cs_org *org;

	if(!cJSON_IsString(org_id) || org_id->valuestring[0] == '\0') return "missing or invalid 'org_id'";
	if(!cJSON_IsArray(topics)) return "missing or invalid 'topics'";
	cJSON_ArrayForEach(topic, topics){
		if(!cJSON_IsString(topic)) return "'topics' must be strings";
	}
	org = cs_orgs__find(cs, org_id->valuestring);
	if(org == NULL) return NULL;
	cJSON_ArrayForEach(topic, topics){
		struct cs_retained *r = cs_retained__find(org, topic->valuestring);

		if(r && !r->published) cs_retained__remove(org, r);
	}
	cs_orgs__prune(cs, org);
	return NULL;
}
