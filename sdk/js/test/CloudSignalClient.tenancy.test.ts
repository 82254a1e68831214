// Multi tenancy: the organization's topics live under <org_id>/ on the broker. The client adds and
// strips the prefix, learning the tenancy from an option or from token exchange. A Python paho
// client (tests/js/test_js_sdk.py) subscribed to <org_id>/rooms/js answers on <org_id>/rooms/py.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { AuthenticationError, CloudSignalClient, MqttError, type Credentials } from '@cloudsignal/sdk'
import { Inbox, apiUrl, env, mqttPort, nextEvent, orgId, signJwt, sleep, tokenExchangeSetup } from './support.js'

const clients: CloudSignalClient[] = []
let exchange: { secret: string; publicKey: string }

before(async () => {
  exchange = await tokenExchangeSetup()
})

after(async () => {
  await Promise.all(clients.map((client) => client.disconnect({ force: true })))
})

function member(tenancy?: 'multi'): CloudSignalClient {
  const client = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: `${env('CS_USER')}@${orgId()}`, password: env('CS_PASSWORD'),
    ...(tenancy ? { tenancy } : {}),
  })
  clients.push(client)
  return client
}

test('with tenancy multi, topics are prefixed on the way out and stripped on the way in', async () => {
  const client = member('multi')
  const inbox = new Inbox()
  const seen: string[] = []
  client.on('message', (topic) => seen.push(topic))
  await client.subscribe('rooms/+', inbox.handler)
  await client.publish('rooms/js', { hello: 'python' }, { qos: 1 })
  const messages = await inbox.waitFor(2)
  assert.deepEqual(Object.fromEntries(messages.map(({ topic, message }) => [topic, message])), {
    'rooms/js': { hello: 'python' },
    'rooms/py': { echo: { hello: 'python' } }, // Python saw <org_id>/rooms/js and answered
  })
  assert.deepEqual(seen.sort(), ['rooms/js', 'rooms/py'])
})

test('without the tenancy option, the broker refuses topics outside the namespace', async () => {
  const error = await member().publish('rooms/js', 'no prefix', { qos: 1 }).catch((caught: unknown) => caught)
  assert.ok(error instanceof MqttError)
  assert.equal(error.reasonCode, 0x87)
})

test('withTokenExchange: temporary credentials, tenancy from the reply, refreshed before they expire', { timeout: 30_000 }, async () => {
  const started = Date.now()
  const client = await CloudSignalClient.withTokenExchange({
    apiUrl: apiUrl(), publicKey: exchange.publicKey, token: signJwt({ sub: 'user-7' }, exchange.secret), ttl: 4,
    host: '127.0.0.1', port: mqttPort(), reconnectPeriod: 200,
  })
  clients.push(client)
  assert.match(client.username, new RegExp(`^tok_\\w+@${orgId()}$`))
  let offline = 0
  client.on('offline', () => offline++)
  const refreshed = nextEvent(client, 'credentials', 10_000)

  const inbox = new Inbox()
  await client.subscribe('users/user-7/#', inbox.handler)
  await client.publish('users/user-7/hello', 'first', { qos: 1 })
  assert.deepEqual((await inbox.waitFor(1))[0], { topic: 'users/user-7/hello', message: 'first' })

  const [credentials]: [Credentials] = await refreshed // at 80% of the 4 s lifetime
  assert.equal(credentials.mqtt_username, client.username)
  assert.equal(credentials.tenancy, 'multi')
  await sleep(Math.max(0, started + 5500 - Date.now())) // past the first expiry
  assert.equal(client.connected, true)
  assert.equal(offline, 0)
  await client.publish('users/user-7/hello', 'after the first expiry', { qos: 1 })
  assert.equal((await inbox.waitFor(2))[1]?.message, 'after the first expiry')
})

test('withTokenExchange with a token the provider did not sign rejects with AuthenticationError', async () => {
  const error = await CloudSignalClient.withTokenExchange({
    apiUrl: apiUrl(), publicKey: exchange.publicKey, token: signJwt({ sub: 'x' }, 'some-other-secret-0000'),
  }).catch((caught: unknown) => caught)
  assert.ok(error instanceof AuthenticationError)
  assert.equal(error.status, 401)
  assert.equal(error.code, 'invalid_token')
  assert.ok(error.requestId?.startsWith('req_'))
})
