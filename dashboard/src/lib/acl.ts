// Access decisions in the browser, for the simulator's *unsaved* rules: the same semantics as the
// service's evaluator (events/access/rules.py) and the broker plugin, checked against their shared table of
// cases (broker-config/acl-cases.json) by test/unit/acl.test.ts. Saved rules are always asked of
// the service (POST /v2/acl/check).
import { covers, overlaps } from './topics.js'

export type Action = 'publish' | 'subscribe'
export type RuleAction = Action | 'both'
export type Permission = 'allow' | 'deny'
export const DEFAULT_PRIORITY = 100

export interface Rule {
  id: string
  topic: string
  action: RuleAction
  permission: Permission
  priority?: number | null
  /** A glob over the user's name, such as `sensor-*`. */
  user?: string | null
}

export interface Decision {
  allowed: boolean
  rule: Rule | null
  reason: string
  /** Deny rules tried before the granting rule that overlap a granted filter: their topics are withheld. */
  withheld: Rule[]
}

export interface Question {
  username: string
  clientId?: string | null
  orgId: string
  topic: string
  action: Action
  claims?: Record<string, unknown>
}

const priority = (rule: Rule) => rule.priority ?? DEFAULT_PRIORITY

/** Rules in the order they are tried: lowest priority number first, deny first at a tie, then as given. */
export function ordered<T extends Rule>(rules: Iterable<T>): T[] {
  return [...rules]
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => priority(a.rule) - priority(b.rule)
      || Number(a.rule.permission !== 'deny') - Number(b.rule.permission !== 'deny')
      || a.index - b.index)
    .map(({ rule }) => rule)
}

/** fnmatch.fnmatchcase: `*`, `?`, `[seq]`, `[!seq]`. */
export function globMatches(pattern: string, name: string): boolean {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!
    if (char === '*') source += '.*'
    else if (char === '?') source += '.'
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end < 0) { source += '\\['; continue }
      let set = pattern.slice(i + 1, end)
      if (set.startsWith('!')) set = '^' + set.slice(1)
      source += '[' + set.replace(/\\/g, '\\\\') + ']'
      i = end
    } else source += char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^(?:${source})$`, 's').test(name)
}

export function forUser(rule: Rule, username: string): boolean {
  return rule.user == null || globMatches(rule.user, username)
}

const PLACEHOLDER_OR_VALUE = /\{(?:client_id|username|org_id|claims\.[A-Za-z0-9_]+)\}/g
// Values from outside (claims, usernames) are data: none of these may reach a rendered rule.
// eslint-disable-next-line no-control-regex
const SYNTAX = /[/+#${}\u0000-\u001f\u007f-\u009f]/

function usable(value: unknown, strict = true): value is string {
  if (typeof value !== 'string' || value === '') return false
  return strict ? !SYNTAX.test(value) : !/[/+#]/.test(value)
}

/** The client id as its user knows it: without its organization's `{org_id}/` prefix. */
export function localClientId(clientId: string | null | undefined, orgId: string): string | null | undefined {
  const prefix = `${orgId}/`
  return typeof clientId === 'string' && clientId.startsWith(prefix) ? clientId.slice(prefix.length) : clientId
}

/** The rule's topic with placeholders filled in once; null when a value cannot stand in a topic. */
export function render(topic: string, q: Omit<Question, 'topic' | 'action'>): string | null {
  const clientId = localClientId(q.clientId, q.orgId)
  const values: Record<string, string> = { '{org_id}': q.orgId }
  for (const placeholder of new Set(topic.match(PLACEHOLDER_OR_VALUE) ?? [])) {
    if (placeholder === '{client_id}') {
      if (!usable(clientId, false)) return null
      values[placeholder] = clientId
    } else if (placeholder === '{username}') {
      if (!usable(q.username)) return null
      values[placeholder] = q.username
    } else if (placeholder.startsWith('{claims.')) {
      const value = q.claims?.[placeholder.slice('{claims.'.length, -1)]
      if (!usable(value)) return null
      values[placeholder] = value
    }
  }
  return topic.replace(PLACEHOLDER_OR_VALUE, (match) => values[match]!)
}

/** The rule's topic cut at the first level holding a value-dependent placeholder, ended with '#'. */
export function broadened(topic: string): string {
  const levels = topic.split('/')
  const cut = levels.findIndex((level) => level.includes('{client_id}') || level.includes('{claims.') || level.includes('{username}'))
  return [...levels.slice(0, cut), '#'].join('/')
}

/** Decide whether the user may `action` on `topic` (a topic name or a subscription filter). */
export function evaluate<T extends Rule>(rules: Iterable<T>, q: Question): Decision {
  const withheld: Rule[] = []
  for (const rule of ordered(rules)) {
    if ((rule.action !== q.action && rule.action !== 'both') || !forUser(rule, q.username)) continue
    let pattern = render(rule.topic, q)
    if (pattern === null) {
      if (rule.permission === 'allow') continue
      pattern = broadened(rule.topic) // a deny never narrows for want of a value
    }
    if (covers(pattern, q.topic)) {
      if (rule.permission === 'allow') {
        let reason = `allowed by rule ${rule.id}`
        if (withheld.length) reason += '; deliveries on topics of ' + withheld.map((r) => r.id).join(', ') + ' are withheld'
        return { allowed: true, rule, reason, withheld }
      }
      return { allowed: false, rule, reason: `denied by rule ${rule.id}`, withheld: [] }
    }
    if (rule.permission === 'deny' && overlaps(pattern, q.topic)) withheld.push(rule)
  }
  return { allowed: false, rule: null, reason: 'no rule matched; the default is deny', withheld: [] }
}
