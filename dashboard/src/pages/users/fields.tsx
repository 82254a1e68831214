import type { RuleSet } from '@cloudsignal/sdk'
import { Field, TextField } from '../../components/ui.js'

export function parseMetadata(text: string): Record<string, unknown> {
  const trimmed = text.trim()
  if (!trimmed) return {}
  let value: unknown
  try { value = JSON.parse(trimmed) } catch { throw new Error('Metadata must be a JSON object, e.g. {"team": "ops"}') }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('Metadata must be a JSON object, e.g. {"team": "ops"}')
  return value as Record<string, unknown>
}

/** The rule set a user gets: a list when the key can read rule sets, a name to type otherwise. */
export function RuleSetField({ ruleSets, value, onChange }: { ruleSets: RuleSet[]; value: string; onChange: (value: string) => void }) {
  if (!ruleSets.length) {
    return <TextField label="Rule set" value={value} onInput={onChange} hint="Name of a rule set, or empty for the organization's default" />
  }
  return (
    <Field label="Rule set" hint="The user gets this rule set's rules besides the organization's">
      {(id, describedBy) => (
        <select id={id} value={value} aria-describedby={describedBy} onChange={(event) => onChange((event.currentTarget as HTMLSelectElement).value)}>
          <option value="">None (the organization's default, if any)</option>
          {ruleSets.map((set) => <option key={set.id} value={set.name}>{set.name}</option>)}
        </select>
      )}
    </Field>
  )
}
