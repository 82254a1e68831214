// MQTT users through the REST client, against the real service (a fresh organization).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  APIError, BadRequestError, CloudSignalClient, CloudSignalError, ConflictError, NotFoundError, type User,
} from '@cloudsignal/sdk'
import { api, eventually, eventuallyRejects, mqttPort, nextEvent, orgId } from './support.js'

test('create, get, update, delete; the created user can connect at once', async () => {
  const client = api()
  const user: User = await client.users.create({ username: 'agent-01', password: 'secure-password', metadata: { team: 'a' } })
  assert.equal(user.mqtt_username, `agent-01@${orgId()}`)
  assert.equal(user.org_id, orgId())
  assert.equal(user.disabled, false)
  assert.ok(user.id.startsWith('usr_'))
  assert.equal('password' in user, false)
  assert.deepEqual(await client.users.get('agent-01'), user)

  const mqtt = new CloudSignalClient({ host: '127.0.0.1', port: mqttPort(), username: user.mqtt_username, password: 'secure-password' })
  await mqtt.connect()
  const kicked = nextEvent(mqtt, 'offline')
  const disabled = await client.users.update('agent-01', { disabled: true, metadata: { team: 'b' } })
  assert.equal(disabled.disabled, true)
  assert.deepEqual(disabled.metadata, { team: 'b' })
  await kicked // disabling a user kicks its sessions
  await mqtt.disconnect({ force: true })

  await client.users.delete('agent-01')
  const gone = await eventuallyRejects(() => client.users.get('agent-01'), NotFoundError)
  assert.equal(gone.status, 404)
  assert.equal(gone.code, 'not_found')
})

test('errors: a taken name is ConflictError, a bad field BadRequestError with detail, an unknown rule set NotFoundError', async () => {
  const client = api()
  await client.users.create({ username: 'taken', password: 'secure-password' })
  const conflict = await client.users.create({ username: 'taken', password: 'secure-password' }).catch((e: unknown) => e)
  assert.ok(conflict instanceof ConflictError && conflict instanceof APIError && conflict instanceof CloudSignalError)
  assert.equal(conflict.name, 'ConflictError')
  assert.equal(conflict.status, 409)
  assert.equal(conflict.code, 'conflict')

  const invalid = await client.users.create({ username: 'bad name!', password: 'short' }, { requestId: 'req-js-invalid-user' })
    .catch((e: unknown) => e)
  assert.ok(invalid instanceof BadRequestError)
  assert.equal(invalid.code, 'validation_error')
  assert.equal(invalid.requestId, 'req-js-invalid-user') // X-Request-Id is echoed back
  const detail = invalid.detail as Record<string, string[]>
  assert.deepEqual(Object.keys(detail).sort(), ['password', 'username'])
  assert.deepEqual(invalid.toJSON(), {
    name: 'BadRequestError', message: invalid.message, status: 400, code: 'validation_error', detail,
    requestId: 'req-js-invalid-user',
  })

  const noSet = await client.users.create({ username: 'lost', password: 'secure-password', acl_set: 'no-such-set' })
    .catch((e: unknown) => e)
  assert.ok(noSet instanceof NotFoundError)
  const noUser = await client.users.update('nobody', { disabled: true }).catch((e: unknown) => e)
  assert.ok(noUser instanceof NotFoundError)
  const noDelete = await client.users.delete('nobody').catch((e: unknown) => e)
  assert.ok(noDelete instanceof NotFoundError)
})

test('lists: await for a page, for await for every user across pages', async () => {
  const client = api()
  const names = ['page-1', 'page-2', 'page-3', 'page-4', 'page-5']
  for (const username of names) await client.users.create({ username, password: 'secure-password' })
  const listed = await eventually(async () => {
    const usernames = (await client.users.list().toArray()).map((user) => user.username)
    return names.every((n) => usernames.includes(n)) && usernames
  })
  const existing = listed.filter((n) => !names.includes(n))

  const first = await client.users.list({ limit: 2 })
  assert.equal(first.data.length, 2)
  assert.equal(typeof first.next_cursor, 'string')
  const second = await client.users.list({ limit: 2, cursor: first.next_cursor! })
  assert.notDeepEqual(second.data.map((u) => u.username), first.data.map((u) => u.username))

  const all: string[] = []
  for await (const user of client.users.list({ limit: 2 })) all.push(user.username)
  assert.deepEqual(all, [...existing, ...names]) // oldest first
  let pages = 0
  for await (const page of client.users.list({ limit: 2 }).pages()) pages += page.data.length > 0 ? 1 : 0
  assert.equal(pages, Math.ceil(all.length / 2))

  const invalid = await client.users.list({ limit: 501 }).then(() => null, (e: unknown) => e)
  assert.ok(invalid instanceof BadRequestError)
})

test('terminate disconnects every session of a user, which may connect again', async () => {
  const client = api()
  const user = await client.users.create({ username: 'terminated', password: 'secure-password' })
  const mqtt = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: user.mqtt_username, password: 'secure-password', reconnectPeriod: 200,
  })
  try {
    await mqtt.connect()
    // The broker reports sessions to the service in batches: wait until it knows this one.
    await eventually(async () => (await client.sessions.list({ username: 'terminated' })).data.length === 1,
      5000, 'the session to be reported')
    const offline = nextEvent(mqtt, 'offline')
    const back = nextEvent(mqtt, 'connect')
    // Either service process may answer; the one that has not yet heard of the session answers 0.
    const result = await eventually(async () => {
      const reply = await client.users.terminate('terminated')
      return reply.sessions_terminated > 0 && reply
    }, 2000, 'a terminated session')
    assert.deepEqual(result, { username: 'terminated', sessions_terminated: 1 })
    await offline
    await back
  } finally {
    await mqtt.disconnect({ force: true })
  }
})
