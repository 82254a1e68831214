// Request/response over MQTT 5, the same on the wire as the Python SDK's.
//
// A request is a publish with a response topic (`replies/<clientId>/<correlation>` by default,
// under the one response subscription `replies/<clientId>/#` each client makes) and random
// correlation data. The responder publishes the handler's result to that topic with the same
// correlation data. A handler that throws answers with an error reply: the user property
// `cs-error` holds an error code (`handler_error`, or the `code` of an `MqttRequestError` the
// handler threw) and the payload is `{"error": code, "message": text}`; the requester rejects
// with an `MqttRequestError` carrying that code.
import type { MessageProperties, QoS, ReceivedMessage, SubscribeOptions, SubscriptionGrant } from './client-types.js'
import { CloudSignalError, MqttError } from './errors.js'
import type { PublishPayload } from './payload.js'

/**
 * The user property that marks an error reply; its value is the error code.
 * @example
 * if (packet.properties?.userProperties?.[REQUEST_ERROR_PROPERTY]) console.log('an error reply')
 */
export const REQUEST_ERROR_PROPERTY = 'cs-error'

/**
 * A request got an error reply (the responder's handler threw), or no reply. `code` is the
 * responder's (`handler_error` for an ordinary exception), or `request_timeout`
 * (`MqttRequestTimeoutError`), `request_refused` (the broker refused the request's publish),
 * `reply_topic_refused` (the rules do not let this client subscribe to its reply topic). A
 * responder may throw one to choose the code.
 * @example
 * client.onRequest('svc/+/get', async (topic, id) => { throw new MqttRequestError('no such item', { code: 'not_found' }) })
 * try { await client.request('svc/items/get', 7) } catch (error) { if (error instanceof MqttRequestError) console.log(error.code) }
 */
export class MqttRequestError extends MqttError {
  override name = 'MqttRequestError'
  readonly topic: string | undefined

  constructor(message: string, options: { code?: string; topic?: string; cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'handler_error', cause: options.cause })
    this.topic = options.topic
  }
}

/**
 * No reply came within the request's timeout (code `request_timeout`).
 * @example
 * await client.request('svc/slow', {}, { timeout: 500 }).catch((error) => error instanceof MqttRequestTimeoutError)
 */
export class MqttRequestTimeoutError extends MqttRequestError {
  override name = 'MqttRequestTimeoutError'
}

/**
 * Options of `request`.
 * @example
 * const reply = await client.request('svc/items/get', { id: 7 }, { timeout: 2000, qos: 1 } satisfies MqttRequestOptions)
 */
export interface MqttRequestOptions {
  /** Milliseconds to wait for the reply; default 10000. */
  timeout?: number
  /** QoS of the request; default 1. */
  qos?: QoS
  /** More MQTT 5 properties (the response topic and correlation data are the SDK's). */
  properties?: MessageProperties
}

/**
 * A request handler: its result (or the promise's) is the reply; what it throws becomes an error reply.
 * @example
 * const handler: RequestHandler<{ id: number }> = async (topic, request) => ({ id: request.id, name: 'lamp' })
 */
export type RequestHandler<T = any, R = unknown> = (topic: string, message: T, packet: ReceivedMessage<T>) => R | Promise<R>

/** What the request/response machinery needs of the client. */
export interface RequestTransport {
  subscribe(filter: string, handler: (topic: string, message: unknown, packet: ReceivedMessage) => void,
            options?: SubscribeOptions): Promise<SubscriptionGrant>
  unsubscribe(filter: string): Promise<void>
  publish(topic: string, payload: PublishPayload, options: { qos?: QoS; properties?: MessageProperties }): Promise<void>
}

interface Pending {
  resolve: (value: any) => void
  reject: (error: CloudSignalError) => void
  timer: ReturnType<typeof setTimeout>
}

function randomHex(bytes: number): string {
  const values = new Uint8Array(bytes)
  globalThis.crypto.getRandomValues(values)
  return Array.from(values, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

const decoder = new TextDecoder()

function correlationKey(data: unknown): string | undefined {
  if (typeof data === 'string') return data
  if (data instanceof Uint8Array) return decoder.decode(data)
  return undefined
}

/** The requesting side of one client: its response subscription and the requests in flight. */
export class Requester {
  private readonly pending = new Map<string, Pending>()
  private subscription: Promise<SubscriptionGrant> | undefined

  constructor(private readonly client: RequestTransport, readonly replyTopic: string) {}

  get replyFilter(): string {
    return `${this.replyTopic}/#`
  }

  async request<T>(topic: string, payload: PublishPayload, options: MqttRequestOptions): Promise<T> {
    const timeout = options.timeout ?? 10_000
    const deadline = Date.now() + timeout
    await this.subscribed(topic, timeout)
    const id = randomHex(16)
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new MqttRequestTimeoutError(`no reply to the request on ${topic} within ${timeout} ms`,
          { code: 'request_timeout', topic }))
      }, Math.max(0, deadline - Date.now()))
      this.pending.set(id, { resolve, reject, timer })
      const properties: MessageProperties = {
        ...(options.properties ?? {}),
        responseTopic: `${this.replyTopic}/${id}`,
        correlationData: id as unknown as Buffer, // MQTT.js writes a string as its UTF-8 bytes
        messageExpiryInterval: Math.max(1, Math.ceil(timeout / 1000)),
      }
      this.client.publish(topic, payload, { qos: options.qos ?? 1, properties }).catch((error: unknown) => {
        if (!this.pending.delete(id)) return
        clearTimeout(timer)
        reject(new MqttRequestError(`the request to ${topic} was refused: ${(error as Error).message}`,
          { code: 'request_refused', topic, cause: error }))
      })
    })
  }

  /** Subscribe to the reply topic once; a refusal is forgotten so that a later request asks again. */
  private async subscribed(topic: string, timeout: number): Promise<void> {
    this.subscription ??= this.client.subscribe(this.replyFilter, (_topic, _message, packet) => this.arrived(packet), { qos: 1 })
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new MqttRequestTimeoutError(
        `no reply to ${topic} within ${timeout} ms (not connected)`, { code: 'request_timeout', topic })), timeout)
    })
    try {
      await Promise.race([this.subscription, expired])
    } catch (error) {
      if (error instanceof MqttRequestTimeoutError) throw error
      this.subscription = undefined
      void this.client.unsubscribe(this.replyFilter).catch(() => undefined)
      throw new MqttRequestError(`cannot receive replies on ${this.replyFilter} (${(error as Error).message}); add the rule ` +
        '{"topic": "replies/{client_id}/#", "action": "subscribe", "permission": "allow"}',
      { code: 'reply_topic_refused', topic, cause: error })
    } finally {
      clearTimeout(timer)
    }
  }

  private arrived(packet: ReceivedMessage): void {
    const key = correlationKey(packet.properties?.correlationData)
    const pending = key === undefined ? undefined : this.pending.get(key)
    if (!pending || key === undefined) return // late, or not ours
    this.pending.delete(key)
    clearTimeout(pending.timer)
    const code = packet.properties?.userProperties?.[REQUEST_ERROR_PROPERTY]
    if (code === undefined) return pending.resolve(packet.value)
    const value = packet.value as { message?: unknown } | undefined
    const text = typeof value?.message === 'string' ? value.message : `the responder answered with ${String(code)}`
    pending.reject(new MqttRequestError(text, { code: String(code), topic: packet.topic }))
  }
}

/** A message handler that runs `handler` and publishes its result (or its error) to the request's response topic. */
export function responder(client: RequestTransport, handler: RequestHandler):
  (topic: string, message: unknown, packet: ReceivedMessage) => void {
  return (topic, message, packet) => {
    const responseTopic = packet.properties?.responseTopic
    const correlationData = packet.properties?.correlationData
    void (async () => {
      let reply: PublishPayload
      const properties: MessageProperties = correlationData !== undefined ? { correlationData } : {}
      try {
        reply = (await handler(topic, message, packet)) as PublishPayload
      } catch (error) {
        const code = error instanceof MqttRequestError ? error.code : 'handler_error'
        const text = error instanceof MqttRequestError ? error.message
          : error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        reply = { error: code, message: text }
        properties.userProperties = { [REQUEST_ERROR_PROPERTY]: code }
      }
      if (!responseTopic) return // a message, not a request: nothing to answer
      await client.publish(responseTopic, reply ?? '', { qos: Math.min(1, packet.qos) as QoS, properties })
    })().catch(() => undefined) // a refused reply is emitted as `error` by publish
  }
}
