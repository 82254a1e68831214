/*
 * presence.c - who is subscribed to what, for the service's presence
 * queries, and the one '$' form tenants may subscribe to.
 *
 * Each open session (sessions.c) keeps the filters its client subscribed to
 * and the rules allowed (the MOSQ_ACL_SUBSCRIBE check, acl.c): a refused
 * subscription is not a filter. An UNSUBSCRIBE (the MOSQ_ACL_UNSUBSCRIBE
 * check, which Mosquitto 2.0 makes for every filter of the packet) removes
 * it. Each change is reported at once on the events channel ("subscribed" /
 * "unsubscribed" with the session id and the filter as the broker knows it),
 * batched with the session events, so the service knows presence without
 * asking the broker. A repeated subscription is not reported again; an
 * unsubscribe of a filter the session does not hold is not reported. At most
 * CS_MAX_SESSION_FILTERS filters are kept per session (logged once): the
 * broker keeps the subscription, presence does not show it. A session's
 * filters end with it at the service (the "disconnected" report).
 *
 * Persistent sessions (MQTT 5 with a session expiry, MQTT 3.1.1 with
 * clean_session=0): Mosquitto keeps their subscriptions while the client is
 * away and hands them to the next connection of the client id unless it
 * starts clean (sessionPresent=1); the client does not subscribe again. So
 * when a session ends and its client entry stays (offline, clients.c) the
 * entry keeps the session's filters, and a takeover without a clean start
 * takes those of the live session it replaces. The next session of that
 * client id gets them when its CONNECT does not start clean, and reports
 * each as "subscribed" for its own session id once the broker shows it
 * resumed the session (see "persistent sessions" below); a clean start, an
 * expired session or an MQTT 5 session with expiry 0 carries nothing over.
 * Bounds: at most CS_MAX_SESSION_FILTERS per entry, as per session, and an
 * offline entry forgotten past CS_MAX_OFFLINE_CLIENTS (clients.c) takes its
 * filters along. A broker restart: Mosquitto restores persistent sessions
 * from its persistence file, but the plugin keeps no offline entries across
 * restarts (the state file holds principals and organization limits only),
 * and the service ends every session at broker_started; a client that
 * resumes its session after a restart without subscribing again is present
 * with no filters, though the broker delivers to it, until it subscribes.
 *
 * Shared subscriptions: "$share/GROUP/FILTER" is decided as FILTER (acl.c)
 * when GROUP is one non-empty level without wildcards and FILTER does not
 * start with '$'. Mosquitto keys shared groups by GROUP and FILTER, and in
 * multi tenancy FILTER starts with the organization's prefix, so groups of
 * the same name in different organizations never share messages.
 */
#include <string.h>

#include "cloudsignal.h"

#define CS_SHARE_PREFIX "$share/"

/* The FILTER of "$share/GROUP/FILTER", or NULL for anything else. */
const char *cs_presence__shared_filter(const char *topic)
{
	const char *group, *slash;

	if(topic == NULL || strncmp(topic, CS_SHARE_PREFIX, strlen(CS_SHARE_PREFIX))) return NULL;
	group = topic + strlen(CS_SHARE_PREFIX);
	slash = strchr(group, '/');
	if(slash == NULL || slash == group) return NULL;
	if(memchr(group, '+', (size_t)(slash - group)) || memchr(group, '#', (size_t)(slash - group))) return NULL;
	if(slash[1] == '\0' || slash[1] == '$') return NULL;
	if(!cs_topic__valid_filter(slash + 1)) return NULL;
	return slash + 1;
}

static int cs_presence__index(const struct cs_session *s, const char *filter)
{
	for(int i = 0; i < s->filter_count; i++){
		if(!strcmp(s->filters[i], filter)) return i;
	}
	return -1;
}

static void cs_presence__report(struct cs_plugin *cs, const struct cs_session *s, const char *filter, bool subscribed)
{
	if(cs_events__filter(&cs->events, s, filter, subscribed) != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot queue a subscription report of session %s: out of memory",
				s->session_id);
	}
}

/* ---- persistent sessions ----------------------------------------------------
 *
 * Mosquitto 2.0.11 resumes a session in connect__on_authorised(), right
 * after the new client's BASIC_AUTH: when the CONNECT does not start clean
 * and the client id's old context lives on with a session expiry, it moves
 * that context's subscriptions to the new client (sessionPresent=1);
 * otherwise the new client starts with none (a clean start discards them,
 * an expired session or an MQTT 5 one with expiry 0 is gone). The plugin
 * API does not say which happened, but mosquitto_client_sub_count() does
 * once it has: the new client holds subscriptions right after its CONNECT
 * only if they were moved to it. So the filters of the previous session
 * (kept with its offline entry, clients.c, or taken from the live session
 * a takeover replaces) are handed to the new session unreported, and
 * settled at the first of: the TICK that ends this loop iteration, an ACL
 * check of a (un)subscription by the client (made before the broker changes
 * its subscriptions), its DISCONNECT. Held subscriptions: the filters are
 * reported "subscribed" for the new session; none: they are dropped. */

void cs_presence__free(char **filters, int count)
{
	for(int i = 0; i < count; i++) mosquitto_free(filters[i]);
	mosquitto_free(filters);
}

static void cs_presence__settle(struct cs_plugin *cs, struct cs_session *s)
{
	if(!s->resume_pending) return;
	s->resume_pending = false;
	if(mosquitto_client_sub_count(s->client) > 0){
		for(int i = 0; i < s->filter_count; i++) cs_presence__report(cs, s, s->filters[i], true);
		return;
	}
	cs_presence__free(s->filters, s->filter_count);
	s->filters = NULL;
	s->filter_count = 0;
	s->filters_full = false;
}

/* Take the filters of client's session (settled first) into *filters,
 * freeing what *filters held. None without a session. */
void cs_presence__keep(struct cs_plugin *cs, const struct mosquitto *client, char ***filters, int *count)
{
	struct cs_session *s = cs_sessions__find(cs, client);

	cs_presence__free(*filters, *count);
	*filters = NULL;
	*count = 0;
	if(s == NULL) return;
	cs_presence__settle(cs, s);
	*filters = s->filters;
	*count = s->filter_count;
	s->filters = NULL;
	s->filter_count = 0;
	s->filters_full = false;
}

/* Hand the previous session's filters to client's new session (taken:
 * *filters is emptied in every case), to be settled later. */
void cs_presence__resume(struct cs_plugin *cs, const struct mosquitto *client, char ***filters, int *count)
{
	struct cs_session *s = cs_sessions__find(cs, client);
	const struct mosquitto **grown;

	if(*count == 0 || s == NULL || s->filter_count || s->resume_pending) goto drop;
	if(cs->resume_count == cs->resume_cap){
		int cap = cs->resume_cap ? cs->resume_cap * 2 : 16;

		grown = mosquitto_realloc(cs->resumes, sizeof(*grown) * (size_t)cap);
		if(grown == NULL){
			mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot keep the filters of resumed session %s: out of memory",
					s->session_id);
			goto drop;
		}
		cs->resumes = grown;
		cs->resume_cap = cap;
	}
	cs->resumes[cs->resume_count++] = client;
	s->filters = *filters;
	s->filter_count = *count;
	s->filters_full = *count >= CS_MAX_SESSION_FILTERS;
	s->resume_pending = true;
	*filters = NULL;
	*count = 0;
	return;

drop:
	cs_presence__free(*filters, *count);
	*filters = NULL;
	*count = 0;
}

/* TICK: settle the resumes of this loop iteration. Their clients are alive:
 * a session is open until its DISCONNECT, and the broker frees a client
 * only at the start of the next iteration. */
void cs_presence__tick(struct cs_plugin *cs)
{
	for(int i = 0; i < cs->resume_count; i++){
		struct cs_session *s = cs_sessions__find(cs, cs->resumes[i]);

		if(s) cs_presence__settle(cs, s);
	}
	cs->resume_count = 0;
}

void cs_presence__cleanup(struct cs_plugin *cs)
{
	mosquitto_free(cs->resumes);
	cs->resumes = NULL;
	cs->resume_count = cs->resume_cap = 0;
}

/* ---- subscriptions ------------------------------------------------------ */

/* A subscription the rules allowed. */
void cs_presence__subscribed(struct cs_plugin *cs, const struct mosquitto *client, const char *filter)
{
	struct cs_session *s = cs_sessions__find(cs, client);
	char **grown;
	char *copy;

	if(s == NULL || filter == NULL) return;
	cs_presence__settle(cs, s);
	if(cs_presence__index(s, filter) >= 0) return;
	if(s->filter_count >= CS_MAX_SESSION_FILTERS){
		if(!s->filters_full){
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: session %s holds %d filters: presence shows no more of them",
					s->session_id, CS_MAX_SESSION_FILTERS);
			s->filters_full = true;
		}
		return;
	}
	copy = mosquitto_strdup(filter);
	grown = copy ? mosquitto_malloc(sizeof(char *) * (size_t)(s->filter_count + 1)) : NULL;
	if(grown == NULL){
		mosquitto_free(copy);
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot keep a filter of session %s: out of memory", s->session_id);
		return;
	}
	/* A session holds few filters: copying beats realloc's bookkeeping. */
	if(s->filter_count) memcpy(grown, s->filters, sizeof(char *) * (size_t)s->filter_count);
	mosquitto_free(s->filters);
	s->filters = grown;
	s->filters[s->filter_count++] = copy;
	cs_presence__report(cs, s, filter, true);
}

void cs_presence__unsubscribed(struct cs_plugin *cs, const struct mosquitto *client, const char *filter)
{
	struct cs_session *s = cs_sessions__find(cs, client);
	int i;

	if(s == NULL || filter == NULL) return;
	cs_presence__settle(cs, s);
	i = cs_presence__index(s, filter);
	if(i < 0) return;
	mosquitto_free(s->filters[i]);
	s->filters[i] = s->filters[--s->filter_count];
	cs_presence__report(cs, s, filter, false);
}
