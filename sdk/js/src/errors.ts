// One error tree for the REST client and the MQTT client. HTTP errors carry the reply's `status`,
// `code` (its `error` field), `detail` and `requestId`; MQTT errors carry the broker's reason code.

/**
 * What every CloudSignal error serialises to.
 * @example
 * const json: CloudSignalErrorJSON = error.toJSON() // { name, message, status, code, detail, requestId }
 */
export interface CloudSignalErrorJSON {
  name: string
  message: string
  status: number | undefined
  code: string
  detail: unknown
  requestId: string | undefined
}

interface ErrorOptions {
  status?: number | undefined
  code: string
  detail?: unknown
  requestId?: string | undefined
  cause?: unknown
}

/**
 * The base of every error the SDK throws or emits.
 * @example
 * try {
 *   await api.users.get('nobody')
 * } catch (error) {
 *   if (error instanceof CloudSignalError) console.log(error.status, error.code, error.requestId)
 * }
 */
export class CloudSignalError extends Error {
  override name = 'CloudSignalError'
  /** HTTP status; undefined for MQTT and network errors. */
  readonly status: number | undefined
  /** Machine-readable code: the reply's `error` field (`not_found`, `rate_limited`...) or an MQTT reason. */
  readonly code: string
  /** Field errors or other structured detail, or null. */
  readonly detail: unknown
  /** The request id to quote when asking for help. */
  readonly requestId: string | undefined

  constructor(message: string, options: ErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.status = options.status
    this.code = options.code
    this.detail = options.detail ?? null
    this.requestId = options.requestId
  }

  toJSON(): CloudSignalErrorJSON {
    return {
      name: this.name, message: this.message, status: this.status, code: this.code, detail: this.detail,
      requestId: this.requestId,
    }
  }
}

/**
 * An error reply from the REST API (any status without a more precise class).
 * @example
 * api.users.create({ username: 'a', password: 'short' }).catch((error: APIError) => console.log(error.status))
 */
export class APIError extends CloudSignalError {
  override name = 'APIError'
  declare readonly status: number
  /** The reply's headers (rate-limit headers included). */
  readonly headers: Headers

  constructor(message: string, options: ErrorOptions & { status: number; headers: Headers }) {
    super(message, options)
    this.headers = options.headers
  }
}

/**
 * 400: the request is invalid; `detail` holds the field errors.
 * @example
 * catch (error) { if (error instanceof BadRequestError) console.log(error.detail) } // { password: [...] }
 */
export class BadRequestError extends APIError {
  override name = 'BadRequestError'
}

/**
 * 401: the API key is missing, unknown or revoked (or an exchanged token is invalid or expired).
 * @example
 * catch (error) { if (error instanceof AuthenticationError) promptForKey() }
 */
export class AuthenticationError extends APIError {
  override name = 'AuthenticationError'
}

/**
 * 403: the key lacks the scope, or a quota is reached (`code` is `quota_exceeded`).
 * @example
 * catch (error) { if (error instanceof PermissionDeniedError) console.log(error.code) }
 */
export class PermissionDeniedError extends APIError {
  override name = 'PermissionDeniedError'
}

/**
 * 404: no such resource.
 * @example
 * const user = await api.users.get('agent-01').catch((error) => error instanceof NotFoundError ? null : Promise.reject(error))
 */
export class NotFoundError extends APIError {
  override name = 'NotFoundError'
}

/**
 * 409: the name is taken, or the resource is in use.
 * @example
 * catch (error) { if (error instanceof ConflictError) console.log('username taken') }
 */
export class ConflictError extends APIError {
  override name = 'ConflictError'
}

/**
 * 413: the request body is too large.
 * @example
 * catch (error) { if (error instanceof PayloadTooLargeError) splitBatch() }
 */
export class PayloadTooLargeError extends APIError {
  override name = 'PayloadTooLargeError'
}

/**
 * 429: the organization's request or message quota for this minute is spent. Retried automatically
 * (honouring `Retry-After`) unless retries are exhausted or the wait would exceed `maxRetryDelay`.
 * @example
 * catch (error) { if (error instanceof RateLimitError) setTimeout(retry, error.retryAfter * 1000) }
 */
export class RateLimitError extends APIError {
  override name = 'RateLimitError'
  /** Seconds to wait before the next request, from `Retry-After` (or `X-RateLimit-Reset`). */
  readonly retryAfter: number | undefined

  constructor(message: string, options: ErrorOptions & { status: number; headers: Headers }) {
    super(message, options)
    this.retryAfter = retryAfterSeconds(options.headers)
  }
}

/**
 * 5xx: the service failed; retried automatically.
 * @example
 * catch (error) { if (error instanceof ServerError) console.log('try again later', error.requestId) }
 */
export class ServerError extends APIError {
  override name = 'ServerError'
}

/**
 * 503: the service cannot reach the broker or its store right now.
 * @example
 * catch (error) { if (error instanceof ServiceUnavailableError) console.log(error.code) } // broker_unavailable
 */
export class ServiceUnavailableError extends ServerError {
  override name = 'ServiceUnavailableError'
}

/**
 * 504: the broker did not acknowledge an HTTP publish in time (it may still deliver it).
 * @example
 * catch (error) { if (error instanceof GatewayTimeoutError) console.log(error.code) } // broker_timeout
 */
export class GatewayTimeoutError extends ServerError {
  override name = 'GatewayTimeoutError'
}

/**
 * The service could not be reached (network error), after retries.
 * @example
 * catch (error) { if (error instanceof APIConnectionError) console.log('is the API running?') }
 */
export class APIConnectionError extends CloudSignalError {
  override name = 'APIConnectionError'

  constructor(message: string, cause?: unknown, code = 'connection_error') {
    super(message, { code, cause })
  }
}

/**
 * The service did not answer within `timeout`, after retries.
 * @example
 * const api = new CloudSignalApi({ apiKey, timeout: 5000 }) // requests past 5 s throw APITimeoutError
 */
export class APITimeoutError extends APIConnectionError {
  override name = 'APITimeoutError'

  constructor(message: string, cause?: unknown) {
    super(message, cause, 'timeout')
  }
}

/**
 * An MQTT operation failed: `reasonCode` is the broker's MQTT 5 reason code when it sent one
 * (0x87 not authorized for a refused publish or subscription), `code` a readable name.
 * @example
 * await client.publish('not/mine', 'x', { qos: 1 }).catch((error: MqttError) => console.log(error.reasonCode)) // 135
 */
export class MqttError extends CloudSignalError {
  override name = 'MqttError'
  readonly reasonCode: number | undefined

  constructor(message: string, options: { code: string; reasonCode?: number; cause?: unknown }) {
    super(message, { code: options.code, cause: options.cause })
    this.reasonCode = options.reasonCode
  }
}

/**
 * The broker refused the CONNECT: wrong username or password, a disabled or deleted user, or
 * expired temporary credentials. The client stops reconnecting (see `reconnectOnAuthError`).
 * @example
 * client.on('authError', (error: MqttAuthError) => console.error(error.message, error.reasonCode))
 */
export class MqttAuthError extends MqttError {
  override name = 'MqttAuthError'
}

const MQTT_REASONS: Record<number, string> = {
  0x80: 'unspecified_error',
  0x81: 'malformed_packet',
  0x82: 'protocol_error',
  0x83: 'implementation_specific_error',
  0x84: 'unsupported_protocol_version',
  0x85: 'client_identifier_not_valid',
  0x86: 'bad_username_or_password',
  0x87: 'not_authorized',
  0x88: 'server_unavailable',
  0x89: 'server_busy',
  0x8a: 'banned',
  0x8c: 'bad_authentication_method',
  0x8e: 'session_taken_over',
  0x8f: 'topic_filter_invalid',
  0x90: 'topic_name_invalid',
  0x91: 'packet_identifier_in_use',
  0x97: 'quota_exceeded',
  0x99: 'payload_format_invalid',
  0x9d: 'server_moved',
  0x9e: 'shared_subscriptions_not_supported',
  0x9f: 'connection_rate_exceeded',
  0xa2: 'wildcard_subscriptions_not_supported',
}

/** CONNACK reason codes that mean "these credentials are not accepted". */
export const AUTH_REASON_CODES: ReadonlySet<number> = new Set([0x86, 0x87, 0x8a, 0x8c])

export function mqttReason(reasonCode: number): string {
  return MQTT_REASONS[reasonCode] ?? `reason_${reasonCode}`
}

const CLASS_BY_STATUS: Record<number, typeof APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  429: RateLimitError,
  503: ServiceUnavailableError,
  504: GatewayTimeoutError,
}

/** The error for a non-2xx reply, from its status, headers and (JSON, if any) body. */
export function errorFromReply(status: number, headers: Headers, body: unknown): APIError {
  const reply = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
  const code = typeof reply.error === 'string' ? reply.error : `http_${status}`
  const message = typeof reply.message === 'string' ? reply.message : `HTTP ${status}`
  const requestId = typeof reply.request_id === 'string' ? reply.request_id : headers.get('x-request-id') ?? undefined
  const ErrorClass = CLASS_BY_STATUS[status] ?? (status >= 500 ? ServerError : APIError)
  return new ErrorClass(message, { status, code, detail: reply.detail ?? null, requestId, headers })
}

/**
 * Seconds to wait according to `Retry-After` (seconds or an HTTP date) or, for a 429 without it,
 * `X-RateLimit-Reset` (epoch seconds; every reply carries it, so it says nothing about a 5xx).
 */
export function retryAfterSeconds(headers: Headers, useReset = true, now: number = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after')
  if (retryAfter !== null) {
    const seconds = Number(retryAfter)
    if (Number.isFinite(seconds)) return Math.max(0, seconds)
    const date = Date.parse(retryAfter)
    if (!Number.isNaN(date)) return Math.max(0, (date - now) / 1000)
  }
  if (!useReset) return undefined
  const reset = Number(headers.get('x-ratelimit-reset') ?? NaN)
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset - now / 1000) : undefined
}
