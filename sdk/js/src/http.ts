// The REST transport: fetch, JSON, one error path, and retries with backoff for 408/429/5xx and
// network failures (never for 400/401/403/404/409), honouring Retry-After.
import { APIConnectionError, APITimeoutError, CloudSignalError, errorFromReply, retryAfterSeconds } from './errors.js'
import type { paths } from './generated/openapi.js'

/**
 * Per-request settings that override the client's.
 * @example
 * await api.users.create(user, { requestId: 'deploy-42', timeout: 5000, maxRetries: 0 } satisfies RequestOptions)
 */
export interface RequestOptions {
  /** Abort the request (and any wait between retries). */
  signal?: AbortSignal
  /** Sent as `X-Request-Id`; the service records it on the events the request causes. */
  requestId?: string
  /** Retries after a retryable failure; defaults to the client's `maxRetries`. */
  maxRetries?: number
  /** Milliseconds per attempt; defaults to the client's `timeout`. */
  timeout?: number
  /** Extra headers. */
  headers?: Record<string, string>
}

/**
 * Told to `onRetry` before each wait.
 * @example
 * new CloudSignalApi({ apiKey, onRetry: (info: RetryInfo) => console.warn(`retry ${info.attempt} in ${info.delay} ms`, info.error.code) })
 */
export interface RetryInfo {
  method: string
  path: string
  /** 1 for the first retry. */
  attempt: number
  /** Milliseconds until the retry. */
  delay: number
  error: CloudSignalError
}

/**
 * The organization's request pool, from the last reply's `X-RateLimit-*` headers.
 * @example
 * const { remaining, reset }: RateLimit = api.rateLimit!
 */
export interface RateLimit {
  limit: number
  remaining: number
  /** Epoch seconds when the window resets. */
  reset: number
}

export interface HttpSettings {
  apiKey: string
  baseUrl: string
  maxRetries: number
  timeout: number
  maxRetryDelay: number
  fetch: typeof fetch
  headers: Record<string, string>
  onRetry: ((info: RetryInfo) => void) | undefined
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'
export type Path = keyof paths
export type QueryValue = string | number | boolean | null | undefined

export interface Call {
  params?: Record<string, string>
  query?: Record<string, QueryValue> | undefined
  body?: unknown
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504])

export class HttpClient {
  /** From the last reply that carried the headers. */
  rateLimit: RateLimit | undefined

  constructor(private readonly settings: HttpSettings) {}

  /** A JSON request; resolves with the reply's body (undefined for 204). */
  async request<T>(method: Method, path: Path, call: Call = {}, options: RequestOptions = {}): Promise<T> {
    return (await this.exchange(method, path, call, options, readBody)) as T
  }

  /** A request whose successful reply is returned unread (a stream); failures as for `request`. */
  async open(method: Method, path: Path, call: Call = {}, options: RequestOptions = {}): Promise<Response> {
    return this.exchange(method, path, call, options, async (reply) => reply, true)
  }

  private async exchange<R>(method: Method, path: Path, call: Call, options: RequestOptions,
                            read: (reply: Response) => Promise<R>, streaming = false): Promise<R> {
    const url = this.url(path, call)
    const maxRetries = options.maxRetries ?? this.settings.maxRetries
    for (let attempt = 0; ; attempt++) {
      let error: CloudSignalError
      let wait: number | undefined
      try {
        const reply = await this.send(method, url, call.body, options, streaming)
        this.noteRateLimit(reply.headers)
        if (reply.ok) return await read(reply)
        error = errorFromReply(reply.status, reply.headers, await readBody(reply))
        if (!RETRYABLE_STATUS.has(reply.status)) throw error
        const after = retryAfterSeconds(reply.headers, reply.status === 429)
        if (after !== undefined) wait = after * 1000
      } catch (caught) {
        if (!(caught instanceof APIConnectionError)) throw caught
        error = caught
      }
      if (attempt >= maxRetries) throw error
      const delay = wait ?? backoff(attempt)
      if (delay > this.settings.maxRetryDelay) throw error
      this.settings.onRetry?.({ method, path: url.pathname, attempt: attempt + 1, delay, error })
      await sleep(delay, options.signal)
    }
  }

  private url(path: Path, call: Call): URL {
    const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = call.params?.[name]
      if (value === undefined || value === '') throw new TypeError(`${path}: missing ${name}`)
      return encodeURIComponent(value)
    })
    const url = new URL(this.settings.baseUrl + filled)
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value))
    }
    return url
  }

  /** One attempt. `streaming`: the caller's signal keeps aborting the body after the headers came. */
  private async send(method: Method, url: URL, body: unknown, options: RequestOptions,
                     streaming: boolean): Promise<Response> {
    const headers: Record<string, string> = {
      Accept: 'application/json, text/event-stream;q=0.9',
      Authorization: `Bearer ${this.settings.apiKey}`,
      ...this.settings.headers,
      ...options.headers,
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (options.requestId) headers['X-Request-Id'] = options.requestId
    const controller = new AbortController()
    const timeout = options.timeout ?? this.settings.timeout
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      controller.abort()
    }, timeout)
    const onAbort = () => controller.abort(options.signal?.reason)
    options.signal?.throwIfAborted()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    let reply: Response | undefined
    try {
      reply = await this.settings.fetch(url, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: controller.signal,
      })
      return reply
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason
      if (timedOut) throw new APITimeoutError(`${method} ${url.pathname}: no reply within ${timeout} ms`, error)
      throw new APIConnectionError(`${method} ${url.pathname}: cannot reach ${url.origin} (${String(error)})`, error)
    } finally {
      clearTimeout(timer)
      if (!(streaming && reply?.ok)) options.signal?.removeEventListener('abort', onAbort)
    }
  }

  private noteRateLimit(headers: Headers): void {
    const limit = headers.get('x-ratelimit-limit')
    if (limit === null) return
    this.rateLimit = {
      limit: Number(limit),
      remaining: Number(headers.get('x-ratelimit-remaining')),
      reset: Number(headers.get('x-ratelimit-reset')),
    }
  }
}

async function readBody(reply: Response): Promise<unknown> {
  if (reply.status === 204) return undefined
  const text = await reply.text()
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return { error: `http_${reply.status}`, message: text.slice(0, 500) }
  }
}

/** 0.5 s, 1 s, 2 s... up to 8 s, less up to a quarter of jitter. */
function backoff(attempt: number): number {
  return Math.min(500 * 2 ** attempt, 8000) * (1 - Math.random() * 0.25)
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
