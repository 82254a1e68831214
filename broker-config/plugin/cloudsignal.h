/*
 * cloudsignal.h - shared declarations for the CloudSignal Mosquitto plugin.
 *
 * Modules (names follow cs_<module>__<verb>). Calls run one way, from the
 * top of this list down (tools/deps.py draws the graph and finds circles):
 *   plugin.c   init/cleanup/version, options, callback registration, tick
 *   auth.c     MOSQ_EVT_BASIC_AUTH (CONNECT handling): the internal user,
 *              a local decision from the principal store, else the service
 *              call; the organization checks of an accepted CONNECT
 *   control.c  $CONTROL/cloudsignal/v1 commands
 *   sync.c     POST /internal/broker/sync: once at init, then from its own
 *              thread; replies are applied on the broker thread at TICK
 *   principals.c principal store (verifiers, rules, expiry, limits), the
 *              verifier derivation, the parsing of principals, the state file
 *              (principals and each organization's last limits)
 *   acl.c      MOSQ_EVT_ACL_CHECK (clients' rules and quotas, the internal
 *              user's publishes counted against the topic's organization)
 *   clients.c  per-client state table, MOSQ_EVT_DISCONNECT, expiry kicks,
 *              the departed client whose will is about to be checked
 *   presence.c each open session's subscription filters ("subscribed" and
 *              "unsubscribed" reports), carried over when the broker resumes
 *              a persistent session, $share/GROUP/FILTER for tenants
 *   sessions.c open-session table (keyed by client pointer), disconnect reasons
 *   retained.c retained topics per organization: the max_retained_messages
 *              quota, "retained" reports, the list the service gives at start
 *   orgs.c     per-organization limits: connection quota, message quota,
 *              client ids carry their organization's prefix (multi tenancy),
 *              no client id takeover across organizations
 *   events.c   session event queue and its sender thread (batched POSTs)
 *   throttle.c refused-CONNECT backoff per username and per address
 *   rules.c    ACL rule lists: parse, render per client id, copy, free
 *   topic.c    pure topic functions: split, validate, covers, render, evaluate
 *   http.c     libcurl wrapper (one reused easy handle per thread)
 *   util.c     monotonic and wall clocks, printable copies for log lines
 *
 * Threads: everything runs on the broker thread except the events.c sender
 * and the sync.c poller, which only touch their own struct (shared fields
 * under its mutex), their own struct cs_http, libc malloc/free and libcurl;
 * they never call mosquitto_* functions, cJSON or log.
 */
#ifndef CLOUDSIGNAL_H
#define CLOUDSIGNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>
#include <cJSON.h>

/* Order matters: mosquitto_plugin.h relies on types from mosquitto_broker.h. */
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#if defined(__has_include)
#  if __has_include(<mosquitto.h>)
#    include <mosquitto.h>
#  endif
#endif

/* mosquitto.h ships with libmosquitto-dev, which the broker image may lack.
 * These values are part of the stable Mosquitto ABI. */
#ifndef LIBMOSQUITTO_MAJOR
#  define MOSQ_LOG_INFO    (1 << 0)
#  define MOSQ_LOG_NOTICE  (1 << 1)
#  define MOSQ_LOG_WARNING (1 << 2)
#  define MOSQ_LOG_ERR     (1 << 3)
#  define MOSQ_LOG_DEBUG   (1 << 4)
enum cs_mosq_err {
	MOSQ_ERR_SUCCESS = 0,
	MOSQ_ERR_NOMEM = 1,
	MOSQ_ERR_INVAL = 3,
	MOSQ_ERR_NOT_FOUND = 6,
	MOSQ_ERR_AUTH = 11,
	MOSQ_ERR_ACL_DENIED = 12,
	MOSQ_ERR_UNKNOWN = 13,
	MOSQ_ERR_PLUGIN_DEFER = 17,
};
#endif

/* uthash: allocate through the broker (memory accounting) and never exit()
 * on OOM; a failed add leaves elem->hh.tbl == NULL. */
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) mosquitto_malloc(sz)
#define uthash_free(ptr, sz) mosquitto_free(ptr)
#include <uthash.h>

#define CS_CONTROL_TOPIC          "$CONTROL/cloudsignal/v1"
#define CS_CONTROL_RESPONSE_TOPIC "$CONTROL/cloudsignal/v1/response"
#define CS_AUTH_PATH              "/internal/broker/authenticate"
#define CS_EVENTS_PATH            "/internal/broker/events"
#define CS_SYNC_PATH              "/internal/broker/sync"
#define CS_VERIFIER_CONTEXT       "cloudsignal-verifier-v1"
#define CS_PLACEHOLDER            "${clientid}"

#define CS_MAX_CRED_LEN      4096      /* username/password/client id, bytes */
#define CS_MAX_REPLY_BYTES   65536     /* service reply cap */
#define CS_MAX_RULES         10000     /* rules per list */
#define CS_MAX_COMMANDS      10000     /* commands per $CONTROL payload */
#define CS_MAX_CONTROL_BYTES (4 * 1024 * 1024)
#define CS_MAX_TOPIC_LEN     65535
#define CS_MAX_SECRET_LEN    4096
#define CS_HMAC_LEN          32
#define CS_LOG_NAME_LEN      128       /* client-supplied strings are cut to this in logs */
#define CS_MAX_ORG_ID_LEN    64        /* longer organizations are never limited */
#define CS_MAX_LIMIT         9007199254740991LL /* 2^53 - 1: max_connections, messages_per_minute */
#define CS_QUOTA_WINDOW_MS   60000     /* fixed message quota window */
#define CS_MAX_OFFLINE_CLIENTS 100000  /* entries kept for sessions whose client is away */

#define CS_EVENTS_MAX_QUEUED   100000  /* past it the oldest queued event is dropped */
#define CS_EVENTS_BATCH_MIN    200     /* send at once when this many are queued */
#define CS_EVENTS_BATCH_MAX    500     /* events per POST */
#define CS_EVENTS_LINGER_MS    100     /* else send this long after the oldest was queued */
#define CS_EVENTS_BACKOFF_MIN_MS 100   /* retry delay after a failed POST, doubling */
#define CS_EVENTS_BACKOFF_MAX_MS 5000
#define CS_EVENTS_LOG_SLOTS    8       /* sender messages waiting for the TICK to log them */
#define CS_EVENTS_LOG_LEN      512
#define CS_BROKER_ID_LEN       16      /* hex chars */

#define CS_MAX_VERSION_LEN     64      /* credential_version, bytes */
#define CS_MAX_STORE_ID_LEN    128     /* sync store id, bytes */
#define CS_MAX_BROKER_NAME_LEN 64      /* plugin_opt_broker_name: [A-Za-z0-9._-] */
#define CS_MAX_POSITION        9007199254740991LL /* 2^53 - 1 */
#define CS_SYNC_MAX_REPLY_BYTES (64 * 1024 * 1024)
#define CS_STATE_MAX_BYTES     (256 * 1024 * 1024)
#define CS_STATE_WRITE_MS      3000    /* principals changed: write at most this often */
#define CS_STATE_POSITION_MS   60000   /* only the position moved: this often */
#define CS_THROTTLE_FREE       3       /* refusals before the backoff starts */
#define CS_THROTTLE_MIN_MS     1000
#define CS_THROTTLE_MAX_MS     60000
#define CS_THROTTLE_FORGET_MS  600000  /* a record idle this long is dropped */
#define CS_THROTTLE_MAX        100000  /* records; past it the least recently refused goes */
#define CS_STATS_INTERVAL_MS   10000
#define CS_QUOTA_REPORT_MS     60000   /* quota_refused and its log line, per org and quota */
#define CS_MAX_SESSION_FILTERS 1000    /* filters kept per session for presence; past it not tracked */

#define CS_ACT_PUBLISH   0x01
#define CS_ACT_SUBSCRIBE 0x02

/* One ACL rule. Raw (template) rules only use topic; rendered rules also
 * carry the topic pre-split into levels (levels[0] owns the buffer). */
struct cs_rule {
	char *topic;
	char **levels;
	int level_count;
	uint8_t actions;
	bool allow;
};

struct cs_ruleset {
	struct cs_rule *rules;
	int count;
};

/* Per-client state, keyed by client id. Once its clean-session client has
 * left (or been taken over) the entry is out of that table and may be kept
 * as cs_plugin.departed until the will check that follows (clients.c). */
struct cs_client {
	UT_hash_handle hh;
	char *clientid;
	const struct mosquitto *client; /* identity only, never dereferenced */
	char *username;
	time_t expire_at;               /* wall clock epoch seconds, 0 = none */
	bool is_superuser;
	bool is_internal;
	struct cs_ruleset rules;        /* rendered for this client id */
	bool offline;                   /* its connection ended, its session may go on */
	char **filters;                 /* offline: its ended session's filters (presence.c); live:
	                                   those carried to its session, until that takes them */
	int filter_count;
};

/* Limits of one organization, as the service sends them ("limits" in the
 * authenticate reply, or a set_limits command). -1 = unlimited. */
struct cs_limits {
	char org_id[CS_MAX_ORG_ID_LEN + 1]; /* "" = no limits given */
	int64_t max_connections;
	int64_t messages_per_minute;
	int64_t max_retained_messages;
	int64_t max_payload_bytes;      /* largest PUBLISH payload */
};

/* A principal (what may log in), keyed by username (principals.c). */
struct cs_principal {
	UT_hash_handle hh;
	char *username;
	char credential_version[CS_MAX_VERSION_LEN + 1]; /* "" = unknown */
	unsigned char verifier[CS_HMAC_LEN];
	bool has_verifier;
	bool confirmed;                 /* false: loaded from the state file, not yet synced */
	int64_t confirmed_ms;           /* monotonic (cs->now_ms): last allow reply or command */
	int64_t position;               /* service log position of its last update, 0 = unknown */
	time_t expire_at;
	bool is_superuser;
	struct cs_ruleset rules;        /* templates (${clientid} unrendered) */
	struct cs_limits limits;        /* as last sent; enforcement uses cs_plugin.orgs */
};

#define CS_QUOTA_CONNECTIONS 0
#define CS_QUOTA_MESSAGES    1
#define CS_QUOTA_RETAINED    2
#define CS_QUOTA_PAYLOAD     3
#define CS_QUOTAS            4

/* One organization, keyed by org id: its limits, its live sessions (kept up
 * to date by sessions.c for usernames "<name>@<org_id>") and its message
 * count in the current fixed window. An entry exists while the organization
 * has live sessions or any limit set. */
struct cs_org {
	UT_hash_handle hh;
	char org_id[CS_MAX_ORG_ID_LEN + 1];
	int64_t max_connections;        /* -1 = unlimited */
	int64_t messages_per_minute;    /* -1 = unlimited */
	long sessions;                  /* open sessions (sessions.c) */
	int64_t window_start_ms;        /* monotonic (cs_plugin.now_ms) */
	int64_t window_count;           /* publishes allowed in this window */
	bool over_logged;               /* unused: kept for layout compatibility */
	int64_t refused[CS_QUOTAS];     /* CS_QUOTA_*: refusals not reported yet */
	int64_t reported_ms[CS_QUOTAS]; /* monotonic: last report, 0 = never */
	int64_t max_retained_messages;  /* -1 = unlimited */
	struct cs_retained *retained;   /* retained topics (absolute), by topic (retained.c) */
	int64_t retained_count;
	int64_t max_payload_bytes;      /* -1 = unlimited */
};

/* One retained topic of an organization (retained.c). */
struct cs_retained {
	UT_hash_handle hh;
	char *topic;
	bool published;  /* published in this run, not only loaded from the service's list */
};

/* An open MQTT session: created at a successful CONNECT (not for the internal
 * user), removed at its MOSQ_EVT_DISCONNECT. Keyed by the client pointer in
 * cs_plugin.sessions; the newest session of each client id is also indexed
 * by client id in cs_plugin.sessions_by_id (a taken-over one is not). */
struct cs_session {
	UT_hash_handle hh;
	UT_hash_handle hh_id;
	const struct mosquitto *client; /* key; identity only, never dereferenced */
	char *session_id;               /* "<broker_id>-<n>" */
	char *clientid;
	char *username;
	const char *reason;             /* static string: "client", "kicked", ... */
	bool indexed;                   /* in sessions_by_id */
	char **filters;                 /* current subscription filters as sent (presence.c) */
	int filter_count;
	bool filters_full;              /* a filter was not kept: CS_MAX_SESSION_FILTERS reached */
	bool resume_pending;            /* filters carried from the previous session, not yet known
	                                   to be the broker's (presence.c) */
};

struct cs_http {
	CURL *curl;
	struct curl_slist *headers;
	char *reply;                    /* reply_cap bytes, reused */
	size_t reply_len;
	size_t reply_cap;               /* includes the NUL */
	size_t max_reply;               /* reply cap, bytes */
	bool libc_reply;                /* reply is libc-allocated and grows (cs_http__init_large) */
	bool too_large;
	char errbuf[CURL_ERROR_SIZE];
};

/* One queued session event: a complete JSON object, NUL-terminated. Nodes are
 * allocated with libc malloc/free (not mosquitto_malloc, whose accounting is
 * not thread-safe) because the sender thread frees them. */
struct cs_event {
	struct cs_event *next;
	int64_t queued_ms;              /* monotonic */
	size_t len;
	char json[];
};

struct cs_events;
/* Sends one batch body; *status gets the HTTP status. Runs on the sender
 * thread. The default posts with cs_events.http; tests substitute a fake. */
typedef int (*cs_events_post_fn)(struct cs_events *ev, const char *body, size_t len,
		long timeout_ms, long *status, const char **error);

struct cs_events_log {
	int level;
	char text[CS_EVENTS_LOG_LEN];
};

/* Session event queue and sender. Fields below "lock" are shared with the
 * sender thread and only touched with the lock held. */
struct cs_events {
	char broker_id[CS_BROKER_ID_LEN + 1];
	char broker_name[CS_MAX_BROKER_NAME_LEN + 1]; /* "" unless plugin_opt_broker_name */
	long timeout_ms;
	cs_events_post_fn post;
	void *post_data;                /* for post, e.g. a test fake's state */
	struct cs_http http;            /* sender thread only (after start) */
	size_t max_queued, batch_min, batch_max;
	int64_t linger_ms, backoff_min_ms, backoff_max_ms;
	pthread_t thread;
	bool sync_ready;                /* lock and cond initialised */
	bool running;                   /* thread started, not joined */
	bool queue_full_logged;         /* broker thread only */

	pthread_mutex_t lock;
	pthread_cond_t cond;            /* queue grew, or stop */
	bool stop;
	int64_t stop_deadline_ms;       /* monotonic; final flush ends here */
	struct cs_event *head, *tail;
	size_t count;
	uint64_t dropped;               /* oldest dropped since the last report */
	uint64_t unsent;                /* given up at shutdown */
	uint64_t posted;                /* events delivered (2xx) */
	uint64_t posts;                 /* POST attempts */
	struct cs_events_log log[CS_EVENTS_LOG_SLOTS];
	int log_count;
	unsigned log_lost;
};

/* Sync poller (sync.c). Fields below "lock" are shared with its thread and
 * only touched with the lock held. */
struct cs_sync {
	char broker_name[CS_MAX_BROKER_NAME_LEN + 1]; /* sent as "broker" when set */
	long timeout_ms;
	long interval_ms;
	struct cs_http http;            /* sync thread only (after start) */
	pthread_t thread;
	bool sync_ready;                /* lock and cond initialised */
	bool running;
	int64_t last_ok_ms;             /* broker thread: last complete sync (monotonic, cs->now_ms) */
	unsigned failures;              /* broker thread: failed attempts in a row (init) */

	pthread_mutex_t lock;
	pthread_cond_t cond;            /* stop, reply consumed, or call now */
	bool stop;
	bool now;                       /* call again at once ("more") */
	bool waiting;                   /* a reply is waiting for the broker thread */
	int64_t after;                  /* request: position held */
	char store[CS_MAX_STORE_ID_LEN + 1]; /* request: store id held, "" = null */
	bool want_retained;             /* request: ask for the retained topics (until loaded) */
	char *reply;                    /* libc-allocated body for the broker thread */
	size_t reply_len;
	unsigned thread_failures;       /* failed attempts in a row */
	struct cs_events_log log[CS_EVENTS_LOG_SLOTS];
	int log_count;
	unsigned log_lost;
};

enum cs_tenancy { CS_TENANCY_UNKNOWN = 0, CS_TENANCY_SINGLE, CS_TENANCY_MULTI };

/* Throttle record, keyed by "u:<username>" or "a:<address>" (throttle.c). */
struct cs_throttle {
	UT_hash_handle hh;
	char *key;
	unsigned refusals;              /* service refusals since the last success */
	int64_t blocked_until_ms;       /* monotonic (cs->now_ms) */
	int64_t last_ms;                /* last refusal */
};

/* Counters of the "stats" report (events.c). */
struct cs_stats {
	uint64_t local_admits, local_refusals, http_calls, throttled;
};

/* All plugin state; passed as userdata to every callback. */
struct cs_plugin {
	mosquitto_plugin_id_t *id;
	char *service_url;
	char *auth_url;
	char *broker_secret;
	char *internal_username;
	long timeout_ms;
	long cache_ttl;                 /* seconds a principal admits without a newer confirmation; 0 = never */
	long sync_interval_ms;
	long listen_backlog;            /* 0: leave Mosquitto's (100); else widened at the first TICK (plugin.c) */
	bool backlog_widened;
	unsigned char hmac_key[CS_HMAC_LEN];
	unsigned char secret_hmac[CS_HMAC_LEN];
	bool curl_global;
	unsigned registered;            /* bit per registered event */
	int64_t last_tick_ms;
	struct cs_http http;            /* auth calls, broker thread only */
	struct cs_client *clients;
	struct cs_client *departed;     /* last client that left, until the next TICK (clients.c) */
	long offline_clients;           /* entries of sessions whose client is away (clients.c) */
	struct cs_principal *principals; /* by username (principals.c) */
	char *events_url;
	struct cs_events events;
	struct cs_session *sessions;    /* by client pointer */
	struct cs_session *sessions_by_id;
	uint64_t session_seq;           /* last session number of this run */
	struct cs_org *orgs;            /* by org id */
	int64_t (*now_ms)(void);        /* monotonic clock of the quota window; tests substitute it */
	/* principal store, sync, state file, throttle, reports */
	unsigned char verifier_key[CS_HMAC_LEN]; /* K */
	char *sync_url;
	char *state_file;               /* NULL: no persistence */
	struct cs_sync sync;
	char store_id[CS_MAX_STORE_ID_LEN + 1]; /* "" = null */
	int64_t position;               /* sync cursor: everything up to it is applied */
	int64_t applied_position;       /* highest position applied (sync or command) */
	enum cs_tenancy tenancy;
	char default_org[CS_MAX_ORG_ID_LEN + 1];
	bool state_loaded;              /* init got as far as loading: cleanup may save */
	bool state_dirty;               /* principals changed since the last write */
	bool state_position_dirty;      /* only the position moved */
	int64_t state_written_ms;
	struct cs_throttle *throttle;
	unsigned throttle_count;
	struct cs_stats stats;
	int64_t stats_ms;               /* last stats report */
	bool retained_loaded;           /* the service's retained topics were merged in (retained.c) */
	const struct mosquitto **resumes; /* clients whose carried filters wait for the TICK (presence.c) */
	int resume_count, resume_cap;
};

/* Parsed "allow" reply of the service. */
struct cs_auth_reply {
	char credential_version[CS_MAX_VERSION_LEN + 1]; /* "" = not given */
	bool is_superuser;
	time_t expire_at;
	struct cs_ruleset rules;
	struct cs_limits limits;
};

enum cs_auth_result { CS_RESULT_ALLOW, CS_RESULT_DENY, CS_RESULT_IGNORE };
enum cs_render { CS_RENDER_OK = 0, CS_RENDER_DROP = 1, CS_RENDER_NOMEM = -1 };

/* util.c */
int64_t cs_util__now_ms(void);
int64_t cs_util__wall_ms(void);
void cs_util__printable(const char *in, char *out, size_t outlen);

/* plugin.c */
int cs_plugin__tick_cb(int event, void *event_data, void *userdata);

/* topic.c */
int cs_topic__split(const char *topic, char ***levels, int *count);
void cs_topic__free_levels(char **levels);
bool cs_topic__valid_filter(const char *filter);
bool cs_topic__covers(char *const *rule, int rule_count, const char *request);
bool cs_topic__clientid_safe(const char *clientid);
const char *cs_topic__local_clientid(const char *clientid, const char *org_id);
int cs_topic__render(const char *tmpl, const char *clientid, bool broaden, char **out);
bool cs_topic__evaluate(const struct cs_ruleset *rs, int access, const char *topic);

/* rules.c */
int cs_rules__parse(const cJSON *acl, struct cs_ruleset *out, const char **error);
int cs_rules__render(const struct cs_ruleset *tmpl, const char *clientid, struct cs_ruleset *out);
int cs_rules__copy(const struct cs_ruleset *src, struct cs_ruleset *dst);
void cs_rules__free(struct cs_ruleset *rs);

/* acl.c */
int cs_acl__check_cb(int event, void *event_data, void *userdata);

/* clients.c */
int cs_clients__store(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid,
		const char *username, bool is_superuser, bool is_internal, time_t expire_at,
		const struct cs_ruleset *tmpl);
struct cs_client *cs_clients__find(struct cs_plugin *cs, const char *clientid);
struct cs_client *cs_clients__find_departed(struct cs_plugin *cs, const struct mosquitto *client);
void cs_clients__forget_departed(struct cs_plugin *cs);
void cs_clients__remove(struct cs_plugin *cs, struct cs_client *entry);
int cs_clients__set_rules(struct cs_plugin *cs, const char *username, const struct cs_ruleset *tmpl);
void cs_clients__set_expiry(struct cs_plugin *cs, const char *username, time_t expire_at);
void cs_clients__expire(struct cs_plugin *cs, time_t now);
void cs_clients__cleanup(struct cs_plugin *cs);
bool cs_clients__may_persist(const struct mosquitto *client);
void cs_clients__resume(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid);
int cs_clients__disconnect_cb(int event, void *event_data, void *userdata);

/* sessions.c */
void cs_sessions__open(struct cs_plugin *cs, const struct mosquitto *client, const char *clientid,
		const char *username);
void cs_sessions__close(struct cs_plugin *cs, const struct mosquitto *client);
struct cs_session *cs_sessions__find(struct cs_plugin *cs, const struct mosquitto *client);
struct cs_session *cs_sessions__find_id(struct cs_plugin *cs, const char *clientid);
void cs_sessions__mark_clientid(struct cs_plugin *cs, const char *clientid, const char *reason);
void cs_sessions__mark_username(struct cs_plugin *cs, const char *username, const char *reason);
void cs_sessions__cleanup(struct cs_plugin *cs);

/* events.c */
int cs_events__init(struct cs_events *ev, const char *url, const char *secret, long timeout_ms);
int cs_events__start(struct cs_events *ev);
void cs_events__stop(struct cs_events *ev);
void cs_events__cleanup(struct cs_events *ev);
int cs_events__enqueue(struct cs_events *ev, const char *json, size_t len);
int cs_events__broker_started(struct cs_events *ev);
int cs_events__connected(struct cs_events *ev, const struct cs_session *s, const struct mosquitto *client);
int cs_events__disconnected(struct cs_events *ev, const struct cs_session *s);
bool cs_events__ready(const struct cs_events *ev, int64_t now_ms);
size_t cs_events__take(struct cs_events *ev, size_t max, struct cs_event **batch);
char *cs_events__body(const struct cs_events *ev, const struct cs_event *batch, size_t *len);
void cs_events__free_list(struct cs_event *list);
int64_t cs_events__next_backoff(const struct cs_events *ev, int64_t backoff_ms);
void cs_events__tick(struct cs_events *ev);
int cs_events__stats(struct cs_events *ev, const struct cs_stats *st);
const char *cs_events__quota_name(int quota);
int cs_events__quota_refused(struct cs_events *ev, const char *org_id, int quota, int64_t count);
int cs_events__filter(struct cs_events *ev, const struct cs_session *s, const char *filter, bool subscribed);
int cs_events__retained(struct cs_events *ev, const char *org_id, const char *topic, uint32_t size, int qos);
void cs_events__report_stats(struct cs_plugin *cs, bool force);

/* auth.c */
int cs_auth__init(struct cs_plugin *cs);
int cs_auth__parse_reply(const char *buf, size_t len, enum cs_auth_result *result,
		struct cs_auth_reply *reply, const char **error);
int cs_auth__basic_auth_cb(int event, void *event_data, void *userdata);

/* principals.c */
int cs_principals__init(struct cs_plugin *cs);
int cs_principals__verifier(const struct cs_plugin *cs, const char *username, const char *password,
		unsigned char out[CS_HMAC_LEN]);
int cs_principals__parse_expiry(const cJSON *item, time_t *out);
int cs_principals__parse(const cJSON *obj, struct cs_principal **out, const char **error);
void cs_principals__free(struct cs_principal *p);
struct cs_principal *cs_principals__find(struct cs_plugin *cs, const char *username);
bool cs_principals__usable(struct cs_plugin *cs, const struct cs_principal *p);
int cs_principals__admitted(struct cs_plugin *cs, const char *username, const char *password,
		const char *credential_version, bool is_superuser, time_t expire_at,
		struct cs_ruleset *rules, const struct cs_limits *limits);
int cs_principals__set(struct cs_plugin *cs, struct cs_principal *p);
int cs_principals__update(struct cs_plugin *cs, const struct cs_principal *src, int64_t position);
void cs_principals__drop(struct cs_plugin *cs, const char *username);
void cs_principals__drop_org(struct cs_plugin *cs, const char *org_id);
void cs_principals__drop_all(struct cs_plugin *cs);
int cs_principals__set_rules(struct cs_plugin *cs, const char *username, const struct cs_ruleset *tmpl);
void cs_principals__set_expiry(struct cs_plugin *cs, const char *username, time_t expire_at);
void cs_principals__set_limits(struct cs_plugin *cs, const struct cs_limits *limits);
void cs_principals__expire(struct cs_plugin *cs, time_t now);
void cs_principals__applied(struct cs_plugin *cs, int64_t position);
int cs_principals__load(struct cs_plugin *cs);
int cs_principals__save(struct cs_plugin *cs);
int cs_plugin__widen_listeners(long backlog);
void cs_principals__tick(struct cs_plugin *cs);
void cs_principals__cleanup(struct cs_plugin *cs);

/* sync.c */
int cs_sync__init(struct cs_sync *s, const char *url, const char *secret, long timeout_ms, long interval_ms);
char *cs_sync__request_body(int64_t after, const char *store, size_t *len);
int cs_sync__apply(struct cs_plugin *cs, const char *body, size_t len, bool *more, const char **error);
void cs_sync__initial(struct cs_plugin *cs);
int cs_sync__start(struct cs_plugin *cs);
void cs_sync__tick(struct cs_plugin *cs);
void cs_sync__stop(struct cs_sync *s);
void cs_sync__cleanup(struct cs_sync *s);

/* throttle.c */
bool cs_throttle__blocked(struct cs_plugin *cs, const char *username, const char *address);
void cs_throttle__refused(struct cs_plugin *cs, const char *username, const char *address);
void cs_throttle__admitted(struct cs_plugin *cs, const char *username);
struct cs_throttle *cs_throttle__find(struct cs_plugin *cs, char kind, const char *name);
void cs_throttle__expire(struct cs_plugin *cs);
void cs_throttle__cleanup(struct cs_plugin *cs);

/* orgs.c */
const char *cs_orgs__of(const char *username);
bool cs_orgs__same(const char *username_a, const char *username_b);
int cs_orgs__parse_limits(const cJSON *obj, struct cs_limits *out, const char **error);
struct cs_org *cs_orgs__find(struct cs_plugin *cs, const char *org_id);
struct cs_org *cs_orgs__get(struct cs_plugin *cs, const char *org_id);
void cs_orgs__refused(struct cs_plugin *cs, struct cs_org *org, int quota);
int cs_orgs__check_payload(struct cs_plugin *cs, const char *org_id, uint32_t payloadlen);
void cs_orgs__prune(struct cs_plugin *cs, struct cs_org *org);
int cs_orgs__set_limits(struct cs_plugin *cs, const struct cs_limits *limits);
bool cs_orgs__clientid_ok(const struct cs_plugin *cs, const char *clientid, const char *username,
		const char *who, const char *cid);
bool cs_orgs__owns(const char *username, const char *owner_username, const char *owner_org);
int cs_orgs__session_opened(struct cs_plugin *cs, const char *username);
void cs_orgs__session_closed(struct cs_plugin *cs, const char *username);
int cs_orgs__count_publish(struct cs_plugin *cs, const char *username);
int cs_orgs__count_org_publish(struct cs_plugin *cs, const char *org_id);
const char *cs_orgs__of_topic(const struct cs_plugin *cs, const char *topic, char *buf, size_t buflen);
void cs_orgs__tick(struct cs_plugin *cs);
void cs_orgs__cleanup(struct cs_plugin *cs);

/* presence.c */
const char *cs_presence__shared_filter(const char *topic);
void cs_presence__subscribed(struct cs_plugin *cs, const struct mosquitto *client, const char *filter);
void cs_presence__unsubscribed(struct cs_plugin *cs, const struct mosquitto *client, const char *filter);
void cs_presence__free(char **filters, int count);
void cs_presence__keep(struct cs_plugin *cs, const struct mosquitto *client, char ***filters, int *count);
void cs_presence__resume(struct cs_plugin *cs, const struct mosquitto *client, char ***filters, int *count);
void cs_presence__tick(struct cs_plugin *cs);
void cs_presence__cleanup(struct cs_plugin *cs);

/* retained.c */
int cs_retained__check(struct cs_plugin *cs, const char *org_id, const char *topic, uint32_t payloadlen);
void cs_retained__record(struct cs_plugin *cs, const char *org_id, const char *topic, uint32_t payloadlen, int qos);
bool cs_retained__has(struct cs_plugin *cs, const char *org_id, const char *topic);
int cs_retained__load(struct cs_plugin *cs, const cJSON *retained, const char **error);
const char *cs_retained__forget(struct cs_plugin *cs, const cJSON *cmd);

/* control.c */
char *cs_control__handle(struct cs_plugin *cs, const void *payload, size_t len);
int cs_control__cb(int event, void *event_data, void *userdata);

/* http.c */
int cs_http__init(struct cs_http *h, const char *url, const char *secret, long timeout_ms);
int cs_http__init_large(struct cs_http *h, const char *url, const char *secret, long timeout_ms, size_t max_reply);
int cs_http__post(struct cs_http *h, const char *body, size_t len, long *status, const char **error);
int cs_http__set_timeout(struct cs_http *h, long timeout_ms);
void cs_http__cleanup(struct cs_http *h);

#endif
