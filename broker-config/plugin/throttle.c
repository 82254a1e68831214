/*
 * throttle.c - wrong passwords are throttled in the broker, per username
 * and per source address (docs/broker-protocol.md, "Throttle").
 *
 * Each CONNECT the service refuses (deny/ignore; not an unreachable
 * service, not a quota) counts against the username's and the address's
 * record. From the CS_THROTTLE_FREE-th refusal on, the record is blocked
 * for a backoff of CS_THROTTLE_MIN_MS doubling with each further refusal up
 * to CS_THROTTLE_MAX_MS. While either record of a CONNECT is blocked, auth.c
 * decides it in the broker only: a matching confirmed verifier still
 * admits, anything else is refused without an HTTP call (those refusals do
 * not extend the backoff). Any admission resets the username's record; the
 * address's record only ages out.
 *
 * The table is bounded: records idle for CS_THROTTLE_FORGET_MS are dropped
 * at TICK, and past CS_THROTTLE_MAX records the least recently refused one
 * makes room (records move to the tail of uthash's insertion order on each
 * refusal, so the head is the oldest). Times come from cs->now_ms.
 */
#include <stdio.h>
#include <string.h>

#include "cloudsignal.h"

static void cs_throttle__remove(struct cs_plugin *cs, struct cs_throttle *t)
{
	HASH_DELETE(hh, cs->throttle, t);
	mosquitto_free(t->key);
	mosquitto_free(t);
	cs->throttle_count--;
}

/* The record of kind 'u' (username) or 'a' (address), or NULL. */
struct cs_throttle *cs_throttle__find(struct cs_plugin *cs, char kind, const char *name)
{
	struct cs_throttle *t = NULL;
	char small[256];
	size_t len;

	if(name == NULL) return NULL;
	len = strlen(name) + 2;
	if(len < sizeof(small)){
		small[0] = kind;
		small[1] = ':';
		memcpy(small + 2, name, len - 1);
		HASH_FIND(hh, cs->throttle, small, len, t);
		return t;
	}else{
		char *key = mosquitto_malloc(len + 1);

		if(key == NULL) return NULL;
		snprintf(key, len + 1, "%c:%s", kind, name);
		HASH_FIND(hh, cs->throttle, key, len, t);
		mosquitto_free(key);
		return t;
	}
}

static bool cs_throttle__is_blocked(const struct cs_throttle *t, int64_t now)
{
	return t && t->refusals >= CS_THROTTLE_FREE && now < t->blocked_until_ms;
}

bool cs_throttle__blocked(struct cs_plugin *cs, const char *username, const char *address)
{
	int64_t now = cs->now_ms();

	return cs_throttle__is_blocked(cs_throttle__find(cs, 'u', username), now)
		|| cs_throttle__is_blocked(cs_throttle__find(cs, 'a', address), now);
}

static void cs_throttle__count(struct cs_plugin *cs, char kind, const char *name, int64_t now)
{
	struct cs_throttle *t = cs_throttle__find(cs, kind, name);
	size_t len;

	if(t){
		/* Move to the tail: the head stays the least recently refused. */
		HASH_DELETE(hh, cs->throttle, t);
		cs->throttle_count--;
	}else{
		if(cs->throttle_count >= CS_THROTTLE_MAX && cs->throttle){
			cs_throttle__remove(cs, cs->throttle);
		}
		len = strlen(name) + 3;
		t = mosquitto_calloc(1, sizeof(struct cs_throttle));
		if(t == NULL) return;
		t->key = mosquitto_malloc(len);
		if(t->key == NULL){
			mosquitto_free(t);
			return;
		}
		snprintf(t->key, len, "%c:%s", kind, name);
	}
	if(t->refusals < 64) t->refusals++;
	t->last_ms = now;
	if(t->refusals >= CS_THROTTLE_FREE){
		unsigned doublings = t->refusals - CS_THROTTLE_FREE;
		int64_t backoff = CS_THROTTLE_MIN_MS;

		while(doublings-- > 0 && backoff < CS_THROTTLE_MAX_MS) backoff *= 2;
		if(backoff > CS_THROTTLE_MAX_MS) backoff = CS_THROTTLE_MAX_MS;
		t->blocked_until_ms = now + backoff;
	}
	HASH_ADD_KEYPTR(hh, cs->throttle, t->key, strlen(t->key), t);
	if(t->hh.tbl == NULL){
		mosquitto_free(t->key);
		mosquitto_free(t);
		return;
	}
	cs->throttle_count++;
}

/* The service refused a CONNECT of username from address (may be NULL). */
void cs_throttle__refused(struct cs_plugin *cs, const char *username, const char *address)
{
	int64_t now = cs->now_ms();

	if(username) cs_throttle__count(cs, 'u', username, now);
	if(address) cs_throttle__count(cs, 'a', address, now);
}

void cs_throttle__admitted(struct cs_plugin *cs, const char *username)
{
	struct cs_throttle *t = cs_throttle__find(cs, 'u', username);

	if(t) cs_throttle__remove(cs, t);
}

/* TICK: forget records idle for CS_THROTTLE_FORGET_MS (and not blocked). */
void cs_throttle__expire(struct cs_plugin *cs)
{
	struct cs_throttle *t, *tmp;
	int64_t now = cs->now_ms();

	HASH_ITER(hh, cs->throttle, t, tmp){
		if(now - t->last_ms >= CS_THROTTLE_FORGET_MS && now >= t->blocked_until_ms){
			cs_throttle__remove(cs, t);
		}
	}
}

void cs_throttle__cleanup(struct cs_plugin *cs)
{
	struct cs_throttle *t, *tmp;

	HASH_ITER(hh, cs->throttle, t, tmp){
		cs_throttle__remove(cs, t);
	}
}
