/*
 * principals.c - the principal store: per MQTT username, what the plugin
 * needs to decide a CONNECT without the service (docs/broker-protocol.md,
 * "Principals and verifiers"): credential_version, an optional verifier,
 * superuser flag, expiry, rule templates and the organization's limits.
 *
 * Verifier = HMAC-SHA256(K, username || 0x00 || password) with
 * K = HMAC-SHA256(key = broker secret, "cloudsignal-verifier-v1"); the
 * service derives the same from the plain text when it sets a password.
 * A verifier exists only for the credential_version it was made for: any
 * change of version drops it.
 *
 * Where entries come from: an "allow" reply (auth.c, verifier computed from
 * the password the client sent), a set_principal command (control.c), the
 * state file (unconfirmed until a sync completes) and sync updates of held
 * entries (sync.c). Every update of rules, expiry or limits also reaches
 * the connected clients of that user (clients.c) and the organization
 * table (orgs.c), so a sync is a backstop for a lost push.
 *
 * A principal admits locally (cs_principals__usable) when it is confirmed,
 * has a verifier, and was confirmed - by an allow reply, a command, or a
 * complete sync - less than cache_ttl seconds ago. With sync running every
 * second nothing expires by age; if the service stays unreachable longer
 * than cache_ttl, CONNECTs become misses again (and fail closed).
 *
 * State file (plugin_opt_state_file): {"version":1,"store","position",
 * "tenancy","default_org","limits":[...],"principals":[...with verifiers...]},
 * written by the broker thread (temporary file mode 0600, fsync, rename) at
 * most every CS_STATE_WRITE_MS when principals or an organization's limits
 * changed, every CS_STATE_POSITION_MS when only the position moved, and at
 * cleanup. "limits" holds each organization's last limits (the orgs.c
 * table's, only organizations with a limit), in the shape the service sends;
 * they are enforced from the start, before the first sync: limits only
 * refuse, and a sync of a principal of the organization, a CONNECT reply or
 * a set_limits replaces them as before. A file without "limits" (an older
 * plugin's) loads as before. A malformed file is logged and ignored: the
 * plugin starts empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cloudsignal.h"

int cs_principals__init(struct cs_plugin *cs)
{
	unsigned int len = 0;

	if(HMAC(EVP_sha256(), cs->broker_secret, (int)strlen(cs->broker_secret),
				(const unsigned char *)CS_VERIFIER_CONTEXT, strlen(CS_VERIFIER_CONTEXT),
				cs->verifier_key, &len) == NULL || len != CS_HMAC_LEN){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot derive the verifier key");
		return MOSQ_ERR_UNKNOWN;
	}
	return MOSQ_ERR_SUCCESS;
}

int cs_principals__verifier(const struct cs_plugin *cs, const char *username, const char *password,
		unsigned char out[CS_HMAC_LEN])
{
	unsigned char msg[2 * CS_MAX_CRED_LEN + 1];
	size_t ulen = strlen(username), plen = strlen(password);
	unsigned int len = 0;
	int rc = MOSQ_ERR_SUCCESS;

	if(ulen > CS_MAX_CRED_LEN || plen > CS_MAX_CRED_LEN) return MOSQ_ERR_INVAL;
	memcpy(msg, username, ulen);
	msg[ulen] = 0x00;
	memcpy(msg + ulen + 1, password, plen);
	if(HMAC(EVP_sha256(), cs->verifier_key, CS_HMAC_LEN, msg, ulen + 1 + plen, out, &len) == NULL
			|| len != CS_HMAC_LEN){
		rc = MOSQ_ERR_UNKNOWN;
	}
	OPENSSL_cleanse(msg, ulen + 1 + plen);
	return rc;
}

/* ---- entries --------------------------------------------------------------- */

void cs_principals__free(struct cs_principal *p)
{
	if(p == NULL) return;
	mosquitto_free(p->username);
	cs_rules__free(&p->rules);
	OPENSSL_cleanse(p->verifier, sizeof(p->verifier));
	mosquitto_free(p);
}

static void cs_principals__remove(struct cs_plugin *cs, struct cs_principal *p)
{
	HASH_DELETE(hh, cs->principals, p);
	cs_principals__free(p);
	cs->state_dirty = true;
}

struct cs_principal *cs_principals__find(struct cs_plugin *cs, const char *username)
{
	struct cs_principal *p = NULL;

	if(username == NULL) return NULL;
	HASH_FIND(hh, cs->principals, username, strlen(username), p);
	return p;
}

static struct cs_principal *cs_principals__new(const char *username)
{
	struct cs_principal *p = mosquitto_calloc(1, sizeof(struct cs_principal));

	if(p == NULL) return NULL;
	p->username = mosquitto_strdup(username);
	if(p->username == NULL){
		mosquitto_free(p);
		return NULL;
	}
	p->limits.max_connections = -1;
	p->limits.messages_per_minute = -1;
	return p;
}

/* Insert p (not in the table), replacing an entry of the same username.
 * On failure p is freed and the old entry is gone too (never keep stale). */
static int cs_principals__insert(struct cs_plugin *cs, struct cs_principal *p)
{
	struct cs_principal *old = cs_principals__find(cs, p->username);

	if(old) cs_principals__remove(cs, old);
	HASH_ADD_KEYPTR(hh, cs->principals, p->username, strlen(p->username), p);
	if(p->hh.tbl == NULL){
		cs_principals__free(p);
		return MOSQ_ERR_NOMEM;
	}
	cs->state_dirty = true;
	return MOSQ_ERR_SUCCESS;
}

/* May this principal decide a CONNECT locally? */
bool cs_principals__usable(struct cs_plugin *cs, const struct cs_principal *p)
{
	int64_t seen;

	if(cs->cache_ttl <= 0 || !p->confirmed || !p->has_verifier) return false;
	if(p->expire_at != 0 && time(NULL) >= p->expire_at) return false;
	seen = p->confirmed_ms > cs->sync.last_ok_ms ? p->confirmed_ms : cs->sync.last_ok_ms;
	return cs->now_ms() - seen < (int64_t)cs->cache_ttl * 1000;
}

/* The service admitted username with password: store the principal with
 * the verifier of that password. Takes ownership of rules in every case.
 * credential_version may be NULL (unknown). */
int cs_principals__admitted(struct cs_plugin *cs, const char *username, const char *password,
		const char *credential_version, bool is_superuser, time_t expire_at,
		struct cs_ruleset *rules, const struct cs_limits *limits)
{
	struct cs_principal *p = NULL, *old;

	if(cs->cache_ttl <= 0){
		cs_rules__free(rules);
		return MOSQ_ERR_SUCCESS;
	}
	p = cs_principals__new(username);
	if(p == NULL) goto error;
	if(cs_principals__verifier(cs, username, password, p->verifier) != MOSQ_ERR_SUCCESS) goto error;
	p->has_verifier = true;
	if(credential_version && strlen(credential_version) <= CS_MAX_VERSION_LEN){
		strcpy(p->credential_version, credential_version);
	}
	/* The reply may be older than a pushed change: keep that change's position. */
	old = cs_principals__find(cs, username);
	p->position = old ? old->position : 0;
	p->confirmed = true;
	p->confirmed_ms = cs->now_ms();
	p->expire_at = expire_at;
	p->is_superuser = is_superuser;
	if(limits) p->limits = *limits;
	p->rules = *rules;
	rules->rules = NULL;
	rules->count = 0;
	return cs_principals__insert(cs, p);

error:
	cs_principals__free(p);
	cs_rules__free(rules);
	return MOSQ_ERR_NOMEM;
}

/* Bring connected clients and the org table in line with p. */
static int cs_principals__propagate(struct cs_plugin *cs, const struct cs_principal *p)
{
	int rc = cs_clients__set_rules(cs, p->username, &p->rules);

	cs_clients__set_expiry(cs, p->username, p->expire_at);
	if(p->limits.org_id[0] && cs_orgs__set_limits(cs, &p->limits) != MOSQ_ERR_SUCCESS) rc = MOSQ_ERR_NOMEM;
	return rc;
}

/* set_principal: store or replace p (parsed, owned by the store from now
 * on, freed on failure), confirmed. Without a verifier an existing one is
 * kept only for the same credential_version. */
int cs_principals__set(struct cs_plugin *cs, struct cs_principal *p)
{
	struct cs_principal *old = cs_principals__find(cs, p->username);
	int rc;

	if(cs->cache_ttl <= 0){
		rc = cs_principals__propagate(cs, p);
		cs_principals__free(p);
		return rc;
	}
	if(!p->has_verifier && old && old->has_verifier && old->credential_version[0]
			&& !strcmp(old->credential_version, p->credential_version)){
		memcpy(p->verifier, old->verifier, CS_HMAC_LEN);
		p->has_verifier = true;
	}
	p->confirmed = true;
	p->confirmed_ms = cs->now_ms();
	rc = cs_principals__propagate(cs, p);
	if(cs_principals__insert(cs, p) != MOSQ_ERR_SUCCESS) rc = MOSQ_ERR_NOMEM;
	return rc;
}

/* Sync: replace the state of a held principal with src (as of position),
 * unless a newer change (a command) already reached it. The verifier
 * survives only an unchanged credential_version. */
int cs_principals__update(struct cs_plugin *cs, const struct cs_principal *src, int64_t position)
{
	struct cs_principal *p = cs_principals__find(cs, src->username);
	struct cs_ruleset copy;

	if(p == NULL || p->position > position) return MOSQ_ERR_SUCCESS;
	if(cs_rules__copy(&src->rules, &copy) != MOSQ_ERR_SUCCESS){
		cs_principals__remove(cs, p);
		return MOSQ_ERR_NOMEM;
	}
	if(strcmp(p->credential_version, src->credential_version)){
		strcpy(p->credential_version, src->credential_version);
		OPENSSL_cleanse(p->verifier, sizeof(p->verifier));
		p->has_verifier = false;
	}
	cs_rules__free(&p->rules);
	p->rules = copy;
	p->is_superuser = src->is_superuser;
	p->expire_at = src->expire_at;
	p->limits = src->limits;
	p->position = position;
	cs->state_dirty = true;
	return cs_principals__propagate(cs, p);
}

void cs_principals__drop(struct cs_plugin *cs, const char *username)
{
	struct cs_principal *p = cs_principals__find(cs, username);

	if(p) cs_principals__remove(cs, p);
}

/* Drop every entry whose username ends with "@" + org_id. */
void cs_principals__drop_org(struct cs_plugin *cs, const char *org_id)
{
	struct cs_principal *p, *tmp;
	size_t org_len = strlen(org_id);

	HASH_ITER(hh, cs->principals, p, tmp){
		size_t len = strlen(p->username);

		if(len > org_len && p->username[len - org_len - 1] == '@'
				&& !strcmp(p->username + len - org_len, org_id)){
			cs_principals__remove(cs, p);
		}
	}
}

void cs_principals__drop_all(struct cs_plugin *cs)
{
	struct cs_principal *p, *tmp;

	HASH_ITER(hh, cs->principals, p, tmp){
		cs_principals__remove(cs, p);
	}
}

int cs_principals__set_rules(struct cs_plugin *cs, const char *username, const struct cs_ruleset *tmpl)
{
	struct cs_principal *p = cs_principals__find(cs, username);
	struct cs_ruleset copy;

	if(p == NULL) return MOSQ_ERR_SUCCESS;
	if(cs_rules__copy(tmpl, &copy) != MOSQ_ERR_SUCCESS){
		/* Never keep stale rules around: forget the principal instead. */
		cs_principals__remove(cs, p);
		return MOSQ_ERR_NOMEM;
	}
	cs_rules__free(&p->rules);
	p->rules = copy;
	cs->state_dirty = true;
	return MOSQ_ERR_SUCCESS;
}

void cs_principals__set_expiry(struct cs_plugin *cs, const char *username, time_t expire_at)
{
	struct cs_principal *p = cs_principals__find(cs, username);

	if(p){
		p->expire_at = expire_at;
		cs->state_dirty = true;
	}
}

/* set_limits: held principals of that organization carry the new limits. */
void cs_principals__set_limits(struct cs_plugin *cs, const struct cs_limits *limits)
{
	struct cs_principal *p, *tmp;

	HASH_ITER(hh, cs->principals, p, tmp){
		const char *org_id = cs_orgs__of(p->username);

		if(!strcmp(p->limits.org_id, limits->org_id) || (org_id && !strcmp(org_id, limits->org_id))){
			p->limits = *limits;
			cs->state_dirty = true;
		}
	}
}

void cs_principals__expire(struct cs_plugin *cs, time_t now)
{
	struct cs_principal *p, *tmp;

	HASH_ITER(hh, cs->principals, p, tmp){
		if(p->expire_at != 0 && now >= p->expire_at) cs_principals__remove(cs, p);
	}
}

/* A command or sync reply at position was applied. */
void cs_principals__applied(struct cs_plugin *cs, int64_t position)
{
	if(position > cs->applied_position) cs->applied_position = position;
}

void cs_principals__cleanup(struct cs_plugin *cs)
{
	struct cs_principal *p, *tmp;

	HASH_ITER(hh, cs->principals, p, tmp){
		HASH_DELETE(hh, cs->principals, p);
		cs_principals__free(p);
	}
}

/* ---- JSON ------------------------------------------------------------------ */

static int cs_principals__hex_decode(const char *hex, unsigned char *out, size_t outlen)
{
	if(strlen(hex) != outlen * 2) return MOSQ_ERR_INVAL;
	for(size_t i = 0; i < outlen * 2; i++){
		char c = hex[i];
		int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
			: (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;

		if(v < 0) return MOSQ_ERR_INVAL;
		if(i % 2 == 0){
			out[i / 2] = (unsigned char)(v << 4);
		}else{
			out[i / 2] |= (unsigned char)v;
		}
	}
	return MOSQ_ERR_SUCCESS;
}

/* A position: absent = 0, else an integer in [0, 2^53 - 1]. */
static int cs_principals__parse_position(const cJSON *item, int64_t *out)
{
	double v;

	*out = 0;
	if(item == NULL) return MOSQ_ERR_SUCCESS;
	if(!cJSON_IsNumber(item)) return MOSQ_ERR_INVAL;
	v = item->valuedouble;
	if(!isfinite(v) || v < 0 || v > (double)CS_MAX_POSITION || v != (double)(int64_t)v) return MOSQ_ERR_INVAL;
	*out = (int64_t)v;
	return MOSQ_ERR_SUCCESS;
}

/* expire_at: absent/null/0 = none; otherwise a non-negative epoch number. */
int cs_principals__parse_expiry(const cJSON *item, time_t *out)
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

/* {"username", "credential_version", "verifier"?, "is_superuser", "expire_at",
 * "acl", "limits", "position"?, "confirmed"?}: a new, unlinked entry
 * (unconfirmed; free with cs_principals__free). A set_principal command,
 * a sync principal and a state file entry all parse with this. */
int cs_principals__parse(const cJSON *obj, struct cs_principal **out, const char **error)
{
	const cJSON *user, *version, *verifier, *su;
	struct cs_principal *p = NULL;
	int rc = MOSQ_ERR_INVAL;

	*out = NULL;
	if(!cJSON_IsObject(obj)){
		*error = "principal must be an object";
		return MOSQ_ERR_INVAL;
	}
	user = cJSON_GetObjectItemCaseSensitive(obj, "username");
	if(!cJSON_IsString(user) || user->valuestring[0] == '\0' || strlen(user->valuestring) > CS_MAX_CRED_LEN){
		*error = "missing or invalid 'username'";
		return MOSQ_ERR_INVAL;
	}
	version = cJSON_GetObjectItemCaseSensitive(obj, "credential_version");
	if(!cJSON_IsString(version) || strlen(version->valuestring) > CS_MAX_VERSION_LEN){
		*error = "missing or invalid 'credential_version'";
		return MOSQ_ERR_INVAL;
	}
	su = cJSON_GetObjectItemCaseSensitive(obj, "is_superuser");
	if(su && !cJSON_IsBool(su)){
		*error = "'is_superuser' must be a boolean";
		return MOSQ_ERR_INVAL;
	}
	p = cs_principals__new(user->valuestring);
	if(p == NULL){
		*error = "out of memory";
		return MOSQ_ERR_NOMEM;
	}
	strcpy(p->credential_version, version->valuestring);
	p->is_superuser = cJSON_IsTrue(su);
	verifier = cJSON_GetObjectItemCaseSensitive(obj, "verifier");
	if(verifier && !cJSON_IsNull(verifier)){
		if(!cJSON_IsString(verifier) || cs_principals__hex_decode(verifier->valuestring, p->verifier, CS_HMAC_LEN)){
			*error = "'verifier' must be 64 hex characters";
			goto error;
		}
		p->has_verifier = true;
	}
	if(cs_principals__parse_expiry(cJSON_GetObjectItemCaseSensitive(obj, "expire_at"), &p->expire_at)){
		*error = "invalid 'expire_at'";
		goto error;
	}
	if(cs_principals__parse_position(cJSON_GetObjectItemCaseSensitive(obj, "position"), &p->position)){
		*error = "invalid 'position'";
		goto error;
	}
	if(cs_orgs__parse_limits(cJSON_GetObjectItemCaseSensitive(obj, "limits"), &p->limits, error)) goto error;
	rc = cs_rules__parse(cJSON_GetObjectItemCaseSensitive(obj, "acl"), &p->rules, error);
	if(rc != MOSQ_ERR_SUCCESS) goto error;
	*out = p;
	return MOSQ_ERR_SUCCESS;

error:
	cs_principals__free(p);
	return rc == MOSQ_ERR_NOMEM ? MOSQ_ERR_NOMEM : MOSQ_ERR_INVAL;
}

static cJSON *cs_principals__rules_json(const struct cs_ruleset *rs)
{
	cJSON *a = cJSON_CreateArray();

	if(a == NULL) return NULL;
	for(int i = 0; i < rs->count; i++){
		const struct cs_rule *r = &rs->rules[i];
		cJSON *o = cJSON_CreateObject();
		const char *action = r->actions == (CS_ACT_PUBLISH | CS_ACT_SUBSCRIBE) ? "all"
			: r->actions == CS_ACT_PUBLISH ? "publish" : "subscribe";

		if(o == NULL || !cJSON_AddItemToArray(a, o)){
			cJSON_Delete(o);
			goto error;
		}
		if(cJSON_AddStringToObject(o, "permission", r->allow ? "allow" : "deny") == NULL
				|| cJSON_AddStringToObject(o, "action", action) == NULL
				|| cJSON_AddStringToObject(o, "topic", r->topic) == NULL){
			goto error;
		}
	}
	return a;

error:
	cJSON_Delete(a);
	return NULL;
}

static cJSON *cs_principals__add_limit(cJSON *o, const char *name, int64_t value)
{
	return value < 0 ? cJSON_AddNullToObject(o, name) : cJSON_AddNumberToObject(o, name, (double)value);
}

/* A "limits" object as the service sends it, all four limits (null: none). */
static cJSON *cs_principals__limits_json(const struct cs_limits *l)
{
	cJSON *o;

	if(l->org_id[0] == '\0') return cJSON_CreateNull();
	o = cJSON_CreateObject();
	if(o == NULL) return NULL;
	if(cJSON_AddStringToObject(o, "org_id", l->org_id) == NULL
			|| cs_principals__add_limit(o, "max_connections", l->max_connections) == NULL
			|| cs_principals__add_limit(o, "messages_per_minute", l->messages_per_minute) == NULL
			|| cs_principals__add_limit(o, "max_retained_messages", l->max_retained_messages) == NULL
			|| cs_principals__add_limit(o, "max_payload_bytes", l->max_payload_bytes) == NULL){
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *cs_principals__to_json(const struct cs_principal *p)
{
	cJSON *o = cJSON_CreateObject(), *item;
	char hex[CS_HMAC_LEN * 2 + 1];

	if(o == NULL) return NULL;
	if(cJSON_AddStringToObject(o, "username", p->username) == NULL
			|| cJSON_AddStringToObject(o, "credential_version", p->credential_version) == NULL
			|| cJSON_AddBoolToObject(o, "is_superuser", p->is_superuser) == NULL
			|| (p->expire_at ? cJSON_AddNumberToObject(o, "expire_at", (double)p->expire_at)
				: cJSON_AddNullToObject(o, "expire_at")) == NULL
			|| cJSON_AddNumberToObject(o, "position", (double)p->position) == NULL){
		goto error;
	}
	if(p->has_verifier){
		for(size_t i = 0; i < CS_HMAC_LEN; i++) snprintf(hex + 2 * i, 3, "%02x", p->verifier[i]);
		item = cJSON_AddStringToObject(o, "verifier", hex);
		OPENSSL_cleanse(hex, sizeof(hex));
		if(item == NULL) goto error;
	}
	item = cs_principals__rules_json(&p->rules);
	if(item == NULL || !cJSON_AddItemToObject(o, "acl", item)){
		cJSON_Delete(item);
		goto error;
	}
	item = cs_principals__limits_json(&p->limits);
	if(item == NULL || !cJSON_AddItemToObject(o, "limits", item)){
		cJSON_Delete(item);
		goto error;
	}
	return o;

error:
	cJSON_Delete(o);
	return NULL;
}

/* ---- state file ------------------------------------------------------------ */

static char *cs_principals__state_json(struct cs_plugin *cs, size_t *len)
{
	cJSON *root = cJSON_CreateObject(), *list;
	struct cs_principal *p, *tmp;
	struct cs_org *org, *otmp;
	const char *tenancy = cs->tenancy == CS_TENANCY_MULTI ? "multi"
		: cs->tenancy == CS_TENANCY_SINGLE ? "single" : NULL;
	char *out = NULL;

	if(root == NULL) return NULL;
	if(cJSON_AddNumberToObject(root, "version", 1) == NULL
			|| (cs->store_id[0] ? cJSON_AddStringToObject(root, "store", cs->store_id)
				: cJSON_AddNullToObject(root, "store")) == NULL
			|| cJSON_AddNumberToObject(root, "position", (double)cs->position) == NULL
			|| (tenancy ? cJSON_AddStringToObject(root, "tenancy", tenancy)
				: cJSON_AddNullToObject(root, "tenancy")) == NULL
			|| (cs->default_org[0] ? cJSON_AddStringToObject(root, "default_org", cs->default_org)
				: cJSON_AddNullToObject(root, "default_org")) == NULL){
		goto done;
	}
	/* Each organization's limits as last given: enforced at the next start
	 * before a sync, CONNECT reply or set_limits brings them again. */
	list = cJSON_AddArrayToObject(root, "limits");
	if(list == NULL) goto done;
	HASH_ITER(hh, cs->orgs, org, otmp){
		struct cs_limits l;
		cJSON *o;

		if(org->max_connections < 0 && org->messages_per_minute < 0
				&& org->max_retained_messages < 0 && org->max_payload_bytes < 0) continue;
		memset(&l, 0, sizeof(l));
		strcpy(l.org_id, org->org_id);
		l.max_connections = org->max_connections;
		l.messages_per_minute = org->messages_per_minute;
		l.max_retained_messages = org->max_retained_messages;
		l.max_payload_bytes = org->max_payload_bytes;
		o = cs_principals__limits_json(&l);
		if(o == NULL || !cJSON_AddItemToArray(list, o)){
			cJSON_Delete(o);
			goto done;
		}
	}
	list = cJSON_AddArrayToObject(root, "principals");
	if(list == NULL) goto done;
	HASH_ITER(hh, cs->principals, p, tmp){
		cJSON *o;

		/* Unconfirmed entries are kept: they are still what the file said. */
		o = cs_principals__to_json(p);
		if(o == NULL || !cJSON_AddItemToArray(list, o)){
			cJSON_Delete(o);
			goto done;
		}
	}
	out = cJSON_PrintUnformatted(root);
	if(out) *len = strlen(out);
done:
	cJSON_Delete(root);
	return out;
}

/* Write the store: <file>.tmp (0600), fsync, rename over <file>. */
int cs_principals__save(struct cs_plugin *cs)
{
	char *json = NULL, *tmp = NULL;
	size_t len = 0, tmplen, done = 0;
	int fd = -1, rc = MOSQ_ERR_UNKNOWN;
	const char *what = "out of memory";

	if(cs->state_file == NULL) return MOSQ_ERR_SUCCESS;
	json = cs_principals__state_json(cs, &len);
	if(json == NULL) goto error;
	tmplen = strlen(cs->state_file) + 5;
	tmp = mosquitto_malloc(tmplen);
	if(tmp == NULL) goto error;
	snprintf(tmp, tmplen, "%s.tmp", cs->state_file);

	what = "cannot write";
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if(fd < 0) goto error;
	if(fchmod(fd, 0600) != 0) goto error;
	while(done < len){
		ssize_t n = write(fd, json + done, len - done);

		if(n < 0 && errno == EINTR) continue;
		if(n <= 0) goto error;
		done += (size_t)n;
	}
	if(fsync(fd) != 0) goto error;
	if(close(fd) != 0){
		fd = -1;
		goto error;
	}
	fd = -1;
	what = "cannot rename";
	if(rename(tmp, cs->state_file) != 0) goto error;
	cs->state_dirty = false;
	cs->state_position_dirty = false;
	rc = MOSQ_ERR_SUCCESS;
	goto done;

error:
	mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: cannot save the state file %s: %s%s%s", cs->state_file,
			what, errno ? ": " : "", errno ? strerror(errno) : "");
	if(fd >= 0) close(fd);
	if(tmp) unlink(tmp);
done:
	if(json){
		OPENSSL_cleanse(json, len);
		cJSON_free(json);
	}
	mosquitto_free(tmp);
	cs->state_written_ms = cs->now_ms();
	return rc;
}

/* TICK: save when due. */
void cs_principals__tick(struct cs_plugin *cs)
{
	int64_t since;

	if(cs->state_file == NULL || (!cs->state_dirty && !cs->state_position_dirty)) return;
	since = cs->now_ms() - cs->state_written_ms;
	if(since >= CS_STATE_POSITION_MS || (cs->state_dirty && since >= CS_STATE_WRITE_MS)){
		cs_principals__save(cs);
	}
}

static char *cs_principals__read_file(const char *path, size_t *len, const char **what)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if(f == NULL){
		*what = strerror(errno);
		return NULL;
	}
	if(fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0){
		*what = "cannot seek";
		goto done;
	}
	if(size > CS_STATE_MAX_BYTES){
		*what = "too large";
		goto done;
	}
	buf = mosquitto_malloc((size_t)size + 1);
	if(buf == NULL){
		*what = "out of memory";
		goto done;
	}
	if(fread(buf, 1, (size_t)size, f) != (size_t)size){
		*what = "short read";
		mosquitto_free(buf);
		buf = NULL;
		goto done;
	}
	buf[size] = '\0';
	*len = (size_t)size;
done:
	fclose(f);
	return buf;
}

/* Store id: 1-128 printable ASCII characters without quote or backslash
 * (it goes into the sync request as is). */
static bool cs_principals__valid_store(const char *s)
{
	size_t n = strlen(s);

	if(n == 0 || n > CS_MAX_STORE_ID_LEN) return false;
	for(; *s; s++){
		if(*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\') return false;
	}
	return true;
}

/* Parse a state file body into cs (store empty on entry). All or nothing. */
static int cs_principals__load_json(struct cs_plugin *cs, const char *buf, size_t len, unsigned *left_out,
		const char **what)
{
	cJSON *root = cJSON_ParseWithLength(buf, len);
	const cJSON *item, *list, *limits;
	struct cs_limits *parsed = NULL;
	int64_t position;
	int rc = MOSQ_ERR_INVAL, n = 0;

	if(!cJSON_IsObject(root)){
		*what = "not a JSON object";
		goto done;
	}
	item = cJSON_GetObjectItemCaseSensitive(root, "version");
	if(!cJSON_IsNumber(item) || item->valuedouble != 1){
		*what = "unknown 'version'";
		goto done;
	}
	item = cJSON_GetObjectItemCaseSensitive(root, "store");
	if(!cJSON_IsNull(item) && !(cJSON_IsString(item) && cs_principals__valid_store(item->valuestring))){
		*what = "invalid 'store'";
		goto done;
	}
	if(cJSON_IsString(item)) strcpy(cs->store_id, item->valuestring);
	if(cs_principals__parse_position(cJSON_GetObjectItemCaseSensitive(root, "position"), &position)){
		*what = "invalid 'position'";
		goto done;
	}
	cs->position = position;
	item = cJSON_GetObjectItemCaseSensitive(root, "tenancy");
	if(cJSON_IsString(item) && !strcmp(item->valuestring, "multi")) cs->tenancy = CS_TENANCY_MULTI;
	if(cJSON_IsString(item) && !strcmp(item->valuestring, "single")) cs->tenancy = CS_TENANCY_SINGLE;
	item = cJSON_GetObjectItemCaseSensitive(root, "default_org");
	if(cJSON_IsString(item) && item->valuestring[0] && strlen(item->valuestring) <= CS_MAX_ORG_ID_LEN){
		strcpy(cs->default_org, item->valuestring);
	}
	/* Organizations' limits: absent in files of older plugins. */
	limits = cJSON_GetObjectItemCaseSensitive(root, "limits");
	if(limits && !cJSON_IsNull(limits) && !cJSON_IsArray(limits)){
		*what = "'limits' must be a list";
		goto done;
	}
	if(cJSON_GetArraySize(limits) > 0){
		parsed = mosquitto_calloc((size_t)cJSON_GetArraySize(limits), sizeof(*parsed));
		if(parsed == NULL){
			*what = "out of memory";
			goto done;
		}
		cJSON_ArrayForEach(item, limits){
			if(!cJSON_IsObject(item) || cs_orgs__parse_limits(item, &parsed[n], what) != MOSQ_ERR_SUCCESS){
				if(!cJSON_IsObject(item)) *what = "'limits' must hold objects";
				goto done;
			}
			n++;
		}
	}
	list = cJSON_GetObjectItemCaseSensitive(root, "principals");
	if(!cJSON_IsArray(list)){
		*what = "missing 'principals'";
		goto done;
	}
	cJSON_ArrayForEach(item, list){
		struct cs_principal *p;

		rc = cs_principals__parse(item, &p, what);
		if(rc != MOSQ_ERR_SUCCESS) goto done;
		/* A file that names no store was saved before any sync of its run
		 * succeeded: a sync from nothing sends no principal, so nothing could
		 * ever check these against what changed since. Left out: misses. */
		if(!cs->store_id[0]){
			cs_principals__free(p);
			(*left_out)++;
			continue;
		}
		/* Unconfirmed until a sync completes. */
		rc = cs_principals__insert(cs, p);
		if(rc != MOSQ_ERR_SUCCESS){
			*what = "out of memory";
			goto done;
		}
	}
	/* Only now that the whole file parsed: the organization table. */
	for(int i = 0; i < n; i++){
		if(cs_orgs__set_limits(cs, &parsed[i]) != MOSQ_ERR_SUCCESS){
			char name[CS_LOG_NAME_LEN];

			cs_util__printable(parsed[i].org_id, name, sizeof(name));
			mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot restore the limits of organization %s: out of memory", name);
		}
	}
	rc = MOSQ_ERR_SUCCESS;
done:
	mosquitto_free(parsed);
	cJSON_Delete(root);
	return rc;
}

/* Init: load the state file if there is one. Never fails the plugin. */
int cs_principals__load(struct cs_plugin *cs)
{
	const char *what = "unknown error";
	char *buf;
	size_t len = 0;
	unsigned left_out = 0;

	if(cs->state_file == NULL) return MOSQ_ERR_SUCCESS;
	if(access(cs->state_file, F_OK) != 0 && errno == ENOENT){
		mosquitto_log_printf(MOSQ_LOG_INFO, "cloudsignal: no state file %s yet: starting empty", cs->state_file);
		return MOSQ_ERR_SUCCESS;
	}
	buf = cs_principals__read_file(cs->state_file, &len, &what);
	if(buf && cs_principals__load_json(cs, buf, len, &left_out, &what) == MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: loaded %u principals at position %lld and the limits of %u "
				"organizations from %s (principals unconfirmed until the first sync)",
				HASH_COUNT(cs->principals), (long long)cs->position, HASH_COUNT(cs->orgs), cs->state_file);
		if(left_out){
			mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: left out %u principals of the state file: it names no "
					"store (saved before a sync succeeded), so no sync could check them", left_out);
		}
		cs->state_dirty = false;
	}else{
		char why[CS_LOG_NAME_LEN];

		cs_util__printable(what, why, sizeof(why));
		mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: ignoring the state file %s (%s): starting empty",
				cs->state_file, why);
		cs_principals__drop_all(cs);
		cs->store_id[0] = '\0';
		cs->position = 0;
		cs->tenancy = CS_TENANCY_UNKNOWN;
		cs->default_org[0] = '\0';
		cs->state_dirty = true;
	}
	if(buf){
		OPENSSL_cleanse(buf, len);
		mosquitto_free(buf);
	}
	return MOSQ_ERR_SUCCESS;
}
