// The broker refusing credentials: a typed error, and no reconnection storm.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { CloudSignalClient, CloudSignalError, MqttAuthError, type CloudSignalClientOptions } from '@cloudsignal/sdk'
import { api, mqttPort, nextEvent, orgId, sleep, unique } from './support.js'

const name = unique('auth')
const password = 'the-right-password'
const clients: CloudSignalClient[] = []

function client(options: Partial<CloudSignalClientOptions> = {}): CloudSignalClient {
  const created = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: `${name}@${orgId()}`, password, reconnectPeriod: 200, ...options,
  })
  clients.push(created)
  return created
}

before(async () => {
  await api().users.create({ username: name, password })
  await api().acl.rules.create({ topic: `auth/${name}/#`, action: 'both', permission: 'allow', user: name })
})

after(async () => {
  await Promise.all(clients.map((each) => each.disconnect({ force: true })))
  await api().users.delete(name).catch(() => undefined)
})

test('a wrong password: authError, connect() and queued calls reject with MqttAuthError, no retries', async () => {
  const refused = client({ password: 'not-the-password' })
  const authError = nextEvent(refused, 'authError')
  const connecting = refused.connect().catch((error: unknown) => error)
  const queued = refused.publish(`auth/${name}/x`, 'never sent', { qos: 1 }).catch((error: unknown) => error)
  let attempts = 0
  refused.on('reconnect', () => attempts++)

  const [error] = await authError
  assert.ok(error instanceof MqttAuthError)
  assert.ok(error instanceof CloudSignalError)
  assert.equal(error.name, 'MqttAuthError')
  assert.equal(error.reasonCode, 0x87)
  assert.equal(error.code, 'not_authorized')
  assert.equal(error.status, undefined)
  assert.match(error.message, new RegExp(name))
  assert.deepEqual(Object.keys(error.toJSON()).sort(), ['code', 'detail', 'message', 'name', 'requestId', 'status'])
  assert.equal(await connecting, error)
  assert.equal(await queued, error)

  await sleep(1000) // five reconnect periods
  assert.equal(attempts, 0)
  assert.equal(refused.connected, false)
})

test('an unknown user is refused the same way', async () => {
  const refused = client({ username: `nobody-${name}@${orgId()}` })
  const error = await refused.connect().catch((caught: unknown) => caught)
  assert.ok(error instanceof MqttAuthError)
})

test('a user disabled while connected is kicked, then refused; re-enabled, it comes back', async () => {
  const connected = client({ reconnectOnAuthError: true })
  await connected.connect()
  const offline = nextEvent(connected, 'offline')
  const refusedAgain = nextEvent(connected, 'authError')
  await api().users.update(name, { disabled: true })
  await offline
  await refusedAgain // reconnecting, with reconnectOnAuthError, to a refusal
  assert.equal(connected.connected, false)

  const back = nextEvent(connected, 'connect')
  await api().users.update(name, { disabled: false })
  await back
  assert.equal(connected.connected, true)
})
