// A broker restart (the pytest side stops and starts Mosquitto when asked): the client goes
// offline, queues, reconnects, resubscribes and flushes; the REST client retries HTTP publish
// through the 503s of the outage.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { CloudSignalClient, ServiceUnavailableError, type RetryInfo } from '@cloudsignal/sdk'
import { Inbox, api, control, eventually, mqttPort, nextEvent, orgId, unique } from './support.js'

const name = unique('restart')
const password = 'restart-password'
const topic = `restart/${name}`
let client: CloudSignalClient

before(async () => {
  await api().users.create({ username: name, password })
  await api().acl.rules.create({ topic: `${topic}/#`, action: 'both', permission: 'allow', user: name })
  client = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: `${name}@${orgId()}`, password, reconnectPeriod: 250,
  })
})

after(async () => {
  await client.disconnect({ force: true })
})

test('the client reconnects after a broker restart, resubscribes and sends what was queued', { timeout: 60_000 }, async () => {
  const inbox = new Inbox()
  await client.subscribe(`${topic}/#`, inbox.handler, { qos: 1 })
  await client.publish(`${topic}/before`, 'before', { qos: 1 })
  await inbox.waitFor(1)

  const offline = nextEvent(client, 'offline')
  await control('stop-broker')
  await offline
  assert.equal(client.connected, false)
  const queued = client.publish(`${topic}/during`, 'queued while the broker was down', { qos: 1 })
  assert.equal(client.queued, 1)

  // HTTP publish answers 503 while the broker is down; the REST client retries with backoff. The
  // broker comes back after the first retry is announced, and a later attempt goes through.
  const retries: RetryInfo[] = []
  let restarted: Promise<void> | undefined
  const reconnected = nextEvent(client, 'connect', 30_000)
  const published = api({
    maxRetries: 8,
    onRetry: (info) => {
      retries.push(info)
      restarted ??= control('start-broker')
    },
  }).publish({ topic: `${topic}/http`, payload: 'through the outage', qos: 1 })

  const [info] = await reconnected
  assert.equal(info.sessionPresent, false)
  assert.equal((await published).acknowledged, true)
  await restarted
  await queued
  assert.ok(retries.length >= 1)
  assert.ok(retries[0]!.error instanceof ServiceUnavailableError, String(retries[0]!.error))
  assert.equal(retries[0]!.error.code, 'broker_unavailable')
  assert.equal(retries[0]!.error.status, 503)

  // The queued publish follows the restored subscription on the same connection, so it arrives.
  // The HTTP publish above travels on the service's connection and may reach the broker before
  // this client has resubscribed (its session is new), so one sent now shows the subscription
  // restored for HTTP publishes too.
  const received = (text: string) => async () => inbox.messages.some((message) => message.message === text) || undefined
  await eventually(received('queued while the broker was down'), 10_000, 'the queued publish')
  await api().publish({ topic: `${topic}/http-after`, payload: 'after the restart', qos: 1 })
  await eventually(received('after the restart'), 10_000, 'an HTTP publish after the restart')
})
