// The browser's evaluator (src/lib/acl.ts, the simulator's unsaved rules) against the table of
// cases the service's evaluator and the broker plugin share (broker-config/acl-cases.json).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { evaluate, globMatches, ordered, type Rule } from '../../src/lib/acl.js'

interface Case { name: string; rules: [string, string, string][]; action: string; topic: string; allowed: boolean; client_id?: string }
const table = fileURLToPath(new URL('../../../../broker-config/acl-cases.json', import.meta.url))
const { cases } = JSON.parse(readFileSync(table, 'utf8')) as { cases: Case[] }

test('the shared table has cases', () => assert.ok(cases.length > 20))

for (const row of cases) {
  test(`shared case: ${row.name}`, () => {
    // The table lists rules in the order they are tried: give them increasing priorities.
    const rules = row.rules.map(([permission, action, topic], index) =>
      ({ id: `r${index}`, topic, action, permission, priority: index }) as Rule)
    const action = row.action === 'deliver' ? 'subscribe' : row.action as 'publish' | 'subscribe' // a delivery is a read
    const decision = evaluate(rules, { username: 'agent-01', clientId: row.client_id ?? 'client', orgId: 'org_x', topic: row.topic, action })
    assert.equal(decision.allowed, row.allowed)
  })
}

test('deny first at equal priority, then the order given', () => {
  const rules: Rule[] = [
    { id: 'a', topic: 'x/#', action: 'both', permission: 'allow' },
    { id: 'd', topic: 'x/#', action: 'both', permission: 'deny' },
    { id: 'p', topic: 'x/#', action: 'both', permission: 'allow', priority: 5 },
  ]
  assert.deepEqual(ordered(rules).map((rule) => rule.id), ['p', 'd', 'a'])
  const decision = evaluate(rules.slice(0, 2), { username: 'u', orgId: 'org_x', topic: 'x/1', action: 'publish' })
  assert.equal(decision.rule?.id, 'd')
})

test('user globs and placeholders', () => {
  assert.ok(globMatches('sensor-*', 'sensor-12'))
  assert.ok(!globMatches('sensor-*', 'agent-1'))
  assert.ok(globMatches('s?n[a-z]or', 'sensor'))
  assert.ok(!globMatches('a.b', 'axb'))
  const rules: Rule[] = [{ id: 'r', topic: 'agents/{username}/#', action: 'both', permission: 'allow', user: 'agent-*' }]
  assert.ok(evaluate(rules, { username: 'agent-01', orgId: 'org_x', topic: 'agents/agent-01/state', action: 'publish' }).allowed)
  assert.ok(!evaluate(rules, { username: 'agent-01', orgId: 'org_x', topic: 'agents/agent-02/state', action: 'publish' }).allowed)
  assert.ok(!evaluate(rules, { username: 'other', orgId: 'org_x', topic: 'agents/other/state', action: 'publish' }).allowed)
})

test('a granted filter lists the overlapping denies it withholds', () => {
  const rules: Rule[] = [
    { id: 'deny', topic: 'secret/#', action: 'subscribe', permission: 'deny', priority: 1 },
    { id: 'all', topic: '#', action: 'both', permission: 'allow', priority: 2 },
  ]
  const decision = evaluate(rules, { username: 'u', orgId: 'org_x', topic: '#', action: 'subscribe' })
  assert.equal(decision.allowed, true)
  assert.deepEqual(decision.withheld.map((rule) => rule.id), ['deny'])
})
