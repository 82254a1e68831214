/*
 * clients.c - per-client state: a uthash table keyed by client id holding
 * who owns the entry, username, superuser flag, expiry and rendered rules.
 *
 * Wills. Mosquitto 2.0.11 checks a will (MOSQ_EVT_ACL_CHECK, MOSQ_ACL_WRITE,
 * on the departing client) only when it sends it, never at CONNECT, and
 * after this plugin has let go of the client's entry:
 *   - connection lost, keepalive, DISCONNECT 0x04: context__disconnect()
 *     fires MOSQ_EVT_DISCONNECT, then context__send_will() checks the will;
 *   - takeover: connect__on_authorised() runs after the new client's
 *     BASIC_AUTH (which replaced the entry of this client id) and calls
 *     context__send_will() on the old client before its MOSQ_EVT_DISCONNECT.
 * So the entry a client leaves behind when its session ends with its
 * connection (an MQTT 3.x clean-session client, at its DISCONNECT, or
 * replaced by a takeover) becomes cs_plugin.departed, which acl.c consults
 * for that client's writes only: its will meets its own rules and its
 * organization's message quota, like its publishes. Both checks come right
 * after the entry departs, with no other plugin event in between, so one
 * slot is enough: the next departure replaces it and every MOSQ_EVT_TICK
 * frees it. The TICK ends the loop iteration, before the broker frees the
 * disconnected client (context__free_disused() at the top of the next one),
 * so the client pointer cannot have been reused meanwhile; a CONNECT on the
 * same pointer also drops it, in case TICKs are missing.
 *
 * Sessions that outlive their connection keep their entry, marked offline:
 * queued deliveries still pass the read check and a will (delayed by an
 * MQTT 5 Will Delay Interval, or sent when the session expires) meets the
 * client's rules. An MQTT 5 session lives as long as its Session Expiry
 * Interval, whatever CleanStart said, and the plugin API of 2.0.11 does not
 * tell that interval: every MQTT 5 client is assumed to keep its session.
 * An offline entry also keeps its ended session's subscription filters,
 * which the next session of the client id takes over when the broker
 * resumes the session (presence.c). A reconnect replaces the entry; past
 * CS_MAX_OFFLINE_CLIENTS offline entries the oldest are forgotten (logged),
 * filters and all.
 * Not covered: a clean DISCONNECT or a kick (the plugin always kicks
 * with_will=false) send no will at all.
 */
#include <string.h>
#include <time.h>

#include "cloudsignal.h"

/* May the broker keep this client's session once its connection ends? */
bool cs_clients__may_persist(const struct mosquitto *client)
{
	return mosquitto_client_protocol_version(client) == 5 || !mosquitto_client_clean_session(client);
}

static void cs_clients__free(struct cs_client *entry)
{
	if(entry == NULL) return;
	mosquitto_free(entry->clientid);
	mosquitto_free(entry->username);
	cs_rules__free(&entry->rules);
	cs_presence__free(entry->filters, entry->filter_count);
	mosquitto_free(entry);
}

struct cs_client *cs_clients__find(struct cs_plugin *cs, const char *clientid)
{
	struct cs_client *entry = NULL;

	if(clientid == NULL) return NULL;
	HASH_FIND(hh, cs->clients, clientid, strlen(clientid), entry);
	return entry;
}

/* Out of the client id table (not freed). */
static void cs_clients__unlink(struct cs_plugin *cs, struct cs_client *entry)
{
	if(entry->offline) cs->offline_clients--;
	HASH_DELETE(hh, cs->clients, entry);
}

void cs_clients__remove(struct cs_plugin *cs, struct cs_client *entry)
{
	cs_clients__unlink(cs, entry);
	cs_clients__free(entry);
}

/* Its connection ended, its session may go on. The table iterates in
 * insertion order (a reconnect re-inserts), so the oldest offline entries
 * come first. */
static void cs_clients__went_offline(struct cs_plugin *cs, struct cs_client *entry)
{
	struct cs_client *e, *tmp;
	long forgotten = 0;

	entry->offline = true;
	cs->offline_clients++;
	if(cs->offline_clients <= CS_MAX_OFFLINE_CLIENTS) return;
	HASH_ITER(hh, cs->clients, e, tmp){
		if(cs->offline_clients <= CS_MAX_OFFLINE_CLIENTS) break;
		if(e->offline && e != entry){
			cs_clients__remove(cs, e);
			forgotten++;
		}
	}
	mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: more than %d offline sessions: forgot the rules of the %ld oldest "
			"(their queued messages are no longer delivered)", CS_MAX_OFFLINE_CLIENTS, forgotten);
}

/* The client that just left, if it is this one (same pointer, same id). */
struct cs_client *cs_clients__find_departed(struct cs_plugin *cs, const struct mosquitto *client)
{
	struct cs_client *entry = cs->departed;
	const char *clientid;

	if(entry == NULL || client == NULL || entry->client != client) return NULL;
	clientid = mosquitto_client_id(client);
	if(clientid == NULL || strcmp(clientid, entry->clientid)) return NULL;
	return entry;
}

void cs_clients__forget_departed(struct cs_plugin *cs)
{
	cs_clients__free(cs->departed);
	cs->departed = NULL;
}

/* Move the entry out of the client id table into the departed slot, until
 * the will check that follows (see the top of this file). */
static void cs_clients__depart(struct cs_plugin *cs, struct cs_client *entry)
{
	cs_clients__unlink(cs, entry);
	cs_clients__forget_departed(cs);
	cs->departed = entry;
}

/* Store state for a freshly authenticated client, replacing any entry
 * for the same client id. tmpl rules are rendered with this client id as
 * its user knows it: without its organization's "<org_id>/" prefix
 * (cs_topic__local_clientid), so ${clientid} is the id the SDKs show.
 * The entry of a connection being taken over departs: the broker checks
 * its will right after this BASIC_AUTH. */
int cs_clients__store(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid,
		const char *username, bool is_superuser, bool is_internal, time_t expire_at,
		const struct cs_ruleset *tmpl)
{
	struct cs_client *entry, *old;

	entry = mosquitto_calloc(1, sizeof(struct cs_client));
	if(entry == NULL) goto error;
	entry->clientid = mosquitto_strdup(clientid);
	if(entry->clientid == NULL) goto error;
	entry->username = mosquitto_strdup(username);
	if(entry->username == NULL) goto error;
	if(cs_rules__render(tmpl, cs_topic__local_clientid(clientid, cs_orgs__of(username)), &entry->rules)
			!= MOSQ_ERR_SUCCESS) goto error;
	entry->client = client;
	entry->is_superuser = is_superuser;
	entry->is_internal = is_internal;
	entry->expire_at = expire_at;

	/* A departed client is gone for good once its pointer connects again. */
	if(cs->departed && cs->departed->client == client) cs_clients__forget_departed(cs);
	/* Add before dropping the old entry (uthash allows the duplicate key
	 * meanwhile): only an add to an empty table can fail, so a refused
	 * CONNECT never costs the old entry. */
	old = cs_clients__find(cs, clientid);
	HASH_ADD_KEYPTR(hh, cs->clients, entry->clientid, strlen(entry->clientid), entry);
	if(entry->hh.tbl == NULL) goto error;
	/* Without a clean start the broker resumes the session, if it still has
	 * it: its filters come along, for cs_clients__resume (presence.c). */
	if(old && old->client != client && !mosquitto_client_clean_session(client)){
		if(old->offline){
			entry->filters = old->filters;
			entry->filter_count = old->filter_count;
			old->filters = NULL;
			old->filter_count = 0;
		}else{
			cs_presence__keep(cs, old->client, &entry->filters, &entry->filter_count);
		}
	}
	if(old && old->client != client){
		cs_clients__depart(cs, old);
	}else if(old){
		cs_clients__remove(cs, old);
	}
	return MOSQ_ERR_SUCCESS;

error:
	cs_clients__free(entry);
	return MOSQ_ERR_NOMEM;
}

/* After the session of a CONNECT opened: hand it the filters its entry
 * carried from the previous session (cs_clients__store). */
void cs_clients__resume(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid)
{
	struct cs_client *entry = cs_clients__find(cs, clientid);

	if(entry == NULL || entry->client != client || entry->filter_count == 0) return;
	cs_presence__resume(cs, client, &entry->filters, &entry->filter_count);
}

/* Replace the rules of every entry of this user (rendered per client id).
 * If rendering fails the entry is left with no rules: fail closed. */
int cs_clients__set_rules(struct cs_plugin *cs, const char *username, const struct cs_ruleset *tmpl)
{
	struct cs_client *entry, *tmp;
	int rc = MOSQ_ERR_SUCCESS;

	HASH_ITER(hh, cs->clients, entry, tmp){
		struct cs_ruleset rendered;

		if(strcmp(entry->username, username)) continue;
		cs_rules__free(&entry->rules);
		if(cs_rules__render(tmpl, cs_topic__local_clientid(entry->clientid, cs_orgs__of(entry->username)),
					&rendered) != MOSQ_ERR_SUCCESS){
			rc = MOSQ_ERR_NOMEM;
			continue;
		}
		entry->rules = rendered;
	}
	return rc;
}

void cs_clients__set_expiry(struct cs_plugin *cs, const char *username, time_t expire_at)
{
	struct cs_client *entry, *tmp;

	HASH_ITER(hh, cs->clients, entry, tmp){
		if(!strcmp(entry->username, username)) entry->expire_at = expire_at;
	}
}

/* Kick every client whose expire_at has passed. Ids are collected first:
 * kicking fires MOSQ_EVT_DISCONNECT synchronously, which edits the table. */
void cs_clients__expire(struct cs_plugin *cs, time_t now)
{
	struct cs_client *entry, *tmp;
	char **ids = NULL;
	size_t count = 0, n = 0;

	HASH_ITER(hh, cs->clients, entry, tmp){
		if(entry->expire_at != 0 && now >= entry->expire_at) count++;
	}
	if(count == 0) return;

	ids = mosquitto_calloc(count, sizeof(char *));
	if(ids == NULL) goto error;
	HASH_ITER(hh, cs->clients, entry, tmp){
		if(entry->expire_at != 0 && now >= entry->expire_at){
			ids[n] = mosquitto_strdup(entry->clientid);
			if(ids[n] == NULL) goto error;
			n++;
		}
	}

	for(size_t i = 0; i < n; i++){
		char cid[CS_LOG_NAME_LEN];

		cs_util__printable(ids[i], cid, sizeof(cid));
		mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: kicking client %s: credentials expired", cid);
		cs_sessions__mark_clientid(cs, ids[i], "credentials_expired");
		mosquitto_kick_client_by_clientid(ids[i], false);
		/* A persistent session keeps its entry on disconnect; drop it here. */
		entry = cs_clients__find(cs, ids[i]);
		if(entry && entry->expire_at != 0 && now >= entry->expire_at){
			cs_clients__remove(cs, entry);
		}
	}

error:
	if(n < count) mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: out of memory while expiring clients");
	for(size_t i = 0; i < n; i++) mosquitto_free(ids[i]);
	mosquitto_free(ids);
}

void cs_clients__cleanup(struct cs_plugin *cs)
{
	struct cs_client *entry, *tmp;

	HASH_ITER(hh, cs->clients, entry, tmp){
		cs_clients__remove(cs, entry);
	}
	cs_clients__forget_departed(cs);
}

/* Close the client's open session (sessions.c). A client whose session ends
 * with the connection departs, for the will check that follows this event;
 * one whose session may go on keeps its entry, offline, so queued
 * deliveries and a delayed will still meet its rules; a reconnect replaces
 * it. Entries owned by another connection are never touched. */
int cs_clients__disconnect_cb(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *ed = event_data;
	struct cs_plugin *cs = userdata;
	struct cs_client *entry;
	bool owned;

	(void)event;
	entry = cs_clients__find(cs, mosquitto_client_id(ed->client));
	owned = entry && entry->client == ed->client && !entry->offline;
	/* Its session's filters stay with the entry, for a resume. */
	if(owned && cs_clients__may_persist(ed->client)){
		cs_presence__keep(cs, ed->client, &entry->filters, &entry->filter_count);
	}
	cs_sessions__close(cs, ed->client);
	if(!owned) return MOSQ_ERR_SUCCESS;
	if(cs_clients__may_persist(ed->client)){
		cs_clients__went_offline(cs, entry);
	}else{
		cs_clients__depart(cs, entry);
	}
	return MOSQ_ERR_SUCCESS;
}
