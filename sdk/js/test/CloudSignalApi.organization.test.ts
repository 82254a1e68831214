// The organization, auth providers, temporary credentials, and the event history.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  AuthenticationError, BadRequestError, CloudSignalApi, CloudSignalClient, ConflictError, NotFoundError,
  type AuditEvent, type Credentials,
} from '@cloudsignal/sdk'
import { api, apiUrl, eventually, eventuallyRejects, mqttPort, orgId, signJwt } from './support.js'

test('get and update the organization', async () => {
  const organization = await api().organization.get()
  assert.equal(organization.id, orgId())
  assert.equal(organization.tenancy, 'multi')
  assert.equal(typeof organization.quotas?.max_users, 'number')
  const renamed = await api().organization.update({ name: 'Renamed by the JS SDK' })
  assert.equal(renamed.name, 'Renamed by the JS SDK')
  const invalid = await api().organization.update({ name: '' }).catch((e: unknown) => e)
  assert.ok(invalid instanceof BadRequestError)
})

test('auth providers: create, get by name, update, list, delete; secrets never come back', async () => {
  const client = api()
  const secret = 'a-long-enough-shared-secret-0123'
  const provider = await client.authProviders.create({ name: 'app', type: 'jwt', secret, audience: 'cloudsignal' })
  assert.equal(provider.has_secret, true)
  assert.ok(!JSON.stringify(provider).includes(secret))
  assert.equal((await client.authProviders.get('app')).id, provider.id)
  assert.equal((await client.authProviders.update('app', { audience: 'mqtt' })).audience, 'mqtt')
  await eventually(async () => (await client.authProviders.list().toArray()).map((p) => p.name).join() === 'app')
  assert.ok(await client.authProviders.create({ name: 'app', type: 'jwt', secret }).catch((e: unknown) => e) instanceof ConflictError)
  const short = await client.authProviders.create({ name: 'weak', type: 'jwt', secret: 'short' }).catch((e: unknown) => e)
  assert.ok(short instanceof BadRequestError)
  await client.authProviders.delete('app')
  await eventuallyRejects(() => client.authProviders.get('app'), NotFoundError)
})

test('tokens: mint, exchange, refresh; the credentials connect and carry the tenancy', async () => {
  const client = api()
  await client.acl.rules.create({ topic: 'devices/{username}/#', action: 'both', permission: 'allow' })
  const minted: Credentials = await client.tokens.create({ user_id: 'device-9', ttl: 120 })
  assert.ok(minted.mqtt_username.startsWith('tok_'))
  assert.equal(minted.provider, null)
  assert.equal(minted.tenancy, 'multi')
  const device = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: minted.mqtt_username, password: minted.mqtt_password!,
    tenancy: minted.tenancy as 'multi',
  })
  await device.connect()
  await device.disconnect()

  const refreshed = await client.tokens.refresh({ mqtt_username: minted.mqtt_username, mqtt_password: minted.mqtt_password! })
  assert.ok(refreshed.expires_in >= 119)
  const wrong = await client.tokens.refresh({ mqtt_username: minted.mqtt_username, mqtt_password: 'wrong' })
    .catch((e: unknown) => e)
  assert.ok(wrong instanceof AuthenticationError)
  assert.ok(await client.tokens.create({ user_id: 'x', ttl: 86401 }).catch((e: unknown) => e) instanceof BadRequestError)

  const secret = 'another-long-shared-secret-4567'
  await client.authProviders.create({ name: 'idp', type: 'jwt', secret })
  const { key } = await client.apiKeys.create({ name: 'public', type: 'public' })
  const publicApi = new CloudSignalApi({ apiKey: key, baseUrl: apiUrl() })
  const exchanged = await publicApi.tokens.exchange({ token: signJwt({ sub: 'person-1' }, secret), ttl: 60 })
  assert.equal(exchanged.user_id, 'person-1')
  assert.equal(exchanged.provider, 'idp')
  const expired = signJwt({ sub: 'person-1', exp: Math.floor(Date.now() / 1000) - 120 }, secret)
  const late = await publicApi.tokens.exchange({ token: expired }).catch((e: unknown) => e)
  assert.ok(late instanceof AuthenticationError)
  assert.equal(late.code, 'token_expired')
  const missing = await publicApi.tokens.exchange({ token: signJwt({ sub: 'p' }, secret), provider: 'nope' })
    .catch((e: unknown) => e)
  assert.ok(missing instanceof NotFoundError)
  assert.equal(missing.code, 'provider_not_found')
})

test('events: the history lists what this test did, and the live stream follows new changes', async () => {
  const client = api()
  await client.users.create({ username: 'audited', password: 'secure-password' }, { requestId: 'req-js-audited' })
  const created = await eventually(async () => {
    const events = await client.events.list({ type: 'MqttUser.Created' }).toArray()
    const mine = events.filter((event) => event.aggregate?.name === 'audited')
    return mine.length > 0 && mine
  })
  assert.equal(created.length, 1)
  assert.equal(created[0]!.request_id, 'req-js-audited')
  const last = (await client.events.list({ limit: 500 }).toArray()).at(-1)!

  const controller = new AbortController()
  const live: AuditEvent[] = []
  const following = (async () => {
    for await (const event of client.events.stream({ after: last.position!, timeout: 1 }, { signal: controller.signal })) {
      live.push(event)
      if (event.type === 'MqttUser.Deleted') break
    }
  })()
  await client.users.delete('audited')
  await following // the stream ended once the deletion arrived (through a reopened stream if need be)
  assert.equal(live.at(-1)?.aggregate?.name, 'audited')

  const access = await client.audit.access({ username: 'audited', topic: 'a/b', action: 'publish', at: new Date().toISOString() })
  assert.equal(access.allowed, false)
  const state = await client.audit.state({ at: new Date().toISOString() })
  assert.ok(Array.isArray(state.users))
  const invalid = await client.audit.state({ at: 'yesterday' }).catch((e: unknown) => e)
  assert.ok(invalid instanceof BadRequestError)
})
