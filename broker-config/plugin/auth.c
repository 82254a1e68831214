/*
 * auth.c - MOSQ_EVT_BASIC_AUTH: internal user check, credential cache and
 * the call to {service_url}/internal/broker/authenticate. Fails closed:
 * anything but an explicit "allow" refuses the CONNECT. Accepted credentials
 * still pass the organization checks (orgs.c: client id of another
 * organization, connection quota) before the client entry is stored. An
 * admitted CONNECT (other than the internal user) opens a session
 * (sessions.c).
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "cloudsignal.h"

/* HMAC-SHA256 under the per-process key: lets us compare passwords in
 * constant time and keep no plaintext password in the cache. */
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
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot get random bytes for the cache key");
		return MOSQ_ERR_UNKNOWN;
	}
	return cs_auth__hmac(cs, cs->broker_secret, cs->secret_hmac);
}

/* ---- credential cache ---------------------------------------------------- */

static void cs_auth__cache_free(struct cs_cache_entry *e)
{
	if(e == NULL) return;
	mosquitto_free(e->username);
	cs_acl__free_rules(&e->rules);
	mosquitto_free(e);
}

static void cs_auth__cache_remove(struct cs_plugin *cs, struct cs_cache_entry *e)
{
	HASH_DELETE(hh, cs->cache, e);
	cs_auth__cache_free(e);
}

struct cs_cache_entry *cs_auth__cache_find(struct cs_plugin *cs, const char *username)
{
	struct cs_cache_entry *e = NULL;

	HASH_FIND(hh, cs->cache, username, strlen(username), e);
	return e;
}

/* Remember a successful login. Takes ownership of rules in every case.
 * limits: as the reply gave them, or NULL. */
int cs_auth__cache_put(struct cs_plugin *cs, const char *username, const char *password,
		bool is_superuser, time_t expire_at, struct cs_ruleset *rules, const struct cs_limits *limits)
{
	struct cs_cache_entry *e = NULL, *old;

	if(cs->cache_ttl <= 0){
		cs_acl__free_rules(rules);
		return MOSQ_ERR_SUCCESS;
	}
	e = mosquitto_calloc(1, sizeof(struct cs_cache_entry));
	if(e == NULL) goto error;
	e->username = mosquitto_strdup(username);
	if(e->username == NULL) goto error;
	if(cs_auth__hmac(cs, password, e->pw_hmac) != MOSQ_ERR_SUCCESS) goto error;
	e->stored_ms = cs_plugin__now_ms();
	e->expire_at = expire_at;
	e->is_superuser = is_superuser;
	if(limits){
		e->limits = *limits;
	}else{
		e->limits.max_connections = -1;
		e->limits.messages_per_minute = -1;
	}
	e->rules = *rules;
	rules->rules = NULL;
	rules->count = 0;

	old = cs_auth__cache_find(cs, username);
	if(old) cs_auth__cache_remove(cs, old);
	HASH_ADD_KEYPTR(hh, cs->cache, e->username, strlen(e->username), e);
	if(e->hh.tbl == NULL) goto error;
	return MOSQ_ERR_SUCCESS;

error:
	cs_auth__cache_free(e);
	cs_acl__free_rules(rules);
	return MOSQ_ERR_NOMEM;
}

void cs_auth__cache_drop(struct cs_plugin *cs, const char *username)
{
	struct cs_cache_entry *e = cs_auth__cache_find(cs, username);

	if(e) cs_auth__cache_remove(cs, e);
}

/* Drop every entry whose username ends with "@" + org_id. */
void cs_auth__cache_drop_org(struct cs_plugin *cs, const char *org_id)
{
	struct cs_cache_entry *e, *tmp;
	size_t org_len = strlen(org_id);

	HASH_ITER(hh, cs->cache, e, tmp){
		size_t len = strlen(e->username);

		if(len > org_len && e->username[len - org_len - 1] == '@'
				&& !strcmp(e->username + len - org_len, org_id)){
			cs_auth__cache_remove(cs, e);
		}
	}
}

int cs_auth__cache_set_rules(struct cs_plugin *cs, const char *username, const struct cs_ruleset *tmpl)
{
	struct cs_cache_entry *e = cs_auth__cache_find(cs, username);
	struct cs_ruleset copy;

	if(e == NULL) return MOSQ_ERR_SUCCESS;
	if(cs_acl__copy_rules(tmpl, &copy) != MOSQ_ERR_SUCCESS){
		/* Never keep stale rules around: forget the login instead. */
		cs_auth__cache_remove(cs, e);
		return MOSQ_ERR_NOMEM;
	}
	cs_acl__free_rules(&e->rules);
	e->rules = copy;
	return MOSQ_ERR_SUCCESS;
}

void cs_auth__cache_set_expiry(struct cs_plugin *cs, const char *username, time_t expire_at)
{
	struct cs_cache_entry *e = cs_auth__cache_find(cs, username);

	if(e) e->expire_at = expire_at;
}

/* set_limits: cached logins of that organization carry the new limits
 * (informational: a cache hit applies nothing, the org table has them). */
void cs_auth__cache_set_limits(struct cs_plugin *cs, const struct cs_limits *limits)
{
	struct cs_cache_entry *e, *tmp;

	HASH_ITER(hh, cs->cache, e, tmp){
		const char *org_id = cs_orgs__of(e->username);

		if(!strcmp(e->limits.org_id, limits->org_id) || (org_id && !strcmp(org_id, limits->org_id))){
			e->limits = *limits;
		}
	}
}

static bool cs_auth__cache_stale(const struct cs_plugin *cs, const struct cs_cache_entry *e,
		int64_t now_ms, time_t now)
{
	return now_ms - e->stored_ms >= (int64_t)cs->cache_ttl * 1000
		|| (e->expire_at != 0 && now >= e->expire_at);
}

void cs_auth__cache_expire(struct cs_plugin *cs, int64_t now_ms, time_t now)
{
	struct cs_cache_entry *e, *tmp;

	HASH_ITER(hh, cs->cache, e, tmp){
		if(cs_auth__cache_stale(cs, e, now_ms, now)) cs_auth__cache_remove(cs, e);
	}
}

void cs_auth__cache_cleanup(struct cs_plugin *cs)
{
	struct cs_cache_entry *e, *tmp;

	HASH_ITER(hh, cs->cache, e, tmp){
		cs_auth__cache_remove(cs, e);
	}
}

/* ---- service reply ------------------------------------------------------- */

/* expire_at: absent/null/0 = none; otherwise a non-negative epoch number. */
int cs_auth__parse_expiry(const cJSON *item, time_t *out)
{
	double v;

	*out = 0;
	if(item == NULL || cJSON_IsNull(item)) return MOSQ_ERR_SUCCESS;
	if(!cJSON_IsNumber(item)) return MOSQ_ERR_INVAL;
	v = item->valuedouble;
	if(!isfinite(v) || v < 0 || v > 253402300799.0) return MOSQ_ERR_INVAL; /* year 9999 */
	*out = (time_t)v;
	return MOSQ_ERR_SUCCESS;
}

int cs_auth__parse_reply(const char *buf, size_t len, enum cs_auth_result *result,
		struct cs_auth_reply *reply, const char **error)
{
	cJSON *tree;
	const cJSON *res, *su;
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
	su = cJSON_GetObjectItemCaseSensitive(tree, "is_superuser");
	reply->is_superuser = cJSON_IsTrue(su);
	if(cs_auth__parse_expiry(cJSON_GetObjectItemCaseSensitive(tree, "expire_at"), &reply->expire_at)){
		*error = "invalid \"expire_at\"";
		goto done;
	}
	if(cs_orgs__parse_limits(cJSON_GetObjectItemCaseSensitive(tree, "limits"), &reply->limits, error)){
		goto done;
	}
	rc = cs_acl__parse_rules(cJSON_GetObjectItemCaseSensitive(tree, "acl"), &reply->rules, error);

done:
	cJSON_Delete(tree);
	return rc;
}

/* ---- CONNECT ------------------------------------------------------------- */

static char *cs_auth__request_body(const struct mosquitto *client, const char *username,
		const char *password, const char *clientid)
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
			|| cJSON_AddBoolToObject(o, "clean_start", mosquitto_client_clean_session(client)) == NULL){
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

/* MOSQ_ERR_SUCCESS on a fresh cache hit with the same password,
 * MOSQ_ERR_AUTH when such a hit fails the organization checks, else
 * MOSQ_ERR_NOT_FOUND (fall through to the service). A hit applies no
 * limits: the org table got them with the reply that filled the entry. */
static int cs_auth__from_cache(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid,
		const char *username, const char *password, const char *who, const char *cid)
{
	struct cs_cache_entry *e = cs_auth__cache_find(cs, username);
	unsigned char mac[CS_HMAC_LEN];

	if(e == NULL) return MOSQ_ERR_NOT_FOUND;
	if(cs_auth__cache_stale(cs, e, cs_plugin__now_ms(), time(NULL))){
		cs_auth__cache_remove(cs, e);
		return MOSQ_ERR_NOT_FOUND;
	}
	if(cs_auth__hmac(cs, password, mac) != MOSQ_ERR_SUCCESS
			|| CRYPTO_memcmp(mac, e->pw_hmac, CS_HMAC_LEN) != 0){
		return MOSQ_ERR_NOT_FOUND;
	}
	if(cs_orgs__admit(cs, clientid, username, who, cid) != MOSQ_ERR_SUCCESS) return MOSQ_ERR_AUTH;
	if(cs_clients__store(cs, client, clientid, username, e->is_superuser, false, e->expire_at, &e->rules)){
		return MOSQ_ERR_NOT_FOUND;
	}
	return MOSQ_ERR_SUCCESS;
}

static int cs_auth__from_service(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid,
		const char *username, const char *password, const char *who, const char *cid)
{
	struct cs_auth_reply reply;
	enum cs_auth_result result = CS_RESULT_DENY;
	const char *error = NULL;
	char *body;
	long status = 0;
	int rc;

	memset(&reply, 0, sizeof(reply));
	body = cs_auth__request_body(client, username, password, clientid);
	if(body == NULL){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: refusing %s (client %s): cannot encode request", who, cid);
		return MOSQ_ERR_AUTH;
	}
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
		return MOSQ_ERR_AUTH;
	}

	/* Last reply wins, even if this CONNECT is refused below. */
	if(reply.limits.org_id[0]){
		const char *org_id = cs_orgs__of(username);

		if(org_id == NULL || strcmp(org_id, reply.limits.org_id)){
			char name[CS_LOG_NAME_LEN];

			cs_clients__printable(reply.limits.org_id, name, sizeof(name));
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: the service sent limits of organization %s for %s (client %s)",
					name, who, cid);
		}
		if(cs_orgs__set_limits(cs, &reply.limits) != MOSQ_ERR_SUCCESS){
			mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: refusing %s (client %s): out of memory", who, cid);
			goto error;
		}
	}
	if(cs_orgs__admit(cs, clientid, username, who, cid) != MOSQ_ERR_SUCCESS) goto error;
	if(cs_clients__store(cs, client, clientid, username, reply.is_superuser, false, reply.expire_at, &reply.rules)){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: refusing %s (client %s): out of memory", who, cid);
		goto error;
	}
	/* A failed cache insert only costs a later HTTP call. */
	cs_auth__cache_put(cs, username, password, reply.is_superuser, reply.expire_at, &reply.rules, &reply.limits);
	return MOSQ_ERR_SUCCESS;

error:
	cs_acl__free_rules(&reply.rules);
	return MOSQ_ERR_AUTH;
}

int cs_auth__basic_auth_cb(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;
	struct cs_plugin *cs = userdata;
	const char *clientid = mosquitto_client_id(ed->client);
	const char *password = ed->password ? ed->password : "";
	char who[CS_LOG_NAME_LEN], cid[CS_LOG_NAME_LEN];
	int rc;

	(void)event;
	if(clientid == NULL) clientid = "";
	cs_clients__printable(clientid, cid, sizeof(cid));

	if(ed->username == NULL || ed->username[0] == '\0'){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: refusing client %s: no username", cid);
		return MOSQ_ERR_AUTH;
	}
	cs_clients__printable(ed->username, who, sizeof(who));
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
	rc = MOSQ_ERR_NOT_FOUND;
	if(cs->cache_ttl > 0){
		rc = cs_auth__from_cache(cs, ed->client, clientid, ed->username, password, who, cid);
		if(rc == MOSQ_ERR_SUCCESS){
			mosquitto_log_printf(MOSQ_LOG_DEBUG, "cloudsignal: admitted %s (client %s) from cache", who, cid);
		}
	}
	if(rc == MOSQ_ERR_NOT_FOUND){
		rc = cs_auth__from_service(cs, ed->client, clientid, ed->username, password, who, cid);
	}
	if(rc == MOSQ_ERR_SUCCESS) cs_sessions__open(cs, ed->client, clientid, ed->username);
	return rc;
}
