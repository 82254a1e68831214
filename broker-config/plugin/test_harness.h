/* test_harness.h - one fake broker around the plugin's callbacks, and one
 * fake CloudSignal service, for the C unit tests (test_harness.c).
 *
 * The fake broker follows Mosquitto 2.0.11: a kick fires the kicked
 * client's MOSQ_EVT_DISCONNECT inside the call (test_kick_hook); a CONNECT
 * that takes over a live client id checks the old client's will after the
 * new client's BASIC_AUTH, then fires the old client's DISCONNECT
 * (connect__on_authorised); every loop iteration ends with a TICK. */
#ifndef CS_TEST_HARNESS_H
#define CS_TEST_HARNESS_H

#include <pthread.h>

#include "test.h"

#define OPT(k, v) { (char *)(k), (char *)(v) }
#define TH_LIVE_MAX 32
#define TH_NOT_CHECKED (-1)

extern struct cs_plugin *g_cs;                 /* the running plugin */
extern struct mosquitto *th_live[TH_LIVE_MAX]; /* connected fake clients */

/* Plugin init with these options: the result; on success g_cs is the
 * plugin, running as the broker would start it (sender, sync thread). */
int th_init(struct mosquitto_opt *opts, int n);
/* Plugin init and, if it worked, cleanup at once: the init's result. */
int th_init_rc(struct mosquitto_opt *opts, int n);
/* Plugin init with this service URL, timeout and state file (NULL: none);
 * the event sender and the sync thread are stopped at once (events stay
 * queued, no background calls); the live table starts empty and kicks
 * disconnect live clients. */
void th_start(const char *url, const char *timeout_ms, const char *state_file);
void th_stop(void);

void th_live_add(struct mosquitto *c);
void th_live_drop(struct mosquitto *c);
/* MOSQ_EVT_DISCONNECT (connection lost, clean DISCONNECT or kick). */
void th_disconnect(struct mosquitto *c);
/* MOSQ_EVT_BASIC_AUTH alone: no takeover, the client is not made live. */
int th_auth(struct mosquitto *c, const char *password);
/* A CONNECT: BASIC_AUTH, then a live client with the same id is taken
 * over (its will old_will, if not NULL, checked first: result in
 * *old_will_rc, else TH_NOT_CHECKED) and this client is live. */
int th_connect_will(struct mosquitto *c, const char *password, const char *old_will, int *old_will_rc);
int th_connect(struct mosquitto *c, const char *password);
/* MOSQ_EVT_ACL_CHECK at QoS 1. */
int th_check(struct mosquitto *c, int access, const char *topic, bool retain, uint32_t payloadlen);
int th_acl(struct mosquitto *c, int access, const char *topic);
int th_publish(struct mosquitto *c, const char *topic);
/* MOSQ_EVT_CONTROL: client c publishes payload to $CONTROL/cloudsignal/v1. */
int th_control_msg(struct mosquitto *c, const char *payload);
void th_tick(void);

/* A login the service admitted: password, superuser, expiry, rules (JSON
 * list or NULL for none), as the authenticate reply would store it. */
int th_cache(const char *user, const char *password, bool su, time_t expire_at, const char *rules_json);
/* One $CONTROL payload (NULL: none) through the handler: the parsed
 * reply, NULL if there is none (cJSON_Delete it). */
cJSON *th_control(const char *payload);
/* Its number of responses; is response i ok; the error of a failed
 * response i (NULL if it is ok, absent or has no error message). */
int th_responses(const cJSON *reply);
bool th_response_ok(const cJSON *reply, int i);
const char *th_response_error(const cJSON *reply, int i);
/* One $CONTROL payload: true when every command answered ok. */
bool th_control_ok(const char *payload);
/* The error of the only command of payload, or "" (static buffer). */
const char *th_control_error(const char *payload);
/* Queued session events/reports containing needle (the sender is stopped). */
int th_queued(const char *needle);
/* Log lines since the last reset containing needle. */
int th_count_in_log(const char *needle);

/* A fake service on a loopback port: /internal/broker/authenticate answers
 * 200 with auth_reply, /internal/broker/sync 200 with sync_reply, anything
 * else (events) 204; the last request of any kind is kept whole (request
 * line, headers, body). Fields are shared with its thread: take the lock. */
struct th_service {
	int fd;
	pthread_t thread;
	pthread_mutex_t lock;
	char auth_reply[2048];
	char sync_reply[4096];
	int auth_requests;
	int sync_requests;
	int other_requests;             /* events */
	char last_auth[4096];           /* request bodies */
	char last_sync[1024];
	char last_request[8192];        /* the whole last request */
};
extern struct th_service th_svc;

void th_service_start(char *url, size_t urllen);
void th_service_auth_reply(const char *json);
void th_service_sync_reply(const char *json);
int th_service_auth_requests(void);
void th_service_stop(void);

#endif
