// The MQTT client: MQTT.js (MQTT 5) with the platform's defaults, a bounded queue for calls made
// while offline, subscriptions that survive reconnects, the organization prefix of multi tenancy,
// and temporary credentials from token exchange that are refreshed before they expire.
import mqtt from 'mqtt'
import type { IClientOptions, IConnackPacket, IPublishPacket, ISubscriptionGrant, MqttClient } from 'mqtt'
import { CloudSignalApi } from './api.js'
import type {
  CloudSignalClientEvents, CloudSignalClientOptions, ConnectInfo, MessageHandler, MessageProperties, Protocol,
  PublishOptions, ReceivedMessage, SubscribeOptions, SubscriptionGrant, TokenExchangeOptions,
} from './client-types.js'
import { CredentialRefresher } from './credentials.js'
import { TypedEmitter } from './emitter.js'
import { AUTH_REASON_CODES, CloudSignalError, MqttAuthError, MqttError, mqttReason } from './errors.js'
import { decodePayload, encodePayload, type PublishPayload } from './payload.js'
import { Backoff, presetFor, type Preset } from './presets.js'
import { Requester, responder, type MqttRequestOptions, type RequestHandler } from './requests.js'
import { asMqttError, matchingSubscriptions, settleSuback, type Subscription } from './subscriptions.js'
import { Namespace, clientIdPrefix, orgIdOf } from './topics.js'
import type { Credentials, Tenancy } from './types.js'

interface QueuedCall {
  run: () => void
  reject: (error: CloudSignalError) => void
}

const DEFAULT_PORTS: Record<Protocol, number> = { mqtt: 1883, mqtts: 8883, ws: 9001, wss: 443 }

function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string'
}

function defaultProtocol(): Protocol {
  if (isNode()) return 'mqtt'
  const location = (globalThis as { location?: { protocol?: string } }).location
  return location?.protocol === 'https:' ? 'wss' : 'ws'
}

function randomId(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const bytes = new Uint8Array(length)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join('')
}

/** Reject later, but never as an "unhandled rejection": failures are also emitted as `error`. */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined)
  return promise
}

/**
 * The CloudSignal MQTT client, for Node.js 20+ (TCP, TLS, WebSockets) and browsers (WebSockets).
 * Constructing it connects; calls made before the connection is up are queued; subscriptions are
 * restored after every reconnect. Each call returns a promise that settles when the broker has
 * answered; a failure rejects it and is also emitted as an `error` event.
 * @example
 * import { CloudSignalClient } from '@cloudsignal/sdk'
 * const client = new CloudSignalClient({
 *   host: '127.0.0.1',
 *   username: 'agent-01@org_k7xm4pqr2n5t',
 *   password: 'your-password',
 * })
 * client.subscribe('agents/+/state', (topic, message) => {
 *   console.log(`${topic}: ${message}`)
 * })
 * client.publish('agents/agent-01/state', JSON.stringify({ status: 'idle', load: 0.12 }), { qos: 1 })
 */
export class CloudSignalClient extends TypedEmitter<CloudSignalClientEvents> {
  private readonly options: CloudSignalClientOptions
  private readonly mqtt: MqttClient
  private namespace: Namespace
  private readonly subscriptions = new Map<string, Subscription>()
  private readonly queue: QueuedCall[] = []
  private nextSubscriptionId = 1
  private connectWaiters: Array<{ resolve: (info: ConnectInfo) => void; reject: (error: CloudSignalError) => void }> = []
  private lastConnect: ConnectInfo | undefined
  private readonly reportedTransportErrors = new WeakSet<Error>()
  /** Stopped by `disconnect()` or a refused CONNACK; `connect()` starts again. */
  private stopped = false
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private refresher: CredentialRefresher | undefined
  private started: boolean
  private readonly preset: Preset
  /** Undefined when reconnecting is off, or MQTT.js's own `reconnectPeriod` was asked for. */
  private readonly backoff: Backoff | undefined
  private requester: Requester | undefined

  constructor(options: CloudSignalClientOptions) {
    super()
    if (!options?.host) throw new TypeError('CloudSignalClient: host is required')
    if (!options.username) throw new TypeError('CloudSignalClient: username is required')
    this.options = { ...options }
    this.preset = presetFor(options.preset)
    const first = options.reconnectPeriod ?? this.preset.reconnectPeriod
    if (first > 0 && options.mqttOptions?.reconnectPeriod === undefined) {
      this.backoff = new Backoff(first, Math.max(first, options.maxReconnectPeriod ?? this.preset.maxReconnectPeriod))
    }
    this.namespace = this.namespaceFor(options.username, options.tenancy)
    const autoConnect = options.autoConnect ?? true
    this.stopped = !autoConnect
    this.started = autoConnect
    this.mqtt = mqtt.connect(this.url(), { ...this.mqttOptions(), manualConnect: !autoConnect })
    this.mqtt.on('connect', (packet) => this.onConnect(packet))
    this.mqtt.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet))
    this.mqtt.on('reconnect', () => {
      this.paceReconnects()
      this.emit('reconnect')
    })
    this.mqtt.on('offline', () => this.emit('offline'))
    this.mqtt.on('close', () => {
      this.reportSilentTransportError()
      this.emit('close')
    })
    this.mqtt.on('disconnect', (packet) => this.emit('disconnect', packet.reasonCode ?? 0))
    this.mqtt.on('error', (error) => this.onError(error))
  }

  /**
   * Exchange an identity provider's token for temporary credentials (`POST /v2/tokens/exchange`
   * with a public key), then connect with them, using the tenancy the reply names. The credentials
   * are refreshed at 80% of their lifetime; if they lapse anyway (a long time offline), the token
   * (or a fresh one from `token()`) is exchanged again and the client reconnects.
   * Resolves once the credentials are obtained; the client is connecting by then.
   * @example
   * const client = await CloudSignalClient.withTokenExchange({
   *   apiUrl: 'https://api.example.com', publicKey: 'pk_...', token: () => auth.getIdToken(), protocol: 'wss',
   * })
   * client.subscribe('users/me/#', (topic, message) => render(topic, message))
   */
  static async withTokenExchange(options: TokenExchangeOptions): Promise<CloudSignalClient> {
    const { apiUrl, publicKey, token, provider, ttl, host, refreshAt, fetch, ...clientOptions } = options
    const api = new CloudSignalApi({ apiKey: publicKey, baseUrl: apiUrl, ...(fetch ? { fetch } : {}) })
    const exchange = async (): Promise<Credentials> => api.tokens.exchange({
      token: typeof token === 'function' ? await token() : token,
      ...(provider !== undefined ? { provider } : {}),
      ...(ttl !== undefined ? { ttl } : {}),
    })
    const credentials = await exchange()
    const client = new CloudSignalClient({
      ...clientOptions,
      host: host ?? new URL(apiUrl).hostname,
      username: credentials.mqtt_username,
      password: credentials.mqtt_password ?? '',
      tenancy: credentials.tenancy === 'multi' ? 'multi' : 'single',
    })
    client.refresher = new CredentialRefresher(client, api, exchange, credentials, refreshAt ?? 0.8)
    return client
  }

  /** Whether the client is connected now. */
  get connected(): boolean {
    return this.mqtt.connected
  }

  /**
   * The client id, as given in the options (or generated). The broker knows it as
   * `<org_id>/<clientId>`: the prefix is added on the wire and stripped here, as for topics.
   */
  get clientId(): string {
    const wire = this.mqtt.options.clientId ?? ''
    const prefix = clientIdPrefix(this.options.username)
    return prefix && wire.startsWith(prefix) ? wire.slice(prefix.length) : wire
  }

  /** The MQTT username in use. */
  get username(): string {
    return this.options.username
  }

  /** Calls waiting for the connection. */
  get queued(): number {
    return this.queue.length
  }

  /**
   * Connect, or wait for the connection under way. Resolves once connected; rejects with
   * `MqttAuthError` if the broker refuses the credentials. Needed only after `disconnect()`, an
   * `authError`, or with `autoConnect: false`.
   * @example
   * await client.connect()
   */
  connect(): Promise<ConnectInfo> {
    if (this.mqtt.connected && this.lastConnect) return Promise.resolve(this.lastConnect)
    const promise = new Promise<ConnectInfo>((resolve, reject) => this.connectWaiters.push({ resolve, reject }))
    if (this.stopped) {
      this.stopped = false
      clearTimeout(this.retryTimer)
      this.refresher?.resume()
      if (this.started) this.mqtt.reconnect()
      else this.mqtt.connect()
      this.started = true
    }
    return promise
  }

  /**
   * Disconnect (sending DISCONNECT) and stop reconnecting. Waits for QoS 1/2 messages in flight
   * unless `force`. Queued calls reject with code `client_closed`; subscriptions are kept and
   * restored by a later `connect()`.
   * @example
   * await client.disconnect()
   */
  disconnect(options: { force?: boolean } = {}): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    this.refresher?.stop()
    const closed = new MqttError('the client was disconnected', { code: 'client_closed' })
    this.rejectWaiting(closed)
    return new Promise((resolve) => this.mqtt.end(options.force ?? !this.mqtt.connected, {}, () => resolve()))
  }

  /**
   * Publish a message. A string is sent as UTF-8, a `Uint8Array` as is, any other value as JSON.
   * Resolves when the broker acknowledged it (QoS 1 and 2) or it was written (QoS 0); rejects
   * with `MqttError` (`reasonCode` 0x87) if the broker refuses it. Queued while offline.
   * @example
   * await client.publish('agents/agent-01/state', { status: 'idle', load: 0.12 }, { qos: 1 })
   */
  publish(topic: string, payload: PublishPayload, options: PublishOptions = {}): Promise<void> {
    const body = encodePayload(payload)
    const properties = this.outgoingProperties(options.properties)
    const promise = new Promise<void>((resolve, reject) => {
      this.whenConnected(() => {
        this.mqtt.publish(this.namespace.topic(topic), body as string,
          { qos: options.qos ?? this.preset.publishQos, retain: options.retain ?? false, ...(properties ? { properties } : {}) },
          (error) => error ? reject(asMqttError(error, `publish to ${topic} failed`)) : resolve())
      }, reject)
    })
    return settled(promise.catch((error: CloudSignalError) => {
      this.emit('error', error)
      throw error
    }))
  }

  /**
   * Subscribe to a topic filter (`+` and `#` wildcards) and call `handler` for each message that
   * matches it. Resolves with the granted QoS once the broker accepted the subscription; rejects
   * with `MqttError` (`reasonCode` 0x87) if the ACL refuses it. Kept across reconnects.
   * @example
   * await client.subscribe('agents/+/state', (topic, message) => console.log(topic, message), { qos: 1 })
   */
  subscribe<T = any>(filter: string, handler?: MessageHandler<T>, options: SubscribeOptions = {}): Promise<SubscriptionGrant> {
    let subscription = this.subscriptions.get(filter)
    if (!subscription) {
      subscription = { filter, id: this.nextSubscriptionId++, options, handlers: new Set(), acked: false, waiters: [] }
      this.subscriptions.set(filter, subscription)
    } else {
      subscription.options = options
    }
    if (handler) subscription.handlers.add(handler as MessageHandler)
    const target = subscription
    const promise = new Promise<SubscriptionGrant>((resolve, reject) => {
      target.waiters.push({ resolve, reject })
      if (this.mqtt.connected) this.sendSubscribe(target)
    })
    return settled(promise.catch((error: CloudSignalError) => {
      this.emit('error', error)
      throw error
    }))
  }

  /**
   * Remove `handler` from a subscription, or the whole subscription without one; the broker is
   * told when no handler is left.
   * @example
   * await client.unsubscribe('agents/+/state')
   */
  unsubscribe(filter: string, handler?: MessageHandler): Promise<void> {
    const subscription = this.subscriptions.get(filter)
    if (!subscription) return Promise.resolve()
    if (handler) {
      subscription.handlers.delete(handler)
      if (subscription.handlers.size > 0) return Promise.resolve()
    }
    this.subscriptions.delete(filter)
    // A clean session forgets subscriptions when the connection ends: nothing to tell the broker then.
    if (!this.mqtt.connected && !subscription.acked) return Promise.resolve()
    if (!this.mqtt.connected && (this.options.clean ?? true)) return Promise.resolve()
    return settled(new Promise<void>((resolve, reject) => {
      this.whenConnected(() => {
        this.mqtt.unsubscribe(this.namespace.filter(filter), {}, (error) =>
          error ? reject(asMqttError(error, `unsubscribe from ${filter} failed`)) : resolve())
      }, reject)
    }))
  }

  /**
   * Send a request and resolve with the reply's payload (parsed JSON, else text). The SDK sets the
   * response topic (`replies/<clientId>/...`, subscribed once per client) and the correlation data.
   * Rejects with `MqttRequestTimeoutError` when no reply comes within `timeout` ms (10000), and
   * with `MqttRequestError` when the responder's handler threw (its `code`, e.g. `handler_error`).
   * The client needs the rule `{"topic": "replies/{client_id}/#", "action": "subscribe", "permission": "allow"}`.
   * @example
   * const item = await client.request('svc/items/get', { id: 7 }, { timeout: 2000 })
   */
  request<T = any>(topic: string, payload: PublishPayload, options: MqttRequestOptions = {}): Promise<T> {
    this.requester ??= new Requester(this, this.options.replyTopic ?? `replies/${this.clientId}`)
    return this.requester.request<T>(topic, payload, options)
  }

  /**
   * Answer requests on `filter`: the handler's result (or its promise's) is published to the
   * request's response topic with its correlation data; what it throws becomes an error reply
   * (user property `cs-error`) the requester receives as `MqttRequestError`. Resolves once subscribed.
   * Responders need the rule `{"topic": "replies/#", "action": "publish", "permission": "allow"}`.
   * @example
   * await client.onRequest('svc/+/get', async (topic, request) => ({ id: request.id, name: 'lamp' }))
   */
  onRequest<T = any>(filter: string, handler: RequestHandler<T>, options: SubscribeOptions = {}): Promise<SubscriptionGrant> {
    return this.subscribe(filter, responder(this, handler as RequestHandler), options)
  }

  // -- internals -------------------------------------------------------------------------------

  private namespaceFor(username: string, tenancy: Tenancy | undefined): Namespace {
    return new Namespace(tenancy === 'multi' ? `${orgIdOf(username)}/` : '')
  }

  private url(): string {
    const protocol = this.options.protocol ?? defaultProtocol()
    const bare = this.options.host.replace(/^\[(.*)\]$/, '$1') // URL.hostname keeps IPv6 brackets
    const host = bare.includes(':') ? `[${bare}]` : bare
    const port = this.options.port ?? DEFAULT_PORTS[protocol]
    const path = protocol === 'ws' || protocol === 'wss' ? (this.options.path ?? '/mqtt') : ''
    return `${protocol}://${host}:${port}${path}`
  }

  private mqttOptions(): IClientOptions {
    const o = this.options
    const clean = o.clean ?? true
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: clientIdPrefix(o.username) + (o.clientId ?? `cs-${randomId(12)}`),
      username: o.username,
      password: o.password,
      clean,
      keepalive: o.keepalive ?? this.preset.keepalive,
      reconnectPeriod: this.backoff ? this.backoff.next() : (o.reconnectPeriod ?? this.preset.reconnectPeriod),
      connectTimeout: o.connectTimeout ?? 10_000,
      // This client restores subscriptions itself and decides which refused CONNACKs to retry.
      resubscribe: false,
      reconnectOnConnackError: false,
      queueQoSZero: true,
      properties: clean ? {} : { sessionExpiryInterval: o.sessionExpiryInterval ?? 3600 },
      ...(o.tls ?? {}),
    }
    if (o.will) {
      options.will = {
        topic: this.namespace.topic(o.will.topic),
        payload: encodePayload(o.will.payload) as unknown as Buffer,
        qos: o.will.qos ?? 0,
        retain: o.will.retain ?? false,
        ...(o.will.properties ? { properties: o.will.properties } : {}),
      }
    }
    return { ...options, ...(o.mqttOptions ?? {}) }
  }

  /** Run `call` now if connected, else queue it (bounded) until the connection is up. */
  private whenConnected(call: () => void, reject: (error: CloudSignalError) => void): void {
    if (this.mqtt.connected) return call()
    const limit = this.options.queueLimit ?? this.preset.queueLimit
    if (this.queue.length >= limit) {
      reject(new MqttError(`the offline queue is full (${limit} calls)`, { code: 'queue_full' }))
      return
    }
    this.queue.push({ run: call, reject })
  }

  private onConnect(packet: IConnackPacket): void {
    const info: ConnectInfo = { sessionPresent: packet.sessionPresent }
    this.lastConnect = info
    this.backoff?.reset()
    this.paceReconnects()
    for (const subscription of this.subscriptions.values()) {
      if (!packet.sessionPresent || !subscription.acked) this.sendSubscribe(subscription)
    }
    for (const call of this.queue.splice(0)) call.run()
    for (const waiter of this.connectWaiters.splice(0)) waiter.resolve(info)
    this.emit('connect', info)
  }

  private sendSubscribe(subscription: Subscription): void {
    const { qos = this.preset.subscribeQos, noLocal, retainAsPublished, retainHandling } = subscription.options
    this.mqtt.subscribe(this.namespace.filter(subscription.filter), {
      qos,
      ...(noLocal !== undefined ? { nl: noLocal } : {}),
      ...(retainAsPublished !== undefined ? { rap: retainAsPublished } : {}),
      ...(retainHandling !== undefined ? { rh: retainHandling } : {}),
      properties: { subscriptionIdentifier: subscription.id },
    }, (error, granted) => this.onSuback(subscription, error, granted))
  }

  private onSuback(subscription: Subscription, error: Error | null, granted: ISubscriptionGrant[] | undefined): void {
    const failure = settleSuback(subscription, error, granted)
    // A refused filter is forgotten, so that it is not retried at every reconnect.
    if (failure && this.subscriptions.get(subscription.filter) === subscription) this.subscriptions.delete(subscription.filter)
  }

  private onMessage(brokerTopic: string, payload: Uint8Array, packet: IPublishPacket): void {
    const topic = this.namespace.strip(brokerTopic)
    const { text, value } = decodePayload(payload)
    const properties = this.incomingProperties(packet.properties)
    const message: ReceivedMessage = {
      topic, payload, text, value, qos: packet.qos, retain: packet.retain, dup: packet.dup, properties,
    }
    this.emit('message', topic, value, message)
    for (const subscription of matchingSubscriptions(this.subscriptions.values(), topic, packet)) {
      for (const handler of [...subscription.handlers]) {
        try {
          handler(topic, value, message)
        } catch (error) {
          setTimeout(() => {
            throw error
          })
        }
      }
    }
  }

  private outgoingProperties(properties: MessageProperties | undefined): MessageProperties | undefined {
    if (!properties?.responseTopic) return properties
    return { ...properties, responseTopic: this.namespace.topic(properties.responseTopic) }
  }

  private incomingProperties(properties: MessageProperties | undefined): MessageProperties | undefined {
    if (!properties) return undefined
    const { subscriptionIdentifier: _ignored, ...rest } = properties as MessageProperties & { subscriptionIdentifier?: unknown }
    if (rest.responseTopic) rest.responseTopic = this.namespace.strip(rest.responseTopic)
    if (rest.userProperties) rest.userProperties = { ...rest.userProperties } // a plain object, not null-prototype
    return rest
  }

  private onError(error: Error & { code?: unknown }): void {
    const reasonCode = typeof error.code === 'number' ? error.code : undefined
    if (reasonCode !== undefined && /^Connection refused/.test(error.message)) return this.onRefused(reasonCode, error)
    this.emit('error', asMqttError(error, error.message))
  }

  /**
   * MQTT.js drops transport errors that carry no `code` (a WebSocket upgrade answered with an HTTP
   * status, such as a plain ws:// connection to a TLS port): the connection only closes. Tell
   * `error` listeners why.
   */
  private reportSilentTransportError(): void {
    const error = (this.mqtt.stream as { errored?: (Error & { code?: unknown }) | null } | undefined)?.errored
    if (!error || error.code || this.reportedTransportErrors.has(error)) return
    this.reportedTransportErrors.add(error)
    this.emit('error', asMqttError(error, 'the connection failed'))
  }

  /** A refused CONNACK: credentials problems stop the client, anything else is retried. */
  private onRefused(reasonCode: number, cause: Error): void {
    const reason = mqttReason(reasonCode)
    if (AUTH_REASON_CODES.has(reasonCode)) {
      const error = new MqttAuthError(`the broker refused the credentials of ${this.options.username}: ${reason}`,
        { code: reason, reasonCode, cause })
      const retry = this.options.reconnectOnAuthError ?? false
      if (!retry) {
        this.stopped = true
        this.rejectWaiting(error)
      }
      this.emit('authError', error)
      this.emit('error', error)
      if (retry) this.scheduleReconnect()
      else this.refresher?.onAuthError()
      return
    }
    this.emit('error', new MqttError(`the broker refused the connection: ${reason}`, { code: reason, reasonCode, cause }))
    this.scheduleReconnect()
  }

  /** The wait before the next attempt, set where MQTT.js reads it when the connection closes. */
  private paceReconnects(): void {
    if (this.backoff) this.mqtt.options.reconnectPeriod = this.backoff.next()
  }

  private scheduleReconnect(): void {
    // Paced like MQTT.js's own attempts: the wait set at the last CONNACK or attempt.
    const period = this.backoff ? (this.mqtt.options.reconnectPeriod ?? 1000) : (this.options.reconnectPeriod ?? this.preset.reconnectPeriod)
    if (period <= 0 || this.stopped) return
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => {
      if (!this.stopped && !this.mqtt.connected) this.mqtt.reconnect()
    }, period)
  }

  private rejectWaiting(error: CloudSignalError): void {
    for (const call of this.queue.splice(0)) call.reject(error)
    for (const waiter of this.connectWaiters.splice(0)) waiter.reject(error)
    for (const subscription of this.subscriptions.values()) {
      for (const waiter of subscription.waiters.splice(0)) waiter.reject(error)
    }
  }

  /** @internal New credentials for the next connection (token exchange); reconnects at once if asked. */
  useCredentials(username: string, password: string, reconnect: boolean): void {
    this.options.username = username
    this.options.password = password
    this.mqtt.options.username = username
    this.mqtt.options.password = password
    this.namespace = this.namespaceFor(username, this.options.tenancy)
    if (reconnect && !this.mqtt.connected) void this.connect().catch(() => undefined)
  }

  /** @internal Emit on behalf of the credential refresher. */
  notify<E extends keyof CloudSignalClientEvents>(event: E, ...args: Parameters<CloudSignalClientEvents[E]>): void {
    this.emit(event, ...args)
  }
}

