/*
 * sessions.c - open MQTT sessions for the session events: one per
 * successful CONNECT (never for the internal user), keyed by the client
 * pointer, closed at that client's MOSQ_EVT_DISCONNECT. Separate from the
 * per-client-id rule entries of clients.c, which may outlive a connection.
 *
 * The disconnect reason defaults to "client". Before the plugin makes the
 * broker drop a client it sets the reason: "kicked" ($CONTROL kick and
 * kick_user), "credentials_expired" (TICK expiry) and "takeover" (a CONNECT
 * with the client id of a live client). Mosquitto 2.0.11 fires
 * MOSQ_EVT_DISCONNECT synchronously inside mosquitto_kick_client_by_clientid
 * and _by_username (checked against the broker), and a takeover fires the
 * old client's DISCONNECT after the new client's BASIC_AUTH; setting the
 * reason before the kick is right in both cases.
 *
 * Every session in the table is counted in its organization's live
 * sessions (orgs.c): a session that cannot be counted is not kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cloudsignal.h"

static void cs_sessions__free(struct cs_session *s)
{
	if(s == NULL) return;
	mosquitto_free(s->session_id);
	mosquitto_free(s->clientid);
	mosquitto_free(s->username);
	for(int i = 0; i < s->filter_count; i++) mosquitto_free(s->filters[i]);
	mosquitto_free(s->filters);
	mosquitto_free(s);
}

struct cs_session *cs_sessions__find(struct cs_plugin *cs, const struct mosquitto *client)
{
	struct cs_session *s = NULL;

	HASH_FIND(hh, cs->sessions, &client, sizeof(client), s);
	return s;
}

/* The newest open session of this client id (a taken-over one is not indexed). */
struct cs_session *cs_sessions__find_id(struct cs_plugin *cs, const char *clientid)
{
	struct cs_session *s = NULL;

	if(clientid == NULL) return NULL;
	HASH_FIND(hh_id, cs->sessions_by_id, clientid, strlen(clientid), s);
	return s;
}

static void cs_sessions__unindex(struct cs_plugin *cs, struct cs_session *s)
{
	if(!s->indexed) return;
	HASH_DELETE(hh_id, cs->sessions_by_id, s);
	s->indexed = false;
}

static void cs_sessions__remove(struct cs_plugin *cs, struct cs_session *s)
{
	cs_sessions__unindex(cs, s);
	HASH_DELETE(hh, cs->sessions, s);
	cs_sessions__free(s);
}

/* MOSQ_EVT_DISCONNECT: emit "disconnected" for an open session. Clients
 * without one (refused CONNECTs, the internal user) emit nothing. */
void cs_sessions__close(struct cs_plugin *cs, const struct mosquitto *client)
{
	struct cs_session *s = cs_sessions__find(cs, client);
	char cid[CS_LOG_NAME_LEN];

	if(s == NULL) return;
	cs_orgs__session_closed(cs, s->username);
	cs_util__printable(s->clientid, cid, sizeof(cid));
	if(cs_events__disconnected(&cs->events, s) != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot queue the end of session %s (client %s): out of memory",
				s->session_id, cid);
	}
	mosquitto_log_printf(MOSQ_LOG_DEBUG, "cloudsignal: session %s (client %s) closed: %s", s->session_id, cid, s->reason);
	cs_sessions__remove(cs, s);
}

/* After a successful CONNECT (BASIC_AUTH allowed): open a session and emit
 * "connected". A live session with the same client id on another client is
 * being taken over: its DISCONNECT follows. Out of memory only costs the
 * events of this session; the CONNECT is not refused for it. */
void cs_sessions__open(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid,
		const char *username)
{
	struct cs_session *s = NULL, *live;
	char sid[CS_BROKER_ID_LEN + 32];
	char cid[CS_LOG_NAME_LEN];

	/* A second CONNECT on one connection: close the first session. */
	cs_sessions__close(cs, client);
	live = cs_sessions__find_id(cs, clientid);
	if(live){
		live->reason = "takeover";
		cs_sessions__unindex(cs, live);
	}

	snprintf(sid, sizeof(sid), "%s-%" PRIu64, cs->events.broker_id, ++cs->session_seq);
	s = mosquitto_calloc(1, sizeof(struct cs_session));
	if(s == NULL) goto error;
	s->session_id = mosquitto_strdup(sid);
	s->clientid = mosquitto_strdup(clientid);
	s->username = mosquitto_strdup(username);
	if(s->session_id == NULL || s->clientid == NULL || s->username == NULL) goto error;
	s->client = client;
	s->reason = "client";

	HASH_ADD(hh, cs->sessions, client, sizeof(s->client), s);
	if(s->hh.tbl == NULL) goto error;
	HASH_ADD_KEYPTR(hh_id, cs->sessions_by_id, s->clientid, strlen(s->clientid), s);
	if(s->hh_id.tbl == NULL){
		HASH_DELETE(hh, cs->sessions, s);
		goto error;
	}
	s->indexed = true;
	if(cs_orgs__session_opened(cs, s->username) != MOSQ_ERR_SUCCESS){
		cs_sessions__remove(cs, s);
		s = NULL;
		goto error;
	}
	if(cs_events__connected(&cs->events, s, client) != MOSQ_ERR_SUCCESS){
		cs_orgs__session_closed(cs, s->username);
		cs_sessions__remove(cs, s);
		s = NULL;
		goto error;
	}
	return;

error:
	cs_util__printable(clientid, cid, sizeof(cid));
	mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: no session events for client %s: out of memory", cid);
	cs_sessions__free(s);
}

/* Before kicking by client id: the broker kicks the newest connection. */
void cs_sessions__mark_clientid(struct cs_plugin *cs, const char *clientid, const char *reason)
{
	struct cs_session *s = cs_sessions__find_id(cs, clientid);

	if(s) s->reason = reason;
}

void cs_sessions__mark_username(struct cs_plugin *cs, const char *username, const char *reason)
{
	struct cs_session *s, *tmp;

	HASH_ITER(hh, cs->sessions, s, tmp){
		if(!strcmp(s->username, username)) s->reason = reason;
	}
}

/* Plugin cleanup: forget open sessions without events (the next run's
 * broker_started tells the service they are gone). */
void cs_sessions__cleanup(struct cs_plugin *cs)
{
	struct cs_session *s, *tmp;

	HASH_ITER(hh, cs->sessions, s, tmp){
		cs_sessions__remove(cs, s);
	}
}
