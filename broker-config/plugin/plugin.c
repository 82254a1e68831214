/*
 * CloudSignal auth/ACL plugin for Mosquitto 2.0 (plugin interface v5).
 *
 * Purpose: authenticate MQTT CONNECTs, from the principal store when it
 * can (verifiers, rules, expiry: principals.c, kept current by
 * POST {service_url}/internal/broker/sync in the background, sync.c, and
 * across restarts in the state file), otherwise against the CloudSignal
 * service (POST {service_url}/internal/broker/authenticate); throttle
 * wrong passwords (throttle.c); keep each client's
 * ordered ACL rules in memory and decide every ACL check locally, accept
 * management commands on $CONTROL/cloudsignal/v1 from the internal user,
 * check Last Will messages against their client's own rules (clients.c),
 * enforce per-organization limits (connection and message quotas, no client
 * id takeover across organizations; orgs.c), and kick clients whose
 * credentials expire. Fails closed: if the service
 * cannot be reached, new CONNECTs are refused unless the store admits them.
 * Session events (broker started, client connected, disconnected with a
 * reason) and reports (stats, quota_refused) are POSTed to
 * {service_url}/internal/broker/events in batches by a background thread
 * (events.c); the broker loop never waits for them. The contract with the
 * service is docs/broker-protocol.md.
 *
 * Build:
 *   gcc -std=gnu11 -Wall -Wextra -Werror -O2 -fPIC -shared -o cloudsignal_auth.so \
 *       util.c plugin.c auth.c principals.c sync.c throttle.c rules.c acl.c control.c \
 *       clients.c sessions.c orgs.c presence.c retained.c events.c http.c topic.c \
 *       $(pkg-config --cflags --libs libcurl libcjson) -lcrypto -pthread
 *   (or simply: make; make test)
 *
 * mosquitto.conf:
 *   per_listener_settings false
 *   allow_anonymous false
 *   plugin /path/to/cloudsignal_auth.so
 *   plugin_opt_service_url http://127.0.0.1:8080      # required
 *   plugin_opt_broker_secret_file /etc/mosquitto/cloudsignal.secret
 *                                   # or plugin_opt_broker_secret <secret>
 *   plugin_opt_internal_username cloudsignal-internal  # default
 *   plugin_opt_timeout_ms 2000                         # default; per auth call, per
 *                                                      # events POST, and the last
 *                                                      # events flush at shutdown
 *   plugin_opt_cache_ttl 300                           # seconds, 0 = no local decisions
 *   plugin_opt_state_file /var/lib/mosquitto/cloudsignal-state.json
 *                                   # absent = the store is not kept across restarts
 *   plugin_opt_sync_interval_ms 1000                   # default; background sync period
 *   plugin_opt_listen_backlog 4096                     # default; 0 = Mosquitto's own (100)
 *
 * listen_backlog: Mosquitto 2.0 listens with a backlog of 100, hard-coded.
 * When every device reconnects at once (a network blip, a load balancer
 * restart) thousands of SYNs arrive within a few hundred ms; past 100
 * waiting connections the kernel drops them, and each dropped client
 * retries only after TCP's fixed SYN/data retransmission timers (1, 3, 7,
 * 15 s...), all in step, so the herd overflows the queue again at each
 * retry. At the first TICK (the listeners exist then; plugin init runs
 * before they open) the plugin calls listen() again on each of the
 * process's listening sockets with this backlog (Linux raises the queue of
 * a listening socket in place; the kernel caps it at net.core.somaxconn).
 *
 * cache_ttl: 0 disables local decisions (every CONNECT but the internal
 * user's calls the service; nothing is stored). Otherwise principals no
 * longer expire by age, since sync keeps them current: a principal admits
 * locally while its last confirmation (allow reply, $CONTROL command, or a
 * complete sync) is younger than cache_ttl seconds. With the sync working
 * that is always; if the service stays unreachable longer, CONNECTs become
 * misses again and fail closed. Principals loaded from the state file admit
 * only after a complete sync (the initial one runs in plugin init, before
 * the listeners open, bounded by timeout_ms).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "cloudsignal.h"

#define CS_DEFAULT_INTERNAL_USER "cloudsignal-internal"
#define CS_DEFAULT_TIMEOUT_MS    2000
#define CS_DEFAULT_CACHE_TTL     300
#define CS_MAX_TIMEOUT_MS        60000
#define CS_MAX_CACHE_TTL         (30L * 24 * 3600)
#define CS_DEFAULT_SYNC_INTERVAL_MS 1000
#define CS_MIN_SYNC_INTERVAL_MS  100
#define CS_MAX_SYNC_INTERVAL_MS  3600000
#define CS_DEFAULT_LISTEN_BACKLOG 4096
#define CS_MAX_LISTEN_BACKLOG    65535

#define CS_REG_BASIC_AUTH (1u << 0)
#define CS_REG_ACL_CHECK  (1u << 1)
#define CS_REG_CONTROL    (1u << 2)
#define CS_REG_DISCONNECT (1u << 3)
#define CS_REG_TICK       (1u << 4)

/* Every TICK: log what the event sender and the sync thread recorded,
 * apply a sync reply, forget the departed client (its will, if any, has
 * been checked: clients.c). At most once a second: kick expired clients,
 * drop expired principals and idle throttle records, send due reports,
 * save the state file when due. */
int cs_plugin__tick_cb(int event, void *event_data, void *userdata)
{
	struct cs_plugin *cs = userdata;
	int64_t now_ms = cs_util__now_ms();
	time_t now;

	(void)event;
	(void)event_data;
	cs_events__tick(&cs->events);
	cs_sync__tick(cs);
	cs_clients__forget_departed(cs);
	cs_presence__tick(cs);
	if(!cs->backlog_widened){
		int widened;

		cs->backlog_widened = true;
		if(cs->listen_backlog > 0){
			widened = cs_plugin__widen_listeners(cs->listen_backlog);
			mosquitto_log_printf(widened < 0 ? MOSQ_LOG_WARNING : MOSQ_LOG_NOTICE,
					"cloudsignal: listen backlog %ld on %d listening sockets%s", cs->listen_backlog,
					widened < 0 ? 0 : widened, widened < 0 ? ": cannot list this process's sockets" : "");
		}
	}
	if(cs->last_tick_ms != 0 && now_ms - cs->last_tick_ms < 1000) return MOSQ_ERR_SUCCESS;
	cs->last_tick_ms = now_ms;
	now = time(NULL);
	cs_clients__expire(cs, now);
	cs_principals__expire(cs, now);
	cs_throttle__expire(cs);
	cs_orgs__tick(cs);
	cs_events__report_stats(cs, false);
	cs_principals__tick(cs);
	return MOSQ_ERR_SUCCESS;
}

/* listen(fd, backlog) again on every listening stream socket of this
 * process (Mosquitto's listeners, websockets included); returns how many,
 * or -1 when the process's descriptors cannot be listed. Sockets of the
 * plugin's own threads (libcurl clients) never listen. */
int cs_plugin__widen_listeners(long backlog)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;
	int count = 0;

	if(dir == NULL) return -1;
	while((d = readdir(dir)) != NULL){
		char *end = NULL;
		long fd = strtol(d->d_name, &end, 10);
		int listening = 0, type = 0;
		socklen_t len = sizeof(listening);

		if(end == d->d_name || *end != '\0' || fd < 0 || fd == dirfd(dir)) continue;
		if(getsockopt((int)fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
		len = sizeof(type);
		if(getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
		if(listen((int)fd, (int)backlog) == 0) count++;
	}
	closedir(dir);
	return count;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	(void)supported_version_count;
	(void)supported_versions;
	return 5;
}

/* Strict decimal in [min, max]. */
static int cs_plugin__parse_long(const char *name, const char *value, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if(errno || end == value || *end != '\0' || v < min || v > max){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin_opt_%s must be an integer between %ld and %ld, got \"%s\"",
				name, min, max, value);
		return MOSQ_ERR_INVAL;
	}
	*out = v;
	return MOSQ_ERR_SUCCESS;
}

static bool cs_plugin__has_ctrl(const char *s)
{
	for(; *s; s++){
		if((unsigned char)*s < 0x20 || *s == 0x7f) return true;
	}
	return false;
}

/* Read the secret file; trailing whitespace/newlines are stripped. */
static char *cs_plugin__read_secret(const char *path)
{
	FILE *f;
	char *buf;
	size_t n;

	buf = mosquitto_calloc(1, CS_MAX_SECRET_LEN + 2);
	if(buf == NULL){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: out of memory");
		return NULL;
	}
	f = fopen(path, "rb");
	if(f == NULL){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot read plugin_opt_broker_secret_file %s: %s", path, strerror(errno));
		goto error;
	}
	n = fread(buf, 1, CS_MAX_SECRET_LEN + 1, f);
	fclose(f);
	if(n > CS_MAX_SECRET_LEN){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin_opt_broker_secret_file %s is larger than %d bytes", path, CS_MAX_SECRET_LEN);
		goto error;
	}
	if(memchr(buf, '\0', n)){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin_opt_broker_secret_file %s contains a NUL byte", path);
		goto error;
	}
	while(n > 0 && isspace((unsigned char)buf[n - 1])) buf[--n] = '\0';
	return buf;

error:
	OPENSSL_cleanse(buf, CS_MAX_SECRET_LEN + 2);
	mosquitto_free(buf);
	return NULL;
}

static int cs_plugin__set_string(char **dst, const char *value)
{
	char *copy = mosquitto_strdup(value);

	if(copy == NULL){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: out of memory");
		return MOSQ_ERR_NOMEM;
	}
	mosquitto_free(*dst);
	*dst = copy;
	return MOSQ_ERR_SUCCESS;
}

/* url without trailing '/' + path */
static char *cs_plugin__join_url(const char *url, const char *path)
{
	size_t url_len = strlen(url);
	char *out;

	while(url_len > 0 && url[url_len - 1] == '/') url_len--;
	out = mosquitto_malloc(url_len + strlen(path) + 1);
	if(out == NULL){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: out of memory");
		return NULL;
	}
	memcpy(out, url, url_len);
	strcpy(out + url_len, path);
	return out;
}

static int cs_plugin__parse_options(struct cs_plugin *cs, struct mosquitto_opt *opts, int count)
{
	const char *secret = NULL, *secret_file = NULL, *url = NULL, *internal = CS_DEFAULT_INTERNAL_USER;
	int rc;

	cs->timeout_ms = CS_DEFAULT_TIMEOUT_MS;
	cs->cache_ttl = CS_DEFAULT_CACHE_TTL;
	cs->sync_interval_ms = CS_DEFAULT_SYNC_INTERVAL_MS;
	cs->listen_backlog = CS_DEFAULT_LISTEN_BACKLOG;

	for(int i = 0; i < count; i++){
		const char *key = opts[i].key, *value = opts[i].value;

		if(key == NULL) continue;
		if(value == NULL){
			mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin_opt_%s has no value", key);
			return MOSQ_ERR_INVAL;
		}
		if(!strcmp(key, "service_url")){
			url = value;
		}else if(!strcmp(key, "broker_secret")){
			secret = value;
		}else if(!strcmp(key, "broker_secret_file")){
			secret_file = value;
		}else if(!strcmp(key, "internal_username")){
			internal = value;
		}else if(!strcmp(key, "timeout_ms")){
			if(cs_plugin__parse_long(key, value, 1, CS_MAX_TIMEOUT_MS, &cs->timeout_ms)) return MOSQ_ERR_INVAL;
		}else if(!strcmp(key, "cache_ttl")){
			if(cs_plugin__parse_long(key, value, 0, CS_MAX_CACHE_TTL, &cs->cache_ttl)) return MOSQ_ERR_INVAL;
		}else if(!strcmp(key, "sync_interval_ms")){
			if(cs_plugin__parse_long(key, value, CS_MIN_SYNC_INTERVAL_MS, CS_MAX_SYNC_INTERVAL_MS,
						&cs->sync_interval_ms)) return MOSQ_ERR_INVAL;
		}else if(!strcmp(key, "listen_backlog")){
			if(cs_plugin__parse_long(key, value, 0, CS_MAX_LISTEN_BACKLOG, &cs->listen_backlog)) return MOSQ_ERR_INVAL;
		}else if(!strcmp(key, "broker_name")){
			/* Several brokers (docs/broker-protocol.md): the service sends this broker only
			 * its organizations' principals, and refuses the others' CONNECTs here. */
			size_t n = strlen(value);
			if(n == 0 || n > CS_MAX_BROKER_NAME_LEN
					|| strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n){
				mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin_opt_broker_name must be 1-%d letters, digits, '.', '_' or '-'",
						CS_MAX_BROKER_NAME_LEN);
				return MOSQ_ERR_INVAL;
			}
			memcpy(cs->events.broker_name, value, n + 1);
			memcpy(cs->sync.broker_name, value, n + 1);
		}else if(!strcmp(key, "state_file")){
			if(value[0] == '\0' || cs_plugin__has_ctrl(value) || strlen(value) > 4000){
				mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin_opt_state_file must be a file path");
				return MOSQ_ERR_INVAL;
			}
			if((rc = cs_plugin__set_string(&cs->state_file, value))) return rc;
		}else{
			mosquitto_log_printf(MOSQ_LOG_WARNING, "cloudsignal: ignoring unknown option plugin_opt_%s", key);
		}
	}

	if(url == NULL || url[0] == '\0'){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin_opt_service_url is required (e.g. http://127.0.0.1:8080)");
		return MOSQ_ERR_INVAL;
	}
	if((strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strpbrk(url, " \t") || cs_plugin__has_ctrl(url)){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin_opt_service_url must be an http:// or https:// URL, got \"%s\"", url);
		return MOSQ_ERR_INVAL;
	}
	if(internal[0] == '\0'){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin_opt_internal_username must not be empty");
		return MOSQ_ERR_INVAL;
	}
	if((secret == NULL) == (secret_file == NULL)){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: exactly one of plugin_opt_broker_secret or plugin_opt_broker_secret_file is required");
		return MOSQ_ERR_INVAL;
	}

	if(secret_file){
		cs->broker_secret = cs_plugin__read_secret(secret_file);
		if(cs->broker_secret == NULL) return MOSQ_ERR_INVAL;
	}else if(cs_plugin__set_string(&cs->broker_secret, secret)){
		return MOSQ_ERR_NOMEM;
	}
	if(cs->broker_secret[0] == '\0' || strlen(cs->broker_secret) > CS_MAX_SECRET_LEN || cs_plugin__has_ctrl(cs->broker_secret)){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: the broker secret must be 1-%d bytes without control characters", CS_MAX_SECRET_LEN);
		return MOSQ_ERR_INVAL;
	}

	if((rc = cs_plugin__set_string(&cs->service_url, url))) return rc;
	if((rc = cs_plugin__set_string(&cs->internal_username, internal))) return rc;

	cs->auth_url = cs_plugin__join_url(url, CS_AUTH_PATH);
	if(cs->auth_url == NULL) return MOSQ_ERR_NOMEM;
	cs->events_url = cs_plugin__join_url(url, CS_EVENTS_PATH);
	if(cs->events_url == NULL) return MOSQ_ERR_NOMEM;
	cs->sync_url = cs_plugin__join_url(url, CS_SYNC_PATH);
	if(cs->sync_url == NULL) return MOSQ_ERR_NOMEM;
	return MOSQ_ERR_SUCCESS;
}

static void cs_plugin__free(struct cs_plugin *cs)
{
	if(cs == NULL) return;
	if(cs->registered & CS_REG_BASIC_AUTH) mosquitto_callback_unregister(cs->id, MOSQ_EVT_BASIC_AUTH, cs_auth__basic_auth_cb, NULL);
	if(cs->registered & CS_REG_ACL_CHECK) mosquitto_callback_unregister(cs->id, MOSQ_EVT_ACL_CHECK, cs_acl__check_cb, NULL);
	if(cs->registered & CS_REG_CONTROL) mosquitto_callback_unregister(cs->id, MOSQ_EVT_CONTROL, cs_control__cb, CS_CONTROL_TOPIC);
	if(cs->registered & CS_REG_DISCONNECT) mosquitto_callback_unregister(cs->id, MOSQ_EVT_DISCONNECT, cs_clients__disconnect_cb, NULL);
	if(cs->registered & CS_REG_TICK) mosquitto_callback_unregister(cs->id, MOSQ_EVT_TICK, cs_plugin__tick_cb, NULL);
	cs->registered = 0;

	/* Threads first: nothing they touch may go away before they end. Then
	 * the last save of the store (only if init got as far as loading it:
	 * never overwrite a good file with an empty store). The events sender
	 * gets the last stats before its final flush (bounded by timeout_ms). */
	cs_sync__cleanup(&cs->sync);
	if(cs->state_loaded) cs_principals__save(cs);
	if(cs->events.sync_ready) cs_events__report_stats(cs, true);
	cs_events__cleanup(&cs->events);
	cs_throttle__cleanup(cs);
	cs_principals__cleanup(cs);
	cs_presence__cleanup(cs);
	cs_sessions__cleanup(cs);
	cs_orgs__cleanup(cs);
	cs_clients__cleanup(cs);
	cs_http__cleanup(&cs->http);
	if(cs->curl_global) curl_global_cleanup();
	if(cs->broker_secret) OPENSSL_cleanse(cs->broker_secret, strlen(cs->broker_secret));
	OPENSSL_cleanse(cs->hmac_key, sizeof(cs->hmac_key));
	OPENSSL_cleanse(cs->verifier_key, sizeof(cs->verifier_key));
	mosquitto_free(cs->broker_secret);
	mosquitto_free(cs->service_url);
	mosquitto_free(cs->auth_url);
	mosquitto_free(cs->events_url);
	mosquitto_free(cs->sync_url);
	mosquitto_free(cs->state_file);
	mosquitto_free(cs->internal_username);
	mosquitto_free(cs);
}

static int cs_plugin__register(struct cs_plugin *cs, int event, MOSQ_FUNC_generic_callback cb,
		const void *data, unsigned bit, const char *name)
{
	int rc = mosquitto_callback_register(cs->id, event, cb, data, cs);

	if(rc != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot register the %s callback (error %d)", name, rc);
		return rc;
	}
	cs->registered |= bit;
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *opts, int opt_count)
{
	struct cs_plugin *cs;
	int rc;

	cs = mosquitto_calloc(1, sizeof(struct cs_plugin));
	if(cs == NULL){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: out of memory");
		return MOSQ_ERR_NOMEM;
	}
	cs->id = identifier;
	cs->now_ms = cs_util__now_ms;

	if((rc = cs_plugin__parse_options(cs, opts, opt_count))) goto error;
	if((rc = cs_auth__init(cs))) goto error;
	if((rc = cs_principals__init(cs))) goto error;
	if(curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: curl_global_init failed");
		rc = MOSQ_ERR_UNKNOWN;
		goto error;
	}
	cs->curl_global = true;
	if((rc = cs_http__init(&cs->http, cs->auth_url, cs->broker_secret, cs->timeout_ms))){
		mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: cannot set up the HTTP client");
		goto error;
	}
	/* Queues broker_started, the first event of this run. */
	if((rc = cs_events__init(&cs->events, cs->events_url, cs->broker_secret, cs->timeout_ms))) goto error;
	if((rc = cs_sync__init(&cs->sync, cs->sync_url, cs->broker_secret, cs->timeout_ms, cs->sync_interval_ms))) goto error;
	cs->stats_ms = cs->now_ms();
	cs->state_written_ms = cs->now_ms();
	/* Never fails: a malformed file is logged and the store starts empty. */
	cs_principals__load(cs);
	cs->state_loaded = true;

	if((rc = cs_plugin__register(cs, MOSQ_EVT_BASIC_AUTH, cs_auth__basic_auth_cb, NULL, CS_REG_BASIC_AUTH, "basic auth"))
			|| (rc = cs_plugin__register(cs, MOSQ_EVT_ACL_CHECK, cs_acl__check_cb, NULL, CS_REG_ACL_CHECK, "ACL check"))
			|| (rc = cs_plugin__register(cs, MOSQ_EVT_CONTROL, cs_control__cb, CS_CONTROL_TOPIC, CS_REG_CONTROL, "control"))
			|| (rc = cs_plugin__register(cs, MOSQ_EVT_DISCONNECT, cs_clients__disconnect_cb, NULL, CS_REG_DISCONNECT, "disconnect"))
			|| (rc = cs_plugin__register(cs, MOSQ_EVT_TICK, cs_plugin__tick_cb, NULL, CS_REG_TICK, "tick"))){
		goto error;
	}
	if((rc = cs_events__start(&cs->events))) goto error;
	/* Before the listeners open: no CONNECT waits for it. */
	cs_sync__initial(cs);
	if((rc = cs_sync__start(cs))) goto error;

	mosquitto_log_printf(MOSQ_LOG_NOTICE, "cloudsignal: using service %s (timeout %ld ms, cache_ttl %ld s, sync every %ld ms, "
			"state file %s, internal user %s, broker id %s, broker name %s)",
			cs->service_url, cs->timeout_ms, cs->cache_ttl, cs->sync_interval_ms,
			cs->state_file ? cs->state_file : "none", cs->internal_username, cs->events.broker_id,
			cs->events.broker_name[0] ? cs->events.broker_name : "none");
	*userdata = cs;
	return MOSQ_ERR_SUCCESS;

error:
	mosquitto_log_printf(MOSQ_LOG_ERR, "cloudsignal: plugin not started");
	cs_plugin__free(cs);
	return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *opts, int opt_count)
{
	(void)opts;
	(void)opt_count;
	cs_plugin__free(userdata);
	return MOSQ_ERR_SUCCESS;
}
