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
        /** List MQTT users, oldest first */
        get: {
            parameters: {
                query?: {
                    /** @description Items per page (1-500) */
                    limit?: number;
                    /** @description `next_cursor` of the previous page */
                    cursor?: string | null;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        /**
         * Create an MQTT user
         * @description The user can connect at once as `mqtt_username`. An unknown `acl_set` is 404; a taken
         *     username is 409.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                409: components["responses"]["CONFLICT"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Get an MQTT user */
        get: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        post?: never;
        /** Delete an MQTT user; the username becomes free again */
        delete: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
        options?: never;
        head?: never;
        /** Change an MQTT user's password, rule set, disabled flag or metadata */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    username: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["UserPatch"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["User"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
        trace?: never;
    };
    "/v2/acl/rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the organization's rules, which apply to every user */
        get: {
            parameters: {
                query?: {
                    /** @description Items per page (1-500) */
                    limit?: number;
                    /** @description `next_cursor` of the previous page */
                    cursor?: string | null;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        /** Create an organization-level rule */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["AclRule"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AclRule"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Get a rule */
        get: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        post?: never;
        /** Delete a rule */
        delete: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
        options?: never;
        head?: never;
        /** Change some fields of a rule */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    rule_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["AclRulePatch"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AclRule"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
        trace?: never;
    };
    "/v2/acl/rule-sets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List rule sets */
        get: {
            parameters: {
                query?: {
                    /** @description Items per page (1-500) */
                    limit?: number;
                    /** @description `next_cursor` of the previous page */
                    cursor?: string | null;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        /** Create a named rule set; users assigned to it get its rules plus the organization's */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["RuleSet"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RuleSet"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                409: components["responses"]["CONFLICT"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Get a rule set by id or name */
        get: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        post?: never;
        /** Delete a rule set; 409 while users or the organization's default use it */
        delete: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                409: components["responses"]["CONFLICT"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
        options?: never;
        head?: never;
        /** Rename a rule set, change its description or replace its rules */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id_or_name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["RuleSetPatch"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["RuleSet"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                409: components["responses"]["CONFLICT"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Simulate an access decision with the same evaluation the broker uses */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["AclCheck"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AclDecision"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** List API keys, masked, with when each was last used */
        get: {
            parameters: {
                query?: {
                    /** @description Items per page (1-500) */
                    limit?: number;
                    /** @description `next_cursor` of the previous page */
                    cursor?: string | null;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        /** Create an API key; the reply holds the full key, which is never shown again */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["NewApiKey"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Get an API key (masked) */
        get: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        post?: never;
        /** Revoke an API key; it stops working at once (other service processes: within ~20 ms) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
        options?: never;
        head?: never;
        /** Rename a key or change a restricted key's scopes */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    key_id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["ApiKeyPatch"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiKey"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                409: components["responses"]["CONFLICT"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Replace a key: a new key with the same name, type and scopes; the old one is revoked */
        post: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["NewApiKey"];
                    };
                };
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                409: components["responses"]["CONFLICT"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Get the organization; public keys see only its id, name and tenancy */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Organization"];
                    };
                };
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Rename the organization or change its settings */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["OrganizationPatch"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Organization"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
        trace?: never;
    };
    "/v2/organization/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Connections, CONNECTs and disconnects by reason over time, in buckets (for charts) */
        get: {
            parameters: {
                query?: {
                    /** @description Start (ISO 8601 with a time zone); default `to` minus one hour */
                    from?: string | null;
                    /** @description End (ISO 8601 with a time zone); default now */
                    to?: string | null;
                    /** @description Bucket width in seconds; default the range over 60 (at most 1440 buckets) */
                    interval?: number | null;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        /** List sessions: connected clients, and persistent sessions whose client is offline */
        get: {
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
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        /** Every session opened and closed, with durations, oldest first */
        get: {
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
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        /** The current session of a client id */
        get: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        post?: never;
        /** Force a connected client off the broker */
        delete: {
            parameters: {
                query?: never;
                header?: never;
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
        /** Disconnect every session of an MQTT user (it may connect again) */
        post: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TerminateReply"];
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
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Publish"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PublishReply"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                503: components["responses"]["SERVICE_UNAVAILABLE"];
                504: components["responses"]["GATEWAY_TIMEOUT"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Publish up to 1000 messages in order, with a result for each */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Batch"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["BatchReply"];
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
        /** List auth providers (secrets are never shown) */
        get: {
            parameters: {
                query?: {
                    /** @description Items per page (1-500) */
                    limit?: number;
                    /** @description `next_cursor` of the previous page */
                    cursor?: string | null;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        /** Trust an identity provider's tokens for token exchange */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["AuthProvider"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AuthProvider"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                409: components["responses"]["CONFLICT"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Get an auth provider by id or name */
        get: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        post?: never;
        /** Stop trusting a provider; credentials already issued run until they expire */
        delete: {
            parameters: {
                query?: never;
                header?: never;
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
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
        options?: never;
        head?: never;
        /** Change an auth provider's settings */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id_or_name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["AuthProviderPatch"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["AuthProvider"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                409: components["responses"]["CONFLICT"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
         * @description Errors: `invalid_token` / `token_expired` (401), `missing_claim` (400),
         *     `provider_not_found` (404), `provider_unavailable` (503, keys could not be fetched).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Exchange"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Credential"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                503: components["responses"]["SERVICE_UNAVAILABLE"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Mint temporary MQTT credentials for one of your users (no identity provider) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Mint"];
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Credential"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                404: components["responses"]["NOT_FOUND"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Extend temporary credentials that have not expired by their original lifetime */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["Refresh"];
                };
            };
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Credential"];
                    };
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** The organization's events, oldest first, by position in the log */
        get: {
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
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        /** Follow the organization's new events live (Server-Sent Events) */
        get: {
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
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Server-Sent Events: `id` is the position, `event` the type, `data` the event */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                400: components["responses"]["BAD_REQUEST"];
                401: components["responses"]["UNAUTHORIZED"];
                403: components["responses"]["FORBIDDEN"];
                429: components["responses"]["TOO_MANY_REQUESTS"];
                503: components["responses"]["SERVICE_UNAVAILABLE"];
                default: components["responses"]["DEFAULT_ERROR"];
            };
        };
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
        /** Could this user publish or subscribe to this topic at that moment? With the rule and events */
        get: {
            parameters: {
                query: {
                    username: string;
                    topic: string;
                    action: "publish" | "subscribe";
                    /** @description ISO 8601 with a time zone */
                    at: string;
                    client_id?: string | null;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        /** Users, rules, rule sets and API keys as they were at that moment */
        get: {
            parameters: {
                query: {
                    at: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description OK */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
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
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Error: {
            /** @description Machine-readable code */
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
            /** @description Free-form JSON object (at most 32 keys, 4 KiB) */
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
            /** @description Free-form JSON object (at most 32 keys, 4 KiB) */
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
        Organization: {
            id: string;
            name: string;
            /** Format: date-time */
            created_at?: string;
            /** @description single or multi (deployment-wide) */
            tenancy?: string;
            settings?: components["schemas"]["OrganizationSettings"];
            /** @description Limits: max_users, max_acl_rules, max_rule_sets, max_api_keys, max_auth_providers, max_connections, messages_per_minute, rate_limit_per_minute */
            quotas?: {
                [key: string]: number;
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
            /** @description broker_unavailable or broker_timeout */
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
    };
    responses: {
        /** @description Bad Request */
        BAD_REQUEST: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Unauthorized */
        UNAUTHORIZED: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Too Many Requests */
        TOO_MANY_REQUESTS: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Forbidden */
        FORBIDDEN: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Default error response */
        DEFAULT_ERROR: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Not Found */
        NOT_FOUND: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Conflict */
        CONFLICT: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Service Unavailable */
        SERVICE_UNAVAILABLE: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
        /** @description Gateway Timeout */
        GATEWAY_TIMEOUT: {
            headers: {
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["Error"];
            };
        };
    };
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
