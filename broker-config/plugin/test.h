/* test.h - tiny test runner shared by the C unit tests. */
#ifndef CS_TEST_H
#define CS_TEST_H

#include <stdbool.h>
#include <stdio.h>

#include "cloudsignal.h"

extern int cs_test_passed;
extern int cs_test_failed;

#define CHECK(cond) do{ \
	if(cond){ cs_test_passed++; } \
	else{ cs_test_failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
}while(0)

/* The broker's struct mosquitto is opaque to the plugin; tests fake it. */
struct mosquitto {
	const char *id;
	const char *username;
	const char *address;
	int proto_ver;
	bool clean;
};

/* Observations recorded by test_stubs.c. */
extern char test_last_log[1024];
extern int test_last_log_level;
extern char test_last_kick_id[256];
extern char test_last_kick_user[256];
extern int test_kick_count;
extern int test_kicks_with_will;       /* kicks asking the broker to send the will */
extern char *test_last_publish;        /* payload copy, NUL-terminated */
extern char test_last_publish_topic[128];
extern long test_alloc_outstanding;    /* mosquitto_* allocations not freed */
extern long test_fail_alloc_after;     /* -1: never; n: the (n+1)th allocation fails */
extern int test_registered;
extern char test_log_all[16384];       /* every log line since the last reset, '\n'-separated */
/* Called by the kick stubs, like the broker's synchronous MOSQ_EVT_DISCONNECT. */
extern void (*test_kick_hook)(const char *clientid, const char *username);

/* mosquitto_client_sub_count of a fake client (0 unless set; th_start clears). */
void test_set_sub_count(const struct mosquitto *client, int count);
void test_clear_sub_counts(void);

void test_plugin__run(void);
void test_events__run(void);
void test_orgs__run(void);
void test_will__run(void);
void test_principals__run(void);
void test_presence__run(void);

#endif
