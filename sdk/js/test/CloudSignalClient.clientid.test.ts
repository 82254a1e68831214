// Client ids (multi tenancy): the id given in the options (or generated) goes to the broker as
// <org_id>/<clientId>, which the broker requires, and comes back without the prefix, from the
// client and from the REST API. tests/js/test_js_client_id.py also reads the broker's log.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { CloudSignalClient } from '@cloudsignal/sdk'
import { api, eventually, mqttPort, orgId } from './support.js'

const clients: CloudSignalClient[] = []

before(async () => {
  await api().users.create({ username: 'js-dash-user', password: 'secure-password' })
})

after(async () => {
  await Promise.all(clients.map((client) => client.disconnect({ force: true })))
})

function client(options: { clientId?: string; tenancy?: 'multi' | 'single' }): CloudSignalClient {
  const created = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: `js-dash-user@${orgId()}`, password: 'secure-password',
    reconnectPeriod: 0, ...options,
  })
  clients.push(created)
  return created
}

/** The id MQTT.js sends in CONNECT. */
function wireId(created: CloudSignalClient): string {
  return (created as unknown as { mqtt: { options: { clientId: string } } }).mqtt.options.clientId
}

test('a given client id is prefixed on the wire and plain for the user', async () => {
  const dash = client({ clientId: 'js-dash', tenancy: 'multi' })
  await dash.connect()
  assert.equal(dash.clientId, 'js-dash')
  assert.equal(wireId(dash), `${orgId()}/js-dash`)
  const listed = await eventually(async () => (await api().sessions.list()).data.find((s) => s.client_id === 'js-dash'),
    5000, 'the session to be listed without the prefix')
  assert.equal(listed.mqtt_username, `js-dash-user@${orgId()}`)
  assert.equal((await api().sessions.get('js-dash')).session_id, listed.session_id)
})

test('a generated client id is prefixed too, whatever the tenancy option', async () => {
  const plain = client({})
  await plain.connect()
  assert.match(plain.clientId, /^cs-[^/]+$/)
  assert.equal(wireId(plain), `${orgId()}/${plain.clientId}`)
})
