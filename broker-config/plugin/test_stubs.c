/* test_stubs.c - stand-ins for the broker functions the plugin calls. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

char test_last_log[1024];
int test_last_log_level;
char test_last_kick_id[256];
char test_last_kick_user[256];
int test_kick_count;
int test_kicks_with_will;
char *test_last_publish;
char test_last_publish_topic[128];
long test_alloc_outstanding;
long test_fail_alloc_after = -1;
int test_registered;
char test_log_all[16384];
void (*test_kick_hook)(const char *clientid, const char *username);

static bool test_alloc_allowed(void)
{
	if(test_fail_alloc_after < 0) return true;
	if(test_fail_alloc_after == 0) return false;
	test_fail_alloc_after--;
	return true;
}

void *mosquitto_calloc(size_t nmemb, size_t size)
{
	void *p = test_alloc_allowed() ? calloc(nmemb, size) : NULL;
	if(p) test_alloc_outstanding++;
	return p;
}

void *mosquitto_malloc(size_t size)
{
	void *p = test_alloc_allowed() ? malloc(size) : NULL;
	if(p) test_alloc_outstanding++;
	return p;
}

void *mosquitto_realloc(void *ptr, size_t size)
{
	void *p = test_alloc_allowed() ? realloc(ptr, size) : NULL;
	if(p && ptr == NULL) test_alloc_outstanding++;
	return p;
}

char *mosquitto_strdup(const char *s)
{
	char *p = test_alloc_allowed() ? strdup(s) : NULL;
	if(p) test_alloc_outstanding++;
	return p;
}

void mosquitto_free(void *mem)
{
	if(mem) test_alloc_outstanding--;
	free(mem);
}

void mosquitto_log_printf(int level, const char *fmt, ...)
{
	va_list va;

	va_start(va, fmt);
	vsnprintf(test_last_log, sizeof(test_last_log), fmt, va);
	va_end(va);
	test_last_log_level = level;
	if(strlen(test_log_all) + strlen(test_last_log) + 2 < sizeof(test_log_all)){
		strcat(test_log_all, test_last_log);
		strcat(test_log_all, "\n");
	}
	if(getenv("TEST_VERBOSE")) fprintf(stderr, "log %d: %s\n", level, test_last_log);
}

const char *mosquitto_client_id(const struct mosquitto *client) { return client->id; }
const char *mosquitto_client_username(const struct mosquitto *client) { return client->username; }
const char *mosquitto_client_address(const struct mosquitto *client) { return client->address; }
bool mosquitto_client_clean_session(const struct mosquitto *client) { return client->clean; }
int mosquitto_client_protocol_version(const struct mosquitto *client) { return client->proto_ver; }

/* The broker's per-client subscription count, set by the tests. */
#define TEST_SUB_COUNTS 32
static struct { const struct mosquitto *client; int count; } test_sub_counts[TEST_SUB_COUNTS];

void test_clear_sub_counts(void)
{
	memset(test_sub_counts, 0, sizeof(test_sub_counts));
}

void test_set_sub_count(const struct mosquitto *client, int count)
{
	for(int i = 0; i < TEST_SUB_COUNTS; i++){
		if(test_sub_counts[i].client == client || test_sub_counts[i].client == NULL){
			test_sub_counts[i].client = client;
			test_sub_counts[i].count = count;
			return;
		}
	}
	abort();
}

int mosquitto_client_sub_count(const struct mosquitto *client)
{
	for(int i = 0; i < TEST_SUB_COUNTS; i++){
		if(test_sub_counts[i].client == client) return test_sub_counts[i].count;
	}
	return 0;
}

int mosquitto_kick_client_by_clientid(const char *clientid, bool with_will)
{
	if(with_will) test_kicks_with_will++;
	if(clientid == NULL) abort(); /* would kick everybody */
	snprintf(test_last_kick_id, sizeof(test_last_kick_id), "%s", clientid);
	test_kick_count++;
	if(test_kick_hook) test_kick_hook(clientid, NULL);
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_kick_client_by_username(const char *username, bool with_will)
{
	if(with_will) test_kicks_with_will++;
	if(username == NULL) abort();
	snprintf(test_last_kick_user, sizeof(test_last_kick_user), "%s", username);
	test_kick_count++;
	if(test_kick_hook) test_kick_hook(NULL, username);
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_broker_publish_copy(const char *clientid, const char *topic, int payloadlen,
		const void *payload, int qos, bool retain, mosquitto_property *properties)
{
	(void)clientid; (void)qos; (void)retain; (void)properties;
	free(test_last_publish);
	test_last_publish = malloc((size_t)payloadlen + 1);
	if(test_last_publish == NULL) abort();
	memcpy(test_last_publish, payload, (size_t)payloadlen);
	test_last_publish[payloadlen] = '\0';
	snprintf(test_last_publish_topic, sizeof(test_last_publish_topic), "%s", topic);
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_callback_register(mosquitto_plugin_id_t *identifier, int event,
		MOSQ_FUNC_generic_callback cb_func, const void *event_data, void *userdata)
{
	(void)identifier; (void)event; (void)cb_func; (void)event_data; (void)userdata;
	test_registered++;
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_callback_unregister(mosquitto_plugin_id_t *identifier, int event,
		MOSQ_FUNC_generic_callback cb_func, const void *event_data)
{
	(void)identifier; (void)event; (void)cb_func; (void)event_data;
	test_registered--;
	return MOSQ_ERR_SUCCESS;
}
