/*
 * acl.c - the MOSQ_EVT_ACL_CHECK callback (rule lists: rules.c). Every
 * decision is taken here from the client's stored state: no HTTP, no
 * cached denials.
 * A publish the rules allow is then counted against the message quota of
 * the client's organization (orgs.c). So is a will: the broker checks it
 * as a write of its client after that client's entry has departed
 * (clients.c), and the departed entry answers it. The internal user (the
 * service's HTTP publishes) may do anything; its publishes count against
 * the organization that owns the topic (cs_orgs__of_topic, orgs.c).
 */
#include <string.h>
#include <time.h>

#include "cloudsignal.h"

/* A check of the internal user's own connection (not its will, which is
 * never limited): a write is counted against the topic's owner; HTTP
 * publishes with retain, and the service's clears of retained messages,
 * keep the retained table. */
static int cs_acl__internal_write(struct cs_plugin *cs, const struct mosquitto_evt_acl_check *ed)
{
	char buf[CS_MAX_ORG_ID_LEN + 1];
	const char *org_id;
	int rc;

	if(ed->access != MOSQ_ACL_WRITE) return MOSQ_ERR_SUCCESS;
	org_id = cs_orgs__of_topic(cs, ed->topic, buf, sizeof(buf));
	if(org_id == NULL) return MOSQ_ERR_SUCCESS;
	if(ed->retain && (rc = cs_retained__check(cs, org_id, ed->topic, ed->payloadlen)) != MOSQ_ERR_SUCCESS) return rc;
	rc = cs_orgs__count_org_publish(cs, org_id);
	if(rc == MOSQ_ERR_SUCCESS && ed->retain) cs_retained__record(cs, org_id, ed->topic, ed->payloadlen, ed->qos);
	return rc;
}

int cs_acl__check_cb(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	struct cs_plugin *cs = userdata;
	struct cs_client *entry, *departed = NULL;
	const char *clientid;
	bool allowed;

	(void)event;
	/* Unsubscribing never grants anything; it ends a filter of the session's presence. */
	if(ed->access == MOSQ_ACL_UNSUBSCRIBE){
		if(ed->topic) cs_presence__unsubscribed(cs, ed->client, ed->topic);
		return MOSQ_ERR_SUCCESS;
	}

	clientid = mosquitto_client_id(ed->client);
	if(clientid == NULL || ed->topic == NULL) return MOSQ_ERR_ACL_DENIED;
	entry = cs_clients__find(cs, clientid);
	if(entry == NULL || entry->client != ed->client){
		/* The will of a clean-session client that has just disconnected or
		 * been taken over: checked against its own departed entry. */
		departed = ed->access == MOSQ_ACL_WRITE ? cs_clients__find_departed(cs, ed->client) : NULL;
		if(departed){
			entry = departed;
		}else if(entry == NULL){
			return MOSQ_ERR_ACL_DENIED;
		}else if(ed->access != MOSQ_ACL_READ || !cs_clients__may_persist(ed->client)){
			/* The entry belongs to another connection with this id. Only
			 * deliveries to a session that outlived its connection may use it. */
			return MOSQ_ERR_ACL_DENIED;
		}
	}

	if(entry->is_internal) return departed ? MOSQ_ERR_SUCCESS : cs_acl__internal_write(cs, ed);
	if(entry->expire_at != 0 && time(NULL) >= entry->expire_at) return MOSQ_ERR_ACL_DENIED;
	/* $SYS, $CONTROL and anything else starting with '$' are for superusers
	 * only, but for a subscription "$share/GROUP/FILTER", decided as FILTER
	 * (in multi tenancy FILTER carries the organization's prefix, as the
	 * rules do, so groups of different organizations never meet). */
	if(ed->topic[0] == '$'){
		const char *shared = ed->access == MOSQ_ACL_SUBSCRIBE ? cs_presence__shared_filter(ed->topic) : NULL;

		allowed = entry->is_superuser || (shared && cs_topic__evaluate(&entry->rules, ed->access, shared));
	}else{
		allowed = entry->is_superuser || cs_topic__evaluate(&entry->rules, ed->access, ed->topic);
	}
	if(!allowed) return MOSQ_ERR_ACL_DENIED;
	/* The client's own publish or will (the entry's connection, checked above):
	 * no payload past the payload quota, and a retained one may not add a
	 * topic past the retained quota. */
	if(ed->access == MOSQ_ACL_WRITE){
		const char *org_id = cs_orgs__of(entry->username);
		int rc;

		if((rc = cs_orgs__check_payload(cs, org_id, ed->payloadlen)) != MOSQ_ERR_SUCCESS) return rc;
		if(ed->retain && (rc = cs_retained__check(cs, org_id, ed->topic, ed->payloadlen)) != MOSQ_ERR_SUCCESS) return rc;
		rc = cs_orgs__count_publish(cs, entry->username);
		if(rc == MOSQ_ERR_SUCCESS && ed->retain) cs_retained__record(cs, org_id, ed->topic, ed->payloadlen, ed->qos);
		return rc;
	}
	/* A subscription the rules allow: a filter of the session's presence. */
	if(ed->access == MOSQ_ACL_SUBSCRIBE) cs_presence__subscribed(cs, ed->client, ed->topic);
	return MOSQ_ERR_SUCCESS;
}
