// Sessions through the REST client: the broker reports connections; the API lists and ends them.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BadRequestError, CloudSignalClient, NotFoundError, type Session } from '@cloudsignal/sdk'
import { api, eventually, mqttPort, nextEvent, orgId } from './support.js'

test('a connected client is listed, can be looked up and forced off; history keeps the closed session', async () => {
  const client = api()
  await client.users.create({ username: 'sensor-1', password: 'secure-password' })
  const mqtt = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: `sensor-1@${orgId()}`, password: 'secure-password',
    clientId: 'sensor-1-main', reconnectPeriod: 0,
  })
  try {
    await mqtt.connect()
    const listed = await eventually(async () => (await client.sessions.list()).data.find((s) => s.client_id === 'sensor-1-main'),
      5000, 'the session to be listed')
    assert.equal(listed.username, 'sensor-1')
    assert.equal(listed.mqtt_username, `sensor-1@${orgId()}`)
    assert.equal(listed.status, 'active')
    assert.equal(listed.protocol_version, 5)
    assert.equal(listed.clean_start, true)
    const same: Session = await eventually(() => client.sessions.get('sensor-1-main').catch(() => undefined))
    assert.equal(same.session_id, listed.session_id)
    const filtered = await eventually(async () => {
      const sessions = await client.sessions.list({ username: 'sensor-1', status: 'all' }).toArray()
      return sessions.length > 0 && sessions
    })
    assert.deepEqual(filtered.map((s) => s.client_id), ['sensor-1-main'])

    const kicked = nextEvent(mqtt, 'close')
    await eventually(() => client.sessions.disconnect('sensor-1-main').then(() => true, () => false))
    await kicked
    const closed = await eventually(async () => (await client.sessions.history({ client_id: 'sensor-1-main' }).toArray())
      .find((s) => s.session_id === listed.session_id && s.disconnected_at), 5000, 'the closed session in history')
    assert.equal(closed.disconnect_reason, 'kicked')
    assert.equal(typeof closed.duration_seconds, 'number')
  } finally {
    await mqtt.disconnect({ force: true })
  }
})

test('errors: unknown client ids are NotFoundError, an unknown status BadRequestError', async () => {
  const client = api()
  assert.ok(await client.sessions.get('no-such-client').catch((e: unknown) => e) instanceof NotFoundError)
  assert.ok(await client.sessions.disconnect('no-such-client').catch((e: unknown) => e) instanceof NotFoundError)
  const invalid = await client.sessions.list({ status: 'sleeping' as never }).then(() => null, (e: unknown) => e)
  assert.ok(invalid instanceof BadRequestError)
  assert.ok(JSON.stringify(invalid.detail).includes('status'))
  const terminated = await client.users.terminate('nobody').catch((e: unknown) => e)
  assert.ok(terminated instanceof NotFoundError)
})
