// Sessions: who is connected now (polled every 2 s while the tab is visible, so no server
// thread is held per open console), each client's history, and kicking a client off.
import type { Session } from '@cloudsignal/sdk'
import { useState } from 'preact/hooks'
import { Badge, Button, ConfirmButton, ErrorNotice, Notice, PageHeader, ReadOnly, Section, SelectField, useAction } from '../../components/ui.js'
import { ago, count, duration, when } from '../../lib/format.js'
import { usePolling } from '../../lib/poll.js'
import { api, can } from '../../lib/session.js'

type Status = 'active' | 'disconnected' | 'all'
const INTERVAL_MS = 2000

export function SessionsPage() {
  const [status, setStatus] = useState<Status>('active')
  const [sessions, setSessions] = useState<Session[] | null>(null)
  const [more, setMore] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [updated, setUpdated] = useState<number>(0)
  const [historyOf, setHistoryOf] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const writable = can('sessions:write')

  const refresh = async () => {
    try {
      const page = await api().sessions.list({ status, limit: 500 })
      setSessions(page.data)
      setMore(Boolean(page.next_cursor))
      setUpdated(Date.now())
      setError(null)
    } catch (caught) { setError(caught) }
  }
  usePolling(refresh, INTERVAL_MS, [status])

  const kick = useAction(async (clientId: string) => {
    await api().sessions.disconnect(clientId)
    setNotice(`${clientId} was disconnected (it may connect again).`)
    await refresh()
  })

  return (
    <div>
      <PageHeader title="Sessions">
        <span class="muted live" aria-live="off">Live · updated {updated ? ago(new Date(updated).toISOString()) : '…'}</span>
      </PageHeader>
      {!writable ? <ReadOnly scope="sessions:write" /> : null}
      <div class="toolbar">
        <SelectField label="Show" value={status} onChange={setStatus}
          options={[['active', 'Connected now'], ['disconnected', 'Offline persistent sessions'], ['all', 'Both']] as [Status, string][]} />
        <p class="muted" aria-live="polite" id="session-count">{sessions ? `${count(sessions.length)}${more ? '+' : ''} sessions` : 'Loading…'}</p>
      </div>
      <ErrorNotice error={error ?? kick.error} />
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <div class="table-scroll" tabIndex={0}>
        <table aria-label="Sessions">
          <thead><tr><th scope="col">Client id</th><th scope="col">User</th><th scope="col">Status</th><th scope="col">Connected</th><th scope="col">Peer</th><th scope="col">MQTT</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {(sessions ?? []).map((session) => (
              <tr key={session.session_id}>
                <td class="mono">{session.client_id}</td>
                <td>{session.username}</td>
                <td>{session.status === 'active' ? <Badge kind="good">connected</Badge> : <Badge>offline</Badge>}</td>
                <td title={when(session.connected_at)}>{ago(session.connected_at)}</td>
                <td class="mono">{session.peer_address ?? '—'}</td>
                <td>{session.protocol_version === 5 ? '5' : session.protocol_version === 4 ? '3.1.1' : session.protocol_version ?? '—'}</td>
                <td class="actions">
                  <Button onClick={() => setHistoryOf(session.client_id ?? null)} aria-label={`History of ${session.client_id}`}>History</Button>
                  {writable && session.status === 'active' ? (
                    <ConfirmButton label="Kick" confirm={`Disconnect ${session.client_id}?`} onConfirm={() => kick.run(session.client_id!)} />
                  ) : null}
                </td>
              </tr>
            ))}
            {sessions && sessions.length === 0 ? <tr><td colSpan={7} class="empty">No sessions.</td></tr> : null}
          </tbody>
        </table>
      </div>
      {historyOf ? <History clientId={historyOf} onClose={() => setHistoryOf(null)} /> : null}
    </div>
  )
}

function History({ clientId, onClose }: { clientId: string; onClose: () => void }) {
  const [rows, setRows] = useState<Session[] | null>(null)
  const load = useAction(async () => {
    const all = await api().sessions.history({ client_id: clientId, limit: 500 })
    setRows(all.data.slice(-100).reverse())
  })
  usePolling(() => load.run(), 5000, [clientId])
  return (
    <Section title={`History of ${clientId}`} id="history">
      <ErrorNotice error={load.error} />
      <div class="table-scroll" tabIndex={0}>
        <table aria-label={`History of ${clientId}`}>
          <thead><tr><th scope="col">Connected</th><th scope="col">Disconnected</th><th scope="col">Reason</th><th scope="col">Duration</th><th scope="col">User</th></tr></thead>
          <tbody>
            {(rows ?? []).map((row) => (
              <tr key={row.session_id}>
                <td>{when(row.connected_at)}</td><td>{when(row.disconnected_at)}</td>
                <td>{row.disconnect_reason ?? (row.status === 'active' ? 'connected' : '—')}</td>
                <td>{duration(row.duration_seconds)}</td><td>{row.username}</td>
              </tr>
            ))}
            {rows && rows.length === 0 ? <tr><td colSpan={5} class="empty">No sessions recorded.</td></tr> : null}
          </tbody>
        </table>
      </div>
      <Button onClick={onClose}>Close history</Button>
    </Section>
  )
}
