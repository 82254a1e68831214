// Generated from the service's /v2/openapi.json by scripts/generate-types.mjs; do not edit.
// Regenerate with: npm run types:generate -- http://127.0.0.1:8080/v2/openapi.json
export type $Read<T> = {
    readonly $read: T;
};
export type $Write<T> = {
    readonly $write: T;
};
export type Readable<T> = T extends $Write<any> ? never : T extends $Read<infer U> ? Readable<U> : T extends (infer E)[] ? Readable<E>[] : T extends object ? {
    [K in keyof T as NonNullable<T[K]> extends $Write<any> ? never : K]: Readable<T[K]>;
} : T;
export type Writable<T> = T extends $Read<any> ? never : T extends $Write<infer U> ? Writable<U> : T extends (infer E)[] ? Writable<E>[] : T extends object ? {
    [K in keyof T as NonNullable<T[K]> extends $Read<any> ? never : K]: Writable<T[K]>;
} & {
    [K in keyof T as NonNullable<T[K]> extends $Read<any> ? K : never]?: never;
} : T;
export interface paths {
    "/v2/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List MQTT users, oldest first
         * @description **Scope:** `users:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["users_list"];
        put?: never;
        /**
         * Create an MQTT user
         * @description The user can connect at once as `mqtt_username`. An unknown `acl_set` is 404; a taken
         *     username is 409.
         *
         *     **Scope:** `users:write` (Secret keys, or restricted keys with this scope).
         */
        post: operations["users_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/users/{username}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: string;
            };
            cookie?: never;
        };
        /**
         * Get an MQTT user
         * @description **Scope:** `users:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["users_get"];
        put?: never;
        post?: never;
        /**
         * Delete an MQTT user; the username becomes free again
         * @description **Scope:** `users:write` (Secret keys, or restricted keys with this scope).
         */
        delete: operations["users_delete"];
        options?: never;
        head?: never;
        /**
         * Change an MQTT user's password, rule set, disabled flag or metadata
         * @description **Scope:** `users:write` (Secret keys, or restricted keys with this scope).
         */
        patch: operations["users_update"];
        trace?: never;
    };
    "/v2/acl/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the organization's rules, which apply to every user
         * @description **Scope:** `acl:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["acl_rules_list"];
        put?: never;
        /**
         * Create an organization-level rule
         * @description **Scope:** `acl:write` (Secret keys, or restricted keys with this scope).
         */
        post: operations["acl_rules_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/acl/rules/{rule_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                rule_id: string;
            };
            cookie?: never;
        };
        /**
         * Get a rule
         * @description **Scope:** `acl:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["acl_rules_get"];
        put?: never;
        post?: never;
        /**
         * Delete a rule
         * @description **Scope:** `acl:write` (Secret keys, or restricted keys with this scope).
         */
        delete: operations["acl_rules_delete"];
        options?: never;
        head?: never;
        /**
         * Change some fields of a rule
         * @description **Scope:** `acl:write` (Secret keys, or restricted keys with this scope).
         */
        patch: operations["acl_rules_update"];
        trace?: never;
    };
    "/v2/acl/rule-sets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List rule sets
         * @description **Scope:** `acl:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["acl_rule_sets_list"];
        put?: never;
        /**
         * Create a named rule set; users assigned to it get its rules plus the organization's
         * @description **Scope:** `acl:write` (Secret keys, or restricted keys with this scope).
         */
        post: operations["acl_rule_sets_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/acl/rule-sets/{id_or_name}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id_or_name: string;
            };
            cookie?: never;
        };
        /**
         * Get a rule set by id or name
         * @description **Scope:** `acl:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["acl_rule_sets_get"];
        put?: never;
        post?: never;
        /**
         * Delete a rule set; 409 while users or the organization's default use it
         * @description **Scope:** `acl:write` (Secret keys, or restricted keys with this scope).
         */
        delete: operations["acl_rule_sets_delete"];
        options?: never;
        head?: never;
        /**
         * Rename a rule set, change its description or replace its rules
         * @description **Scope:** `acl:write` (Secret keys, or restricted keys with this scope).
         */
        patch: operations["acl_rule_sets_update"];
        trace?: never;
    };
    "/v2/acl/check": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Simulate an access decision with the same evaluation the broker uses
         * @description **Scope:** `acl:read` (Secret keys, or restricted keys with this scope).
         */
        post: operations["acl_check"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List API keys, masked, with when each was last used
         * @description **Scope:** `keys:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["api_keys_list"];
        put?: never;
        /**
         * Create an API key; the reply holds the full key, which is never shown again
         * @description **Scope:** `keys:write` (Secret keys, or restricted keys with this scope).
         */
        post: operations["api_keys_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/api-keys/{key_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        /**
         * Get an API key (masked)
         * @description **Scope:** `keys:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["api_keys_get"];
        put?: never;
        post?: never;
        /**
         * Revoke an API key; it stops working at once (other service processes: within ~20 ms)
         * @description **Scope:** `keys:write` (Secret keys, or restricted keys with this scope).
         */
        delete: operations["api_keys_delete"];
        options?: never;
        head?: never;
        /**
         * Rename a key or change a restricted key's scopes
         * @description **Scope:** `keys:write` (Secret keys, or restricted keys with this scope).
         */
        patch: operations["api_keys_update"];
        trace?: never;
    };
    "/v2/api-keys/{key_id}/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Replace a key: a new key with the same name, type and scopes; the old one is revoked
         * @description **Scope:** `keys:write` (Secret keys, or restricted keys with this scope).
         */
        post: operations["api_keys_rotate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/organization": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get the organization; public keys see only its id, name and tenancy
         * @description **Scope:** `organization:read` (Secret keys, or restricted keys with this scope; public keys too).
         */
        get: operations["organization_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Rename the organization or change its settings
         * @description **Scope:** `organization:write` (Secret keys, or restricted keys with this scope).
         */
        patch: operations["organization_update"];
        trace?: never;
    };
    "/v2/organization/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Connections, CONNECTs and disconnects by reason over time, in buckets (for charts)
         * @description **Scope:** `organization:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["organization_usage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List sessions: connected clients, and persistent sessions whose client is offline
         * @description **Scope:** `sessions:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["sessions_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/sessions/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every session opened and closed, with durations, oldest first
         * @description **Scope:** `sessions:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["sessions_history"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/sessions/{client_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                client_id: string;
            };
            cookie?: never;
        };
        /**
         * The current session of a client id
         * @description **Scope:** `sessions:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["sessions_get"];
        put?: never;
        post?: never;
        /**
         * Force a connected client off the broker
         * @description **Scope:** `sessions:write` (Secret keys, or restricted keys with this scope).
         */
        delete: operations["sessions_disconnect"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/users/{username}/terminate": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: string;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Disconnect every session of an MQTT user (it may connect again)
         * @description **Scope:** `sessions:write` (Secret keys, or restricted keys with this scope).
         */
        post: operations["users_terminate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/publish": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish one message; QoS 1 and 2 answer once the broker acknowledged it
         * @description 503 when the broker is unreachable, 504 when it does not acknowledge within 5 s.
         *
         *     **Scope:** `publish` (Secret keys, or restricted keys with this scope).
         */
        post: operations["publish_message"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/publish/batch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Publish up to 1000 messages in order, with a result for each
         * @description **Scope:** `publish` (Secret keys, or restricted keys with this scope).
         */
        post: operations["publish_batch"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/auth-providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List auth providers (secrets are never shown)
         * @description **Scope:** `organization:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["auth_providers_list"];
        put?: never;
        /**
         * Trust an identity provider's tokens for token exchange
         * @description **Scope:** `organization:write` (Secret keys, or restricted keys with this scope).
         */
        post: operations["auth_providers_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/auth-providers/{id_or_name}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id_or_name: string;
            };
            cookie?: never;
        };
        /**
         * Get an auth provider by id or name
         * @description **Scope:** `organization:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["auth_providers_get"];
        put?: never;
        post?: never;
        /**
         * Stop trusting a provider; credentials already issued run until they expire
         * @description **Scope:** `organization:write` (Secret keys, or restricted keys with this scope).
         */
        delete: operations["auth_providers_delete"];
        options?: never;
        head?: never;
        /**
         * Change an auth provider's settings
         * @description **Scope:** `organization:write` (Secret keys, or restricted keys with this scope).
         */
        patch: operations["auth_providers_update"];
        trace?: never;
    };
    "/v2/tokens/exchange": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange an identity provider's token for temporary MQTT credentials
         * @description `provider` is the provider's name or id, or its type (`supabase`, ...) when the organization
         *     has exactly one provider of that type. Errors: `invalid_token` / `token_expired` (401),
         *     `missing_claim`, `provider_required`, `provider_ambiguous` (400), `provider_disabled` (403),
         *     `provider_not_found` (404), `provider_unavailable` (503, keys could not be fetched).
         *     A claim whose value holds '/', '+', '#', '$', '{', '}' or a control character is never
         *     put in a topic: a rule naming it (`{claims.<name>}`) gives nothing (a deny covers more).
         *
         *     **Scope:** `tokens:create` (Secret keys, or restricted keys with this scope; public keys too).
         */
        post: operations["tokens_exchange"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Mint temporary MQTT credentials for one of your users (no identity provider)
         * @description The credentials get the organization's rules, plus the rules of `acl_set` when given.
         *     Choosing `acl_set` needs the `acl:write` scope as well (a key that may not write rules may
         *     not grant them either): without it, `tokens:create` mints credentials with the
         *     organization's rules only.
         *
         *     **Scope:** `tokens:create` (Secret keys, or restricted keys with this scope).
         */
        post: operations["tokens_create"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/tokens/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Extend temporary credentials that have not expired by their original lifetime
         * @description Credentials exchanged from a provider's token are extended only while that provider
         *     exists and is enabled (403 `provider_inactive` otherwise).
         *
         *     **Scope:** `tokens:create` (Secret keys, or restricted keys with this scope; public keys too).
         */
        post: operations["tokens_refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The organization's events, oldest first, by position in the log
         * @description **Scope:** `events:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["events_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/events/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Follow the organization's new events live (Server-Sent Events)
         * @description **Scope:** `events:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["events_stream"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/audit/access": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Could this user publish or subscribe to this topic at that moment? With the rule and events
         * @description **Scope:** `events:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["audit_access"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/audit/state": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Users, rules, rule sets and API keys as they were at that moment
         * @description **Scope:** `events:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["audit_state"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/acl/policy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get the organization's rules and rule sets as one policy document
         * @description **Scope:** `acl:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["acl_policy_get"];
        put?: never;
        /**
         * Apply a whole policy at once (or plan it with `dry_run`)
         * @description Afterwards the organization's rules and rule sets are exactly the document's: rules with an
         *     `id` change that rule, rules without one keep an identical rule or are created, rules and
         *     rule sets the document does not name are deleted. All changes are saved as one commit
         *     whose events share this request's actor and id; if any part fails (400 invalid rule,
         *     403 quota, 404 unknown rule id, 409 rule set still assigned), nothing changes. The reply is
         *     the plan: `created`, `changed`, `deleted`.
         *
         *     **Scope:** `acl:write` (Secret keys, or restricted keys with this scope).
         */
        post: operations["acl_policy_apply"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/whoami": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Describe the calling API key and its scopes
         * @description **Scope:** none (any secret or restricted key).
         */
        get: operations["whoami"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/utilities/presence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who is online: one row per connected session, with its current subscription filters
         * @description **Scope:** `sessions:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["utilities_presence_list"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/utilities/presence/{username}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                username: string;
            };
            cookie?: never;
        };
        /**
         * Is this MQTT user online, and with which sessions (name without the @org suffix)
         * @description **Scope:** `sessions:read` (Secret keys, or restricted keys with this scope).
         */
        get: operations["utilities_presence_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/utilities/retained": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List retained messages: topic, payload size, QoS, when set; payloads on request
         * @description **Scope:** `publish` (Secret keys, or restricted keys with this scope).
         */
        get: operations["utilities_retained_list"];
        put?: never;
        post?: never;
        /**
         * Delete every retained message a filter matches (`dry_run=true` only counts them)
         * @description **Scope:** `publish` (Secret keys, or restricted keys with this scope).
         */
        delete: operations["utilities_retained_delete_all"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/utilities/retained/{topic}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                topic: string;
            };
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Delete the retained message of one topic (the topic may contain `/`)
         * @description **Scope:** `publish` (Secret keys, or restricted keys with this scope).
         */
        delete: operations["utilities_retained_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * @example {
         *       "error": "not_found",
         *       "message": "user 'agent-01' not found",
         *       "detail": null,
         *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
         *     }
         */
        Error: {
            /** @description Machine-readable code, one of: `validation_error`, `invalid_json`, `invalid_content_type`, `invalid_cursor`, `missing_claim`, `provider_required`, `provider_ambiguous`, `missing_api_key`, `invalid_api_key`, `api_key_revoked`, `api_key_expired`, `invalid_token`, `token_expired`, `invalid_credentials`, `insufficient_scope`, `forbidden`, `quota_exceeded`, `not_found`, `provider_not_found`, `method_not_allowed`, `conflict`, `idempotency_key_reused`, `idempotency_key_in_use`, `request_too_large`, `rate_limited`, `message_quota_exceeded`, `internal_error`, `store_unavailable`, `broker_unavailable`, `broker_not_configured`, `provider_unavailable`, `too_many_streams`, `broker_timeout` */
            error: string;
            /** @description Human-readable explanation */
            message: string;
            /** @description Field errors or other structured detail, or null */
            detail?: unknown;
            /** @description Quote it when asking for help */
            request_id?: string | null;
        };
        User: {
            /** Format: date-time */
            created_at?: $Read<string>;
            /** Format: date-time */
            updated_at?: $Read<string>;
            id?: $Read<string>;
            /** @description Name part of the MQTT username (1-64 letters, digits, '-', '_' or '.') */
            username: string;
            password: $Write<string>;
            /** @description Rule set (name or id) whose rules the user gets besides the organization's */
            acl_set?: string | null;
            /** @description Free-form JSON object (at most 32 keys, 4 KiB, 8 levels deep) */
            metadata?: {
                [key: string]: unknown;
            };
            /** @description `<username>@<org_id>` */
            mqtt_username?: $Read<string>;
            org_id?: $Read<string>;
            disabled?: $Read<boolean>;
        };
        UserPage: {
            data: components["schemas"]["User"][];
            /** @description null on the last page */
            next_cursor: string | null;
        };
        UserPatch: {
            password?: string;
            /** @description null removes the assignment */
            acl_set?: string | null;
            /** @description Disabled users cannot connect */
            disabled?: boolean;
            /** @description Free-form JSON object (at most 32 keys, 4 KiB, 8 levels deep) */
            metadata?: {
                [key: string]: unknown;
            };
        };
        AclRule: {
            /** Format: date-time */
            created_at?: $Read<string>;
            /** Format: date-time */
            updated_at?: $Read<string>;
            /** @description Topic filter; may use +, # and {username}, {client_id}, {org_id} */
            topic: string;
            /** @enum {string} */
            action: "publish" | "subscribe" | "both";
            /** @enum {string} */
            permission: "allow" | "deny";
            /**
             * @description Lowest number is tried first; at a tie, deny before allow
             * @default 100
             */
            priority?: number;
            /**
             * @description Only users whose name matches this glob (e.g. `sensor-*`); null: all
             * @default null
             */
            user?: string | null;
            id?: $Read<string>;
        };
        AclRulePage: {
            data: components["schemas"]["AclRule"][];
            /** @description null on the last page */
            next_cursor: string | null;
        };
        AclRulePatch: {
            topic?: string;
            /** @enum {string} */
            action?: "publish" | "subscribe" | "both";
            /** @enum {string} */
            permission?: "allow" | "deny";
            priority?: number;
            user?: string | null;
        };
        Rule: {
            /** @description Topic filter; may use +, # and {username}, {client_id}, {org_id} */
            topic: string;
            /** @enum {string} */
            action: "publish" | "subscribe" | "both";
            /** @enum {string} */
            permission: "allow" | "deny";
            /**
             * @description Lowest number is tried first; at a tie, deny before allow
             * @default 100
             */
            priority?: number;
            /**
             * @description Only users whose name matches this glob (e.g. `sensor-*`); null: all
             * @default null
             */
            user?: string | null;
            id?: $Read<string>;
        };
        RuleSet: {
            /** Format: date-time */
            created_at?: $Read<string>;
            /** Format: date-time */
            updated_at?: $Read<string>;
            id?: $Read<string>;
            /** @description (1-64 letters, digits, '-', '_' or '.') */
            name: string;
            /** @default  */
            description?: string;
            rules?: components["schemas"]["Rule"][];
            /** @description Users assigned to this set */
            users?: $Read<number>;
        };
        RuleSetPage: {
            data: components["schemas"]["RuleSet"][];
            /** @description null on the last page */
            next_cursor: string | null;
        };
        RuleSetPatch: {
            /** @description (1-64 letters, digits, '-', '_' or '.') */
            name?: string;
            description?: string;
            /** @description Replaces every rule of the set */
            rules?: components["schemas"]["Rule"][];
        };
        AclCheck: {
            /** @description (1-64 letters, digits, '-', '_' or '.') */
            username: string;
            /** @default null */
            client_id?: string | null;
            /** @description Topic name (publish) or subscription filter (subscribe) */
            topic: string;
            /** @enum {string} */
            action: "publish" | "subscribe";
        };
        AclDecision: {
            allowed: boolean;
            /** @description The rule that decided; null if none */
            matched_rule?: components["schemas"]["Rule"] | (Record<string, never> | null);
            /** @description Deny rules that overlap a granted subscription filter: deliveries on the topics they name are withheld */
            withheld?: components["schemas"]["Rule"][];
            /** @description `organization`, or the name of the rule set holding the rule */
            source?: string | null;
            reason: string;
        };
        ApiKey: {
            /** Format: date-time */
            created_at?: $Read<string>;
            /** Format: date-time */
            updated_at?: $Read<string>;
            /** @description `key_...`; names the key in lists */
            id?: $Read<string>;
            name: string;
            /**
             * @description secret (`sk_`, every scope), public (`pk_`), restricted (`rk_`, its scopes)
             * @enum {string}
             */
            type: "secret" | "public" | "restricted";
            /** @description Restricted keys only: users:read, users:write, acl:read, acl:write, sessions:read, sessions:write, publish, keys:read, keys:write, organization:read, organization:write, tokens:create, events:read */
            scopes?: ("users:read" | "users:write" | "acl:read" | "acl:write" | "sessions:read" | "sessions:write" | "publish" | "keys:read" | "keys:write" | "organization:read" | "organization:write" | "tokens:create" | "events:read")[];
            /**
             * Format: date-time
             * @description ISO 8601 with a time zone; null: never
             */
            expires_at?: string | null;
            /** @description Prefix and last four characters */
            masked_key?: $Read<string>;
            /** @description active, revoked or expired */
            status?: $Read<string>;
            /** Format: date-time */
            last_used_at?: $Read<string | null>;
        };
        ApiKeyPage: {
            data: components["schemas"]["ApiKey"][];
            /** @description null on the last page */
            next_cursor: string | null;
        };
        NewApiKey: {
            /** Format: date-time */
            created_at?: $Read<string>;
            /** Format: date-time */
            updated_at?: $Read<string>;
            /** @description `key_...`; names the key in lists */
            id?: $Read<string>;
            name: string;
            /**
             * @description secret (`sk_`, every scope), public (`pk_`), restricted (`rk_`, its scopes)
             * @enum {string}
             */
            type: "secret" | "public" | "restricted";
            /** @description Restricted keys only: users:read, users:write, acl:read, acl:write, sessions:read, sessions:write, publish, keys:read, keys:write, organization:read, organization:write, tokens:create, events:read */
            scopes?: ("users:read" | "users:write" | "acl:read" | "acl:write" | "sessions:read" | "sessions:write" | "publish" | "keys:read" | "keys:write" | "organization:read" | "organization:write" | "tokens:create" | "events:read")[];
            /**
             * Format: date-time
             * @description ISO 8601 with a time zone; null: never
             */
            expires_at?: string | null;
            /** @description Prefix and last four characters */
            masked_key?: $Read<string>;
            /** @description active, revoked or expired */
            status?: $Read<string>;
            /** Format: date-time */
            last_used_at?: $Read<string | null>;
            /** @description The full key, shown only this once */
            key?: $Read<string>;
        };
        ApiKeyPatch: {
            name?: string;
            /** @description Restricted keys only: users:read, users:write, acl:read, acl:write, sessions:read, sessions:write, publish, keys:read, keys:write, organization:read, organization:write, tokens:create, events:read */
            scopes?: ("users:read" | "users:write" | "acl:read" | "acl:write" | "sessions:read" | "sessions:write" | "publish" | "keys:read" | "keys:write" | "organization:read" | "organization:write" | "tokens:create" | "events:read")[];
        };
        OrganizationSettings: {
            /** @description Rule set (name or id) given to new users created without `acl_set` */
            default_rule_set?: string | null;
        };
        OrganizationBroker: {
            /** @description The broker serving the organization */
            name: string;
            /** @description Where its devices connect (mqtt[s]://host:port) */
            mqtt_url: string;
        };
        Organization: {
            id: string;
            name: string;
            /** Format: date-time */
            created_at?: string;
            /** @description single or multi (deployment-wide) */
            tenancy?: string;
            settings?: components["schemas"]["OrganizationSettings"];
            /** @description Only when the deployment runs several brokers: the one serving this organization */
            broker?: components["schemas"]["OrganizationBroker"];
            /** @description Limits: max_users, max_acl_rules, max_rule_sets, max_api_keys, max_auth_providers, max_connections, messages_per_minute, rate_limit_per_minute, max_retained_messages, max_payload_bytes; null means unlimited */
            quotas?: {
                [key: string]: number | null;
            };
            /** @description Current counts: users, acl_rules, rule_sets, api_keys, auth_providers, connections (live MQTT sessions), requests_this_minute, http_messages_this_minute (messages from MQTT clients are counted inside the broker) */
            usage?: {
                [key: string]: number;
            };
        };
        OrganizationPatch: {
            name?: string;
            settings?: components["schemas"]["OrganizationSettings"];
        };
        UsageBucket: {
            /** Format: date-time */
            start: string;
            /** @description Connected at the bucket's end (or now) */
            connections: number;
            /** @description Most connected at once in the bucket */
            peak_connections: number;
            /** @description CONNECTs admitted in the bucket */
            connects: number;
            /** @description Disconnects in the bucket by reason: client, kicked, takeover, credentials_expired, broker_restart */
            disconnects: {
                [key: string]: number;
            };
        };
        OrganizationUsage: {
            /** Format: date-time */
            from: string;
            /** Format: date-time */
            to: string;
            /** @description Bucket width in seconds */
            interval: number;
            buckets: components["schemas"]["UsageBucket"][];
            /** @description Over the whole range: connects, disconnects, peak_connections, and one `disconnects_<reason>` per reason */
            totals: {
                [key: string]: number;
            };
        };
        Session: {
            session_id?: string;
            client_id?: string;
            /** @description Name part of the MQTT username */
            username?: string;
            mqtt_username?: string;
            /** @description active or disconnected */
            status?: string;
            /** Format: date-time */
            connected_at?: string;
            /** Format: date-time */
            disconnected_at?: string | null;
            /** @description client, kicked, takeover, credentials_expired, broker_restart */
            disconnect_reason?: string | null;
            /** @description Closed sessions only */
            duration_seconds?: number | null;
            peer_address?: string | null;
            /** @description 3, 4 (3.1.1) or 5 */
            protocol_version?: number | null;
            clean_start?: boolean;
        };
        SessionPage: {
            data: components["schemas"]["Session"][];
            /** @description null on the last page */
            next_cursor: string | null;
        };
        TerminateReply: {
            username: string;
            sessions_terminated: number;
        };
        Properties: {
            content_type?: string;
            /** @description Seconds */
            message_expiry_interval?: number;
            response_topic?: string;
            correlation_data?: string;
            user_properties?: {
                [key: string]: string;
            };
        };
        Publish: {
            /** @description A topic name, no wildcards */
            topic: string;
            /** @description A string is sent as is; any other JSON value JSON-encoded */
            payload: unknown;
            /**
             * @default 0
             * @enum {integer}
             */
            qos?: 0 | 1 | 2;
            /** @default false */
            retain?: boolean;
            /** @description MQTT 5 properties */
            properties?: components["schemas"]["Properties"];
        };
        PublishReply: {
            topic: string;
            qos: number;
            retain: boolean;
            message_id: number;
            /** @description QoS 1/2: the broker acknowledged; QoS 0: false (not asked) */
            acknowledged: boolean;
        };
        Batch: {
            messages: components["schemas"]["Publish"][];
        };
        BatchResult: {
            index: number;
            ok: boolean;
            message_id?: number;
            /** @description broker_unavailable, broker_timeout or message_quota_exceeded (the broker refused it by a quota) */
            error?: string;
        };
        BatchReply: {
            published: number;
            failed: number;
            results: components["schemas"]["BatchResult"][];
        };
        AuthProvider: {
            /** Format: date-time */
            created_at?: $Read<string>;
            /** Format: date-time */
            updated_at?: $Read<string>;
            /** @description oidc, jwt */
            issuer?: string;
            /** @description clerk: accepted issuers (their JWKS at /.well-known/jwks.json) */
            issuers?: string[];
            /** @description auth0 (required), oidc, jwt, clerk, supabase */
            audience?: string;
            /** @description oidc */
            jwks_url?: string;
            /** @description firebase */
            project_id?: string;
            /** @description supabase */
            project_url?: string;
            /** @description auth0, e.g. tenant.eu.auth0.com */
            domain?: string;
            /** @description supabase JWT secret, or jwt shared secret (HS256); never shown */
            secret?: $Write<string>;
            /** @description jwt: PEM public key (RS/ES/PS) */
            public_key?: string;
            /**
             * @description The claim naming the user
             * @default sub
             */
            user_claim?: string;
            required_claims?: string[];
            /**
             * @description Rule set temporary users get (name or id)
             * @default null
             */
            acl_set?: string | null;
            /** @default 3600 */
            default_ttl?: number;
            /** @default 86400 */
            max_ttl?: number;
            /**
             * @description false: tokens are not exchanged and credentials it issued are not refreshed
             * @default true
             */
            enabled?: boolean;
            id?: $Read<string>;
            /** @description (1-64 letters, digits, '-', '_' or '.') */
            name: string;
            /** @enum {string} */
            type: "supabase" | "firebase" | "auth0" | "clerk" | "oidc" | "jwt";
            has_secret?: $Read<boolean>;
        };
        AuthProviderPage: {
            data: components["schemas"]["AuthProvider"][];
            /** @description null on the last page */
            next_cursor: string | null;
        };
        AuthProviderPatch: {
            /** @description oidc, jwt */
            issuer?: string;
            /** @description clerk: accepted issuers (their JWKS at /.well-known/jwks.json) */
            issuers?: string[];
            /** @description auth0 (required), oidc, jwt, clerk, supabase */
            audience?: string;
            /** @description oidc */
            jwks_url?: string;
            /** @description firebase */
            project_id?: string;
            /** @description supabase */
            project_url?: string;
            /** @description auth0, e.g. tenant.eu.auth0.com */
            domain?: string;
            /** @description supabase JWT secret, or jwt shared secret (HS256); never shown */
            secret?: $Write<string>;
            /** @description jwt: PEM public key (RS/ES/PS) */
            public_key?: string;
            user_claim?: string;
            required_claims?: string[];
            acl_set?: string | null;
            default_ttl?: number;
            max_ttl?: number;
            enabled?: boolean;
            /** @description (1-64 letters, digits, '-', '_' or '.') */
            name?: string;
        };
        Exchange: {
            /**
             * @description Name or id; optional with one provider
             * @default null
             */
            provider?: string | null;
            token: string;
            /**
             * @description Seconds; capped by the provider's max_ttl
             * @default null
             */
            ttl?: number | null;
        };
        Credential: {
            /** @description tok_...@org_... */
            mqtt_username: string;
            /** @description Shown once, when minted */
            mqtt_password?: string;
            /** Format: date-time */
            expires_at: string;
            /** @description Seconds from now */
            expires_in: number;
            /** @description Provider name; null when minted */
            provider?: string | null;
            user_id: string;
            /** @description single, or multi: topics live under `<org_id>/` on the broker (the SDKs add and strip it) */
            tenancy: string;
        };
        Mint: {
            user_id: string;
            /** @default 3600 */
            ttl?: number;
            /**
             * @description Rule set name or id
             * @default null
             */
            acl_set?: string | null;
        };
        Refresh: {
            mqtt_username: string;
            mqtt_password: string;
        };
        EventAggregate: {
            /** @description organization, user, acl_rule, rule_set, api_key, session, auth_provider, temporary_credential */
            type?: string;
            id?: string;
            name?: string;
            version?: number;
        };
        EventActor: {
            /** @description API key id, `system` or `broker` */
            id?: string;
            name?: string | null;
        };
        Event: {
            position?: number | null;
            /** Format: date-time */
            time?: string;
            type?: string;
            aggregate?: components["schemas"]["EventAggregate"];
            actor?: components["schemas"]["EventActor"];
            request_id?: string | null;
            /** @description The event's fields; hashes and secrets are never included */
            change?: unknown;
        };
        EventPage: {
            data: components["schemas"]["Event"][];
            /** @description Pass as `after`; null on the last page (poll again with the last event's position for newer ones) */
            next_cursor: string | null;
        };
        Access: {
            /** Format: date-time */
            at?: string;
            allowed?: boolean;
            reason?: string;
            matched_rule?: (Record<string, never> | null) | components["schemas"]["Rule"];
            /** @description Deny rules that overlap a granted subscription filter: deliveries on the topics they name are withheld */
            withheld?: components["schemas"]["Rule"][];
            source?: string | null;
            /** @description The events behind the answer */
            events?: components["schemas"]["Event"][];
        };
        State: {
            /** Format: date-time */
            at?: string;
            users?: {
                [key: string]: unknown;
            }[];
            rules?: {
                [key: string]: unknown;
            }[];
            rule_sets?: {
                [key: string]: unknown;
            }[];
            api_keys?: {
                [key: string]: unknown;
            }[];
        };
        PolicyRule: {
            /** @description Topic filter; may use +, # and {username}, {client_id}, {org_id} */
            topic: string;
            /** @enum {string} */
            action: "publish" | "subscribe" | "both";
            /** @enum {string} */
            permission: "allow" | "deny";
            /**
             * @description Lowest number is tried first; at a tie, deny before allow
             * @default 100
             */
            priority?: number;
            /**
             * @description Only users whose name matches this glob (e.g. `sensor-*`); null: all
             * @default null
             */
            user?: string | null;
            /**
             * @description An existing rule's id: that rule, changed to these fields. Without an id, an identical existing rule is kept, else a new one is created
             * @default null
             */
            id?: string | null;
        };
        PolicyRuleSet: {
            /** @description Rule sets are matched by name (1-64 letters, digits, '-', '_' or '.') */
            name: string;
            /** @default  */
            description?: string;
            /** @description The set's rules (ids, if given, are ignored) */
            rules?: components["schemas"]["PolicyRule"][];
        };
        Policy: {
            /** @description Organization rules: they apply to every user */
            rules: components["schemas"]["PolicyRule"][];
            rule_sets: components["schemas"]["PolicyRuleSet"][];
        };
        PolicyApply: {
            /** @description Organization rules: they apply to every user */
            rules: components["schemas"]["PolicyRule"][];
            rule_sets: components["schemas"]["PolicyRuleSet"][];
            /**
             * @description Only answer the plan; change nothing
             * @default false
             */
            dry_run?: boolean;
        };
        PolicyPlan: {
            dry_run: boolean;
            /** @description The changes were saved (as one commit) */
            applied: boolean;
            /** @description Every event of the push carries it (see /v2/events) */
            request_id?: string | null;
            /** @description `{kind: rule, id, rule}` or `{kind: rule_set, name, description, rules}`; a dry run's new rule ids are null */
            created: {
                [key: string]: unknown;
            }[];
            /** @description `{kind, id | name, changes: {field: {from, to}}}` */
            changed: {
                [key: string]: unknown;
            }[];
            /** @description `{kind: rule, id, rule}` or `{kind: rule_set, name, description, rules}` */
            deleted: {
                [key: string]: unknown;
            }[];
            /** @description Rules and rule sets left as they are */
            unchanged: number;
        };
        WhoAmI: {
            key_id: string;
            name: string;
            /** @description secret, public or restricted */
            type: string;
            /** @description What the key may do: every scope for a secret key, none for a public key */
            scopes: string[];
            org_id: string;
        };
        PresenceSession: {
            session_id?: string;
            /** @description Name part of the MQTT username */
            username?: string;
            mqtt_username?: string;
            /** @description As its user knows it (without the organization prefix) */
            client_id?: string;
            peer_address?: string | null;
            /** Format: date-time */
            connected_at?: string;
            /** @description Current subscriptions the rules allowed, as the client wrote them (`$share/GROUP/FILTER` for shared ones) */
            filters?: string[];
        };
        PresenceList: {
            /** @description Matching sessions on every page */
            online_count: number;
            /** @description One row per session */
            users: components["schemas"]["PresenceSession"][];
            /** @description null on the last page */
            next_cursor: string | null;
        };
        PresenceUser: {
            username: string;
            online: boolean;
            sessions: components["schemas"]["PresenceSession"][];
        };
        RetainedMessage: {
            topic: string;
            /** @description Payload bytes */
            size: number;
            qos: number;
            /**
             * Format: date-time
             * @description When it was last set
             */
            updated_at: string;
            /** @description include_payload only: UTF-8 text, or base64 (payload_encoding) */
            payload?: string | null;
            /** @description include_payload only: utf-8 or base64 */
            payload_encoding?: string;
        };
        RetainedPage: {
            data: components["schemas"]["RetainedMessage"][];
            next_cursor: string | null;
            /** @description Matching retained messages on every page */
            count: number;
        };
        RetainedBulkDeleteReply: {
            /** @description The filter */
            topic: string;
            dry_run: boolean;
            /** @description Matched (dry run) or deleted */
            count: number;
            /** @description At most 500 of them */
            topics: string[];
        };
        RetainedDeleteReply: {
            deleted: boolean;
            topic: string;
        };
    };
    responses: {
        /**
         * @description Bad Request. `error` is one of:
         *
         *     - `validation_error`: a field is invalid; `detail` maps each field to its problems
         *     - `invalid_json`: the body is not valid JSON
         *     - `invalid_content_type`: the body was not sent as `application/json`
         *     - `invalid_cursor`: `cursor` is not a `next_cursor` this API gave
         *     - `missing_claim`: token exchange: the identity token lacks a required claim
         *     - `provider_required`: token exchange: several providers exist; name one
         *     - `provider_ambiguous`: token exchange: several providers of the given type exist; name one
         */
        BAD_REQUEST: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "validation_error",
                 *       "message": "the request is invalid; see detail",
                 *       "detail": {
                 *         "username": [
                 *           "must be 1-64 letters, digits, '-', '_' or '.'"
                 *         ]
                 *       },
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description Unauthorized. `error` is one of:
         *
         *     - `missing_api_key`: no `Authorization: Bearer <key>` (or `X-Secret-Key`) header
         *     - `invalid_api_key`: the key is unknown
         *     - `api_key_revoked`: the key was revoked (or rotated)
         *     - `api_key_expired`: the key's `expires_at` has passed
         *     - `invalid_token`: token exchange: the identity token's signature or claims are wrong
         *     - `token_expired`: token exchange or refresh: the token or credentials have expired
         *     - `invalid_credentials`: token refresh: unknown temporary credentials or wrong password
         */
        UNAUTHORIZED: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "missing_api_key",
                 *       "message": "missing API key: send 'Authorization: Bearer <key>'",
                 *       "detail": null,
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description Too Many Requests. `error` is one of:
         *
         *     - `rate_limited`: the organization's requests per minute are used up; wait `Retry-After` seconds
         *     - `message_quota_exceeded`: HTTP publish: the organization's messages per minute are used up
         */
        TOO_MANY_REQUESTS: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "rate_limited",
                 *       "message": "the organization's limit of 6000 requests per minute is used up; retry in 12 s",
                 *       "detail": null,
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description Forbidden. `error` is one of:
         *
         *     - `insufficient_scope`: a restricted key lacks the operation's scope (`detail.required_scope`)
         *     - `forbidden`: public keys may only exchange tokens and read the organization's id and name
         *     - `quota_exceeded`: the organization reached a quota (users, rules, rule sets, keys, providers)
         */
        FORBIDDEN: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "insufficient_scope",
                 *       "message": "this key lacks the 'users:write' scope",
                 *       "detail": {
                 *         "required_scope": "users:write"
                 *       },
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Any other error, in the same shape */
        DEFAULT_ERROR: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "not_found",
                 *       "message": "user 'agent-01' not found",
                 *       "detail": null,
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description Not Found. `error` is one of:
         *
         *     - `not_found`: no such user, rule, rule set, key, session or provider in this organization
         *     - `provider_not_found`: token exchange: no such auth provider
         */
        NOT_FOUND: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "not_found",
                 *       "message": "user 'agent-01' not found",
                 *       "detail": null,
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description Conflict. `error` is one of:
         *
         *     - `conflict`: the name is taken, the resource is in use, or it changed meanwhile
         *     - `idempotency_key_reused`: this `Idempotency-Key` was used with a different request in the last 24 h
         *     - `idempotency_key_in_use`: a request with this `Idempotency-Key` is still being processed; retry
         */
        CONFLICT: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "conflict",
                 *       "message": "user 'agent-01' already exists",
                 *       "detail": null,
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description Service Unavailable. `error` is one of:
         *
         *     - `store_unavailable`: the event store is unreachable; nothing was changed, retry shortly
         *     - `broker_unavailable`: the broker is unreachable (publish, disconnect)
         *     - `broker_not_configured`: the deployment has no broker integration
         *     - `provider_unavailable`: token exchange: the provider's keys could not be fetched
         *     - `too_many_streams`: every event stream slot of this process is taken
         */
        SERVICE_UNAVAILABLE: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                "Retry-After": components["headers"]["Retry-After"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "store_unavailable",
                 *       "message": "the event store is unavailable; retry shortly",
                 *       "detail": null,
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description Gateway Timeout. `error` is one of:
         *
         *     - `broker_timeout`: the broker did not acknowledge a QoS 1/2 publish within 5 s
         */
        GATEWAY_TIMEOUT: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "broker_timeout",
                 *       "message": "the broker did not acknowledge a QoS 1/2 publish within 5 s",
                 *       "detail": null,
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
        /**
         * @description Request Entity Too Large. `error` is one of:
         *
         *     - `request_too_large`: the body exceeds 1 MiB
         */
        REQUEST_ENTITY_TOO_LARGE: {
            headers: {
                "X-Request-Id": components["headers"]["X-Request-Id"];
                [name: string]: unknown;
            };
            content: {
                /**
                 * @example {
                 *       "error": "request_too_large",
                 *       "message": "the body exceeds 1 MiB",
                 *       "detail": null,
                 *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"
                 *     }
                 */
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: {
        /**
         * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
         * @example deploy-2025-01-31-01
         */
        RequestId: string;
        /**
         * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
         * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
         */
        IdempotencyKey: string;
    };
    requestBodies: never;
    headers: {
        /**
         * @description The request's id (the one sent, or a new `req_...`); recorded on every event the request causes
         * @example req_Zx8Kq2LmP4rT7vW1zAbC
         */
        "X-Request-Id": string;
        /**
         * @description Requests per minute the organization may make (sent only when a limit applies)
         * @example 6000
         */
        "X-RateLimit-Limit": number;
        /**
         * @description Requests left in the current minute (sent only when a limit applies)
         * @example 5983
         */
        "X-RateLimit-Remaining": number;
        /**
         * @description When the window resets, in epoch seconds (sent only when a limit applies)
         * @example 1738324860
         */
        "X-RateLimit-Reset": number;
        /**
         * @description Seconds to wait before retrying
         * @example 12
         */
        "Retry-After": number;
        /**
         * @description `true` when this reply is the stored reply of an earlier request with the same `Idempotency-Key`
         * @example true
         */
        "Idempotent-Replayed": string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    users_list: {
        parameters: {
            query?: {
                /** @description Items per page (1-500) */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "usr_3kP9sQ2vXy7LmN4b",
                     *           "username": "agent-01",
                     *           "mqtt_username": "agent-01@org_k7xm4pqr2n5t",
                     *           "org_id": "org_k7xm4pqr2n5t",
                     *           "acl_set": "backend-services",
                     *           "disabled": false,
                     *           "metadata": {
                     *             "site": "lab"
                     *           },
                     *           "created_at": "2025-01-31T12:00:00+00:00",
                     *           "updated_at": "2025-01-31T12:00:00+00:00"
                     *         }
                     *       ],
                     *       "next_cursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["UserPage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    users_create: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "username": "agent-01",
                 *       "password": "secure-password",
                 *       "metadata": {
                 *         "site": "lab"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["User"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "usr_3kP9sQ2vXy7LmN4b",
                     *       "username": "agent-01",
                     *       "mqtt_username": "agent-01@org_k7xm4pqr2n5t",
                     *       "org_id": "org_k7xm4pqr2n5t",
                     *       "acl_set": "backend-services",
                     *       "disabled": false,
                     *       "metadata": {
                     *         "site": "lab"
                     *       },
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    users_get: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                username: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "usr_3kP9sQ2vXy7LmN4b",
                     *       "username": "agent-01",
                     *       "mqtt_username": "agent-01@org_k7xm4pqr2n5t",
                     *       "org_id": "org_k7xm4pqr2n5t",
                     *       "acl_set": "backend-services",
                     *       "disabled": false,
                     *       "metadata": {
                     *         "site": "lab"
                     *       },
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    users_delete: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                username: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    users_update: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                username: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "acl_set": "backend-services",
                 *       "disabled": false
                 *     }
                 */
                "application/json": components["schemas"]["UserPatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "usr_3kP9sQ2vXy7LmN4b",
                     *       "username": "agent-01",
                     *       "mqtt_username": "agent-01@org_k7xm4pqr2n5t",
                     *       "org_id": "org_k7xm4pqr2n5t",
                     *       "acl_set": "backend-services",
                     *       "disabled": false,
                     *       "metadata": {
                     *         "site": "lab"
                     *       },
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["User"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rules_list: {
        parameters: {
            query?: {
                /** @description Items per page (1-500) */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "rule_4fTq9ZkQ2mWx7bYc",
                     *           "topic": "agents/{username}/#",
                     *           "action": "both",
                     *           "permission": "allow",
                     *           "priority": 100,
                     *           "user": null,
                     *           "created_at": "2025-01-31T12:00:00+00:00",
                     *           "updated_at": "2025-01-31T12:00:00+00:00"
                     *         }
                     *       ],
                     *       "next_cursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["AclRulePage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rules_create: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "topic": "agents/{username}/#",
                 *       "action": "both",
                 *       "permission": "allow",
                 *       "priority": 100
                 *     }
                 */
                "application/json": components["schemas"]["AclRule"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "rule_4fTq9ZkQ2mWx7bYc",
                     *       "topic": "agents/{username}/#",
                     *       "action": "both",
                     *       "permission": "allow",
                     *       "priority": 100,
                     *       "user": null,
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["AclRule"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rules_get: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                rule_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "rule_4fTq9ZkQ2mWx7bYc",
                     *       "topic": "agents/{username}/#",
                     *       "action": "both",
                     *       "permission": "allow",
                     *       "priority": 100,
                     *       "user": null,
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["AclRule"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rules_delete: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                rule_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rules_update: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                rule_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "priority": 50
                 *     }
                 */
                "application/json": components["schemas"]["AclRulePatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "rule_4fTq9ZkQ2mWx7bYc",
                     *       "topic": "agents/{username}/#",
                     *       "action": "both",
                     *       "permission": "allow",
                     *       "priority": 100,
                     *       "user": null,
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["AclRule"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rule_sets_list: {
        parameters: {
            query?: {
                /** @description Items per page (1-500) */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "rs_2bD4fG6hJ8kL0mN2",
                     *           "name": "backend-services",
                     *           "description": "Services of the backend",
                     *           "rules": [
                     *             {
                     *               "id": "rule_8HjK2LmN4pQr6sTu",
                     *               "topic": "services/#",
                     *               "action": "both",
                     *               "permission": "allow",
                     *               "priority": 100,
                     *               "user": null
                     *             }
                     *           ],
                     *           "users": 3,
                     *           "created_at": "2025-01-31T12:00:00+00:00",
                     *           "updated_at": "2025-01-31T12:00:00+00:00"
                     *         }
                     *       ],
                     *       "next_cursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["RuleSetPage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rule_sets_create: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "backend-services",
                 *       "description": "Services of the backend",
                 *       "rules": [
                 *         {
                 *           "topic": "services/#",
                 *           "action": "both",
                 *           "permission": "allow"
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["RuleSet"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "rs_2bD4fG6hJ8kL0mN2",
                     *       "name": "backend-services",
                     *       "description": "Services of the backend",
                     *       "rules": [
                     *         {
                     *           "id": "rule_8HjK2LmN4pQr6sTu",
                     *           "topic": "services/#",
                     *           "action": "both",
                     *           "permission": "allow",
                     *           "priority": 100,
                     *           "user": null
                     *         }
                     *       ],
                     *       "users": 3,
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["RuleSet"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rule_sets_get: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                id_or_name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "rs_2bD4fG6hJ8kL0mN2",
                     *       "name": "backend-services",
                     *       "description": "Services of the backend",
                     *       "rules": [
                     *         {
                     *           "id": "rule_8HjK2LmN4pQr6sTu",
                     *           "topic": "services/#",
                     *           "action": "both",
                     *           "permission": "allow",
                     *           "priority": 100,
                     *           "user": null
                     *         }
                     *       ],
                     *       "users": 3,
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["RuleSet"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rule_sets_delete: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                id_or_name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_rule_sets_update: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                id_or_name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "rules": [
                 *         {
                 *           "topic": "services/#",
                 *           "action": "both",
                 *           "permission": "allow"
                 *         },
                 *         {
                 *           "topic": "services/secret/#",
                 *           "action": "both",
                 *           "permission": "deny"
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["RuleSetPatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "rs_2bD4fG6hJ8kL0mN2",
                     *       "name": "backend-services",
                     *       "description": "Services of the backend",
                     *       "rules": [
                     *         {
                     *           "id": "rule_8HjK2LmN4pQr6sTu",
                     *           "topic": "services/#",
                     *           "action": "both",
                     *           "permission": "allow",
                     *           "priority": 100,
                     *           "user": null
                     *         }
                     *       ],
                     *       "users": 3,
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["RuleSet"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_check: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "username": "agent-01",
                 *       "topic": "agents/agent-01/state",
                 *       "action": "publish"
                 *     }
                 */
                "application/json": components["schemas"]["AclCheck"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "allowed": true,
                     *       "matched_rule": {
                     *         "id": "rule_4fTq9ZkQ2mWx7bYc",
                     *         "topic": "agents/{username}/#",
                     *         "action": "both",
                     *         "permission": "allow",
                     *         "priority": 100,
                     *         "user": null
                     *       },
                     *       "withheld": [],
                     *       "source": "organization",
                     *       "reason": "allowed by rule rule_4fTq9ZkQ2mWx7bYc (allow both agents/{username}/#)"
                     *     }
                     */
                    "application/json": components["schemas"]["AclDecision"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    api_keys_list: {
        parameters: {
            query?: {
                /** @description Items per page (1-500) */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "key_7mN3pQ5rS7tU9vW1",
                     *           "name": "ci",
                     *           "type": "restricted",
                     *           "scopes": [
                     *             "acl:write",
                     *             "users:write"
                     *           ],
                     *           "expires_at": null,
                     *           "masked_key": "rk_...a1B2",
                     *           "status": "active",
                     *           "last_used_at": "2025-01-31T12:05:00+00:00",
                     *           "created_at": "2025-01-31T12:00:00+00:00",
                     *           "updated_at": "2025-01-31T12:05:00+00:00"
                     *         }
                     *       ],
                     *       "next_cursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["ApiKeyPage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    api_keys_create: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "ci",
                 *       "type": "restricted",
                 *       "scopes": [
                 *         "users:write",
                 *         "acl:write"
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["ApiKey"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "key_7mN3pQ5rS7tU9vW1",
                     *       "name": "ci",
                     *       "type": "restricted",
                     *       "scopes": [
                     *         "acl:write",
                     *         "users:write"
                     *       ],
                     *       "expires_at": null,
                     *       "masked_key": "rk_...a1B2",
                     *       "status": "active",
                     *       "last_used_at": null,
                     *       "key": "rk_Xy7LmN4b3kP9sQ2vXy7LmN4b3kP9sQ2vXya1B2",
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["NewApiKey"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    api_keys_get: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "key_7mN3pQ5rS7tU9vW1",
                     *       "name": "ci",
                     *       "type": "restricted",
                     *       "scopes": [
                     *         "acl:write",
                     *         "users:write"
                     *       ],
                     *       "expires_at": null,
                     *       "masked_key": "rk_...a1B2",
                     *       "status": "active",
                     *       "last_used_at": "2025-01-31T12:05:00+00:00",
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:05:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    api_keys_delete: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    api_keys_update: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "deploy-bot"
                 *     }
                 */
                "application/json": components["schemas"]["ApiKeyPatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "key_7mN3pQ5rS7tU9vW1",
                     *       "name": "ci",
                     *       "type": "restricted",
                     *       "scopes": [
                     *         "acl:write",
                     *         "users:write"
                     *       ],
                     *       "expires_at": null,
                     *       "masked_key": "rk_...a1B2",
                     *       "status": "active",
                     *       "last_used_at": "2025-01-31T12:05:00+00:00",
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:05:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    api_keys_rotate: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                key_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "key_7mN3pQ5rS7tU9vW1",
                     *       "name": "ci",
                     *       "type": "restricted",
                     *       "scopes": [
                     *         "acl:write",
                     *         "users:write"
                     *       ],
                     *       "expires_at": null,
                     *       "masked_key": "rk_...a1B2",
                     *       "status": "active",
                     *       "last_used_at": null,
                     *       "key": "rk_Xy7LmN4b3kP9sQ2vXy7LmN4b3kP9sQ2vXya1B2",
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["NewApiKey"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    organization_get: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "org_k7xm4pqr2n5t",
                     *       "name": "Default organization",
                     *       "tenancy": "multi",
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "settings": {
                     *         "default_rule_set": "backend-services"
                     *       },
                     *       "quotas": {
                     *         "max_users": 10000,
                     *         "max_acl_rules": 1000,
                     *         "max_rule_sets": 100,
                     *         "max_api_keys": 100,
                     *         "max_auth_providers": 20,
                     *         "max_connections": 10000,
                     *         "messages_per_minute": 60000,
                     *         "rate_limit_per_minute": 6000
                     *       },
                     *       "usage": {
                     *         "users": 12,
                     *         "acl_rules": 4,
                     *         "rule_sets": 2,
                     *         "api_keys": 3,
                     *         "auth_providers": 1,
                     *         "connections": 9,
                     *         "requests_this_minute": 17,
                     *         "http_messages_this_minute": 2
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Organization"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    organization_update: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "Acme",
                 *       "settings": {
                 *         "default_rule_set": "backend-services"
                 *       }
                 *     }
                 */
                "application/json": components["schemas"]["OrganizationPatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "org_k7xm4pqr2n5t",
                     *       "name": "Default organization",
                     *       "tenancy": "multi",
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "settings": {
                     *         "default_rule_set": "backend-services"
                     *       },
                     *       "quotas": {
                     *         "max_users": 10000,
                     *         "max_acl_rules": 1000,
                     *         "max_rule_sets": 100,
                     *         "max_api_keys": 100,
                     *         "max_auth_providers": 20,
                     *         "max_connections": 10000,
                     *         "messages_per_minute": 60000,
                     *         "rate_limit_per_minute": 6000
                     *       },
                     *       "usage": {
                     *         "users": 12,
                     *         "acl_rules": 4,
                     *         "rule_sets": 2,
                     *         "api_keys": 3,
                     *         "auth_providers": 1,
                     *         "connections": 9,
                     *         "requests_this_minute": 17,
                     *         "http_messages_this_minute": 2
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Organization"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    organization_usage: {
        parameters: {
            query?: {
                /** @description Start (ISO 8601 with a time zone); default `to` minus one hour */
                from?: string | null;
                /** @description End (ISO 8601 with a time zone); default now */
                to?: string | null;
                /** @description Bucket width in seconds; default the range over 60 (at most 1440 buckets) */
                interval?: number | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "from": "2025-01-31T12:00:00+00:00",
                     *       "to": "2025-01-31T12:00:00+00:00",
                     *       "interval": 1,
                     *       "buckets": [
                     *         {
                     *           "start": "2025-01-31T12:00:00+00:00",
                     *           "connections": 1,
                     *           "peak_connections": 1,
                     *           "connects": 1,
                     *           "disconnects": {}
                     *         }
                     *       ],
                     *       "totals": {}
                     *     }
                     */
                    "application/json": components["schemas"]["OrganizationUsage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    sessions_list: {
        parameters: {
            query?: {
                /** @description Items per page (1-500) */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string | null;
                /** @description active: connected now; disconnected: persistent sessions (clean start false) whose client is offline; all: both */
                status?: "active" | "disconnected" | "all";
                /** @description Name part of the MQTT username */
                username?: string | null;
                client_id?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "session_id": "ses_5tY7uI9oP1aS3dF5",
                     *           "client_id": "agent-01-main",
                     *           "username": "agent-01",
                     *           "mqtt_username": "agent-01@org_k7xm4pqr2n5t",
                     *           "status": "active",
                     *           "connected_at": "2025-01-31T12:00:00+00:00",
                     *           "disconnected_at": null,
                     *           "disconnect_reason": null,
                     *           "duration_seconds": 300,
                     *           "peer_address": "192.0.2.10",
                     *           "protocol_version": 5,
                     *           "clean_start": true
                     *         }
                     *       ],
                     *       "next_cursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["SessionPage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    sessions_history: {
        parameters: {
            query?: {
                /** @description Items per page (1-500) */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string | null;
                username?: string | null;
                client_id?: string | null;
                /** @description Connected at or after */
                since?: string | null;
                /** @description Connected before */
                until?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "session_id": "ses_5tY7uI9oP1aS3dF5",
                     *           "client_id": "agent-01-main",
                     *           "username": "agent-01",
                     *           "mqtt_username": "agent-01@org_k7xm4pqr2n5t",
                     *           "status": "active",
                     *           "connected_at": "2025-01-31T12:00:00+00:00",
                     *           "disconnected_at": null,
                     *           "disconnect_reason": null,
                     *           "duration_seconds": 300,
                     *           "peer_address": "192.0.2.10",
                     *           "protocol_version": 5,
                     *           "clean_start": true
                     *         }
                     *       ],
                     *       "next_cursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["SessionPage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    sessions_get: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                client_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "session_id": "ses_5tY7uI9oP1aS3dF5",
                     *       "client_id": "agent-01-main",
                     *       "username": "agent-01",
                     *       "mqtt_username": "agent-01@org_k7xm4pqr2n5t",
                     *       "status": "active",
                     *       "connected_at": "2025-01-31T12:00:00+00:00",
                     *       "disconnected_at": null,
                     *       "disconnect_reason": null,
                     *       "duration_seconds": 300,
                     *       "peer_address": "192.0.2.10",
                     *       "protocol_version": 5,
                     *       "clean_start": true
                     *     }
                     */
                    "application/json": components["schemas"]["Session"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    sessions_disconnect: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                client_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    users_terminate: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path: {
                username: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "username": "agent-01",
                     *       "sessions_terminated": 2
                     *     }
                     */
                    "application/json": components["schemas"]["TerminateReply"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    publish_message: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "topic": "agents/agent-01/inbox",
                 *       "payload": {
                 *         "task": "summarize-thread"
                 *       },
                 *       "qos": 1,
                 *       "retain": false
                 *     }
                 */
                "application/json": components["schemas"]["Publish"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "topic": "agents/agent-01/inbox",
                     *       "qos": 1,
                     *       "retain": false,
                     *       "message_id": 17,
                     *       "acknowledged": true
                     *     }
                     */
                    "application/json": components["schemas"]["PublishReply"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            504: components["responses"]["GATEWAY_TIMEOUT"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    publish_batch: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "messages": [
                 *         {
                 *           "topic": "agents/agent-01/inbox",
                 *           "payload": "hello",
                 *           "qos": 1
                 *         },
                 *         {
                 *           "topic": "agents/agent-02/inbox",
                 *           "payload": {
                 *             "task": "ping"
                 *           },
                 *           "qos": 0
                 *         }
                 *       ]
                 *     }
                 */
                "application/json": components["schemas"]["Batch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "published": 2,
                     *       "failed": 0,
                     *       "results": [
                     *         {
                     *           "index": 0,
                     *           "ok": true,
                     *           "message_id": 18
                     *         },
                     *         {
                     *           "index": 1,
                     *           "ok": true,
                     *           "message_id": 19
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["BatchReply"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    auth_providers_list: {
        parameters: {
            query?: {
                /** @description Items per page (1-500) */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "id": "ap_6gH8jK0lZ2xC4vB6",
                     *           "name": "auth",
                     *           "type": "oidc",
                     *           "issuer": "https://id.example.com",
                     *           "audience": "cloudsignal",
                     *           "jwks_url": "https://id.example.com/.well-known/jwks.json",
                     *           "user_claim": "sub",
                     *           "required_claims": [],
                     *           "acl_set": "browsers",
                     *           "default_ttl": 3600,
                     *           "max_ttl": 86400,
                     *           "has_secret": false,
                     *           "created_at": "2025-01-31T12:00:00+00:00",
                     *           "updated_at": "2025-01-31T12:00:00+00:00"
                     *         }
                     *       ],
                     *       "next_cursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["AuthProviderPage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    auth_providers_create: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "name": "auth",
                 *       "type": "oidc",
                 *       "issuer": "https://id.example.com",
                 *       "audience": "cloudsignal",
                 *       "jwks_url": "https://id.example.com/.well-known/jwks.json",
                 *       "acl_set": "browsers"
                 *     }
                 */
                "application/json": components["schemas"]["AuthProvider"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "ap_6gH8jK0lZ2xC4vB6",
                     *       "name": "auth",
                     *       "type": "oidc",
                     *       "issuer": "https://id.example.com",
                     *       "audience": "cloudsignal",
                     *       "jwks_url": "https://id.example.com/.well-known/jwks.json",
                     *       "user_claim": "sub",
                     *       "required_claims": [],
                     *       "acl_set": "browsers",
                     *       "default_ttl": 3600,
                     *       "max_ttl": 86400,
                     *       "has_secret": false,
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["AuthProvider"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    auth_providers_get: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                id_or_name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "ap_6gH8jK0lZ2xC4vB6",
                     *       "name": "auth",
                     *       "type": "oidc",
                     *       "issuer": "https://id.example.com",
                     *       "audience": "cloudsignal",
                     *       "jwks_url": "https://id.example.com/.well-known/jwks.json",
                     *       "user_claim": "sub",
                     *       "required_claims": [],
                     *       "acl_set": "browsers",
                     *       "default_ttl": 3600,
                     *       "max_ttl": 86400,
                     *       "has_secret": false,
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["AuthProvider"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    auth_providers_delete: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                id_or_name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    auth_providers_update: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                id_or_name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "default_ttl": 600
                 *     }
                 */
                "application/json": components["schemas"]["AuthProviderPatch"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "id": "ap_6gH8jK0lZ2xC4vB6",
                     *       "name": "auth",
                     *       "type": "oidc",
                     *       "issuer": "https://id.example.com",
                     *       "audience": "cloudsignal",
                     *       "jwks_url": "https://id.example.com/.well-known/jwks.json",
                     *       "user_claim": "sub",
                     *       "required_claims": [],
                     *       "acl_set": "browsers",
                     *       "default_ttl": 3600,
                     *       "max_ttl": 86400,
                     *       "has_secret": false,
                     *       "created_at": "2025-01-31T12:00:00+00:00",
                     *       "updated_at": "2025-01-31T12:00:00+00:00"
                     *     }
                     */
                    "application/json": components["schemas"]["AuthProvider"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    tokens_exchange: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "token": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJl",
                 *       "provider": "auth",
                 *       "ttl": 3600
                 *     }
                 */
                "application/json": components["schemas"]["Exchange"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "mqtt_username": "tok_4k9x2m7q1w8e5r3t@org_k7xm4pqr2n5t",
                     *       "mqtt_password": "Qw3rTy7uI9oP1aS3dF5gH7jK9lZ2xC4v",
                     *       "expires_at": "2025-01-31T13:00:00+00:00",
                     *       "expires_in": 3600,
                     *       "provider": "auth",
                     *       "user_id": "user-42",
                     *       "tenancy": "single"
                     *     }
                     */
                    "application/json": components["schemas"]["Credential"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    tokens_create: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "user_id": "device-9",
                 *       "ttl": 600,
                 *       "acl_set": "sensors"
                 *     }
                 */
                "application/json": components["schemas"]["Mint"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "mqtt_username": "tok_4k9x2m7q1w8e5r3t@org_k7xm4pqr2n5t",
                     *       "mqtt_password": "Qw3rTy7uI9oP1aS3dF5gH7jK9lZ2xC4v",
                     *       "expires_at": "2025-01-31T13:00:00+00:00",
                     *       "expires_in": 3600,
                     *       "provider": "auth",
                     *       "user_id": "user-42",
                     *       "tenancy": "single"
                     *     }
                     */
                    "application/json": components["schemas"]["Credential"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    tokens_refresh: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "mqtt_username": "tok_4k9x2m7q1w8e5r3t@org_k7xm4pqr2n5t",
                 *       "mqtt_password": "Qw3rTy7uI9oP1aS3dF5gH7jK9lZ2xC4v"
                 *     }
                 */
                "application/json": components["schemas"]["Refresh"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "mqtt_username": "tok_4k9x2m7q1w8e5r3t@org_k7xm4pqr2n5t",
                     *       "mqtt_password": "Qw3rTy7uI9oP1aS3dF5gH7jK9lZ2xC4v",
                     *       "expires_at": "2025-01-31T13:00:00+00:00",
                     *       "expires_in": 3600,
                     *       "provider": "auth",
                     *       "user_id": "user-42",
                     *       "tenancy": "single"
                     *     }
                     */
                    "application/json": components["schemas"]["Credential"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    events_list: {
        parameters: {
            query?: {
                /** @description Position to start after (`next_cursor` of the previous page) */
                after?: number;
                /** @description Same as `after` */
                cursor?: number | null;
                limit?: number;
                /** @description `MqttUser.Created`, or `MqttUser` for all of one kind */
                type?: string | null;
                /** @description Public id, e.g. usr_..., rule_... */
                aggregate?: string | null;
                /** @description API key id, `system` or `broker` */
                actor?: string | null;
                since?: string | null;
                until?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "position": 42,
                     *           "time": "2025-01-31T12:00:00+00:00",
                     *           "type": "MqttUser.Created",
                     *           "aggregate": {
                     *             "type": "user",
                     *             "id": "usr_3kP9sQ2vXy7LmN4b",
                     *             "name": "agent-01",
                     *             "version": 1
                     *           },
                     *           "actor": {
                     *             "id": "key_9xKq2LmP4rT7vW1z",
                     *             "name": "Default secret key"
                     *           },
                     *           "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC",
                     *           "change": {
                     *             "name": "agent-01",
                     *             "rule_set_id": "rs_2bD4fG6hJ8kL0mN2",
                     *             "metadata": {
                     *               "site": "lab"
                     *             }
                     *           }
                     *         }
                     *       ],
                     *       "next_cursor": null
                     *     }
                     */
                    "application/json": components["schemas"]["EventPage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    events_stream: {
        parameters: {
            query?: {
                /** @description Position to start after (`next_cursor` of the previous page) */
                after?: number;
                /** @description Same as `after` */
                cursor?: number | null;
                limit?: number;
                /** @description `MqttUser.Created`, or `MqttUser` for all of one kind */
                type?: string | null;
                /** @description Public id, e.g. usr_..., rule_... */
                aggregate?: string | null;
                /** @description API key id, `system` or `broker` */
                actor?: string | null;
                since?: string | null;
                until?: string | null;
                /** @description Seconds before the stream ends (reconnect with Last-Event-ID) */
                timeout?: number;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Server-Sent Events: `id` is the position, `event` the type, `data` the event */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example id: 42
                     *     event: MqttUser.Created
                     *     data: {"position": 42, "type": "MqttUser.Created", "aggregate": {"type": "user", "name": "agent-01"}}
                     */
                    "text/event-stream": string;
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    audit_access: {
        parameters: {
            query: {
                username: string;
                topic: string;
                action: "publish" | "subscribe";
                /** @description ISO 8601 with a time zone */
                at: string;
                client_id?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "at": "2025-01-31T12:00:00+00:00",
                     *       "allowed": true,
                     *       "reason": "allowed by rule rule_4fTq9ZkQ2mWx7bYc (allow both agents/{username}/#)",
                     *       "matched_rule": {
                     *         "id": "rule_4fTq9ZkQ2mWx7bYc",
                     *         "topic": "agents/{username}/#",
                     *         "action": "both",
                     *         "permission": "allow",
                     *         "priority": 100,
                     *         "user": null
                     *       },
                     *       "withheld": [],
                     *       "source": "organization",
                     *       "events": [
                     *         {
                     *           "position": 42,
                     *           "time": "2025-01-31T12:00:00+00:00",
                     *           "type": "MqttUser.Created",
                     *           "aggregate": {
                     *             "type": "user",
                     *             "id": "usr_3kP9sQ2vXy7LmN4b",
                     *             "name": "agent-01",
                     *             "version": 1
                     *           },
                     *           "actor": {
                     *             "id": "key_9xKq2LmP4rT7vW1z",
                     *             "name": "Default secret key"
                     *           },
                     *           "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC",
                     *           "change": {
                     *             "name": "agent-01",
                     *             "rule_set_id": "rs_2bD4fG6hJ8kL0mN2",
                     *             "metadata": {
                     *               "site": "lab"
                     *             }
                     *           }
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Access"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    audit_state: {
        parameters: {
            query: {
                at: string;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "at": "2025-01-31T12:00:00+00:00",
                     *       "users": [
                     *         {
                     *           "username": "agent-01",
                     *           "acl_set": "backend-services",
                     *           "disabled": false
                     *         }
                     *       ],
                     *       "rules": [
                     *         {
                     *           "id": "rule_4fTq9ZkQ2mWx7bYc",
                     *           "topic": "agents/{username}/#",
                     *           "action": "both",
                     *           "permission": "allow",
                     *           "priority": 100,
                     *           "user": null
                     *         }
                     *       ],
                     *       "rule_sets": [
                     *         {
                     *           "name": "backend-services",
                     *           "rules": [
                     *             {
                     *               "id": "rule_8HjK2LmN4pQr6sTu",
                     *               "topic": "services/#",
                     *               "action": "both",
                     *               "permission": "allow",
                     *               "priority": 100,
                     *               "user": null
                     *             }
                     *           ]
                     *         }
                     *       ],
                     *       "api_keys": [
                     *         {
                     *           "id": "key_9xKq2LmP4rT7vW1z",
                     *           "name": "Default secret key",
                     *           "type": "secret"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["State"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_policy_get: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "rules": [
                     *         {
                     *           "id": "rule_4fTq9ZkQ2mWx7bYc",
                     *           "topic": "agents/{username}/#",
                     *           "action": "both",
                     *           "permission": "allow",
                     *           "priority": 100
                     *         }
                     *       ],
                     *       "rule_sets": [
                     *         {
                     *           "name": "backend-services",
                     *           "description": "Services of the backend",
                     *           "rules": [
                     *             {
                     *               "topic": "services/#",
                     *               "action": "both",
                     *               "permission": "allow",
                     *               "priority": 100
                     *             }
                     *           ]
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Policy"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    acl_policy_apply: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
                /**
                 * @description Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per operation. Replies with status 500 or more are not stored.
                 * @example 6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10
                 */
                "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "rules": [
                 *         {
                 *           "topic": "agents/{username}/#",
                 *           "action": "both",
                 *           "permission": "allow",
                 *           "priority": 100
                 *         },
                 *         {
                 *           "topic": "alerts/#",
                 *           "action": "subscribe",
                 *           "permission": "allow"
                 *         }
                 *       ],
                 *       "rule_sets": [
                 *         {
                 *           "name": "backend-services",
                 *           "description": "Services of the backend",
                 *           "rules": [
                 *             {
                 *               "topic": "services/#",
                 *               "action": "both",
                 *               "permission": "allow"
                 *             }
                 *           ]
                 *         }
                 *       ],
                 *       "dry_run": true
                 *     }
                 */
                "application/json": components["schemas"]["PolicyApply"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "dry_run": true,
                     *       "applied": false,
                     *       "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC",
                     *       "created": [
                     *         {
                     *           "kind": "rule",
                     *           "id": null,
                     *           "rule": {
                     *             "topic": "alerts/#",
                     *             "action": "subscribe",
                     *             "permission": "allow",
                     *             "priority": 100,
                     *             "user": null
                     *           }
                     *         }
                     *       ],
                     *       "changed": [
                     *         {
                     *           "kind": "rule_set",
                     *           "name": "backend-services",
                     *           "changes": {
                     *             "description": {
                     *               "from": "",
                     *               "to": "Services of the backend"
                     *             }
                     *           }
                     *         }
                     *       ],
                     *       "deleted": [
                     *         {
                     *           "kind": "rule",
                     *           "id": "rule_1aB2cD3eF4gH5iJ6",
                     *           "rule": {
                     *             "topic": "legacy/#",
                     *             "action": "both",
                     *             "permission": "allow",
                     *             "priority": 100,
                     *             "user": null
                     *           }
                     *         }
                     *       ],
                     *       "unchanged": 3
                     *     }
                     */
                    "application/json": components["schemas"]["PolicyPlan"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            409: components["responses"]["CONFLICT"];
            413: components["responses"]["REQUEST_ENTITY_TOO_LARGE"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    whoami: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "key_id": "key_7mN3pQ5rS7tU9vW1",
                     *       "name": "ci",
                     *       "type": "restricted",
                     *       "scopes": [
                     *         "acl:write",
                     *         "users:write"
                     *       ],
                     *       "org_id": "org_k7xm4pqr2n5t"
                     *     }
                     */
                    "application/json": components["schemas"]["WhoAmI"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    utilities_presence_list: {
        parameters: {
            query?: {
                /** @description Items per page (1-500) */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string | null;
                /** @description Only sessions subscribed to a filter that overlaps this one (`+` and `#` allowed): `room/1` finds subscribers of `room/+` and `#` */
                topic?: string | null;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "online_count": 1,
                     *       "users": [
                     *         {
                     *           "session_id": "example",
                     *           "username": "agent-01",
                     *           "mqtt_username": "agent-01@org_k7xm4pqr2n5t",
                     *           "client_id": "agent-01-main",
                     *           "peer_address": "example",
                     *           "connected_at": "2025-01-31T12:00:00+00:00",
                     *           "filters": [
                     *             "example"
                     *           ]
                     *         }
                     *       ],
                     *       "next_cursor": "example"
                     *     }
                     */
                    "application/json": components["schemas"]["PresenceList"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    utilities_presence_get: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                username: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "username": "agent-01",
                     *       "online": false,
                     *       "sessions": [
                     *         {
                     *           "session_id": "example",
                     *           "username": "agent-01",
                     *           "mqtt_username": "agent-01@org_k7xm4pqr2n5t",
                     *           "client_id": "agent-01-main",
                     *           "peer_address": "example",
                     *           "connected_at": "2025-01-31T12:00:00+00:00",
                     *           "filters": [
                     *             "example"
                     *           ]
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["PresenceUser"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    utilities_retained_list: {
        parameters: {
            query?: {
                /** @description Items per page (1-500) */
                limit?: number;
                /** @description `next_cursor` of the previous page */
                cursor?: string | null;
                /** @description Only topics this filter matches (`+` and `#` allowed) */
                topic?: string | null;
                /** @description Also fetch the payloads from the broker (one subscription of the service's internal user per request) */
                include_payload?: boolean;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "data": [
                     *         {
                     *           "topic": "agents/agent-01/state",
                     *           "size": 1,
                     *           "qos": 1,
                     *           "updated_at": "2025-01-31T12:00:00+00:00",
                     *           "payload": "example",
                     *           "payload_encoding": "example"
                     *         }
                     *       ],
                     *       "next_cursor": "example",
                     *       "count": 1
                     *     }
                     */
                    "application/json": components["schemas"]["RetainedPage"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    utilities_retained_delete_all: {
        parameters: {
            query: {
                /** @description Filter of the retained messages to delete (`+`, `#`) */
                topic: string;
                /** @description Only count (and list) them */
                dry_run?: boolean;
            };
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "topic": "agents/agent-01/state",
                     *       "dry_run": false,
                     *       "count": 1,
                     *       "topics": [
                     *         "example"
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["RetainedBulkDeleteReply"];
                };
            };
            400: components["responses"]["BAD_REQUEST"];
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
    utilities_retained_delete: {
        parameters: {
            query?: never;
            header?: {
                /**
                 * @description Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on the events this request causes
                 * @example deploy-2025-01-31-01
                 */
                "X-Request-Id"?: components["parameters"]["RequestId"];
            };
            path: {
                topic: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "X-RateLimit-Limit": components["headers"]["X-RateLimit-Limit"];
                    "X-RateLimit-Remaining": components["headers"]["X-RateLimit-Remaining"];
                    "X-RateLimit-Reset": components["headers"]["X-RateLimit-Reset"];
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "deleted": false,
                     *       "topic": "agents/agent-01/state"
                     *     }
                     */
                    "application/json": components["schemas"]["RetainedDeleteReply"];
                };
            };
            401: components["responses"]["UNAUTHORIZED"];
            403: components["responses"]["FORBIDDEN"];
            404: components["responses"]["NOT_FOUND"];
            429: components["responses"]["TOO_MANY_REQUESTS"];
            503: components["responses"]["SERVICE_UNAVAILABLE"];
            default: components["responses"]["DEFAULT_ERROR"];
        };
    };
}
