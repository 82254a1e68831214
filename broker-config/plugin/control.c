/*
 * control.c - $CONTROL/cloudsignal/v1: commands from the CloudSignal service
 * (kick, kick_user, invalidate, set_rules, set_expiry, set_limits,
 * set_principal; docs/broker-protocol.md). Every command may carry
 * "position", the service's log position after the change: the plugin
 * remembers the highest one applied, and a principal the command touched
 * records it, so an older sync reply never undoes the change. Only the internal
 * user may send them; others are ignored with a warning (we return
 * MOSQ_ERR_SUCCESS, since an error code makes the broker drop the sender).
 * Each payload gets one reply on $CONTROL/cloudsignal/v1/response, one
 * response per command, in order.
 */
#include <string.h>

#include "cloudsignal.h"

/* Append {"command": name, "ok": error == NULL[, "error": error]}. */
static int cs_control__respond(cJSON *responses, const char *name, const char *error)
{
	cJSON *r = cJSON_CreateObject();

	if(r == NULL) return MOSQ_ERR_NOMEM;
	if(!cJSON_AddItemToArray(responses, r)){
		cJSON_Delete(r);
		return MOSQ_ERR_NOMEM;
	}
	if(cJSON_AddStringToObject(r, "command", name ? name : "") == NULL
			|| cJSON_AddBoolToObject(r, "ok", error == NULL) == NULL
			|| (error && cJSON_AddStringToObject(r, "error", error) == NULL)){
		return MOSQ_ERR_NOMEM;
	}
	return MOSQ_ERR_SUCCESS;
}

static const char *cs_control__string(const cJSON *cmd, const char *key)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(cmd, key);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* {"command":"kick","clientid","username"?,"org_id"?}. Kicks fire
 * MOSQ_EVT_DISCONNECT inside the call (Mosquitto 2.0.11): the session
 * reason is set before.
 *
 * The owner: session events reach the service in batches, so its idea of
 * who holds a client id may be stale (A's client left, B's connected with
 * the same id). A kick that names "username" and/or "org_id" only kicks
 * when the client holding the id now (its live session, else its entry)
 * belongs to them; otherwise nothing is kicked, the refusal is logged and
 * answered as an error. In multi tenancy a kick must name its owner; in
 * single tenancy (one organization) a kick without one is still obeyed,
 * as from services that predate the owner. */
static const char *cs_control__kick(struct cs_plugin *cs, const cJSON *cmd)
{
	const char *clientid = cs_control__string(cmd, "clientid");
	const char *owner_user = cs_control__string(cmd, "username");
	const char *owner_org = cs_control__string(cmd, "org_id");
	const cJSON *item;

	/* Never pass NULL: the broker would kick every client. */
	if(clientid == NULL) return "missing or invalid 'clientid'";
	if(((item = cJSON_GetObjectItemCaseSensitive(cmd, "username")) && !cJSON_IsNull(item) && owner_user == NULL)
			|| ((item = cJSON_GetObjectItemCaseSensitive(cmd, "org_id")) && !cJSON_IsNull(item) && owner_org == NULL)
			|| (owner_org && owner_org[0] == '\0') || (owner_user && owner_user[0] == '\0')){
		return "invalid 'username' or 'org_id'";
	}
	if(owner_user || owner_org){
		struct cs_session *live = cs_sessions__find_id(cs, clientid);
		struct cs_client *entry = cs_clients__find(cs, clientid);
		const char *holder = live ? live->username : entry ? entry->username : NULL;
		char cid[CS_LOG_NAME_LEN], who[CS_LOG_NAME_LEN], owner[CS_LOG_NAME_LEN];

		cs_util__printable(clientid, cid, sizeof(cid));
		if(holder == NULL){
			mosquitto_log_printf(MOSQ_LOG_INFO, "cloudsignal: kick of client %s: no such client", cid);
			return "no client with this client id";
		}
		if(!cs_orgs__owns(holder, owner_user, owner_org)){
			cs_util__printable(holder, who, sizeof(who));
			cs_util__printable(owner_user ? owner_user : owner_org, owner, sizeof(owner));
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: refusing to kick client %s: it belongs to %s, "
					"not to %s", cid, who, owner);
			return "the client with this client id belongs to someone else";
		}
	}else if(cs->tenancy == CS_TENANCY_MULTI){
		return "missing 'username' or 'org_id' (multi tenancy: a kick names the client's owner)";
	}
	cs_sessions__mark_clientid(cs, clientid, "kicked");
	mosquitto_kick_client_by_clientid(clientid, false);
	return NULL;
}

static const char *cs_control__kick_user(struct cs_plugin *cs, const cJSON *cmd)
{
	const char *username = cs_control__string(cmd, "username");

	if(username == NULL) return "missing or invalid 'username'";
	cs_principals__drop(cs, username);
	cs_sessions__mark_username(cs, username, "kicked");
	mosquitto_kick_client_by_username(username, false);
	return NULL;
}

static const char *cs_control__invalidate(struct cs_plugin *cs, const cJSON *cmd)
{
	const char *username = cs_control__string(cmd, "username");
	const char *org_id = cs_control__string(cmd, "org_id");

	if(username == NULL && (org_id == NULL || org_id[0] == '\0')){
		return "missing 'username' or 'org_id'";
	}
	if(username) cs_principals__drop(cs, username);
	if(org_id && org_id[0]) cs_principals__drop_org(cs, org_id);
	return NULL;
}

static const char *cs_control__set_rules(struct cs_plugin *cs, const cJSON *cmd)
{
	const char *username = cs_control__string(cmd, "username");
	const cJSON *acl = cJSON_GetObjectItemCaseSensitive(cmd, "acl");
	struct cs_ruleset rules;
	const char *error = NULL;
	int rc;

	if(username == NULL) return "missing or invalid 'username'";
	if(!cJSON_IsArray(acl)) return "missing or invalid 'acl'";
	if(cs_rules__parse(acl, &rules, &error) != MOSQ_ERR_SUCCESS) return error;

	rc = cs_clients__set_rules(cs, username, &rules);
	if(cs_principals__set_rules(cs, username, &rules) != MOSQ_ERR_SUCCESS) rc = MOSQ_ERR_NOMEM;
	cs_rules__free(&rules);
	return rc == MOSQ_ERR_SUCCESS ? NULL : "out of memory";
}

static const char *cs_control__set_expiry(struct cs_plugin *cs, const cJSON *cmd)
{
	const char *username = cs_control__string(cmd, "username");
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(cmd, "expire_at");
	time_t expire_at;

	if(username == NULL) return "missing or invalid 'username'";
	if(!cJSON_IsNumber(item) || cs_principals__parse_expiry(item, &expire_at) != MOSQ_ERR_SUCCESS){
		return "missing or invalid 'expire_at'";
	}
	cs_clients__set_expiry(cs, username, expire_at);
	cs_principals__set_expiry(cs, username, expire_at);
	return NULL;
}

/* {"command":"set_limits","org_id","max_connections":int|null,
 *  "messages_per_minute":int|null}: replaces the organization's limits
 * (absent or null = unlimited). Nobody is kicked. */
static const char *cs_control__set_limits(struct cs_plugin *cs, const cJSON *cmd)
{
	struct cs_limits limits;
	const char *error = NULL;

	if(cs_orgs__parse_limits(cmd, &limits, &error) != MOSQ_ERR_SUCCESS) return error;
	if(cs_orgs__set_limits(cs, &limits) != MOSQ_ERR_SUCCESS) return "out of memory";
	cs_principals__set_limits(cs, &limits);
	return NULL;
}

/* {"command":"set_principal","username","credential_version","verifier"?,
 *  "is_superuser","expire_at","acl","limits","position"}: store or replace
 * the principal (confirmed); its rules, expiry and limits also reach the
 * user's connected clients and the organization table. */
static const char *cs_control__set_principal(struct cs_plugin *cs, const cJSON *cmd)
{
	struct cs_principal *p = NULL;
	const char *error = NULL;
	int rc = cs_principals__parse(cmd, &p, &error);

	if(rc != MOSQ_ERR_SUCCESS) return error;
	return cs_principals__set(cs, p) == MOSQ_ERR_SUCCESS ? NULL : "out of memory";
}

/* "position": absent = 0, else an integer in [0, 2^53 - 1]. */
static const char *cs_control__position(const cJSON *cmd, int64_t *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(cmd, "position");
	double v;

	*out = 0;
	if(item == NULL || cJSON_IsNull(item)) return NULL;
	v = cJSON_IsNumber(item) ? item->valuedouble : -1;
	if(v < 0 || v > (double)CS_MAX_POSITION || v != (double)(int64_t)v) return "invalid 'position'";
	*out = (int64_t)v;
	return NULL;
}

static const char *cs_control__dispatch(struct cs_plugin *cs, const cJSON *cmd, const char *name)
{
	if(!strcmp(name, "kick")) return cs_control__kick(cs, cmd);
	if(!strcmp(name, "kick_user")) return cs_control__kick_user(cs, cmd);
	if(!strcmp(name, "invalidate")) return cs_control__invalidate(cs, cmd);
	if(!strcmp(name, "set_rules")) return cs_control__set_rules(cs, cmd);
	if(!strcmp(name, "set_expiry")) return cs_control__set_expiry(cs, cmd);
	if(!strcmp(name, "set_limits")) return cs_control__set_limits(cs, cmd);
	if(!strcmp(name, "forget_retained")) return cs_retained__forget(cs, cmd);
	if(!strcmp(name, "set_principal")) return cs_control__set_principal(cs, cmd);
	return "unknown command";
}

/* Run one command; NULL on success, else an error message. */
static const char *cs_control__run(struct cs_plugin *cs, const cJSON *cmd, const char **name)
{
	const char *error;
	int64_t position;
	struct cs_principal *p;

	*name = NULL;
	if(!cJSON_IsObject(cmd)) return "command must be an object";
	*name = cs_control__string(cmd, "command");
	if(*name == NULL) return "missing or invalid 'command'";
	if((error = cs_control__position(cmd, &position))) return error;
	error = cs_control__dispatch(cs, cmd, *name);
	if(error || position == 0) return error;
	cs_principals__applied(cs, position);
	p = cs_principals__find(cs, cs_control__string(cmd, "username"));
	if(p && position > p->position){
		p->position = position;
		cs->state_dirty = true;
	}
	return NULL;
}

/* Process one payload and return the reply JSON (free with cJSON_free), or
 * NULL when out of memory. */
char *cs_control__handle(struct cs_plugin *cs, const void *payload, size_t len)
{
	cJSON *tree = NULL, *reply, *responses;
	const cJSON *commands, *cmd;
	char *out = NULL;
	int rc = MOSQ_ERR_SUCCESS;

	reply = cJSON_CreateObject();
	if(reply == NULL) return NULL;
	responses = cJSON_AddArrayToObject(reply, "responses");
	if(responses == NULL) goto done;

	if(payload == NULL || len == 0 || len > CS_MAX_CONTROL_BYTES){
		rc = cs_control__respond(responses, NULL, len ? "payload too large" : "empty payload");
		goto print;
	}
	tree = cJSON_ParseWithLength(payload, len);
	if(!cJSON_IsObject(tree)){
		rc = cs_control__respond(responses, NULL, "payload is not a JSON object");
		goto print;
	}
	commands = cJSON_GetObjectItemCaseSensitive(tree, "commands");
	if(!cJSON_IsArray(commands)){
		rc = cs_control__respond(responses, NULL, "missing or invalid 'commands' array");
		goto print;
	}
	if(cJSON_GetArraySize(commands) > CS_MAX_COMMANDS){
		rc = cs_control__respond(responses, NULL, "too many commands");
		goto print;
	}
	cJSON_ArrayForEach(cmd, commands){
		const char *name;
		const char *error = cs_control__run(cs, cmd, &name);

		rc = cs_control__respond(responses, name, error);
		if(rc != MOSQ_ERR_SUCCESS) break;
	}

print:
	if(rc == MOSQ_ERR_SUCCESS) out = cJSON_PrintUnformatted(reply);
done:
	cJSON_Delete(tree);
	cJSON_Delete(reply);
	return out;
}

int cs_control__cb(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_control *ed = event_data;
	struct cs_plugin *cs = userdata;
	const char *username = mosquitto_client_username(ed->client);
	const char *clientid = mosquitto_client_id(ed->client);
	struct cs_client *entry = cs_clients__find(cs, clientid);
	char *out;

	(void)event;
	if(username == NULL || strcmp(username, cs->internal_username)
			|| entry == NULL || entry->client != ed->client || !entry->is_internal){
		char who[CS_LOG_NAME_LEN], cid[CS_LOG_NAME_LEN];

		cs_util__printable(username, who, sizeof(who));
		cs_util__printable(clientid, cid, sizeof(cid));
		mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: ignoring %s from %s (client %s): not the internal user",
				CS_CONTROL_TOPIC, who, cid);
		return MOSQ_ERR_SUCCESS;
	}

	out = cs_control__handle(cs, ed->payload, ed->payloadlen);
	if(out == NULL){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: out of memory handling %s", CS_CONTROL_TOPIC);
		return MOSQ_ERR_SUCCESS;
	}
	mosquitto_broker_publish_copy(NULL, CS_CONTROL_RESPONSE_TOPIC, (int)strlen(out), out, 0, false, NULL);
	cJSON_free(out);
	return MOSQ_ERR_SUCCESS;
}
