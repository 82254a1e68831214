// HTTP publish through the REST client, received by the MQTT client (multi tenancy: the service
// adds the organization prefix, the MQTT client strips it).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { BadRequestError, CloudSignalClient, type PublishResult } from '@cloudsignal/sdk'
import { Inbox, api, mqttPort, orgId } from './support.js'

let subscriber: CloudSignalClient
const inbox = new Inbox<unknown>()
const properties: unknown[] = []

before(async () => {
  await api().users.create({ username: 'listener', password: 'secure-password' })
  await api().acl.rules.create({ topic: 'news/#', action: 'subscribe', permission: 'allow' })
  subscriber = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: `listener@${orgId()}`, password: 'secure-password', tenancy: 'multi',
  })
  await subscriber.subscribe('news/#', (topic, message, packet) => {
    inbox.handler(topic, message)
    properties.push(packet.properties)
  }, { qos: 1 })
})

after(async () => {
  await subscriber.disconnect()
})

test('the documented publish: a JSON string payload, QoS 1, acknowledged by the broker', async () => {
  const result: PublishResult = await api().publish({
    topic: 'news/agent-01/inbox', payload: JSON.stringify({ task: 'summarize-thread' }), qos: 1,
  })
  assert.equal(result.acknowledged, true)
  assert.equal(result.qos, 1)
  assert.equal(result.topic, 'news/agent-01/inbox')
  const [message] = await inbox.waitFor(1)
  assert.deepEqual(message, { topic: 'news/agent-01/inbox', message: { task: 'summarize-thread' } })
})

test('any JSON value as payload, MQTT 5 properties, and a batch in order', async () => {
  await api().publish({
    topic: 'news/props', payload: { n: 1 }, qos: 1,
    properties: { content_type: 'application/json', user_properties: { origin: 'http' }, message_expiry_interval: 60 },
  })
  await inbox.waitFor(2)
  assert.deepEqual(inbox.messages[1]?.message, { n: 1 })
  const received = properties[1] as { contentType?: string; userProperties?: Record<string, string> }
  assert.equal(received.contentType, 'application/json')
  assert.deepEqual(received.userProperties, { origin: 'http' })

  const batch = await api().publishBatch([1, 2, 3].map((n) => ({ topic: 'news/batch', payload: n, qos: 1 as const })))
  assert.equal(batch.published, 3)
  assert.equal(batch.failed, 0)
  assert.deepEqual(batch.results.map((r) => r.ok), [true, true, true])
  await inbox.waitFor(5)
  assert.deepEqual(inbox.messages.slice(2).map((m) => m.message), [1, 2, 3])
})

test('errors: wildcards in the topic and an unknown QoS are BadRequestError with detail', async () => {
  const wildcard = await api().publish({ topic: 'news/#', payload: 'x' }).catch((e: unknown) => e)
  assert.ok(wildcard instanceof BadRequestError)
  assert.ok(JSON.stringify(wildcard.detail).includes('topic'))
  const qos = await api().publish({ topic: 'news/x', payload: 'x', qos: 3 as never }).catch((e: unknown) => e)
  assert.ok(qos instanceof BadRequestError)
  assert.ok(JSON.stringify(qos.detail).includes('qos'))
  const empty = await api().publishBatch([]).catch((e: unknown) => e)
  assert.ok(empty instanceof BadRequestError)
})
