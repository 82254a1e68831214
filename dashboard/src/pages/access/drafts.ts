// Rules being edited: saved ones keep their id, new ones get a local key until saved.
import type { AclRule, RuleSet } from '@cloudsignal/sdk'
import { DEFAULT_PRIORITY, type Permission, type Rule, type RuleAction } from '../../lib/acl.js'
import type { PresetRule } from './presets.js'

export interface DraftRule {
  key: string
  id: string | null
  topic: string
  action: RuleAction
  permission: Permission
  priority: number
  user: string
}

export interface DraftSet { key: string; id: string | null; name: string; description: string; rules: DraftRule[]; deleted?: boolean }

let counter = 0
export const newKey = () => `unsaved-${++counter}`

export function fromRule(rule: { id?: string | null; topic: string; action: string; permission: string; priority?: number | null; user?: string | null }): DraftRule {
  return {
    key: rule.id ?? newKey(), id: rule.id ?? null, topic: rule.topic, action: rule.action as RuleAction,
    permission: rule.permission as Permission, priority: rule.priority ?? DEFAULT_PRIORITY, user: rule.user ?? '',
  }
}

export function fromPreset(rule: PresetRule): DraftRule {
  return { ...fromRule({ ...rule, id: null }), key: newKey() }
}

export function fromSet(set: RuleSet): DraftSet {
  return { key: set.id, id: set.id, name: set.name, description: set.description ?? '', rules: (set.rules ?? []).map((rule) => fromRule(rule as AclRule)) }
}

/** The body the API takes for a rule. */
export function body(rule: DraftRule) {
  return { topic: rule.topic.trim(), action: rule.action, permission: rule.permission, priority: rule.priority, user: rule.user.trim() || null }
}

export function same(a: DraftRule, b: DraftRule): boolean {
  return JSON.stringify(body(a)) === JSON.stringify(body(b))
}

/** A draft as the evaluator takes it: unsaved rules are named by their local key. */
export function asRule(rule: DraftRule): Rule {
  return { id: rule.id ?? rule.key, ...body(rule) }
}

export function setChanged(draft: DraftSet, saved: DraftSet | undefined): boolean {
  if (!saved) return true
  return draft.name !== saved.name || draft.description !== saved.description || draft.rules.length !== saved.rules.length
    || draft.rules.some((rule, index) => !same(rule, saved.rules[index]!))
}
