// Publishing and subscribing through the real broker and its ACL plugin (single tenancy).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  CloudSignalClient, CloudSignalError, MqttError, type CloudSignalClientOptions, type MessageHandler,
} from '@cloudsignal/sdk'
import { Inbox, api, mqttPort, nextEvent, orgId, sleep, unique, wsPort } from './support.js'

const name = unique('msg')
const password = 'messaging-password'
const base = `msg/${name}`
const clients: CloudSignalClient[] = []

function connect(options: Partial<CloudSignalClientOptions> = {}): CloudSignalClient {
  const client = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: `${name}@${orgId()}`, password, reconnectPeriod: 200, ...options,
  })
  clients.push(client)
  return client
}

before(async () => {
  await api().users.create({ username: name, password })
  await api().acl.rules.create({ topic: `${base}/#`, action: 'both', permission: 'allow', user: name })
})

after(async () => {
  await Promise.all(clients.map((client) => client.disconnect({ force: true })))
  await api().users.delete(name)
})

test('payloads: strings as text, other values as JSON, bytes as they are', async () => {
  const client = connect()
  const inbox = new Inbox<unknown>()
  const packets: Array<{ payload: Uint8Array; text: string }> = []
  await client.subscribe(`${base}/kinds/+`, (topic, message, packet) => {
    inbox.handler(topic, message)
    packets.push(packet)
  })
  await client.publish(`${base}/kinds/text`, 'plain text', { qos: 1 })
  await client.publish(`${base}/kinds/object`, { status: 'idle', load: 0.12 }, { qos: 1 })
  await client.publish(`${base}/kinds/number`, 42, { qos: 1 })
  await client.publish(`${base}/kinds/bytes`, new Uint8Array([0, 1, 2, 255]), { qos: 1 })
  await client.publish(`${base}/kinds/json-text`, JSON.stringify([1, 'two']), { qos: 1 })
  const messages = await inbox.waitFor(5)

  assert.deepEqual(messages.map(({ topic }) => topic.split('/').at(-1)), ['text', 'object', 'number', 'bytes', 'json-text'])
  assert.equal(messages[0]!.message, 'plain text')
  assert.deepEqual(messages[1]!.message, { status: 'idle', load: 0.12 })
  assert.equal(`${messages[1]!.message}`, '{"status":"idle","load":0.12}') // prints as the payload's text
  assert.equal(messages[2]!.message, 42)
  assert.deepEqual([...packets[3]!.payload], [0, 1, 2, 255])
  assert.deepEqual(messages[4]!.message, [1, 'two'])
  assert.equal(packets[4]!.text, '[1,"two"]')
})

test('MQTT 5 properties and the retain flag reach the subscriber', async () => {
  const client = connect()
  await client.connect()
  await client.publish(`${base}/props/retained`, { kept: true }, {
    qos: 1, retain: true,
    properties: { contentType: 'application/json', userProperties: { source: 'js-test' }, responseTopic: `${base}/replies` },
  })
  // A new subscription gets the retained message, with its properties.
  const received = new Promise<Parameters<MessageHandler>>((resolve) => {
    void client.subscribe(`${base}/props/#`, (...args) => resolve(args))
  })
  const [topic, message, packet] = await received
  assert.equal(topic, `${base}/props/retained`)
  assert.deepEqual(message, { kept: true })
  assert.equal(packet.retain, true)
  assert.equal(packet.properties?.contentType, 'application/json')
  assert.deepEqual(packet.properties?.userProperties, { source: 'js-test' })
  assert.equal(packet.properties?.responseTopic, `${base}/replies`)
  await client.publish(`${base}/props/retained`, '', { qos: 1, retain: true }) // clears it
})

test('the ACL refuses a publish or a subscription with a typed error', async () => {
  const client = connect()
  const errors: CloudSignalError[] = []
  client.on('error', (error) => errors.push(error))

  const publishing = await client.publish('elsewhere/secret', 'no', { qos: 1 }).catch((error: unknown) => error)
  assert.ok(publishing instanceof MqttError)
  assert.ok(publishing instanceof CloudSignalError)
  assert.equal(publishing.reasonCode, 0x87)
  assert.equal(publishing.code, 'not_authorized')

  const subscribing = await client.subscribe('elsewhere/#', () => assert.fail('no message expected'))
    .catch((error: unknown) => error)
  assert.ok(subscribing instanceof MqttError)
  assert.equal(subscribing.reasonCode, 0x87)
  assert.deepEqual(errors.map((error) => error.code), ['not_authorized', 'not_authorized'])
  assert.equal(client.connected, true, 'a refusal does not end the connection')
})

test('unsubscribe stops delivery; overlapping subscriptions each get a message once', async () => {
  const client = connect()
  const wide = new Inbox()
  const narrow = new Inbox()
  await client.subscribe(`${base}/overlap/#`, wide.handler)
  await client.subscribe(`${base}/overlap/+`, narrow.handler)
  await client.publish(`${base}/overlap/a`, 'one', { qos: 1 })
  await wide.waitFor(1)
  await narrow.waitFor(1)
  await sleep(300)
  assert.equal(wide.messages.length, 1)
  assert.equal(narrow.messages.length, 1)

  await client.unsubscribe(`${base}/overlap/+`)
  await client.publish(`${base}/overlap/b`, 'two', { qos: 1 })
  await wide.waitFor(2)
  await sleep(300)
  assert.equal(narrow.messages.length, 1)
})

test('disconnect() and connect(): calls in between are queued, subscriptions come back', async () => {
  const client = connect()
  const inbox = new Inbox()
  await client.subscribe(`${base}/cycle`, inbox.handler)
  await client.disconnect()
  assert.equal(client.connected, false)

  const published = client.publish(`${base}/cycle`, 'after reconnecting', { qos: 1 })
  assert.equal(client.queued, 1)
  const info = await client.connect()
  assert.deepEqual(info, { sessionPresent: false })
  await published
  assert.deepEqual((await inbox.waitFor(1))[0], { topic: `${base}/cycle`, message: 'after reconnecting' })
})

test('the offline queue is bounded', async () => {
  const client = connect({ autoConnect: false, queueLimit: 2 })
  const first = client.publish(`${base}/queue`, 1, { qos: 1 })
  const second = client.publish(`${base}/queue`, 2, { qos: 1 })
  const third = await client.publish(`${base}/queue`, 3, { qos: 1 }).catch((error: unknown) => error)
  assert.ok(third instanceof MqttError)
  assert.equal(third.code, 'queue_full')
  assert.equal(client.queued, 2)
  await client.connect()
  await Promise.all([first, second])
  assert.equal(client.queued, 0)
})

test('a persistent session keeps messages published while the client was away', async () => {
  const clientId = unique('persistent')
  const away = connect({ clientId, clean: false })
  await away.subscribe(`${base}/mailbox`, () => undefined, { qos: 1 })
  await away.disconnect()

  const sender = connect()
  await sender.publish(`${base}/mailbox`, 'while you were away', { qos: 1 })

  const back = connect({ clientId, clean: false, autoConnect: false })
  const inbox = new Inbox()
  void back.subscribe(`${base}/mailbox`, inbox.handler, { qos: 1 })
  const [info] = await Promise.all([nextEvent(back, 'connect'), back.connect()])
  assert.equal(info[0].sessionPresent, true)
  assert.deepEqual((await inbox.waitFor(1))[0]?.message, 'while you were away')
})

test('MQTT over WebSockets from Node.js', async () => {
  const client = connect({ protocol: 'ws', port: wsPort() })
  const inbox = new Inbox()
  await client.subscribe(`${base}/ws`, inbox.handler)
  await client.publish(`${base}/ws`, { over: 'websockets' }, { qos: 1 })
  assert.deepEqual((await inbox.waitFor(1))[0]?.message, { over: 'websockets' })
})
