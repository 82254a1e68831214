// ACL rules, rule sets and the access simulator through the REST client.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BadRequestError, ConflictError, NotFoundError, type AclRule } from '@cloudsignal/sdk'
import { api, eventually, eventuallyRejects } from './support.js'

test('organization rules: create, get, update, list, delete', async () => {
  const client = api()
  const rule: AclRule = await client.acl.rules.create({ topic: 'agents/{username}/#', action: 'both', permission: 'allow' })
  assert.ok(rule.id.startsWith('rule_'))
  assert.equal(rule.priority, 100)
  assert.deepEqual(await client.acl.rules.get(rule.id), rule)
  const changed = await client.acl.rules.update(rule.id, { priority: 10, user: 'agent-*' })
  assert.equal(changed.priority, 10)
  assert.equal(changed.user, 'agent-*')
  await eventually(async () => (await client.acl.rules.list().toArray()).map((r) => r.id).join() === rule.id)
  await client.acl.rules.delete(rule.id)
  await eventuallyRejects(() => client.acl.rules.get(rule.id), NotFoundError)
  const invalid = await client.acl.rules.create({ topic: 'a/#/b', action: 'both', permission: 'allow' }).catch((e: unknown) => e)
  assert.ok(invalid instanceof BadRequestError)
})

test('rule sets by id or name, the simulator, and 409 while a set is in use', async () => {
  const client = api()
  const set = await client.acl.ruleSets.create({
    name: 'sensors', description: 'Field sensors',
    rules: [{ topic: 'sensors/{username}/#', action: 'publish', permission: 'allow' }],
  })
  assert.ok(set.id)
  assert.equal((await client.acl.ruleSets.get('sensors')).id, set.id)
  assert.equal((await client.acl.ruleSets.get(set.id)).name, 'sensors')
  await client.users.create({ username: 'sensor-7', password: 'secure-password', acl_set: 'sensors' })

  const allowed = await client.acl.check({ username: 'sensor-7', topic: 'sensors/sensor-7/temp', action: 'publish' })
  assert.equal(allowed.allowed, true)
  assert.equal(allowed.source, 'sensors')
  const denied = await client.acl.check({ username: 'sensor-7', topic: 'sensors/sensor-8/temp', action: 'publish' })
  assert.equal(denied.allowed, false)
  assert.equal(denied.matched_rule, null)

  const renamed = await client.acl.ruleSets.update('sensors', { name: 'field-sensors' })
  assert.equal(renamed.name, 'field-sensors')
  assert.equal(renamed.users, 1)
  const inUse = await client.acl.ruleSets.delete('field-sensors').catch((e: unknown) => e)
  assert.ok(inUse instanceof ConflictError)
  const duplicate = await client.acl.ruleSets.create({ name: 'field-sensors' }).catch((e: unknown) => e)
  assert.ok(duplicate instanceof ConflictError)

  await client.users.delete('sensor-7')
  // Free once the deletion of its last user has reached the process that answers.
  await eventually(() => client.acl.ruleSets.delete('field-sensors')
    .then(() => true, (e: unknown) => e instanceof ConflictError ? false : Promise.reject(e)))
  await eventuallyRejects(() => client.acl.ruleSets.get('field-sensors'), NotFoundError)
  const unknownUser = await client.acl.check({ username: 'nobody', topic: 'a', action: 'publish' }).catch((e: unknown) => e)
  assert.ok(unknownUser instanceof NotFoundError)
})
