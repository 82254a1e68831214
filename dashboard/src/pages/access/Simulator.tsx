// The simulator: one question answered twice, by the service for the saved rules (POST
// /v2/acl/check) and here for the rules as edited (src/lib/acl.ts, same semantics), each with the
// rule that decided and where it comes from.
import type { AclDecision, User } from '@cloudsignal/sdk'
import { useState } from 'preact/hooks'
import { Badge, Button, ErrorNotice, Section, SelectField, TextField, useAction } from '../../components/ui.js'
import { evaluate, type Decision, type Rule } from '../../lib/acl.js'
import { api, can, current } from '../../lib/session.js'
import { topicError } from '../../lib/topics.js'
import { type DraftRule, type DraftSet, asRule } from './drafts.js'

interface Answer { allowed: boolean; reason: string; rule: Rule | null; source: string | null; withheld: Rule[] }

export function Simulator({ orgRules, sets, savedSets }: { orgRules: DraftRule[]; sets: DraftSet[]; savedSets: DraftSet[] }) {
  const [username, setUsername] = useState('')
  const [clientId, setClientId] = useState('')
  const [topic, setTopic] = useState('')
  const [action, setAction] = useState<'publish' | 'subscribe'>('publish')
  const [ruleSetChoice, setRuleSetChoice] = useState('')
  const [saved, setSaved] = useState<Answer | null>(null)
  const [draft, setDraft] = useState<Answer | null>(null)
  const [user, setUser] = useState<User | null>(null)

  const check = useAction(async () => {
    setSaved(null); setDraft(null)
    const name = username.trim()
    const problem = topicError(topic, action === 'subscribe')
    const decision: AclDecision = await api().acl.check({ username: name, topic, action, client_id: clientId || null })
    setSaved({ allowed: decision.allowed, reason: decision.reason, rule: (decision.matched_rule as Rule | null) ?? null,
      source: decision.source ?? null, withheld: (decision.withheld ?? []) as Rule[] })
    let found: User | null = null
    if (can('users:read')) found = await api().users.get(name)
    setUser(found)
    const setName = found ? found.acl_set ?? '' : ruleSetChoice
    if (topic.startsWith('$')) { setDraft({ allowed: false, reason: "topics starting with '$' are closed to tenants", rule: null, source: null, withheld: [] }); return }
    if (problem) throw new Error(`invalid topic: ${problem}`)
    if (found?.disabled) { setDraft({ allowed: false, reason: 'the user is disabled', rule: null, source: null, withheld: [] }); return }
    // The user's rule set as edited (matched by the saved name: a rename in the editor still applies).
    const savedSet = savedSets.find((set) => set.name === setName)
    const set = sets.find((candidate) => savedSet ? candidate.key === savedSet.key : candidate.name === setName)
    const rules: [Rule, string][] = [
      ...(set ? set.rules.map((rule) => [asRule(rule), set.name] as [Rule, string]) : []),
      ...orgRules.map((rule) => [asRule(rule), 'organization'] as [Rule, string]),
    ]
    const orgId = current.value?.orgId || found?.org_id || ''
    const result: Decision = evaluate(rules.map(([rule]) => rule), { username: name, clientId: clientId || null, orgId, topic, action })
    setDraft({ ...result, source: rules.find(([rule]) => rule === result.rule)?.[1] ?? null })
  })

  return (
    <Section title="Simulator" id="simulator">
      <p class="muted small">Would this user be allowed? Answered for the saved rules by the service, and for the rules as
        edited above (unsaved changes included) by this browser with the same evaluation.</p>
      <form class="form grid-4" onSubmit={(event) => { event.preventDefault(); void check.run() }}>
        <TextField label="Username" value={username} onInput={setUsername} required hint="Name part, without @org" />
        <TextField label="Client id (optional)" value={clientId} onInput={setClientId} />
        <TextField label="Topic or filter" value={topic} onInput={setTopic} required mono />
        <SelectField label="Action" value={action} options={['publish', 'subscribe'] as const} onChange={setAction} />
        {!can('users:read') ? (
          <SelectField label="The user's rule set (for the edited rules)" value={ruleSetChoice}
            options={[['', 'None'] as [string, string], ...sets.map((set) => [set.name, set.name] as [string, string])]} onChange={setRuleSetChoice} />
        ) : null}
        <div class="form-actions"><Button kind="primary" type="submit" busy={check.busy}>Simulate</Button></div>
      </form>
      <ErrorNotice error={check.error} />
      {saved || draft ? (
        <div class="grid-2 answers" aria-live="polite">
          <AnswerCard title="Saved rules (the service)" answer={saved} />
          <AnswerCard title="With your unsaved edits" answer={draft} />
        </div>
      ) : null}
      {user ? <p class="muted small">{user.username} has rule set {user.acl_set ? <code>{user.acl_set}</code> : 'none'}.</p> : null}
    </Section>
  )
}

function AnswerCard({ title, answer }: { title: string; answer: Answer | null }) {
  const label = title.replace(/\W+/g, '-').toLowerCase()
  return (
    <div class="answer card" role="region" aria-label={title} data-answer={label}>
      <h3>{title}</h3>
      {!answer ? <p class="muted">—</p> : (
        <>
          <p class="verdict">{answer.allowed ? <Badge kind="good">Allowed</Badge> : <Badge kind="bad">Denied</Badge>}</p>
          <p>{answer.reason}</p>
          {answer.rule ? (
            <p class="small">Deciding rule: <code>{answer.rule.permission} {answer.rule.action} {answer.rule.topic}</code>
              {' '}(priority {answer.rule.priority ?? 100}{answer.rule.user ? `, users ${answer.rule.user}` : ''}) from {answer.source ?? 'organization'}
              {answer.rule.id.startsWith('unsaved-') ? <> — <Badge kind="warn">unsaved</Badge></> : null}</p>
          ) : null}
          {answer.withheld.length ? <p class="small">Withheld from deliveries: {answer.withheld.map((rule) => <code key={rule.id}>{rule.topic} </code>)}</p> : null}
        </>
      )}
    </div>
  )
}
