/*
 * orgs.c - organization limits, enforced inside the broker.
 *
 * A username "<name>@<org_id>" belongs to the organization after its last
 * '@'. Per organization the table keeps the limits the service gave (the
 * "limits" object of an authenticate reply, last reply wins, or a $CONTROL
 * set_limits command), the number of live sessions (sessions.c calls
 * cs_orgs__session_opened/_closed, nothing is scanned) and the publishes
 * allowed in the current fixed one-minute window. The state file keeps the
 * limits across broker restarts (principals.c); a change of them marks the
 * file for writing.
 *
 * CONNECT (auth.c checks these once the credentials are accepted, before the
 * client entry is replaced and the session opened): in multi tenancy
 * refused unless the client id starts with "<org_id>/", the organization of
 * the username (cs_orgs__clientid_ok: client ids belong to an organization
 * as topics do, so no organization can hold an id another one uses, and
 * the owner is in the id itself, across broker restarts; the SDKs add and
 * strip the prefix). An empty client id is refused too: Mosquitto assigns
 * "auto-..." ids, which lack the prefix. MQTT 5 lets a BASIC_AUTH refusal
 * say only "Not authorized", so the reason is in the log line and the
 * README. Until the first sync tells the tenancy the rule is not applied
 * (a principal is only admitted from the store after a sync). Then, in
 * both modes, refused when the client
 * id is held by a client entry (live or persistent session) of another
 * organization, or when the organization already has max_connections live
 * sessions, not counting the live session a takeover replaces (same client
 * id, same organization). Lowering a limit kicks nobody.
 *
 * PUBLISH (cs_orgs__count_publish, from the ACL write check after the rules
 * allowed it): counted against the publisher's organization; once the
 * window holds messages_per_minute publishes the rest are denied (denials
 * are not counted) until 60 s after the window started.
 *
 * What clients get (Mosquitto 2.0.11, handle_connect.c / handle_publish.c):
 * a BASIC_AUTH callback can only refuse usefully with MOSQ_ERR_AUTH, sent as
 * CONNACK "Not authorized" (0x87 for MQTT 5, 5 for 3.1.1); any other code
 * closes the connection without a CONNACK, so "Quota exceeded" (0x97) is out
 * of reach. An ACL denial becomes PUBACK/PUBREC "Not authorized" (0x87) for
 * MQTT 5; MQTT 3.1.1 acks carry no reason code (the message is dropped) and
 * QoS 0 is dropped silently; any other code drops the connection.
 *
 * The internal user (the service's HTTP publishes) has no session; its
 * publishes count against the organization that owns the topic
 * (cs_orgs__of_topic, asked by acl.c's check of the internal user's
 * writes): in multi tenancy the first topic level when it starts with
 * "org_", in single tenancy the default_org the sync sent. Topics starting
 * with '$' (its $CONTROL commands) and wills are not counted. A refused
 * publish gets "Not authorized" at QoS 1 and 2, which the service turns
 * into 429 message_quota_exceeded.
 *
 * RETAINED (retained.c, from the write checks in acl.c): a retained
 * publish that would add a topic past max_retained_messages is denied like
 * a message over its quota; the table of retained topics keeps an entry
 * alive while it holds any.
 *
 * PAYLOAD (cs_orgs__check_payload, from acl.c's write check before the
 * retained and message quotas): a client's PUBLISH (or will) whose payload is
 * longer than max_payload_bytes is denied like a message over its quota.
 * The deployment's max_packet_size (mosquitto.conf) bounds every packet
 * before that; this is the organization's own, smaller, limit.
 *
 * Refusals by a quota (max_connections at CONNECT, messages_per_minute,
 * max_retained_messages and max_payload_bytes at publish) are counted per organization and quota; the first one is logged
 * and reported ("quota_refused" event) at once, later ones at most once a
 * minute with their count (cs_orgs__tick).
 */
#include <math.h>
#include <string.h>

#include "cloudsignal.h"

/* The organization part of a username: after the last '@', NULL without one. */
const char *cs_orgs__of(const char *username)
{
	const char *at;

	if(username == NULL) return NULL;
	at = strrchr(username, '@');
	return at ? at + 1 : NULL;
}

/* Same organization? Usernames without '@' compare as their whole string
 * (and never equal one with an '@'). */
bool cs_orgs__same(const char *username_a, const char *username_b)
{
	const char *org_a = cs_orgs__of(username_a);
	const char *org_b = cs_orgs__of(username_b);

	if(username_a == NULL || username_b == NULL) return false;
	if(org_a == NULL || org_b == NULL) return org_a == org_b && !strcmp(username_a, username_b);
	return !strcmp(org_a, org_b);
}

/* Absent or null: unlimited (-1); else an integer in [0, CS_MAX_LIMIT]. */
static int cs_orgs__parse_limit(const cJSON *item, int64_t *out)
{
	double v;

	*out = -1;
	if(item == NULL || cJSON_IsNull(item)) return MOSQ_ERR_SUCCESS;
	if(!cJSON_IsNumber(item)) return MOSQ_ERR_INVAL;
	v = item->valuedouble;
	if(!isfinite(v) || v < 0 || v > (double)CS_MAX_LIMIT || v != (double)(int64_t)v) return MOSQ_ERR_INVAL;
	*out = (int64_t)v;
	return MOSQ_ERR_SUCCESS;
}

/* {"org_id": "...", "max_connections": int|null, "messages_per_minute": int|null}.
 * Absent or null obj: no limits (out->org_id ""). Other keys are ignored, so
 * a set_limits command parses with this too. */
int cs_orgs__parse_limits(const cJSON *obj, struct cs_limits *out, const char **error)
{
	const cJSON *org;

	memset(out, 0, sizeof(*out));
	out->max_connections = -1;
	out->messages_per_minute = -1;
	out->max_retained_messages = -1;
	out->max_payload_bytes = -1;
	if(obj == NULL || cJSON_IsNull(obj)) return MOSQ_ERR_SUCCESS;
	if(!cJSON_IsObject(obj)){
		*error = "'limits' must be an object";
		return MOSQ_ERR_INVAL;
	}
	org = cJSON_GetObjectItemCaseSensitive(obj, "org_id");
	if(!cJSON_IsString(org) || org->valuestring[0] == '\0'
			|| strlen(org->valuestring) > CS_MAX_ORG_ID_LEN || strchr(org->valuestring, '@')){
		*error = "'org_id' must be a non-empty string of at most 64 bytes without '@'";
		return MOSQ_ERR_INVAL;
	}
	if(cs_orgs__parse_limit(cJSON_GetObjectItemCaseSensitive(obj, "max_connections"), &out->max_connections)){
		*error = "'max_connections' must be a non-negative integer or null";
		return MOSQ_ERR_INVAL;
	}
	if(cs_orgs__parse_limit(cJSON_GetObjectItemCaseSensitive(obj, "messages_per_minute"), &out->messages_per_minute)){
		*error = "'messages_per_minute' must be a non-negative integer or null";
		return MOSQ_ERR_INVAL;
	}
	if(cs_orgs__parse_limit(cJSON_GetObjectItemCaseSensitive(obj, "max_retained_messages"), &out->max_retained_messages)){
		*error = "'max_retained_messages' must be a non-negative integer or null";
		return MOSQ_ERR_INVAL;
	}
	if(cs_orgs__parse_limit(cJSON_GetObjectItemCaseSensitive(obj, "max_payload_bytes"), &out->max_payload_bytes)){
		*error = "'max_payload_bytes' must be a non-negative integer or null";
		return MOSQ_ERR_INVAL;
	}
	strcpy(out->org_id, org->valuestring);
	return MOSQ_ERR_SUCCESS;
}

struct cs_org *cs_orgs__find(struct cs_plugin *cs, const char *org_id)
{
	struct cs_org *org = NULL;

	if(org_id == NULL) return NULL;
	HASH_FIND(hh, cs->orgs, org_id, strlen(org_id), org);
	return org;
}

/* New entry, unlimited, no sessions, a window starting now. */
static struct cs_org *cs_orgs__add(struct cs_plugin *cs, const char *org_id)
{
	struct cs_org *org;

	if(org_id[0] == '\0' || strlen(org_id) > CS_MAX_ORG_ID_LEN) return NULL;
	org = mosquitto_calloc(1, sizeof(struct cs_org));
	if(org == NULL) return NULL;
	strcpy(org->org_id, org_id);
	org->max_connections = -1;
	org->messages_per_minute = -1;
	org->max_retained_messages = -1;
	org->max_payload_bytes = -1;
	org->window_start_ms = cs->now_ms();
	HASH_ADD_KEYPTR(hh, cs->orgs, org->org_id, strlen(org->org_id), org);
	if(org->hh.tbl == NULL){
		mosquitto_free(org);
		return NULL;
	}
	return org;
}

/* The entry of org_id, created (unlimited) when missing; NULL out of memory
 * or for an unusable id. */
struct cs_org *cs_orgs__get(struct cs_plugin *cs, const char *org_id)
{
	struct cs_org *org;

	if(org_id == NULL) return NULL;
	org = cs_orgs__find(cs, org_id);
	return org ? org : cs_orgs__add(cs, org_id);
}

static void cs_orgs__remove(struct cs_plugin *cs, struct cs_org *org)
{
	struct cs_retained *r, *tmp;

	HASH_ITER(hh, org->retained, r, tmp){
		HASH_DELETE(hh, org->retained, r);
		mosquitto_free(r->topic);
		mosquitto_free(r);
	}
	HASH_DELETE(hh, cs->orgs, org);
	mosquitto_free(org);
}

/* Log and report the pending refusals of one quota. */
static void cs_orgs__report(struct cs_plugin *cs, struct cs_org *org, int quota, int64_t now)
{
	char name[CS_LOG_NAME_LEN];
	int64_t limit = quota == CS_QUOTA_CONNECTIONS ? org->max_connections
		: quota == CS_QUOTA_MESSAGES ? org->messages_per_minute
		: quota == CS_QUOTA_PAYLOAD ? org->max_payload_bytes : org->max_retained_messages;

	if(org->refused[quota] == 0) return;
	cs_util__printable(org->org_id, name, sizeof(name));
	if(quota == CS_QUOTA_CONNECTIONS){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: organization %s is at its connection quota (%lld): "
				"%lld CONNECTs refused", name, (long long)limit, (long long)org->refused[quota]);
	}else if(quota == CS_QUOTA_MESSAGES){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: organization %s is over its message quota (%lld/min): "
				"%lld publishes refused", name, (long long)limit, (long long)org->refused[quota]);
	}else if(quota == CS_QUOTA_PAYLOAD){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: organization %s is over its payload size quota (%lld bytes): "
				"%lld publishes refused", name, (long long)limit, (long long)org->refused[quota]);
	}else{
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: organization %s is at its retained message quota (%lld): "
				"%lld retained publishes refused", name, (long long)limit, (long long)org->refused[quota]);
	}
	if(cs_events__quota_refused(&cs->events, org->org_id, quota, org->refused[quota]) != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot queue the quota report of %s: out of memory", name);
	}
	org->refused[quota] = 0;
	org->reported_ms[quota] = now;
}

/* A refusal by quota: reported at once when the last report is a minute old. */
void cs_orgs__refused(struct cs_plugin *cs, struct cs_org *org, int quota)
{
	int64_t now = cs->now_ms();

	org->refused[quota]++;
	if(org->reported_ms[quota] == 0 || now - org->reported_ms[quota] >= CS_QUOTA_REPORT_MS){
		cs_orgs__report(cs, org, quota, now);
	}
}

/* TICK: report refusals held back for a minute. */
void cs_orgs__tick(struct cs_plugin *cs)
{
	struct cs_org *org, *tmp;
	int64_t now = cs->now_ms();

	HASH_ITER(hh, cs->orgs, org, tmp){
		for(int q = 0; q < CS_QUOTAS; q++){
			if(org->refused[q] && now - org->reported_ms[q] >= CS_QUOTA_REPORT_MS) cs_orgs__report(cs, org, q, now);
		}
	}
}

/* An unlimited organization without sessions needs no entry (pending
 * refusals are reported first). */
void cs_orgs__prune(struct cs_plugin *cs, struct cs_org *org)
{
	if(org->sessions == 0 && org->max_connections < 0 && org->messages_per_minute < 0
			&& org->max_retained_messages < 0 && org->max_payload_bytes < 0 && org->retained_count == 0){
		int64_t now = cs->now_ms();

		for(int q = 0; q < CS_QUOTAS; q++) cs_orgs__report(cs, org, q, now);
		cs_orgs__remove(cs, org);
	}
}

/* Replace the limits of limits->org_id. Live sessions over a lowered
 * max_connections stay; the current window keeps its count. */
int cs_orgs__set_limits(struct cs_plugin *cs, const struct cs_limits *limits)
{
	struct cs_org *org = cs_orgs__find(cs, limits->org_id);

	if(org == NULL){
		if(limits->max_connections < 0 && limits->messages_per_minute < 0
				&& limits->max_retained_messages < 0 && limits->max_payload_bytes < 0) return MOSQ_ERR_SUCCESS;
		org = cs_orgs__add(cs, limits->org_id);
		if(org == NULL) return MOSQ_ERR_NOMEM;
		cs->state_dirty = true;
	}
	/* The state file keeps them (principals.c). */
	if(org->max_connections != limits->max_connections || org->messages_per_minute != limits->messages_per_minute
			|| org->max_retained_messages != limits->max_retained_messages
			|| org->max_payload_bytes != limits->max_payload_bytes){
		cs->state_dirty = true;
	}
	org->max_connections = limits->max_connections;
	org->messages_per_minute = limits->messages_per_minute;
	org->max_retained_messages = limits->max_retained_messages;
	org->max_payload_bytes = limits->max_payload_bytes;
	org->over_logged = false;
	cs_orgs__prune(cs, org);
	return MOSQ_ERR_SUCCESS;
}

/* Multi tenancy: does clientid start with "<org of username>/" and name
 * something after it? Logs the refusal. Single (or not yet known) tenancy:
 * any id. */
bool cs_orgs__clientid_ok(const struct cs_plugin *cs, const char *clientid, const char *username,
		const char *who, const char *cid)
{
	const char *org_id = cs_orgs__of(username);
	char name[CS_LOG_NAME_LEN];
	size_t n;

	if(cs->tenancy != CS_TENANCY_MULTI) return true;
	if(org_id == NULL || org_id[0] == '\0'){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing %s (client %s): the username names no organization "
				"(multi tenancy: <name>@<org_id>)", who, cid);
		return false;
	}
	n = strlen(org_id);
	if(clientid != NULL && !strncmp(clientid, org_id, n) && clientid[n] == '/' && clientid[n + 1] != '\0') return true;
	cs_util__printable(org_id, name, sizeof(name));
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing %s (client %s): client id must start with \"%s/\" "
			"(multi tenancy: client ids belong to the organization, as topics do; the SDKs add the prefix; "
			"an empty client id is refused, since the id the broker assigns lacks it)", who, cid, name);
	return false;
}

/* Does a client of username belong to the owner a command names? owner_username
 * (exact) and owner_org (the username's organization) are each checked when
 * given; at least one must be. */
bool cs_orgs__owns(const char *username, const char *owner_username, const char *owner_org)
{
	const char *org_id = cs_orgs__of(username);

	if(username == NULL || (owner_username == NULL && owner_org == NULL)) return false;
	if(owner_username && strcmp(username, owner_username)) return false;
	if(owner_org && (org_id == NULL || strcmp(org_id, owner_org))) return false;
	return true;
}

/* A session of username opened (sessions.c). Fails only out of memory;
 * the caller then drops the session, so the count stays exact. */
int cs_orgs__session_opened(struct cs_plugin *cs, const char *username)
{
	const char *org_id = cs_orgs__of(username);
	struct cs_org *org;

	if(org_id == NULL || org_id[0] == '\0' || strlen(org_id) > CS_MAX_ORG_ID_LEN) return MOSQ_ERR_SUCCESS;
	org = cs_orgs__find(cs, org_id);
	if(org == NULL){
		org = cs_orgs__add(cs, org_id);
		if(org == NULL) return MOSQ_ERR_NOMEM;
	}
	org->sessions++;
	return MOSQ_ERR_SUCCESS;
}

void cs_orgs__session_closed(struct cs_plugin *cs, const char *username)
{
	struct cs_org *org = cs_orgs__find(cs, cs_orgs__of(username));

	if(org == NULL) return;
	if(org->sessions > 0) org->sessions--;
	cs_orgs__prune(cs, org);
}

/* An allowed PUBLISH counted against org_id (NULL: none): MOSQ_ERR_SUCCESS
 * (counted) or MOSQ_ERR_ACL_DENIED once the window is full (not counted). */
int cs_orgs__count_org_publish(struct cs_plugin *cs, const char *org_id)
{
	struct cs_org *org = cs_orgs__find(cs, org_id);
	int64_t now;

	if(org == NULL) return MOSQ_ERR_SUCCESS;
	now = cs->now_ms();
	if(now - org->window_start_ms >= CS_QUOTA_WINDOW_MS){
		org->window_start_ms = now;
		org->window_count = 0;
	}
	if(org->messages_per_minute >= 0 && org->window_count >= org->messages_per_minute){
		cs_orgs__refused(cs, org, CS_QUOTA_MESSAGES);
		return MOSQ_ERR_ACL_DENIED;
	}
	org->window_count++;
	return MOSQ_ERR_SUCCESS;
}

/* Before the rules' verdict is counted: may org_id publish a payload this
 * long? Denied (and counted as a refusal) past max_payload_bytes. */
int cs_orgs__check_payload(struct cs_plugin *cs, const char *org_id, uint32_t payloadlen)
{
	struct cs_org *org = cs_orgs__find(cs, org_id);

	if(org == NULL || org->max_payload_bytes < 0 || (int64_t)payloadlen <= org->max_payload_bytes) return MOSQ_ERR_SUCCESS;
	cs_orgs__refused(cs, org, CS_QUOTA_PAYLOAD);
	return MOSQ_ERR_ACL_DENIED;
}

/* An allowed PUBLISH of username. */
int cs_orgs__count_publish(struct cs_plugin *cs, const char *username)
{
	return cs_orgs__count_org_publish(cs, cs_orgs__of(username));
}

/* The organization that owns a topic the internal user publishes to, or
 * NULL: multi tenancy, the first level if it starts with "org_"; single
 * tenancy, default_org. */
const char *cs_orgs__of_topic(const struct cs_plugin *cs, const char *topic, char *buf, size_t buflen)
{
	size_t len;

	if(topic == NULL || topic[0] == '$') return NULL;
	if(cs->tenancy == CS_TENANCY_SINGLE) return cs->default_org[0] ? cs->default_org : NULL;
	if(cs->tenancy != CS_TENANCY_MULTI || strncmp(topic, "org_", 4)) return NULL;
	len = strcspn(topic, "/");
	if(len >= buflen || len > CS_MAX_ORG_ID_LEN) return NULL;
	memcpy(buf, topic, len);
	buf[len] = '\0';
	return buf;
}

void cs_orgs__cleanup(struct cs_plugin *cs)
{
	struct cs_org *org, *tmp;

	HASH_ITER(hh, cs->orgs, org, tmp){
		cs_orgs__remove(cs, org);
	}
}
