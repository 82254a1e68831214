/*
 * orgs.c - organization limits, enforced inside the broker.
 *
 * A username "<name>@<org_id>" belongs to the organization after its last
 * '@'. Per organization the table keeps the limits the service gave (the
 * "limits" object of an authenticate reply, last reply wins, or a $CONTROL
 * set_limits command), the number of live sessions (sessions.c calls
 * cs_orgs__session_opened/_closed, nothing is scanned) and the publishes
 * allowed in the current fixed one-minute window.
 *
 * CONNECT (cs_orgs__admit, once the credentials are accepted, before the
 * client entry is replaced and the session opened): refused when the client
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
 * The internal user has no session and its ACL checks end before the quota:
 * it is never limited.
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
	org->window_start_ms = cs->now_ms();
	HASH_ADD_KEYPTR(hh, cs->orgs, org->org_id, strlen(org->org_id), org);
	if(org->hh.tbl == NULL){
		mosquitto_free(org);
		return NULL;
	}
	return org;
}

static void cs_orgs__remove(struct cs_plugin *cs, struct cs_org *org)
{
	HASH_DELETE(hh, cs->orgs, org);
	mosquitto_free(org);
}

/* An unlimited organization without sessions needs no entry. */
static void cs_orgs__prune(struct cs_plugin *cs, struct cs_org *org)
{
	if(org->sessions == 0 && org->max_connections < 0 && org->messages_per_minute < 0){
		cs_orgs__remove(cs, org);
	}
}

/* Replace the limits of limits->org_id. Live sessions over a lowered
 * max_connections stay; the current window keeps its count. */
int cs_orgs__set_limits(struct cs_plugin *cs, const struct cs_limits *limits)
{
	struct cs_org *org = cs_orgs__find(cs, limits->org_id);

	if(org == NULL){
		if(limits->max_connections < 0 && limits->messages_per_minute < 0) return MOSQ_ERR_SUCCESS;
		org = cs_orgs__add(cs, limits->org_id);
		if(org == NULL) return MOSQ_ERR_NOMEM;
	}
	org->max_connections = limits->max_connections;
	org->messages_per_minute = limits->messages_per_minute;
	org->over_logged = false;
	cs_orgs__prune(cs, org);
	return MOSQ_ERR_SUCCESS;
}

/* CONNECT of username with clientid, credentials accepted: MOSQ_ERR_SUCCESS
 * or MOSQ_ERR_AUTH (logged). who/cid: printable username and client id. */
int cs_orgs__admit(struct cs_plugin *cs, const char *clientid, const char *username,
		const char *who, const char *cid)
{
	struct cs_client *holder = cs_clients__find(cs, clientid);
	struct cs_session *replaced;
	struct cs_org *org;
	long live;
	char name[CS_LOG_NAME_LEN];

	if(holder && !cs_orgs__same(holder->username, username)){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing %s (client %s): client id in use by another organization",
				who, cid);
		return MOSQ_ERR_AUTH;
	}
	org = cs_orgs__find(cs, cs_orgs__of(username));
	if(org == NULL || org->max_connections < 0) return MOSQ_ERR_SUCCESS;

	live = org->sessions;
	/* A takeover: the broker drops this session right after the CONNECT. */
	replaced = cs_sessions__find_id(cs, clientid);
	if(replaced && cs_orgs__same(replaced->username, username)) live--;
	if(live >= org->max_connections){
		cs_clients__printable(org->org_id, name, sizeof(name));
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing %s (client %s): organization %s is at its connection quota (%lld)",
				who, cid, name, (long long)org->max_connections);
		return MOSQ_ERR_AUTH;
	}
	return MOSQ_ERR_SUCCESS;
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

/* An allowed PUBLISH of username: MOSQ_ERR_SUCCESS (counted) or
 * MOSQ_ERR_ACL_DENIED once the window is full (not counted). */
int cs_orgs__count_publish(struct cs_plugin *cs, const char *username)
{
	struct cs_org *org = cs_orgs__find(cs, cs_orgs__of(username));
	int64_t now;
	char name[CS_LOG_NAME_LEN];

	if(org == NULL) return MOSQ_ERR_SUCCESS;
	now = cs->now_ms();
	if(now - org->window_start_ms >= CS_QUOTA_WINDOW_MS){
		org->window_start_ms = now;
		org->window_count = 0;
		org->over_logged = false;
	}
	if(org->messages_per_minute >= 0 && org->window_count >= org->messages_per_minute){
		if(!org->over_logged){
			cs_clients__printable(org->org_id, name, sizeof(name));
			mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: organization %s is over its message quota (%lld/min); "
					"dropping publishes until the window resets", name, (long long)org->messages_per_minute);
			org->over_logged = true;
		}
		return MOSQ_ERR_ACL_DENIED;
	}
	org->window_count++;
	return MOSQ_ERR_SUCCESS;
}

void cs_orgs__cleanup(struct cs_plugin *cs)
{
	struct cs_org *org, *tmp;

	HASH_ITER(hh, cs->orgs, org, tmp){
		cs_orgs__remove(cs, org);
	}
}
