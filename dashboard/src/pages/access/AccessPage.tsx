// Access: the organization's rules and the rule sets, edited as drafts (saved on demand), with
// presets, and a simulator that answers for the saved rules (the service) and the drafts (here).
import type { RuleSet } from '@cloudsignal/sdk'
import { useEffect, useState } from 'preact/hooks'
import { Button, ConfirmButton, ErrorNotice, Notice, PageHeader, ReadOnly, Section, TextField, useAction } from '../../components/ui.js'
import { api, can } from '../../lib/session.js'
import { type DraftRule, type DraftSet, body, fromPreset, fromRule, fromSet, newKey, same, setChanged } from './drafts.js'
import { PRESETS } from './presets.js'
import { RuleEditor } from './RuleEditor.js'
import { Simulator } from './Simulator.js'

const ORG = 'organization'

export function AccessPage() {
  const writable = can('acl:write')
  const [savedRules, setSavedRules] = useState<DraftRule[]>([])
  const [orgRules, setOrgRules] = useState<DraftRule[]>([])
  const [savedSets, setSavedSets] = useState<DraftSet[]>([])
  const [sets, setSets] = useState<DraftSet[]>([])
  const [target, setTarget] = useState<string>(ORG)
  const [preset, setPreset] = useState(PRESETS[0]!.id)
  const [notice, setNotice] = useState<string | null>(null)
  const [loaded, setLoaded] = useState(false)
  const loader = useAction(async () => {
    const [rules, ruleSets] = await Promise.all([api().acl.rules.list({ limit: 500 }).toArray(), api().acl.ruleSets.list({ limit: 500 }).toArray()])
    const drafts = rules.map(fromRule)
    setSavedRules(drafts)
    setOrgRules(drafts)
    const loadedSets = (ruleSets as RuleSet[]).map(fromSet)
    setSavedSets(loadedSets)
    setSets(loadedSets)
    setLoaded(true)
  })
  useEffect(() => { void loader.run() }, [])

  const orgDirty = orgRules.length !== savedRules.length || orgRules.some((rule, i) => !same(rule, savedRules[i]!) || rule.id !== savedRules[i]!.id)
  const editing = target === ORG ? null : sets.find((set) => set.key === target) ?? null
  const savedEditing = editing ? savedSets.find((set) => set.key === editing.key) : undefined
  const dirty = target === ORG ? orgDirty : editing ? setChanged(editing, savedEditing) : false

  const updateSet = (key: string, change: Partial<DraftSet>) => setSets((list) => list.map((set) => set.key === key ? { ...set, ...change } : set))

  const save = useAction(async () => {
    setNotice(null)
    if (target === ORG) {
      const keep = new Set(orgRules.map((rule) => rule.id).filter(Boolean))
      for (const rule of savedRules) if (!keep.has(rule.id)) await api().acl.rules.delete(rule.id!)
      for (const rule of orgRules) {
        if (!rule.id) await api().acl.rules.create(body(rule))
        else {
          const before = savedRules.find((saved) => saved.id === rule.id)
          if (before && !same(before, rule)) await api().acl.rules.update(rule.id, body(rule))
        }
      }
      setNotice('Organization rules saved; connected clients got them at once.')
    } else if (editing) {
      const change = { name: editing.name.trim(), description: editing.description, rules: editing.rules.map(body) }
      const saved = editing.id ? await api().acl.ruleSets.update(editing.id, change) : await api().acl.ruleSets.create(change)
      setTarget(saved.id)
      setNotice(`Rule set ${saved.name} saved.`)
    }
    await loader.run()
  })

  const discard = () => {
    if (target === ORG) setOrgRules(savedRules)
    else if (editing && savedEditing) updateSet(editing.key, savedEditing)
    else if (editing) { setSets((list) => list.filter((set) => set.key !== editing.key)); setTarget(ORG) }
  }

  const insertPreset = () => {
    const chosen = PRESETS.find((p) => p.id === preset)!
    const rules = chosen.rules.map(fromPreset)
    if (target === ORG) setOrgRules([...orgRules, ...rules])
    else if (editing) updateSet(editing.key, { rules: [...editing.rules, ...rules] })
  }

  const newSet = () => {
    const chosen = PRESETS.find((p) => p.id === preset)!
    const key = newKey()
    setSets([...sets, { key, id: null, name: chosen.id === 'blank' ? 'new-rule-set' : chosen.id, description: chosen.description, rules: chosen.rules.map(fromPreset) }])
    setTarget(key)
  }

  const removeSet = useAction(async () => {
    if (editing?.id) await api().acl.ruleSets.delete(editing.id)
    setTarget(ORG)
    await loader.run()
  })

  return (
    <div>
      <PageHeader title="Access" />
      {!writable ? <ReadOnly scope="acl:write" /> : null}
      <ErrorNotice error={loader.error} />
      <div class="access-layout">
        <nav class="targets" aria-label="Rule lists">
          <ul>
            <li><button type="button" class="target" aria-current={target === ORG ? 'true' : undefined} onClick={() => setTarget(ORG)}>
              Organization rules {orgDirty ? <span class="badge badge-warn">edited</span> : null}</button></li>
            {sets.map((set) => (
              <li key={set.key}><button type="button" class="target" aria-current={target === set.key ? 'true' : undefined} onClick={() => setTarget(set.key)}>
                Rule set: {set.name || '(unnamed)'} {setChanged(set, savedSets.find((s) => s.key === set.key)) ? <span class="badge badge-warn">edited</span> : null}
              </button></li>
            ))}
          </ul>
        </nav>
        <Section title={editing ? `Rule set ${editing.name || '(unnamed)'}` : 'Organization rules'} id="rules-editor">
          <p class="muted small">{editing ? 'Users assigned this set get its rules besides the organization’s.' : 'These apply to every user.'}
            {' '}Lowest priority number first, deny first at a tie; the first rule covering the topic decides; no match denies.</p>
          {editing && writable ? (
            <div class="grid-2">
              <TextField label="Rule set name" value={editing.name} onInput={(name) => updateSet(editing.key, { name })} />
              <TextField label="Description" value={editing.description} onInput={(description) => updateSet(editing.key, { description })} />
            </div>
          ) : null}
          {loaded ? (
            <RuleEditor label={editing ? `Rules of ${editing.name}` : 'Organization rules'} readOnly={!writable}
              rules={editing ? editing.rules : orgRules}
              onChange={(rules) => editing ? updateSet(editing.key, { rules }) : setOrgRules(rules)} />
          ) : <p class="muted" aria-busy="true">Loading rules…</p>}
          {writable ? (
            <div class="preset-bar">
              <label for="preset">Preset</label>
              <select id="preset" value={preset} onChange={(event) => setPreset((event.currentTarget as HTMLSelectElement).value)}>
                {PRESETS.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
              </select>
              <Button onClick={insertPreset}>Add preset’s rules here</Button>
              <Button onClick={newSet}>New rule set from preset</Button>
            </div>
          ) : null}
          {writable ? <p class="muted small">{PRESETS.find((p) => p.id === preset)?.description}</p> : null}
          {notice ? <Notice kind="success">{notice}</Notice> : null}
          <ErrorNotice error={save.error ?? removeSet.error} />
          {writable ? (
            <div class="form-actions">
              <Button kind="primary" disabled={!dirty} busy={save.busy} onClick={() => void save.run()}>Save changes</Button>
              <Button disabled={!dirty} onClick={discard}>Discard edits</Button>
              {editing?.id ? <ConfirmButton label="Delete rule set" confirm={`Delete ${editing.name}? Refused while users use it.`} onConfirm={() => removeSet.run()} /> : null}
            </div>
          ) : null}
        </Section>
      </div>
      <Simulator orgRules={orgRules} sets={sets} savedSets={savedSets} />
    </div>
  )
}
