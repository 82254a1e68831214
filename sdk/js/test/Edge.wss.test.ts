// MQTT.js through CloudSignalClient, under Node, over secure WebSockets to the edge (Debian's nginx
// terminating TLS on wss://127.0.0.1:<port>/mqtt): the certificate is verified against the test CA
// given in `tls.ca`; a plain ws:// connection to that port and a CA that did not sign the
// certificate both fail with an error event, promptly, without connecting.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CloudSignalClient, MqttError } from '@cloudsignal/sdk'
import { caPem, edgeWssPort, publishOverHttps, wrongCaPem } from './edge-support.js'
import { env, nextEvent, unique } from './support.js'

function client(options: Partial<ConstructorParameters<typeof CloudSignalClient>[0]>): CloudSignalClient {
  return new CloudSignalClient({
    host: '127.0.0.1', port: edgeWssPort(), protocol: 'wss', username: env('CS_USER'), password: env('CS_PASSWORD'),
    tenancy: 'multi', reconnectPeriod: 0, connectTimeout: 5000, ...options,
  })
}

/** The first `error` event, within `ms`; the client never connected. */
async function failsCleanly(failing: CloudSignalClient, ms = 5000): Promise<MqttError> {
  let connected = false
  failing.on('connect', () => { connected = true })
  const started = Date.now()
  try {
    const [error] = await nextEvent(failing, 'error', ms)
    assert.ok(error instanceof MqttError, String(error))
    assert.ok(Date.now() - started < ms)
    assert.equal(connected, false)
    assert.equal(failing.connected, false)
    return error
  } finally {
    await failing.disconnect({ force: true })
  }
}

test('connects over wss with the certificate verified against tls.ca, publishes and receives', { timeout: 20_000 }, async () => {
  const secure = client({ tls: { ca: caPem() } })
  try {
    const info = await secure.connect()
    assert.equal(info.sessionPresent, false)
    const received: Array<[string, unknown]> = []
    let done = (): void => undefined
    const arrived = new Promise<void>((resolve) => { done = resolve })
    const grant = await secure.subscribe('edge/#', (topic, message) => {
      received.push([topic, message])
      if (received.length === 2) done()
    })
    assert.equal(grant.qos, 1)
    const topic = `edge/${unique('js')}`
    await secure.publish(topic, { from: 'mqtt.js over wss' }, { qos: 1 })
    const http = await publishOverHttps(`${topic}/http`, { from: 'POST /v2/publish over https' })
    assert.equal(http.status, 200, JSON.stringify(http.body))
    await arrived
    assert.deepEqual(received, [
      [topic, { from: 'mqtt.js over wss' }],
      [`${topic}/http`, { from: 'POST /v2/publish over https' }],
    ])
  } finally {
    await secure.disconnect()
  }
})

test('plain ws:// to the wss port fails cleanly: the edge answers the upgrade with 400', { timeout: 10_000 }, async () => {
  const error = await failsCleanly(client({ protocol: 'ws' }))
  assert.match(error.message, /400/)
})

test('a CA that did not sign the certificate fails cleanly, as does no CA at all', { timeout: 15_000 }, async () => {
  const wrong = await failsCleanly(client({ tls: { ca: wrongCaPem() } }))
  assert.match(String((wrong.cause as { code?: string }).code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/)
  const none = await failsCleanly(client({}))
  assert.match(String((none.cause as { code?: string }).code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/)
})
