// Overview: live figures (polled), usage against each quota, and activity over the last hour or day
// from GET /v2/organization/usage.
import type { Organization } from '@cloudsignal/sdk'
import { useMemo, useState } from 'preact/hooks'
import { Chart, type Series } from '../../components/Chart.js'
import { ErrorNotice, PageHeader, Section } from '../../components/ui.js'
import { count } from '../../lib/format.js'
import { usePolling } from '../../lib/poll.js'
import { api } from '../../lib/session.js'

type Usage = Awaited<ReturnType<ReturnType<typeof api>['organization']['usage']>>

const QUOTAS: [usage: string, quota: string, label: string][] = [
  ['connections', 'max_connections', 'Live connections'],
  ['http_messages_this_minute', 'messages_per_minute', 'HTTP messages this minute'],
  ['requests_this_minute', 'rate_limit_per_minute', 'API requests this minute'],
  ['users', 'max_users', 'Users'],
  ['acl_rules', 'max_acl_rules', 'Organization rules'],
  ['rule_sets', 'max_rule_sets', 'Rule sets'],
  ['api_keys', 'max_api_keys', 'API keys'],
  ['auth_providers', 'max_auth_providers', 'Auth providers'],
]
const RANGES = { hour: { seconds: 3600, interval: 60, label: 'Last hour' }, day: { seconds: 86400, interval: 900, label: 'Last day' } }
const REASON_COLORS: Record<string, string> = {
  client: '#4b7bec', kicked: '#d64545', takeover: '#b7791f', credentials_expired: '#805ad5', broker_restart: '#718096',
}

export function OverviewPage() {
  const [org, setOrg] = useState<Organization | null>(null)
  const [usage, setUsage] = useState<Usage | null>(null)
  const [range, setRange] = useState<keyof typeof RANGES>('hour')
  const [error, setError] = useState<unknown>(null)

  usePolling(async () => {
    try { setOrg(await api().organization.get()); setError(null) } catch (caught) { setError(caught) }
  }, 5000)
  usePolling(async () => {
    const { seconds, interval } = RANGES[range]
    const to = new Date()
    const from = new Date(Math.floor((to.getTime() - seconds * 1000) / (interval * 1000)) * interval * 1000 + interval * 1000)
    try { setUsage(await api().organization.usage({ from, to, interval })) } catch (caught) { setError(caught) }
  }, range === 'hour' ? 15_000 : 60_000, [range])

  const used = (org?.usage ?? {}) as Record<string, number>
  const quotas = (org?.quotas ?? {}) as Record<string, number | null>

  const charts = useMemo(() => {
    if (!usage) return null
    const times = usage.buckets.map((bucket) => Date.parse(bucket.start) / 1000)
    const connections: Series[] = [
      { label: 'Connected', values: usage.buckets.map((b) => b.connections), color: '#2f855a' },
      { label: 'Peak', values: usage.buckets.map((b) => b.peak_connections), color: '#3182ce' },
    ]
    const reasons = Object.keys(REASON_COLORS)
    const activity: Series[] = [
      { label: 'CONNECTs', values: usage.buckets.map((b) => b.connects), color: '#2f855a' },
      ...reasons.map((reason) => ({
        label: `Disconnects: ${reason.replace('_', ' ')}`,
        values: usage.buckets.map((b) => b.disconnects[reason] ?? 0), color: REASON_COLORS[reason]!,
      })),
    ]
    return { times, connections, activity }
  }, [usage])

  return (
    <div>
      <PageHeader title="Overview">
        <span class="muted">{org ? `${org.name} · ${org.id} · ${org.tenancy} tenancy` : ''}</span>
      </PageHeader>
      <ErrorNotice error={error} />
      <div class="stats" aria-live="polite">
        <Stat label="Live connections" value={used.connections} limit={quotas.max_connections} />
        <Stat label="HTTP messages per minute" value={used.http_messages_this_minute} limit={quotas.messages_per_minute} />
        <Stat label="API requests per minute" value={used.requests_this_minute} limit={quotas.rate_limit_per_minute} />
        <Stat label="Users" value={used.users} limit={quotas.max_users} />
      </div>
      <Section title="Usage against quotas" id="quotas">
        <ul class="quota-list">
          {QUOTAS.map(([name, quota, label]) => {
            const value = used[name] ?? 0
            const limit = quotas[quota]
            return (
              <li key={name}>
                <span class="quota-label" id={`quota-${name}`}>{label}</span>
                {limit ? <meter min={0} max={limit} value={value} high={limit * 0.8} optimum={0} aria-labelledby={`quota-${name}`} /> : <span class="meter-none" />}
                <span class="quota-figure">{count(value)} of {limit == null ? 'unlimited' : count(limit)}</span>
              </li>
            )
          })}
        </ul>
        <p class="muted small">Messages MQTT clients publish are counted by the broker against <code>messages_per_minute</code>;
          the service records connections and disconnects, and counts HTTP publishes per minute.</p>
      </Section>
      <Section title="Activity" id="activity">
        <div class="segmented" role="group" aria-label="Range">
          {(Object.keys(RANGES) as (keyof typeof RANGES)[]).map((key) => (
            <button key={key} type="button" class="btn" aria-pressed={range === key} onClick={() => setRange(key)}>{RANGES[key].label}</button>
          ))}
        </div>
        {charts ? (
          <div class="charts">
            <Chart title={`Connections, ${RANGES[range].label.toLowerCase()}`} times={charts.times} series={charts.connections} />
            <Chart title={`CONNECTs and disconnects by reason, ${RANGES[range].label.toLowerCase()}`} times={charts.times} series={charts.activity} />
          </div>
        ) : <p class="muted">Loading…</p>}
        {usage ? (
          <p class="small">In this range: {count(usage.totals.connects)} CONNECTs, {count(usage.totals.disconnects)} disconnects
            ({count(usage.totals.disconnects_kicked)} kicked, {count(usage.totals.disconnects_credentials_expired)} expired credentials),
            peak {count(usage.totals.peak_connections)} connected.</p>
        ) : null}
      </Section>
    </div>
  )
}

function Stat({ label, value, limit }: { label: string; value: number | undefined; limit: number | null | undefined }) {
  return (
    <div class="stat card">
      <div class="stat-label">{label}</div>
      <div class="stat-value">{count(value ?? 0)}</div>
      <div class="stat-limit">{limit == null ? 'no limit' : `of ${count(limit)}`}</div>
    </div>
  )
}
