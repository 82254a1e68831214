// The typed REST client: one method per endpoint of /v2, grouped by resource.
import { HttpClient, type Path, type QueryValue, type RateLimit, type RequestOptions, type RetryInfo } from './http.js'
import { PageRequest } from './pagination.js'
import { readServerSentEvents } from './sse.js'
import type { components, paths } from './generated/openapi.js'
import type {
  AuditAccess, AuditAccessParams, AuditEvent, AuditState, AuditStateParams, EventListParams, EventStreamParams,
  AclCheck, AclDecision, AclRule, AclRuleCreate, AclRuleUpdate, ApiKey, ApiKeyCreate, ApiKeyUpdate, AuthProvider,
  AuthProviderCreate, AuthProviderUpdate, BatchPublishResult, Credentials, ListParams, NewApiKey, Organization,
  OrganizationUpdate, Page, PublishRequest, PublishResult, RuleSet, RuleSetCreate, RuleSetUpdate, Session,
  SessionHistoryParams, SessionListParams, TerminateResult, TokenCreateRequest, TokenExchangeRequest,
  TokenRefreshRequest, User, UserCreate, UserUpdate,
} from './types.js'

/**
 * Settings of `new CloudSignalApi(...)`.
 * @example
 * const options: CloudSignalApiOptions = { apiKey: 'sk_...', baseUrl: 'http://127.0.0.1:8080', maxRetries: 5 }
 */
export interface CloudSignalApiOptions {
  /** `sk_...` (everything), `rk_...` (its scopes) or `pk_...` (token exchange, organization id and name). */
  apiKey: string
  /** The service's address, e.g. `http://127.0.0.1:8080` (a trailing `/v2` is accepted). */
  baseUrl?: string
  /** Retries after a 408, 429, 5xx or network failure; default 2. */
  maxRetries?: number
  /** Milliseconds per attempt; default 30000. */
  timeout?: number
  /** Never wait longer than this many milliseconds before a retry (a longer Retry-After throws); default 60000. */
  maxRetryDelay?: number
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch
  /** Headers sent with every request. */
  headers?: Record<string, string>
  /** Called before each wait for a retry, e.g. to log it. */
  onRetry?: (info: RetryInfo) => void
}

type Requester = HttpClient

function list<T>(http: Requester, path: Path, query: Record<string, QueryValue> = {},
                 options?: RequestOptions): PageRequest<T> {
  const { cursor, ...rest } = query
  return new PageRequest<T>(
    (next) => http.request<Page<T>>('GET', path, { query: { ...rest, cursor: next } }, options),
    typeof cursor === 'string' ? cursor : undefined,
  )
}

/**
 * MQTT users: `GET/POST /v2/users`, `GET/PATCH/DELETE /v2/users/{username}`, `POST .../terminate`.
 * @example
 * const user = await api.users.create({ username: 'agent-01', password: 'secure-password' })
 * await api.users.update('agent-01', { disabled: true })
 */
export class UsersResource {
  constructor(private readonly http: Requester) {}

  /** Users, oldest first. */
  list(params: ListParams = {}, options?: RequestOptions): PageRequest<User> {
    return list(this.http, '/v2/users', params, options)
  }

  /** Create a user; it can connect at once as `mqtt_username`. 409 if the name is taken. */
  create(user: UserCreate, options?: RequestOptions): Promise<User> {
    return this.http.request('POST', '/v2/users', { body: user }, options)
  }

  get(username: string, options?: RequestOptions): Promise<User> {
    return this.http.request('GET', '/v2/users/{username}', { params: { username } }, options)
  }

  /** Change the password, rule set, disabled flag or metadata; connected sessions follow at once. */
  update(username: string, change: UserUpdate, options?: RequestOptions): Promise<User> {
    return this.http.request('PATCH', '/v2/users/{username}', { params: { username }, body: change }, options)
  }

  /** Delete the user (its sessions are kicked); the username becomes free again. */
  delete(username: string, options?: RequestOptions): Promise<void> {
    return this.http.request('DELETE', '/v2/users/{username}', { params: { username } }, options)
  }

  /** Disconnect every session of the user (it may connect again). */
  terminate(username: string, options?: RequestOptions): Promise<TerminateResult> {
    return this.http.request('POST', '/v2/users/{username}/terminate', { params: { username } }, options)
  }
}

/**
 * Organization-level rules: `/v2/acl/rules`.
 * @example
 * await api.acl.rules.create({ topic: 'agents/{username}/#', action: 'both', permission: 'allow' })
 */
export class AclRulesResource {
  constructor(private readonly http: Requester) {}

  list(params: ListParams = {}, options?: RequestOptions): PageRequest<AclRule> {
    return list(this.http, '/v2/acl/rules', params, options)
  }

  create(rule: AclRuleCreate, options?: RequestOptions): Promise<AclRule> {
    return this.http.request('POST', '/v2/acl/rules', { body: rule }, options)
  }

  get(ruleId: string, options?: RequestOptions): Promise<AclRule> {
    return this.http.request('GET', '/v2/acl/rules/{rule_id}', { params: { rule_id: ruleId } }, options)
  }

  update(ruleId: string, change: AclRuleUpdate, options?: RequestOptions): Promise<AclRule> {
    return this.http.request('PATCH', '/v2/acl/rules/{rule_id}', { params: { rule_id: ruleId }, body: change }, options)
  }

  delete(ruleId: string, options?: RequestOptions): Promise<void> {
    return this.http.request('DELETE', '/v2/acl/rules/{rule_id}', { params: { rule_id: ruleId } }, options)
  }
}

/**
 * Named rule sets: `/v2/acl/rule-sets`, by id or name.
 * @example
 * await api.acl.ruleSets.create({ name: 'sensors', rules: [{ topic: 'sensors/{username}/#', action: 'publish', permission: 'allow' }] })
 */
export class RuleSetsResource {
  constructor(private readonly http: Requester) {}

  list(params: ListParams = {}, options?: RequestOptions): PageRequest<RuleSet> {
    return list(this.http, '/v2/acl/rule-sets', params, options)
  }

  create(ruleSet: RuleSetCreate, options?: RequestOptions): Promise<RuleSet> {
    return this.http.request('POST', '/v2/acl/rule-sets', { body: ruleSet }, options)
  }

  get(idOrName: string, options?: RequestOptions): Promise<RuleSet> {
    return this.http.request('GET', '/v2/acl/rule-sets/{id_or_name}', { params: { id_or_name: idOrName } }, options)
  }

  update(idOrName: string, change: RuleSetUpdate, options?: RequestOptions): Promise<RuleSet> {
    return this.http.request('PATCH', '/v2/acl/rule-sets/{id_or_name}',
      { params: { id_or_name: idOrName }, body: change }, options)
  }

  /** 409 while users or the organization's default use it. */
  delete(idOrName: string, options?: RequestOptions): Promise<void> {
    return this.http.request('DELETE', '/v2/acl/rule-sets/{id_or_name}', { params: { id_or_name: idOrName } }, options)
  }
}

/**
 * Access control: rules, rule sets and the simulator.
 * @example
 * const { allowed, reason } = await api.acl.check({ username: 'agent-01', topic: 'agents/agent-01/state', action: 'publish' })
 */
export class AclResource {
  readonly rules: AclRulesResource
  readonly ruleSets: RuleSetsResource

  constructor(private readonly http: Requester) {
    this.rules = new AclRulesResource(http)
    this.ruleSets = new RuleSetsResource(http)
  }

  /** The decision the broker would take, with the rule that decided. */
  check(question: AclCheck, options?: RequestOptions): Promise<AclDecision> {
    return this.http.request('POST', '/v2/acl/check', { body: question }, options)
  }
}

/**
 * API keys: `/v2/api-keys`. `create` and `rotate` return the full key once.
 * @example
 * const { key } = await api.apiKeys.create({ name: 'browser', type: 'public' })
 */
export class ApiKeysResource {
  constructor(private readonly http: Requester) {}

  list(params: ListParams = {}, options?: RequestOptions): PageRequest<ApiKey> {
    return list(this.http, '/v2/api-keys', params, options)
  }

  create(key: ApiKeyCreate, options?: RequestOptions): Promise<NewApiKey> {
    return this.http.request('POST', '/v2/api-keys', { body: key }, options)
  }

  get(keyId: string, options?: RequestOptions): Promise<ApiKey> {
    return this.http.request('GET', '/v2/api-keys/{key_id}', { params: { key_id: keyId } }, options)
  }

  update(keyId: string, change: ApiKeyUpdate, options?: RequestOptions): Promise<ApiKey> {
    return this.http.request('PATCH', '/v2/api-keys/{key_id}', { params: { key_id: keyId }, body: change }, options)
  }

  /** Revoke the key; it stops working at once. */
  delete(keyId: string, options?: RequestOptions): Promise<void> {
    return this.http.request('DELETE', '/v2/api-keys/{key_id}', { params: { key_id: keyId } }, options)
  }

  /** A new key with the same name, type and scopes; the old one is revoked. */
  rotate(keyId: string, options?: RequestOptions): Promise<NewApiKey> {
    return this.http.request('POST', '/v2/api-keys/{key_id}/rotate', { params: { key_id: keyId } }, options)
  }
}

/**
 * Activity over time (`GET /v2/organization/usage`): buckets of connections, CONNECTs and disconnects by reason.
 * @example
 * const { buckets }: OrganizationUsage = await api.organization.usage({ interval: 60 })
 */
export type OrganizationUsage = components['schemas']['OrganizationUsage']

/**
 * The range of `api.organization.usage(...)`: `from`/`to` as ISO 8601 with a time zone (or Dates),
 * `interval` in seconds; default the last hour in 60 buckets.
 * @example
 * const params: UsageParams = { from: new Date(Date.now() - 86_400_000), interval: 900 }
 */
export type UsageParams = Omit<NonNullable<paths['/v2/organization/usage']['get']['parameters']['query']>, 'from' | 'to'> & {
  from?: string | Date | null
  to?: string | Date | null
}

/**
 * The organization of the key: `GET/PATCH /v2/organization`, and its activity over time.
 * @example
 * const { id, tenancy } = await api.organization.get()
 */
export class OrganizationResource {
  constructor(private readonly http: Requester) {}

  get(options?: RequestOptions): Promise<Organization> {
    return this.http.request('GET', '/v2/organization', {}, options)
  }

  update(change: OrganizationUpdate, options?: RequestOptions): Promise<Organization> {
    return this.http.request('PATCH', '/v2/organization', { body: change }, options)
  }

  /** Connections, CONNECTs and disconnects by reason over time, in buckets (for charts). */
  usage(params: UsageParams = {}, options?: RequestOptions): Promise<OrganizationUsage> {
    const moment = (value: string | Date | null | undefined) => value instanceof Date ? value.toISOString() : value
    return this.http.request('GET', '/v2/organization/usage',
      { query: { from: moment(params.from), to: moment(params.to), interval: params.interval } }, options)
  }
}

type Schemas = components['schemas']
export type PresenceList = Schemas['PresenceList']
export type PresenceUser = Schemas['PresenceUser']
export type RetainedMessage = Schemas['RetainedMessage']

/**
 * Who is online: `/v2/utilities/presence` (scope `sessions:read`), one row per connected session
 * with its current subscription filters.
 * @example
 * const { online_count, users } = await api.presence({ topic: 'rooms/+/chat' })
 * const alice = await api.presence.get('alice')
 */
export interface PresenceResource {
  (params?: { topic?: string, limit?: number, cursor?: string }, options?: RequestOptions): Promise<PresenceList>
  /** `{ username, online, sessions }` for an MQTT user (name without `@org_...`). */
  get(username: string, options?: RequestOptions): Promise<PresenceUser>
}

function presenceResource(http: Requester): PresenceResource {
  const presence = ((params: { topic?: string, limit?: number, cursor?: string } = {}, options?: RequestOptions) =>
    http.request<PresenceList>('GET', '/v2/utilities/presence', { query: { ...params } }, options)) as PresenceResource
  presence.get = (username, options) =>
    http.request('GET', '/v2/utilities/presence/{username}', { params: { username } }, options)
  return presence
}

/**
 * Retained messages: `/v2/utilities/retained` (scope `publish`).
 * @example
 * for await (const message of api.retained.list({ topic: 'status/#' })) console.log(message.topic, message.size)
 * await api.retained.delete('status/device-1')
 * const { count } = await api.retained.deleteMatching('status/#', { dryRun: true })
 */
export class RetainedResource {
  constructor(private readonly http: Requester) {}

  /** Topic, payload size, QoS and when set; `include_payload: true` fetches the payloads too. */
  list(params: { topic?: string, include_payload?: boolean } = {}, options?: RequestOptions): PageRequest<RetainedMessage> {
    return list(this.http, '/v2/utilities/retained', params, options)
  }

  /** Delete one topic's retained message (the topic may contain `/`): `{ deleted: true, topic }`. */
  delete(topic: string, options?: RequestOptions): Promise<Schemas['RetainedDeleteReply']> {
    const path = `/v2/utilities/retained/${topic.split('/').map(encodeURIComponent).join('/')}` as '/v2/utilities/retained/{topic}'
    return this.http.request('DELETE', path, {}, options)
  }

  /** Delete every retained message a filter matches (`dryRun`: only count them). */
  deleteMatching(topic: string, opts: { dryRun?: boolean } = {}, options?: RequestOptions): Promise<Schemas['RetainedBulkDeleteReply']> {
    return this.http.request('DELETE', '/v2/utilities/retained', { query: { topic, dry_run: opts.dryRun ?? false } }, options)
  }
}

/**
 * Broker sessions: `/v2/sessions`.
 * @example
 * for await (const session of api.sessions.list({ status: 'active' })) console.log(session.client_id)
 * await api.sessions.disconnect('agent-01-laptop')
 */
export class SessionsResource {
  constructor(private readonly http: Requester) {}

  /** Connected clients (`status: 'active'`, the default), offline persistent sessions, or both. */
  list(params: SessionListParams = {}, options?: RequestOptions): PageRequest<Session> {
    return list(this.http, '/v2/sessions', params, options)
  }

  /** Every session opened and closed, with durations, oldest first. */
  history(params: SessionHistoryParams = {}, options?: RequestOptions): PageRequest<Session> {
    return list(this.http, '/v2/sessions/history', params, options)
  }

  /** The current session of a client id. */
  get(clientId: string, options?: RequestOptions): Promise<Session> {
    return this.http.request('GET', '/v2/sessions/{client_id}', { params: { client_id: clientId } }, options)
  }

  /** Force a connected client off the broker (it may connect again). */
  disconnect(clientId: string, options?: RequestOptions): Promise<void> {
    return this.http.request('DELETE', '/v2/sessions/{client_id}', { params: { client_id: clientId } }, options)
  }
}

/**
 * Identity providers for token exchange: `/v2/auth-providers`, by id or name.
 * @example
 * await api.authProviders.create({ name: 'app', type: 'jwt', secret: process.env.JWT_SECRET!, acl_set: 'browsers' })
 */
export class AuthProvidersResource {
  constructor(private readonly http: Requester) {}

  list(params: ListParams = {}, options?: RequestOptions): PageRequest<AuthProvider> {
    return list(this.http, '/v2/auth-providers', params, options)
  }

  create(provider: AuthProviderCreate, options?: RequestOptions): Promise<AuthProvider> {
    return this.http.request('POST', '/v2/auth-providers', { body: provider }, options)
  }

  get(idOrName: string, options?: RequestOptions): Promise<AuthProvider> {
    return this.http.request('GET', '/v2/auth-providers/{id_or_name}', { params: { id_or_name: idOrName } }, options)
  }

  update(idOrName: string, change: AuthProviderUpdate, options?: RequestOptions): Promise<AuthProvider> {
    return this.http.request('PATCH', '/v2/auth-providers/{id_or_name}',
      { params: { id_or_name: idOrName }, body: change }, options)
  }

  /** Stop trusting the provider; credentials already issued run until they expire. */
  delete(idOrName: string, options?: RequestOptions): Promise<void> {
    return this.http.request('DELETE', '/v2/auth-providers/{id_or_name}', { params: { id_or_name: idOrName } }, options)
  }
}

/**
 * Temporary MQTT credentials: `/v2/tokens/exchange` (public keys too), `/v2/tokens`, `/v2/tokens/refresh`.
 * @example
 * const credentials = await new CloudSignalApi({ apiKey: 'pk_...' }).tokens.exchange({ token: idToken })
 */
export class TokensResource {
  constructor(private readonly http: Requester) {}

  /** Turn an identity provider's token into `tok_...@org` credentials. */
  exchange(request: TokenExchangeRequest, options?: RequestOptions): Promise<Credentials> {
    return this.http.request('POST', '/v2/tokens/exchange', { body: request }, options)
  }

  /** Mint credentials for one of your users (secret key or `tokens:create`). */
  create(request: TokenCreateRequest, options?: RequestOptions): Promise<Credentials> {
    return this.http.request('POST', '/v2/tokens', { body: request }, options)
  }

  /** Extend credentials that have not expired by their original lifetime. */
  refresh(request: TokenRefreshRequest, options?: RequestOptions): Promise<Credentials> {
    return this.http.request('POST', '/v2/tokens/refresh', { body: request }, options)
  }
}

/**
 * The organization's history: every change as an event, recorded with who made it and in which request.
 * @example
 * for await (const event of api.events.list({ type: 'MqttUser' })) console.log(event.type, event.actor?.id)
 * for await (const event of api.events.stream()) console.log('live:', event.type) // until you break
 */
export class EventsResource {
  constructor(private readonly http: Requester) {}

  /** Recorded events, oldest first (`next_cursor` is the last position, to pass as `after`). */
  list(params: EventListParams = {}, options?: RequestOptions): PageRequest<AuditEvent> {
    return list(this.http, '/v2/events', params as Record<string, QueryValue>, options)
  }

  /**
   * Follow new events live (Server-Sent Events). With `follow` (default true) a stream the server
   * ends is reopened after the last event received, so the iteration only ends when you `break`
   * or abort `signal`.
   */
  async *stream(params: EventStreamParams = {}, options: RequestOptions & { follow?: boolean } = {}):
    AsyncGenerator<AuditEvent> {
    const { follow = true, ...requestOptions } = options
    let after = params.after ?? params.cursor ?? undefined
    for (;;) {
      const reply = await this.http.open('GET', '/v2/events/stream',
        { query: { ...params, cursor: undefined, after } }, requestOptions)
      if (!reply.body) return
      for await (const message of readServerSentEvents(reply.body)) {
        if (message.id !== undefined && /^\d+$/.test(message.id)) after = Number(message.id)
        yield JSON.parse(message.data) as AuditEvent
      }
      if (!follow || requestOptions.signal?.aborted) return
    }
  }
}

/**
 * Questions about the past, answered from the event log.
 * @example
 * const { allowed, reason } = await api.audit.access({ username: 'agent-01', topic: 'a/b', action: 'publish', at: '2025-06-01T12:00:00Z' })
 */
export class AuditResource {
  constructor(private readonly http: Requester) {}

  /** Could this user publish or subscribe to this topic at that moment? With the rule and the events. */
  access(params: AuditAccessParams, options?: RequestOptions): Promise<AuditAccess> {
    return this.http.request('GET', '/v2/audit/access', { query: params }, options)
  }

  /** Users, rules, rule sets and API keys as they were at that moment. */
  state(params: AuditStateParams, options?: RequestOptions): Promise<AuditState> {
    return this.http.request('GET', '/v2/audit/state', { query: params }, options)
  }
}

/**
 * The typed REST client for the CloudSignal API (`/v2`), over `fetch`: Node 20+ and browsers.
 * Errors are `CloudSignalError` subclasses; 408/429/5xx and network failures are retried with
 * backoff, honouring `Retry-After`; lists are awaited for a page or iterated with `for await`.
 * @example
 * import { CloudSignalApi } from '@cloudsignal/sdk'
 * const api = new CloudSignalApi({ apiKey: process.env.CLOUDSIGNAL_API_KEY!, baseUrl: 'http://127.0.0.1:8080' })
 * await api.users.create({ username: 'agent-01', password: 'secure-password' })
 * await api.publish({ topic: 'agents/agent-01/inbox', payload: { task: 'summarize-thread' }, qos: 1 })
 * for await (const session of api.sessions.list()) console.log(session.client_id)
 */
export class CloudSignalApi {
  readonly users: UsersResource
  readonly acl: AclResource
  readonly apiKeys: ApiKeysResource
  readonly organization: OrganizationResource
  readonly sessions: SessionsResource
  readonly authProviders: AuthProvidersResource
  readonly tokens: TokensResource
  readonly events: EventsResource
  readonly audit: AuditResource
  readonly presence: PresenceResource
  readonly retained: RetainedResource
  private readonly http: HttpClient

  constructor(options: CloudSignalApiOptions) {
    if (!options?.apiKey) throw new TypeError('CloudSignalApi: apiKey is required')
    const fetchImpl = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init))
    this.http = new HttpClient({
      apiKey: options.apiKey,
      baseUrl: (options.baseUrl ?? 'http://127.0.0.1:8080').replace(/\/+$/, '').replace(/\/v2$/, ''),
      maxRetries: options.maxRetries ?? 2,
      timeout: options.timeout ?? 30_000,
      maxRetryDelay: options.maxRetryDelay ?? 60_000,
      fetch: fetchImpl,
      headers: options.headers ?? {},
      onRetry: options.onRetry,
    })
    this.users = new UsersResource(this.http)
    this.acl = new AclResource(this.http)
    this.apiKeys = new ApiKeysResource(this.http)
    this.organization = new OrganizationResource(this.http)
    this.sessions = new SessionsResource(this.http)
    this.authProviders = new AuthProvidersResource(this.http)
    this.tokens = new TokensResource(this.http)
    this.events = new EventsResource(this.http)
    this.audit = new AuditResource(this.http)
    this.presence = presenceResource(this.http)
    this.retained = new RetainedResource(this.http)
  }

  /** The organization's request pool as the last reply reported it. */
  get rateLimit(): RateLimit | undefined {
    return this.http.rateLimit
  }

  /** Publish one message without an MQTT connection; QoS 1 and 2 resolve once the broker acknowledged. */
  publish(message: PublishRequest, options?: RequestOptions): Promise<PublishResult> {
    return this.http.request('POST', '/v2/publish', { body: message }, options)
  }

  /** Publish up to 1000 messages in order, with a result for each. */
  publishBatch(messages: PublishRequest[], options?: RequestOptions): Promise<BatchPublishResult> {
    return this.http.request('POST', '/v2/publish/batch', { body: { messages } }, options)
  }
}
