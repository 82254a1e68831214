// A list of rules to edit in place: topic, action, permission, priority, user glob.
import { Button } from '../../components/ui.js'
import { topicError } from '../../lib/topics.js'
import { type DraftRule, newKey } from './drafts.js'
import { DEFAULT_PRIORITY } from '../../lib/acl.js'

export function RuleEditor({ rules, onChange, readOnly, label }: { rules: DraftRule[]; onChange: (rules: DraftRule[]) => void; readOnly: boolean; label: string }) {
  const update = (key: string, change: Partial<DraftRule>) => onChange(rules.map((rule) => rule.key === key ? { ...rule, ...change } : rule))
  const add = () => onChange([...rules, { key: newKey(), id: null, topic: '', action: 'both', permission: 'allow', priority: DEFAULT_PRIORITY, user: '' }])
  return (
    <div>
      <div class="table-scroll" tabIndex={0}>
        <table class="rules" aria-label={label}>
          <thead>
            <tr><th scope="col">Topic filter</th><th scope="col">Action</th><th scope="col">Permission</th><th scope="col">Priority</th><th scope="col">Users (glob)</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {rules.map((rule, index) => {
              const n = index + 1
              const problem = rule.topic ? topicError(rule.topic.replace(/\{[^}]*\}/g, 'x'), true) : 'required'
              return (
                <tr key={rule.key} class={rule.id ? '' : 'unsaved'}>
                  <td>
                    {readOnly ? <code>{rule.topic}</code> : (
                      <input class="mono" aria-label={`Topic filter of rule ${n}`} value={rule.topic} placeholder="sensors/{username}/#"
                        aria-invalid={problem ? 'true' : undefined} spellcheck={false}
                        onInput={(event) => update(rule.key, { topic: (event.currentTarget as HTMLInputElement).value })} />
                    )}
                    {!rule.id ? <span class="badge badge-warn">unsaved</span> : null}
                  </td>
                  <td>
                    {readOnly ? rule.action : (
                      <select aria-label={`Action of rule ${n}`} value={rule.action} onChange={(event) => update(rule.key, { action: (event.currentTarget as HTMLSelectElement).value as DraftRule['action'] })}>
                        <option value="both">both</option><option value="publish">publish</option><option value="subscribe">subscribe</option>
                      </select>
                    )}
                  </td>
                  <td>
                    {readOnly ? rule.permission : (
                      <select aria-label={`Permission of rule ${n}`} value={rule.permission} onChange={(event) => update(rule.key, { permission: (event.currentTarget as HTMLSelectElement).value as DraftRule['permission'] })}>
                        <option value="allow">allow</option><option value="deny">deny</option>
                      </select>
                    )}
                  </td>
                  <td>
                    {readOnly ? rule.priority : (
                      <input type="number" min={0} max={1000000} class="narrow" aria-label={`Priority of rule ${n}`} value={rule.priority}
                        onInput={(event) => update(rule.key, { priority: Number((event.currentTarget as HTMLInputElement).value) || 0 })} />
                    )}
                  </td>
                  <td>
                    {readOnly ? (rule.user || 'all') : (
                      <input class="mono narrow-wide" aria-label={`Users of rule ${n}`} value={rule.user} placeholder="all"
                        onInput={(event) => update(rule.key, { user: (event.currentTarget as HTMLInputElement).value })} />
                    )}
                  </td>
                  <td>{readOnly ? null : <Button onClick={() => onChange(rules.filter((other) => other.key !== rule.key))} aria-label={`Remove rule ${n}`}>Remove</Button>}</td>
                </tr>
              )
            })}
            {rules.length === 0 ? <tr><td colSpan={6} class="empty">No rules: everything is denied.</td></tr> : null}
          </tbody>
        </table>
      </div>
      {!readOnly ? <Button onClick={add}>Add rule</Button> : null}
    </div>
  )
}
