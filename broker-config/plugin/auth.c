/*
 * auth.c - MOSQ_EVT_BASIC_AUTH: internal user check, local decision from
 * the principal store (principals.c), else the call to
 * {service_url}/internal/broker/authenticate. Fails closed: anything but a
 * matching verifier or an explicit "allow" refuses the CONNECT. Accepted
 * credentials still pass the organization checks (orgs.c: client id of
 * another organization, connection quota) before the client entry is
 * stored. In multi tenancy a client id must start with "<org_id>/" of the
 * username's organization (orgs.c), checked first of all. An admitted
 * CONNECT (other than the internal user) opens a session (sessions.c).
 *
 * Decision (docs/broker-protocol.md): a usable principal (confirmed, with a
 * verifier, fresh: cs_principals__usable) whose verifier matches the
 * password admits with no HTTP. A mismatch, or no usable principal, is a
 * miss: HTTP - unless the username or the source address is throttled
 * (throttle.c), then it is refused here. Only the service's refusals feed
 * the throttle; any admission resets the username's record.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "cloudsignal.h"

/* HMAC-SHA256 under a random per-process key: the internal user's password
 * is compared in constant time against the broker secret's HMAC. */
static int cs_auth__hmac(const struct cs_plugin *cs, const char *s, unsigned char out[CS_HMAC_LEN])
{
	unsigned int len = 0;

	if(HMAC(EVP_sha256(), cs->hmac_key, (int)sizeof(cs->hmac_key),
				(const unsigned char *)s, strlen(s), out, &len) == NULL || len != CS_HMAC_LEN){
		return MOSQ_ERR_UNKNOWN;
	}
	return MOSQ_ERR_SUCCESS;
}

int cs_auth__init(struct cs_plugin *cs)
{
	if(RAND_bytes(cs->hmac_key, (int)sizeof(cs->hmac_key)) != 1){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot get random bytes for the internal user key");
		return MOSQ_ERR_UNKNOWN;
	}
	return cs_auth__hmac(cs, cs->broker_secret, cs->secret_hmac);
}

/* ---- service reply ------------------------------------------------------- */

int cs_auth__parse_reply(const char *buf, size_t len, enum cs_auth_result *result,
		struct cs_auth_reply *reply, const char **error)
{
	cJSON *tree;
	const cJSON *res, *su, *version;
	int rc = MOSQ_ERR_INVAL;

	memset(reply, 0, sizeof(*reply));
	tree = cJSON_ParseWithLength(buf, len);
	if(tree == NULL || !cJSON_IsObject(tree)){
		*error = "reply is not a JSON object";
		goto done;
	}
	res = cJSON_GetObjectItemCaseSensitive(tree, "result");
	if(!cJSON_IsString(res)){
		*error = "reply has no \"result\"";
		goto done;
	}
	if(!strcmp(res->valuestring, "deny")){
		*result = CS_RESULT_DENY;
		rc = MOSQ_ERR_SUCCESS;
		goto done;
	}
	if(!strcmp(res->valuestring, "ignore")){
		*result = CS_RESULT_IGNORE;
		rc = MOSQ_ERR_SUCCESS;
		goto done;
	}
	if(strcmp(res->valuestring, "allow")){
		*error = "unknown \"result\"";
		goto done;
	}

	*result = CS_RESULT_ALLOW;
	/* Optional: an older service sends none; the principal then keeps no
	 * version and the next sync of it drops the verifier. */
	version = cJSON_GetObjectItemCaseSensitive(tree, "credential_version");
	if(cJSON_IsString(version) && strlen(version->valuestring) <= CS_MAX_VERSION_LEN){
		strcpy(reply->credential_version, version->valuestring);
	}
	su = cJSON_GetObjectItemCaseSensitive(tree, "is_superuser");
	reply->is_superuser = cJSON_IsTrue(su);
	if(cs_principals__parse_expiry(cJSON_GetObjectItemCaseSensitive(tree, "expire_at"), &reply->expire_at)){
		*error = "invalid \"expire_at\"";
		goto done;
	}
	if(cs_orgs__parse_limits(cJSON_GetObjectItemCaseSensitive(tree, "limits"), &reply->limits, error)){
		goto done;
	}
	rc = cs_rules__parse(cJSON_GetObjectItemCaseSensitive(tree, "acl"), &reply->rules, error);

done:
	cJSON_Delete(tree);
	return rc;
}

/* ---- CONNECT ------------------------------------------------------------- */

/* The organization checks of a CONNECT whose credentials were accepted
 * (orgs.c has the rules): MOSQ_ERR_SUCCESS or MOSQ_ERR_AUTH (logged).
 * who/cid: printable username and client id. */
static int cs_auth__admit(struct cs_plugin *cs, const char *clientid, const char *username,
		const char *who, const char *cid)
{
	struct cs_client *holder = cs_clients__find(cs, clientid);
	struct cs_session *replaced;
	struct cs_org *org;
	long live;
	char name[CS_LOG_NAME_LEN];

	if(!cs_orgs__clientid_ok(cs, clientid, username, who, cid)) return MOSQ_ERR_AUTH;
	/* Defence in depth: with the prefix rule ids cannot collide across
	 * organizations; without it (single tenancy) there is one organization. */
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
		cs_util__printable(org->org_id, name, sizeof(name));
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing %s (client %s): organization %s is at its connection quota (%lld)",
				who, cid, name, (long long)org->max_connections);
		cs_orgs__refused(cs, org, CS_QUOTA_CONNECTIONS);
		return MOSQ_ERR_AUTH;
	}
	return MOSQ_ERR_SUCCESS;
}

/* verifier_version: the credential_version of a verifier that did not match
 * the password, or NULL. The service then knows the password is wrong
 * without hashing it, so a known user is refused as fast as an unknown one. */
static char *cs_auth__request_body(const struct mosquitto *client, const char *username,
		const char *password, const char *clientid, const char *verifier_version, const char *broker)
{
	cJSON *o;
	const char *addr;
	char *body = NULL;

	o = cJSON_CreateObject();
	if(o == NULL) return NULL;
	addr = mosquitto_client_address(client);
	if(cJSON_AddStringToObject(o, "username", username) == NULL
			|| cJSON_AddStringToObject(o, "password", password) == NULL
			|| cJSON_AddStringToObject(o, "clientid", clientid) == NULL
			|| (addr ? cJSON_AddStringToObject(o, "peerhost", addr) : cJSON_AddNullToObject(o, "peerhost")) == NULL
			|| cJSON_AddNumberToObject(o, "proto_ver", mosquitto_client_protocol_version(client)) == NULL
			|| cJSON_AddBoolToObject(o, "clean_start", mosquitto_client_clean_session(client)) == NULL
			|| (verifier_version && cJSON_AddStringToObject(o, "verifier_version", verifier_version) == NULL)
			|| (broker[0] && cJSON_AddStringToObject(o, "broker", broker) == NULL)){
		goto done;
	}
	body = cJSON_PrintUnformatted(o);
done:
	cJSON_Delete(o);
	return body;
}

static int cs_auth__internal(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid,
		const char *password, const char *cid)
{
	unsigned char mac[CS_HMAC_LEN];

	if(cs_auth__hmac(cs, password, mac) != MOSQ_ERR_SUCCESS
			|| CRYPTO_memcmp(mac, cs->secret_hmac, CS_HMAC_LEN) != 0){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing internal user (client %s): wrong password", cid);
		return MOSQ_ERR_AUTH;
	}
	if(cs_clients__store(cs, client, clientid, cs->internal_username, true, true, 0, NULL) != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: refusing internal user (client %s): out of memory", cid);
		return MOSQ_ERR_AUTH;
	}
	return MOSQ_ERR_SUCCESS;
}

/* MOSQ_ERR_SUCCESS when a usable principal's verifier matches the password,
 * MOSQ_ERR_AUTH when such a match fails the organization checks, else
 * MOSQ_ERR_NOT_FOUND (a miss; *mismatched names the version of a verifier
 * the password did not match). A match applies no limits: the org table
 * got them with the reply or command that filled the principal. */
static int cs_auth__from_store(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid,
		const char *username, const char *password, const char *who, const char *cid, const char **mismatched)
{
	struct cs_principal *p = cs_principals__find(cs, username);
	unsigned char mac[CS_HMAC_LEN];
	int rc;

	*mismatched = NULL;
	if(p == NULL || !cs_principals__usable(cs, p)) return MOSQ_ERR_NOT_FOUND;
	rc = cs_principals__verifier(cs, username, password, mac);
	if(rc == MOSQ_ERR_SUCCESS && CRYPTO_memcmp(mac, p->verifier, CS_HMAC_LEN) != 0){
		rc = MOSQ_ERR_NOT_FOUND;
		if(p->credential_version[0]) *mismatched = p->credential_version;
	}else if(rc != MOSQ_ERR_SUCCESS){
		rc = MOSQ_ERR_NOT_FOUND;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	if(rc != MOSQ_ERR_SUCCESS) return rc;
	if(cs_auth__admit(cs, clientid, username, who, cid) != MOSQ_ERR_SUCCESS) return MOSQ_ERR_AUTH;
	if(cs_clients__store(cs, client, clientid, username, p->is_superuser, false, p->expire_at, &p->rules)){
		return MOSQ_ERR_NOT_FOUND;
	}
	return MOSQ_ERR_SUCCESS;
}

static int cs_auth__from_service(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid,
		const char *username, const char *password, const char *who, const char *cid, const char *verifier_version)
{
	struct cs_auth_reply reply;
	enum cs_auth_result result = CS_RESULT_DENY;
	const char *error = NULL;
	char *body;
	long status = 0;
	int rc;

	memset(&reply, 0, sizeof(reply));
	body = cs_auth__request_body(client, username, password, clientid, verifier_version, cs->events.broker_name);
	if(body == NULL){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: refusing %s (client %s): cannot encode request", who, cid);
		return MOSQ_ERR_AUTH;
	}
	cs->stats.http_calls++;
	rc = cs_http__post(&cs->http, body, strlen(body), &status, &error);
	OPENSSL_cleanse(body, strlen(body));
	cJSON_free(body);
	if(rc != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: refusing %s (client %s): service unreachable: %s", who, cid, error);
		return MOSQ_ERR_AUTH;
	}
	if(status != 200){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: refusing %s (client %s): service returned HTTP %ld", who, cid, status);
		return MOSQ_ERR_AUTH;
	}
	if(cs_auth__parse_reply(cs->http.reply, cs->http.reply_len, &result, &reply, &error) != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: refusing %s (client %s): unparseable service reply: %s", who, cid, error);
		return MOSQ_ERR_AUTH;
	}
	if(result != CS_RESULT_ALLOW){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing %s (client %s): service said %s",
				who, cid, result == CS_RESULT_DENY ? "deny" : "ignore");
		cs_throttle__refused(cs, username, mosquitto_client_address(client));
		return MOSQ_ERR_AUTH;
	}

	/* Last reply wins, even if this CONNECT is refused below. */
	if(reply.limits.org_id[0]){
		const char *org_id = cs_orgs__of(username);

		if(org_id == NULL || strcmp(org_id, reply.limits.org_id)){
			char name[CS_LOG_NAME_LEN];

			cs_util__printable(reply.limits.org_id, name, sizeof(name));
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: the service sent limits of organization %s for %s (client %s)",
					name, who, cid);
		}
		if(cs_orgs__set_limits(cs, &reply.limits) != MOSQ_ERR_SUCCESS){
			mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: refusing %s (client %s): out of memory", who, cid);
			goto error;
		}
	}
	if(cs_auth__admit(cs, clientid, username, who, cid) != MOSQ_ERR_SUCCESS) goto error;
	if(cs_clients__store(cs, client, clientid, username, reply.is_superuser, false, reply.expire_at, &reply.rules)){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: refusing %s (client %s): out of memory", who, cid);
		goto error;
	}
	/* A failed insert only costs a later HTTP call. */
	cs_principals__admitted(cs, username, password, reply.credential_version, reply.is_superuser,
			reply.expire_at, &reply.rules, &reply.limits);
	return MOSQ_ERR_SUCCESS;

error:
	cs_rules__free(&reply.rules);
	return MOSQ_ERR_AUTH;
}

int cs_auth__basic_auth_cb(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;
	struct cs_plugin *cs = userdata;
	const char *clientid = mosquitto_client_id(ed->client);
	const char *password = ed->password ? ed->password : "";
	char who[CS_LOG_NAME_LEN], cid[CS_LOG_NAME_LEN];
	char mismatched_version[CS_MAX_VERSION_LEN + 1];
	const char *mismatched = NULL;
	int rc;

	(void)event;
	if(clientid == NULL) clientid = "";
	cs_util__printable(clientid, cid, sizeof(cid));

	if(ed->username == NULL || ed->username[0] == '\0'){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing client %s: no username", cid);
		return MOSQ_ERR_AUTH;
	}
	cs_util__printable(ed->username, who, sizeof(who));
	/* Keep the HTTP request bounded. */
	if(strnlen(ed->username, CS_MAX_CRED_LEN + 1) > CS_MAX_CRED_LEN
			|| strnlen(password, CS_MAX_CRED_LEN + 1) > CS_MAX_CRED_LEN){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing %s (client %s): username or password longer than %d bytes",
				who, cid, CS_MAX_CRED_LEN);
		return MOSQ_ERR_AUTH;
	}
	if(strnlen(clientid, CS_MAX_CRED_LEN + 1) > CS_MAX_CRED_LEN){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing %s (client %s): client id longer than %d bytes",
				who, cid, CS_MAX_CRED_LEN);
		return MOSQ_ERR_AUTH;
	}

	if(!strcmp(ed->username, cs->internal_username)){
		return cs_auth__internal(cs, ed->client, clientid, password, cid);
	}
	/* Multi tenancy: a client id without its organization's prefix is
	 * refused before any password check, so a misconfigured device that
	 * keeps reconnecting costs no HTTP call (cs_auth__admit checks again). */
	if(!cs_orgs__clientid_ok(cs, clientid, ed->username, who, cid)){
		cs->stats.local_refusals++;
		return MOSQ_ERR_AUTH;
	}
	rc = cs_auth__from_store(cs, ed->client, clientid, ed->username, password, who, cid, &mismatched);
	if(mismatched) snprintf(mismatched_version, sizeof(mismatched_version), "%s", mismatched);
	if(rc == MOSQ_ERR_SUCCESS){
		cs->stats.local_admits++;
		mosquitto_log_printf(MOSQ_LOG_DEBUG, "cloudsignal: admitted %s (client %s) from the store", who, cid);
	}else if(rc == MOSQ_ERR_AUTH){
		cs->stats.local_refusals++;
	}else if(cs_throttle__blocked(cs, ed->username, mosquitto_client_address(ed->client))){
		cs->stats.local_refusals++;
		cs->stats.throttled++;
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing %s (client %s): too many refused attempts, retry later",
				who, cid);
		return MOSQ_ERR_AUTH;
	}else{
		rc = cs_auth__from_service(cs, ed->client, clientid, ed->username, password, who, cid,
				mismatched ? mismatched_version : NULL);
	}
	if(rc == MOSQ_ERR_SUCCESS){
		cs_throttle__admitted(cs, ed->username);
		cs_sessions__open(cs, ed->client, clientid, ed->username);
		cs_clients__resume(cs, ed->client, clientid);
	}
	return rc;
}
