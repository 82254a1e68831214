// Request/response (MQTT 5) between this SDK and the Python SDK through the real broker, both
// directions: a Python responder (started by tests/js/test_js_sdk.py on `py/+/get`) answers JS
// requests, and Python requests reach a JS responder on `js/+/get` when the test asks the pytest
// side (`py-requests`). Also: the reconnection policy and presets.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import {
  Backoff, CloudSignalClient, MqttRequestError, MqttRequestTimeoutError, PRESETS, REQUEST_ERROR_PROPERTY,
} from '@cloudsignal/sdk'
import { control, env, mqttPort, orgId } from './support.js'

const clients: CloudSignalClient[] = []

function connect(): CloudSignalClient {
  const client = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: `${env('CS_USER')}@${orgId()}`, password: env('CS_PASSWORD'),
    preset: 'server',
  })
  clients.push(client)
  return client
}

after(async () => {
  await Promise.all(clients.map((client) => client.disconnect({ force: true })))
})

test('JS requests get Python replies: 100 in flight, typed errors, a timeout', async () => {
  const client = connect()
  assert.deepEqual(await client.request('py/items/get', { id: 1 }, { timeout: 5000 }), { id: 1, by: 'python' })

  const replies = await Promise.all(Array.from({ length: 100 }, (_, id) =>
    client.request<{ id: number }>('py/items/get', { id }, { timeout: 10_000 })))
  assert.deepEqual(replies.map((reply) => reply.id), Array.from({ length: 100 }, (_, id) => id))

  const failed = await client.request('py/items/get', { id: 2, fail: true }, { timeout: 5000 }).catch((error) => error)
  assert.ok(failed instanceof MqttRequestError && !(failed instanceof MqttRequestTimeoutError), String(failed))
  assert.equal(failed.code, 'handler_error')
  assert.match(failed.message, /ValueError: no such item/)

  const started = Date.now()
  const late = await client.request('py/nobody/answers', {}, { timeout: 400 }).catch((error) => error)
  assert.ok(late instanceof MqttRequestTimeoutError)
  assert.equal(late.code, 'request_timeout')
  assert.ok(Date.now() - started < 2000)
})

test('Python requests get JS replies, and what the handler throws comes back typed', async () => {
  const client = connect()
  await client.onRequest<{ id: number; fail?: boolean }>('js/+/get', async (topic, request) => {
    if (request.fail) throw new MqttRequestError('not here', { code: 'not_found' })
    return { id: request.id, by: 'js', topic }
  })
  await control('py-requests') // asserts on the Python side: replies, 100 concurrent, the error
})

test('the reconnection policy: doubling steps, each wait between half and all of its step', () => {
  const backoff = new Backoff(1000, 30_000)
  for (let attempt = 0; attempt < 8; attempt++) {
    const step = Math.min(30_000, 1000 * 2 ** attempt)
    const wait = backoff.next()
    assert.ok(wait >= step / 2 && wait <= step, `attempt ${attempt}: ${wait} ms`)
  }
  backoff.reset()
  assert.ok(backoff.next() <= 1000)
  assert.equal(PRESETS.browser.queueLimit, 100)
  assert.equal(REQUEST_ERROR_PROPERTY, 'cs-error')
  assert.throws(() => new CloudSignalClient({ host: 'h', username: 'u@org_x', password: 'p', autoConnect: false,
    preset: 'fast' as 'agent' }), TypeError)
})
