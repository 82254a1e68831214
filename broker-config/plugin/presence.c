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
 * broker keeps the subscription, presence does not show it. A session ends
 * with its filters (the "disconnected" report ends them at the service); a
 * broker restart ends every session (broker_restart) and clients subscribe
 * anew.
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

/* A subscription the rules allowed. */
void cs_presence__subscribed(struct cs_plugin *cs, const struct mosquitto *client, const char *filter)
{
	struct cs_session *s = cs_sessions__find(cs, client);
	char **grown;
	char *copy;

	if(s == NULL || filter == NULL || cs_presence__index(s, filter) >= 0) return;
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
	i = cs_presence__index(s, filter);
	if(i < 0) return;
	mosquitto_free(s->filters[i]);
	s->filters[i] = s->filters[--s->filter_count];
	cs_presence__report(cs, s, filter, false);
}
