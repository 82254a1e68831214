// The MQTT client's public types: options, messages, handlers, grants and events.
import type { IClientOptions, IPublishPacket } from 'mqtt'
import type { MqttAuthError, CloudSignalError } from './errors.js'
import type { PublishPayload } from './payload.js'
import type { PresetName } from './presets.js'
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
  /** Seconds between keep-alive pings; default 60 (or the preset's). */
  keepalive?: number
  /**
   * Milliseconds before the first reconnection attempt (default 1000; 0 disables reconnecting);
   * each failed attempt doubles it, up to `maxReconnectPeriod`, with jitter (see the README).
   */
  reconnectPeriod?: number
  /** The longest wait between reconnection attempts, in milliseconds; default 30000. */
  maxReconnectPeriod?: number
  /** Defaults for keepalive, reconnection, `queueLimit` and QoS (`agent`, `server`, `browser`); options given win. */
  preset?: PresetName
  /** Where replies to this client's requests arrive: `<replyTopic>/#`; default `replies/<clientId>`. */
  replyTopic?: string
  /** Milliseconds to wait for the CONNACK; default 10000. */
  connectTimeout?: number
  /** `multi` puts every topic under `<org_id>/` on the broker (added on the way out, stripped on the way in); default `single`. */
  tenancy?: Tenancy
  /** Publishes and unsubscribes held while offline, at most; default 1000 (or the preset's). Past it calls reject with code `queue_full`. */
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
  /** Default 0 (or the preset's). */
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
  /** Maximum QoS of the messages delivered; default 1 (or the preset's). */
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
