// The REST API's types, derived from the generated OpenAPI types (src/generated/openapi.ts) so that
// a change of the API shows up here at the next `npm run types:generate`. Replies and request bodies
// are distinct: a reply has no write-only field (passwords, secrets) and always carries the
// read-only ones (ids, timestamps); a request body has no read-only field.
import type { $Read, $Write, Readable, Writable, components, paths } from './generated/openapi.js'

type Schemas = components['schemas']
type Simplify<T> = { [K in keyof T]: T[K] } & {}
type IsReadOnly<V> = NonNullable<V> extends $Read<unknown> ? true : false
type IsWriteOnly<V> = NonNullable<V> extends $Write<unknown> ? true : false

/** A reply body: write-only fields dropped, read-only fields required, the rest as the schema says. */
type Reply<T> = Simplify<
  { [K in keyof T as IsReadOnly<T[K]> extends true ? K : never]-?: Readable<NonNullable<T[K]>> } & {
    [K in keyof T as IsReadOnly<T[K]> extends true ? never : IsWriteOnly<T[K]> extends true ? never : K]: Readable<T[K]>
  }
>
/** A request body: read-only fields dropped. */
type Body<T> = Simplify<Writable<T>>
type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? Simplify<NonNullable<Q>>
  : never

/**
 * The body of every error reply.
 * @example
 * const body: ErrorBody = { error: 'not_found', message: 'No such user', detail: null, request_id: 'req_1' }
 */
export type ErrorBody = Reply<Schemas['Error']>

/**
 * One page of a list: `next_cursor` is null on the last page.
 * @example
 * const page: Page<User> = await api.users.list({ limit: 10 })
 * if (page.next_cursor) await api.users.list({ cursor: page.next_cursor })
 */
export interface Page<T> {
  data: T[]
  next_cursor: string | null
}

/**
 * `limit` (1-500) and `cursor` of every list.
 * @example
 * const params: ListParams = { limit: 100 }
 */
export type ListParams = Query<'/v2/users'>

/**
 * An MQTT user.
 * @example
 * const user: User = await api.users.get('agent-01')
 * console.log(user.mqtt_username) // agent-01@org_k7xm4pqr2n5t
 */
export type User = Reply<Schemas['User']>
/**
 * What `api.users.create` takes.
 * @example
 * const input: UserCreate = { username: 'agent-01', password: 'secure-password', acl_set: 'agents' }
 */
export type UserCreate = Body<Schemas['User']>
/**
 * What `api.users.update` takes; every field is optional.
 * @example
 * const change: UserUpdate = { disabled: true }
 */
export type UserUpdate = Body<Schemas['UserPatch']>
/**
 * The reply of `api.users.terminate`.
 * @example
 * const { sessions_terminated }: TerminateResult = await api.users.terminate('agent-01')
 */
export type TerminateResult = Reply<Schemas['TerminateReply']>

/**
 * An organization-level ACL rule.
 * @example
 * const rule: AclRule = await api.acl.rules.get('rule_...')
 */
export type AclRule = Reply<Schemas['AclRule']>
/**
 * What `api.acl.rules.create` takes.
 * @example
 * const input: AclRuleCreate = { topic: 'agents/{username}/#', action: 'both', permission: 'allow' }
 */
export type AclRuleCreate = Body<Schemas['AclRule']>
/**
 * What `api.acl.rules.update` takes.
 * @example
 * const change: AclRuleUpdate = { priority: 10 }
 */
export type AclRuleUpdate = Body<Schemas['AclRulePatch']>
/**
 * A rule inside a rule set, as given to `api.acl.ruleSets.create`.
 * @example
 * const rule: RuleInput = { topic: 'sensors/{username}/#', action: 'publish', permission: 'allow' }
 */
export type RuleInput = Body<Schemas['Rule']>
/**
 * A named rule set: its users get its rules plus the organization's.
 * @example
 * const set: RuleSet = await api.acl.ruleSets.get('backend-services')
 */
export type RuleSet = Reply<Schemas['RuleSet']>
/**
 * What `api.acl.ruleSets.create` takes.
 * @example
 * const input: RuleSetCreate = { name: 'sensors', rules: [{ topic: 'sensors/#', action: 'publish', permission: 'allow' }] }
 */
export type RuleSetCreate = Body<Schemas['RuleSet']>
/**
 * What `api.acl.ruleSets.update` takes; `rules` replaces every rule of the set.
 * @example
 * const change: RuleSetUpdate = { description: 'Field sensors' }
 */
export type RuleSetUpdate = Body<Schemas['RuleSetPatch']>
/**
 * A question for the access simulator.
 * @example
 * const question: AclCheck = { username: 'agent-01', topic: 'agents/agent-01/state', action: 'publish' }
 */
export type AclCheck = Body<Schemas['AclCheck']>
/**
 * The simulator's answer: `allowed`, the rule that decided and why.
 * @example
 * const decision: AclDecision = await api.acl.check({ username: 'agent-01', topic: 'a/b', action: 'subscribe' })
 */
export type AclDecision = Reply<Schemas['AclDecision']>

/**
 * An API key as listed: masked.
 * @example
 * for await (const key of api.apiKeys.list()) console.log(key.id, key.masked_key, key.status)
 */
export type ApiKey = Reply<Schemas['ApiKey']>
/**
 * A key just created or rotated: `key` holds the full key, shown only this once.
 * @example
 * const created: NewApiKey = await api.apiKeys.create({ name: 'ci', type: 'restricted', scopes: ['publish'] })
 * console.log(created.key)
 */
export type NewApiKey = Reply<Schemas['NewApiKey']>
/**
 * What `api.apiKeys.create` takes.
 * @example
 * const input: ApiKeyCreate = { name: 'browser', type: 'public' }
 */
export type ApiKeyCreate = Body<Schemas['ApiKey']>
/**
 * What `api.apiKeys.update` takes.
 * @example
 * const change: ApiKeyUpdate = { scopes: ['users:read'] }
 */
export type ApiKeyUpdate = Body<Schemas['ApiKeyPatch']>
/**
 * A restricted key's scope.
 * @example
 * const scopes: ApiKeyScope[] = ['users:read', 'publish']
 */
export type ApiKeyScope = NonNullable<ApiKeyCreate['scopes']>[number]

/**
 * The organization: id, name, tenancy, settings, quotas and usage (public keys see id, name and tenancy).
 * @example
 * const { quotas, usage }: Organization = await api.organization.get()
 */
export type Organization = Reply<Schemas['Organization']>
/**
 * What `api.organization.update` takes.
 * @example
 * const change: OrganizationUpdate = { settings: { default_rule_set: 'agents' } }
 */
export type OrganizationUpdate = Body<Schemas['OrganizationPatch']>

/**
 * A broker session: a connected client, or a persistent session whose client is offline.
 * @example
 * for await (const session of api.sessions.list()) console.log(session.client_id, session.status)
 */
export type Session = Reply<Schemas['Session']>
/**
 * Filters of `api.sessions.list`.
 * @example
 * const params: SessionListParams = { status: 'all', username: 'agent-01' }
 */
export type SessionListParams = Query<'/v2/sessions'>
/**
 * Filters of `api.sessions.history`.
 * @example
 * const params: SessionHistoryParams = { since: '2025-01-01T00:00:00Z' }
 */
export type SessionHistoryParams = Query<'/v2/sessions/history'>

/**
 * MQTT 5 properties of an HTTP publish.
 * @example
 * const properties: PublishProperties = { content_type: 'application/json', user_properties: { source: 'api' } }
 */
export type PublishProperties = Body<Schemas['Properties']>
/**
 * What `api.publish` takes: a string payload is sent as is, any other JSON value JSON-encoded.
 * @example
 * const message: PublishRequest = { topic: 'agents/agent-01/inbox', payload: { task: 'summarize-thread' }, qos: 1 }
 */
export type PublishRequest = Body<Schemas['Publish']>
/**
 * The reply of `api.publish`; `acknowledged` is true once the broker acknowledged a QoS 1/2 message.
 * @example
 * const { acknowledged }: PublishResult = await api.publish({ topic: 't', payload: 'hi', qos: 1 })
 */
export type PublishResult = Reply<Schemas['PublishReply']>
/**
 * The reply of `api.publishBatch`: a result for each message, in order.
 * @example
 * const { published, failed, results }: BatchPublishResult = await api.publishBatch([{ topic: 't', payload: 1 }])
 */
export type BatchPublishResult = Reply<Schemas['BatchReply']>

/**
 * An identity provider whose tokens `tokens.exchange` accepts (secrets are never shown).
 * @example
 * const provider: AuthProvider = await api.authProviders.get('supabase')
 */
export type AuthProvider = Reply<Schemas['AuthProvider']>
/**
 * What `api.authProviders.create` takes.
 * @example
 * const input: AuthProviderCreate = { name: 'app', type: 'jwt', secret: 'a-shared-secret-of-16+-chars' }
 */
export type AuthProviderCreate = Body<Schemas['AuthProvider']>
/**
 * What `api.authProviders.update` takes.
 * @example
 * const change: AuthProviderUpdate = { audience: 'cloudsignal' }
 */
export type AuthProviderUpdate = Body<Schemas['AuthProviderPatch']>

/**
 * What `api.tokens.exchange` takes: an identity provider's token.
 * @example
 * const request: TokenExchangeRequest = { token: idToken, provider: 'supabase', ttl: 3600 }
 */
export type TokenExchangeRequest = Body<Schemas['Exchange']>
/**
 * What `api.tokens.create` takes (secret or `tokens:create` key, no identity provider).
 * @example
 * const request: TokenCreateRequest = { user_id: 'device-9', ttl: 600 }
 */
export type TokenCreateRequest = Body<Schemas['Mint']>
/**
 * What `api.tokens.refresh` takes.
 * @example
 * const request: TokenRefreshRequest = { mqtt_username: 'tok_...@org_...', mqtt_password: '...' }
 */
export type TokenRefreshRequest = Body<Schemas['Refresh']>
/**
 * Temporary MQTT credentials; `tenancy` says whether topics live under `<org_id>/` on the broker.
 * @example
 * const credentials: Credentials = await api.tokens.exchange({ token: idToken })
 * new CloudSignalClient({ host, username: credentials.mqtt_username, password: credentials.mqtt_password!,
 *   tenancy: credentials.tenancy as Tenancy })
 */
export type Credentials = Reply<Schemas['Credential']>

/**
 * `single`: one organization, topics as written; `multi`: every organization's topics live under
 * `<org_id>/` on the broker, and the SDK adds and strips that prefix.
 * @example
 * new CloudSignalClient({ host, username, password, tenancy: 'multi' })
 */
export type Tenancy = 'single' | 'multi'

/**
 * One recorded change: who (`actor`), what (`aggregate`, `type`, `change`), when and in which request.
 * @example
 * for await (const event of api.events.list({ type: 'MqttUser' })) console.log(event.position, event.type)
 */
export type AuditEvent = Reply<Schemas['Event']>
/**
 * Filters of `api.events.list`: `type` (`MqttUser.Created`, or `MqttUser`), `aggregate`, `actor`, `since`, `until`, `after`.
 * @example
 * const params: EventListParams = { actor: 'key_...', since: '2025-01-01T00:00:00Z' }
 */
export type EventListParams = Query<'/v2/events'>
/**
 * Filters of `api.events.stream`, as for `list`, plus `timeout` (seconds before the server ends a stream).
 * @example
 * const params: EventStreamParams = { type: 'ApiKey' }
 */
export type EventStreamParams = Query<'/v2/events/stream'>
/**
 * The question of `api.audit.access`: could `username` publish or subscribe to `topic` at `at`?
 * @example
 * const params: AuditAccessParams = { username: 'agent-01', topic: 'a/b', action: 'publish', at: '2025-06-01T12:00:00Z' }
 */
export type AuditAccessParams = Query<'/v2/audit/access'>
/**
 * The answer of `api.audit.access`, with the rule that decided and the events behind it.
 * @example
 * const { allowed, events }: AuditAccess = await api.audit.access(params)
 */
export type AuditAccess = Reply<Schemas['Access']>
/**
 * The moment of `api.audit.state`.
 * @example
 * const params: AuditStateParams = { at: '2025-06-01T12:00:00Z' }
 */
export type AuditStateParams = Query<'/v2/audit/state'>
/**
 * Users, rules, rule sets and API keys as they were at a moment.
 * @example
 * const { users }: AuditState = await api.audit.state({ at: '2025-06-01T12:00:00Z' })
 */
export type AuditState = Reply<Schemas['State']>
