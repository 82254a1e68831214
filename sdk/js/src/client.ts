// The MQTT client: MQTT.js (MQTT 5) with the platform's defaults, a bounded queue for calls made
// while offline, subscriptions that survive reconnects, the organization prefix of multi tenancy,
// and temporary credentials from token exchange that are refreshed before they expire.
import mqtt from 'mqtt'
import type { IClientOptions, IConnackPacket, IPublishPacket, ISubscriptionGrant, MqttClient } from 'mqtt'
import { CloudSignalApi } from './api.js'
import { TypedEmitter } from './emitter.js'
import { APIError, AUTH_REASON_CODES, AuthenticationError, CloudSignalError, MqttAuthError, MqttError, mqttReason } from './errors.js'
import { decodePayload, encodePayload, type PublishPayload } from './payload.js'
import { Namespace, clientIdPrefix, orgIdOf, topicMatches } from './topics.js'
import type { Credentials, Tenancy } from './types.js'

/**
 * How to reach the broker: MQTT over TCP (`mqtt`), TLS (`mqtts`), or WebSockets (`ws`, `wss`).
 * @example
 * new CloudSignalClient({ host: 'broker.example.com', protocol: 'wss', username, password })
 */
export type Protocol = 'mqtt' | 'mqtts' | 'ws' | 'wss'

/**
 * MQTT quality of service: 0 at most once, 1 at least once, 2 exactly once.
 * @example
 * await client.publish('jobs/new', { id: 7 }, { qos: 1 as QoS })
 */
export type QoS = 0 | 1 | 2

/**
 * MQTT 5 properties of a message, as MQTT.js names them (`contentType`, `userProperties`,
 * `messageExpiryInterval`, `responseTopic`, `correlationData`, `payloadFormatIndicator`).
 * `responseTopic` gets the same organization prefix as topics.
 * @example
 * await client.publish('rpc/sum', [1, 2], { qos: 1, properties: { responseTopic: 'rpc/replies', userProperties: { id: '7' } } })
 */
export type MessageProperties = NonNullable<IPublishPacket['properties']>

/**
 * Settings of `new CloudSignalClient(...)`.
 * @example
 * const options: CloudSignalClientOptions = { host: '127.0.0.1', username: 'agent-01@org_k7xm4pqr2n5t', password: 'secure-password' }
 */
export interface CloudSignalClientOptions {
  /** The broker's host name or address. */
  host: string
  /** `<name>@<org_id>`, or temporary `tok_...@<org_id>` credentials. */
  username: string
  password: string
  /** Default: 1883 (mqtt), 8883 (mqtts), 9001 (ws), 443 (wss). */
  port?: number
  /** Default: `mqtt` in Node.js, `wss` on an https page, else `ws`. */
  protocol?: Protocol
  /** WebSocket path; default `/mqtt`. */
  path?: string
  /**
   * Default: `cs-` and 12 random characters. The broker sees `<org_id>/<clientId>` (multi tenancy
   * refuses client ids without the organization's prefix); `client.clientId` gives it back without.
   */
  clientId?: string
  /** Start a clean session (default true). With false, the broker keeps the session `sessionExpiryInterval` seconds. */
  clean?: boolean
  /** Seconds the broker keeps a session after a disconnect when `clean` is false; default 3600. */
  sessionExpiryInterval?: number
  /** Seconds between keep-alive pings; default 60. */
  keepalive?: number
  /** Milliseconds between reconnection attempts; default 1000; 0 disables reconnecting. */
  reconnectPeriod?: number
  /** Milliseconds to wait for the CONNACK; default 10000. */
  connectTimeout?: number
  /** `multi` puts every topic under `<org_id>/` on the broker (added on the way out, stripped on the way in); default `single`. */
  tenancy?: Tenancy
  /** Publishes and unsubscribes held while offline, at most; default 1000. Past it calls reject with code `queue_full`. */
  queueLimit?: number
  /** Connect when constructed (default true); with false, call `connect()`. */
  autoConnect?: boolean
  /** Keep reconnecting after the broker refused the credentials (default false: stop and emit `authError`). */
  reconnectOnAuthError?: boolean
  /** Last will, published by the broker if the client vanishes. */
  will?: { topic: string; payload: PublishPayload; qos?: QoS; retain?: boolean; properties?: MessageProperties }
  /** Node.js TLS settings for `mqtts`/`wss` (CA bundle, client certificate, `rejectUnauthorized`). */
  tls?: { ca?: string | string[]; cert?: string; key?: string; rejectUnauthorized?: boolean }
  /** Any other MQTT.js option; these win over the ones above. */
  mqttOptions?: Partial<IClientOptions>
}

/**
 * Options of `publish`.
 * @example
 * await client.publish('agents/agent-01/state', { status: 'idle' }, { qos: 1, retain: true } satisfies PublishOptions)
 */
export interface PublishOptions {
  /** Default 0. */
  qos?: QoS
  retain?: boolean
  properties?: MessageProperties
}

/**
 * Options of `subscribe`.
 * @example
 * client.subscribe('alerts/#', handler, { qos: 1, noLocal: true } satisfies SubscribeOptions)
 */
export interface SubscribeOptions {
  /** Maximum QoS of the messages delivered; default 1. */
  qos?: QoS
  /** MQTT 5: do not receive this client's own publishes. */
  noLocal?: boolean
  /** MQTT 5: keep the retain flag as published. */
  retainAsPublished?: boolean
  /** MQTT 5: 0 send retained messages at subscribe, 1 only for a new subscription, 2 never. */
  retainHandling?: 0 | 1 | 2
}

/**
 * A message as received, with its raw bytes. `topic` is the application's (no organization prefix).
 * @example
 * client.subscribe('files/#', (topic, message, packet: ReceivedMessage) => save(topic, packet.payload))
 */
export interface ReceivedMessage<T = unknown> {
  topic: string
  /** The payload's bytes, exactly as published. */
  payload: Uint8Array
  /** The payload as UTF-8 text. */
  text: string
  /** The payload as JSON if it is JSON, else the text (the handler's second argument). */
  value: T
  qos: QoS
  retain: boolean
  dup: boolean
  properties: MessageProperties | undefined
}

/**
 * A subscription's callback: the topic, the payload (parsed JSON if it is JSON, else the text; an
 * object's `toString()` gives back the original text) and the whole message with its bytes.
 * @example
 * const handler: MessageHandler<{ status: string }> = (topic, message) => console.log(topic, message.status)
 */
export type MessageHandler<T = any> = (topic: string, message: T, packet: ReceivedMessage<T>) => void

/**
 * What the broker granted for a subscription.
 * @example
 * const { qos }: SubscriptionGrant = await client.subscribe('agents/+/state', handler)
 */
export interface SubscriptionGrant {
  filter: string
  qos: QoS
}

/**
 * Told to `connect` listeners: whether the broker still had this client's session.
 * @example
 * client.on('connect', (info: ConnectInfo) => console.log('session present:', info.sessionPresent))
 */
export interface ConnectInfo {
  sessionPresent: boolean
}

/**
 * Events of `CloudSignalClient`, with their listener arguments.
 * @example
 * client.on('offline', () => console.log('connection lost, reconnecting'))
 * client.on('authError', (error) => console.error('credentials refused:', error.reasonCode))
 */
export interface CloudSignalClientEvents {
  /** Connected (first time or again); subscriptions are being restored and the queue flushed. */
  connect: (info: ConnectInfo) => void
  /** A reconnection attempt starts. */
  reconnect: () => void
  /** The connection was lost; the client will reconnect. */
  offline: () => void
  /** The network connection closed. */
  close: () => void
  /** The broker sent DISCONNECT (for example 0x8E session taken over, or when kicked). */
  disconnect: (reasonCode: number) => void
  /** Any failure: connection errors, refused publishes or subscriptions, failed credential refreshes. */
  error: (error: CloudSignalError) => void
  /** Every message received, whichever subscription it matched. */
  message: (topic: string, message: unknown, packet: ReceivedMessage) => void
  /** The broker refused the credentials (CONNACK 0x86/0x87); also emitted as `error`. */
  authError: (error: MqttAuthError) => void
  /** Temporary credentials were refreshed or exchanged again (token-exchange clients). */
  credentials: (credentials: Credentials) => void
}

/**
 * Settings of `CloudSignalClient.withTokenExchange(...)`: the client's settings without the
 * credentials, plus where and how to exchange the identity provider's token.
 * @example
 * const options: TokenExchangeOptions = { apiUrl: 'https://api.example.com', publicKey: 'pk_...', token: idToken }
 */
export interface TokenExchangeOptions extends Omit<CloudSignalClientOptions, 'host' | 'username' | 'password' | 'tenancy'> {
  /** The service, e.g. `http://127.0.0.1:8080`. */
  apiUrl: string
  /** A public key (`pk_...`) of the organization. */
  publicKey: string
  /** The identity provider's token, or a function giving a fresh one (used again if the credentials lapse). */
  token: string | (() => string | Promise<string>)
  /** The auth provider's name or id; optional when the organization has one. */
  provider?: string
  /** Seconds the credentials should live (capped by the provider). */
  ttl?: number
  /** The broker's host; default the API's host name. */
  host?: string
  /** Refresh when this fraction of the lifetime has passed; default 0.8. */
  refreshAt?: number
  /** The fetch to use for the API; default the global one. */
  fetch?: typeof fetch
}

interface Subscription {
  filter: string
  id: number
  options: SubscribeOptions
  handlers: Set<MessageHandler>
  acked: boolean
  waiters: Array<{ resolve: (grant: SubscriptionGrant) => void; reject: (error: CloudSignalError) => void }>
}

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
  /** Stopped by `disconnect()` or a refused CONNACK; `connect()` starts again. */
  private stopped = false
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private refresher: CredentialRefresher | undefined
  private started: boolean

  constructor(options: CloudSignalClientOptions) {
    super()
    if (!options?.host) throw new TypeError('CloudSignalClient: host is required')
    if (!options.username) throw new TypeError('CloudSignalClient: username is required')
    this.options = { ...options }
    this.namespace = this.namespaceFor(options.username, options.tenancy)
    const autoConnect = options.autoConnect ?? true
    this.stopped = !autoConnect
    this.started = autoConnect
    this.mqtt = mqtt.connect(this.url(), { ...this.mqttOptions(), manualConnect: !autoConnect })
    this.mqtt.on('connect', (packet) => this.onConnect(packet))
    this.mqtt.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet))
    this.mqtt.on('reconnect', () => this.emit('reconnect'))
    this.mqtt.on('offline', () => this.emit('offline'))
    this.mqtt.on('close', () => this.emit('close'))
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
          { qos: options.qos ?? 0, retain: options.retain ?? false, ...(properties ? { properties } : {}) },
          (error) => error ? reject(this.failure(error, `publish to ${topic} failed`)) : resolve())
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
          error ? reject(this.failure(error, `unsubscribe from ${filter} failed`)) : resolve())
      }, reject)
    }))
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
      keepalive: o.keepalive ?? 60,
      reconnectPeriod: o.reconnectPeriod ?? 1000,
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
    const limit = this.options.queueLimit ?? 1000
    if (this.queue.length >= limit) {
      reject(new MqttError(`the offline queue is full (${limit} calls)`, { code: 'queue_full' }))
      return
    }
    this.queue.push({ run: call, reject })
  }

  private onConnect(packet: IConnackPacket): void {
    const info: ConnectInfo = { sessionPresent: packet.sessionPresent }
    this.lastConnect = info
    for (const subscription of this.subscriptions.values()) {
      if (!packet.sessionPresent || !subscription.acked) this.sendSubscribe(subscription)
    }
    for (const call of this.queue.splice(0)) call.run()
    for (const waiter of this.connectWaiters.splice(0)) waiter.resolve(info)
    this.emit('connect', info)
  }

  private sendSubscribe(subscription: Subscription): void {
    const { qos = 1, noLocal, retainAsPublished, retainHandling } = subscription.options
    this.mqtt.subscribe(this.namespace.filter(subscription.filter), {
      qos,
      ...(noLocal !== undefined ? { nl: noLocal } : {}),
      ...(retainAsPublished !== undefined ? { rap: retainAsPublished } : {}),
      ...(retainHandling !== undefined ? { rh: retainHandling } : {}),
      properties: { subscriptionIdentifier: subscription.id },
    }, (error, granted) => this.onSuback(subscription, error, granted))
  }

  private onSuback(subscription: Subscription, error: Error | null, granted: ISubscriptionGrant[] | undefined): void {
    // A refusal arrives as an error carrying the SUBACK (MQTT.js's ErrorWithSubackPacket).
    const refused = (error as { packet?: { granted?: number[] } } | null)?.packet?.granted?.[0]
    const code = refused ?? granted?.[0]?.qos
    let failure: CloudSignalError | undefined
    if (error && refused === undefined) failure = this.failure(error, `subscribe to ${subscription.filter} failed`)
    else if (code === undefined || code >= 0x80) {
      const reasonCode = code ?? 0x80
      failure = new MqttError(`subscribe to ${subscription.filter} refused: ${mqttReason(reasonCode)}`,
        { code: mqttReason(reasonCode), reasonCode })
    }
    if (failure) {
      // A refused filter is forgotten, so that it is not retried at every reconnect.
      if (this.subscriptions.get(subscription.filter) === subscription) this.subscriptions.delete(subscription.filter)
      for (const waiter of subscription.waiters.splice(0)) waiter.reject(failure)
      return
    }
    subscription.acked = true
    for (const waiter of subscription.waiters.splice(0)) {
      waiter.resolve({ filter: subscription.filter, qos: code as QoS })
    }
  }

  private onMessage(brokerTopic: string, payload: Uint8Array, packet: IPublishPacket): void {
    const topic = this.namespace.strip(brokerTopic)
    const { text, value } = decodePayload(payload)
    const properties = this.incomingProperties(packet.properties)
    const message: ReceivedMessage = {
      topic, payload, text, value, qos: packet.qos, retain: packet.retain, dup: packet.dup, properties,
    }
    this.emit('message', topic, value, message)
    for (const subscription of this.matchingSubscriptions(topic, packet)) {
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

  /** By subscription identifier when the broker sent known ones, else by matching the filters. */
  private matchingSubscriptions(topic: string, packet: IPublishPacket): Subscription[] {
    const ids = packet.properties?.subscriptionIdentifier
    const wanted = new Set(Array.isArray(ids) ? ids : ids === undefined ? [] : [ids])
    const all = [...this.subscriptions.values()]
    const byId = all.filter((subscription) => wanted.has(subscription.id))
    return byId.length > 0 ? byId : all.filter((subscription) => topicMatches(subscription.filter, topic))
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
    this.emit('error', this.failure(error, error.message))
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

  private scheduleReconnect(): void {
    const period = this.options.reconnectPeriod ?? 1000
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

  private failure(error: Error & { code?: unknown }, message: string): CloudSignalError {
    if (error instanceof CloudSignalError) return error
    if (typeof error.code === 'number') {
      const reason = mqttReason(error.code)
      return new MqttError(`${message}: ${reason}`, { code: reason, reasonCode: error.code, cause: error })
    }
    const code = typeof error.code === 'string' ? error.code.toLowerCase() : 'mqtt_error'
    return new MqttError(`${message}: ${error.message}`, { code, cause: error })
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

/**
 * Keeps temporary credentials alive: refreshes them at `refreshAt` of their lifetime, and
 * exchanges the token again when they lapsed or the broker refused them.
 */
class CredentialRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined
  private expiresAt: number
  private lifetime: number
  private stopped = false

  constructor(private readonly client: CloudSignalClient, private readonly api: CloudSignalApi,
              private readonly exchange: () => Promise<Credentials>, private credentials: Credentials,
              private readonly refreshAt: number) {
    this.lifetime = credentials.expires_in * 1000
    this.expiresAt = Date.now() + this.lifetime
    this.schedule(this.lifetime * refreshAt)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  resume(): void {
    if (!this.stopped) return
    this.stopped = false
    this.schedule(Math.max(0, this.expiresAt - this.lifetime * (1 - this.refreshAt) - Date.now()))
  }

  /** The broker refused the credentials: exchange the token again and reconnect. */
  onAuthError(): void {
    if (this.stopped) return
    clearTimeout(this.timer)
    void this.renew()
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer)
    if (this.stopped) return
    this.timer = setTimeout(() => void this.refresh(), delay)
  }

  private async refresh(): Promise<void> {
    const password = this.credentials.mqtt_password ?? ''
    try {
      const refreshed = await this.api.tokens.refresh({ mqtt_username: this.credentials.mqtt_username, mqtt_password: password })
      this.credentials = { ...refreshed, mqtt_password: password }
      this.lifetime = refreshed.expires_in * 1000
      this.expiresAt = Date.now() + this.lifetime
      this.client.notify('credentials', this.credentials)
      this.schedule(this.lifetime * this.refreshAt)
    } catch (error) {
      if (error instanceof AuthenticationError) return this.renew()
      this.client.notify('error', error instanceof CloudSignalError ? error
        : new MqttError(`refreshing the credentials failed: ${String(error)}`, { code: 'refresh_failed', cause: error }))
      const left = this.expiresAt - Date.now()
      if (left > 2000) this.schedule(Math.min(5000, left / 2))
      else await this.renew()
    }
  }

  private async renew(): Promise<void> {
    if (this.stopped) return
    try {
      this.credentials = await this.exchange()
      this.lifetime = this.credentials.expires_in * 1000
      this.expiresAt = Date.now() + this.lifetime
      this.client.useCredentials(this.credentials.mqtt_username, this.credentials.mqtt_password ?? '', true)
      this.client.notify('credentials', this.credentials)
      this.schedule(this.lifetime * this.refreshAt)
    } catch (error) {
      this.client.notify('error', error instanceof CloudSignalError ? error
        : new MqttError(`exchanging the token failed: ${String(error)}`, { code: 'exchange_failed', cause: error }))
      // A refused token stays refused; anything else (network, 429, 5xx) is worth another try.
      const refused = error instanceof APIError && error.status < 500 && error.status !== 429
      if (!refused) this.schedule(5000)
    }
  }
}
