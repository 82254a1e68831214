// The error path and retries against real failures: a rate-limited organization (its quota set to
// 5 requests a minute by tests/js/test_js_sdk.py), a closed port, and a timeout.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import {
  APIConnectionError, APITimeoutError, CloudSignalApi, CloudSignalError, RateLimitError, type RetryInfo,
} from '@cloudsignal/sdk'
import { api, apiUrl } from './support.js'

test('past the rate limit: RateLimitError with retryAfter, and a retry waits as long as Retry-After says', async () => {
  const client = api({ maxRetries: 0 })
  let error: unknown
  // Each of the service's two processes counts on its own (memory:// storage): up to 2 x 5 pass.
  for (let i = 0; i < 30 && !error; i++) error = await client.organization.get().then(() => undefined, (e: unknown) => e)
  assert.ok(error instanceof RateLimitError, String(error))
  assert.equal(error.status, 429)
  assert.equal(error.code, 'rate_limited')
  assert.ok(error.retryAfter! >= 1 && error.retryAfter! <= 60, String(error.retryAfter))
  assert.equal(error.headers.get('x-ratelimit-remaining'), '0')
  assert.equal(client.rateLimit?.remaining, 0)
  assert.equal(client.rateLimit?.limit, 5)

  // With retries, the client announces a wait of Retry-After seconds (the test aborts it rather than wait).
  const retries: RetryInfo[] = []
  const controller = new AbortController()
  const retrying = api({ maxRetries: 3, onRetry: (info) => { retries.push(info); controller.abort() } })
  const aborted = await retrying.organization.get({ signal: controller.signal }).catch((e: unknown) => e)
  assert.equal((aborted as Error).name, 'AbortError')
  assert.equal(retries.length, 1)
  assert.ok(retries[0]!.error instanceof RateLimitError)
  const retryAfter = (retries[0]!.error as RateLimitError).retryAfter!
  assert.ok(Math.abs(retries[0]!.delay - retryAfter * 1000) < 1, `${retries[0]!.delay} vs ${retryAfter}`)

  // A Retry-After longer than maxRetryDelay is not waited for.
  const started = Date.now()
  const impatient = await api({ maxRetries: 3, maxRetryDelay: 100 }).organization.get().catch((e: unknown) => e)
  assert.ok(impatient instanceof RateLimitError)
  assert.ok(Date.now() - started < 1000)
})

test('nothing listening: APIConnectionError after the retries, each announced', async () => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
  const retries: RetryInfo[] = []
  const client = new CloudSignalApi({
    apiKey: 'sk_unused', baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2, onRetry: (info) => retries.push(info),
  })
  const error = await client.users.list().then(() => null, (e: unknown) => e)
  assert.ok(error instanceof APIConnectionError)
  assert.ok(error instanceof CloudSignalError)
  assert.equal(error.code, 'connection_error')
  assert.equal(error.status, undefined)
  assert.deepEqual(retries.map((r) => r.attempt), [1, 2])
  assert.ok(retries[0]!.delay >= 375 && retries[0]!.delay <= 500) // 0.5 s less up to 25% jitter
})

test('a reply slower than the timeout: APITimeoutError', async () => {
  const client = new CloudSignalApi({ apiKey: 'sk_unused', baseUrl: apiUrl(), timeout: 1, maxRetries: 0 })
  const error = await client.organization.get().catch((e: unknown) => e)
  assert.ok(error instanceof APITimeoutError)
  assert.equal(error.code, 'timeout')
})
