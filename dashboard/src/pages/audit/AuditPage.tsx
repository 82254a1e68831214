// Audit: the event timeline with filters, kept live by asking for events after the last one every
// 3 s (no held stream: /v2/events/stream holds a server thread per client), and a point-in-time
// access question answered with the rule and the events behind it.
import type { AuditAccess, AuditEvent } from '@cloudsignal/sdk'
import { useState } from 'preact/hooks'
import { Badge, Button, ErrorNotice, PageHeader, Section, SelectField, TextField, useAction } from '../../components/ui.js'
import { when } from '../../lib/format.js'
import { usePolling } from '../../lib/poll.js'
import { api } from '../../lib/session.js'

const RANGES = { '3600': 'Last hour', '86400': 'Last day', '604800': 'Last 7 days', '0': 'Everything' } as const
type Range = keyof typeof RANGES
const KEEP = 1000
const PAGE = 500

interface Filters { type: string; actor: string; aggregate: string; range: Range }

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>({ type: '', actor: '', aggregate: '', range: '86400' })
  const [filters, setFilters] = useState<Filters>(draft)
  return (
    <div>
      <PageHeader title="Audit" />
      <Section title="Event timeline" id="timeline">
        <form class="form grid-5" onSubmit={(event) => { event.preventDefault(); setFilters({ ...draft }) }}>
          <TextField label="Type" value={draft.type} onInput={(type) => setDraft({ ...draft, type })} placeholder="MqttUser or AclRule.Created" />
          <TextField label="Actor" value={draft.actor} onInput={(actor) => setDraft({ ...draft, actor })} placeholder="key_…, system or broker" />
          <TextField label="Aggregate" value={draft.aggregate} onInput={(aggregate) => setDraft({ ...draft, aggregate })} placeholder="usr_…, rule_…" />
          <SelectField label="Period" value={draft.range} onChange={(range) => setDraft({ ...draft, range })}
            options={Object.entries(RANGES) as [Range, string][]} />
          <div class="form-actions"><Button kind="primary" type="submit">Apply filters</Button></div>
        </form>
        <Timeline key={JSON.stringify(filters)} filters={filters} />
      </Section>
      <AccessQuestion />
    </div>
  )
}

function Timeline({ filters }: { filters: Filters }) {
  const [events, setEvents] = useState<AuditEvent[]>([])
  const [after, setAfter] = useState<number | null>(null)
  const [error, setError] = useState<unknown>(null)
  const base = {
    ...(filters.type ? { type: filters.type.trim() } : {}),
    ...(filters.actor ? { actor: filters.actor.trim() } : {}),
    ...(filters.aggregate ? { aggregate: filters.aggregate.trim() } : {}),
  }

  usePolling(async () => {
    try {
      let position = after
      const params = position === null && filters.range !== '0'
        ? { ...base, since: new Date(Date.now() - Number(filters.range) * 1000).toISOString() } : base
      const fresh: AuditEvent[] = []
      for (;;) {
        const page = await api().events.list({ ...params, after: position ?? 0, limit: PAGE })
        fresh.push(...page.data)
        const last = page.data.at(-1)?.position
        if (last != null) position = last
        if (!page.next_cursor || page.data.length === 0) break
      }
      if (fresh.length) setEvents((list) => [...fresh.reverse(), ...list].slice(0, KEEP))
      setAfter(position ?? 0)
      setError(null)
    } catch (caught) { setError(caught) }
  }, 3000, [after === null])

  return (
    <div>
      <ErrorNotice error={error} />
      <p class="muted small" aria-live="polite" id="event-count">{after === null ? 'Loading…' : `${events.length} events${events.length >= KEEP ? ' (the latest)' : ''} · live`}</p>
      <ol class="timeline" aria-label="Events, newest first">
        {events.map((event) => (
          <li key={event.position} class="event">
            <div class="event-head">
              <code class="event-type">{event.type}</code>
              <span>{event.aggregate?.type} <strong>{event.aggregate?.name || event.aggregate?.id}</strong></span>
              <span class="muted small">{when(event.time)} · by {event.actor?.name ? `${event.actor.name} (${event.actor.id})` : event.actor?.id ?? '—'}</span>
            </div>
            <details>
              <summary>Change #{event.position}{event.request_id ? ` · request ${event.request_id}` : ''}</summary>
              <pre class="mono">{JSON.stringify(event.change, null, 2)}</pre>
            </details>
          </li>
        ))}
        {after !== null && events.length === 0 ? <li class="empty">No events in this period.</li> : null}
      </ol>
    </div>
  )
}

function localNow(): string {
  const now = new Date()
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset())
  return now.toISOString().slice(0, 19)
}

function AccessQuestion() {
  const [username, setUsername] = useState('')
  const [topic, setTopic] = useState('')
  const [action, setAction] = useState<'publish' | 'subscribe'>('publish')
  const [at, setAt] = useState(localNow())
  const [answer, setAnswer] = useState<AuditAccess | null>(null)
  const ask = useAction(async () => {
    setAnswer(null)
    setAnswer(await api().audit.access({ username: username.trim(), topic, action, at: new Date(at).toISOString() }))
  })
  const rule = answer?.matched_rule as { permission?: string; action?: string; topic?: string; id?: string } | null | undefined
  return (
    <Section title="Could they, then?" id="access-question">
      <p class="muted small">Whether a user could publish or subscribe to a topic at a past moment, with the rule that decided and the events behind it.</p>
      <form class="form grid-5" onSubmit={(event) => { event.preventDefault(); void ask.run() }}>
        <TextField label="Username" value={username} onInput={setUsername} required />
        <TextField label="Topic or filter" value={topic} onInput={setTopic} required mono />
        <SelectField label="Action" value={action} onChange={setAction} options={['publish', 'subscribe'] as const} />
        <TextField label="At (your local time)" type="datetime-local" step={1} value={at} onInput={setAt} required />
        <div class="form-actions"><Button kind="primary" type="submit" busy={ask.busy}>Ask</Button></div>
      </form>
      <ErrorNotice error={ask.error} />
      {answer ? (
        <div class="answer card" aria-live="polite" role="region" aria-label="Answer">
          <p class="verdict">{answer.allowed ? <Badge kind="good">Allowed</Badge> : <Badge kind="bad">Denied</Badge>} at {when(answer.at)}</p>
          <p>{answer.reason}</p>
          {rule ? <p class="small">Deciding rule: <code>{rule.permission} {rule.action} {rule.topic}</code> ({rule.id}) from {answer.source ?? 'organization'}</p> : null}
          {answer.events?.length ? (
            <>
              <h3>Why: the events behind it</h3>
              <ol class="timeline compact">
                {answer.events.map((event) => (
                  <li key={`${event.position}-${event.type}`}><code>{event.type}</code> {event.aggregate?.name || event.aggregate?.id} · {when(event.time)} · by {event.actor?.name ?? event.actor?.id}</li>
                ))}
              </ol>
            </>
          ) : null}
        </div>
      ) : null}
    </Section>
  )
}
