// Users: every user loaded in pages of 500 behind the first rows (shown as soon as the first page
// arrives), searched in memory, drawn as a virtual list so that 10,000 users scroll smoothly.
import type { RuleSet, User } from '@cloudsignal/sdk'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { Badge, Button, Dialog, ErrorNotice, PageHeader, ReadOnly } from '../../components/ui.js'
import { count, when } from '../../lib/format.js'
import { api, can } from '../../lib/session.js'
import { CreateUserForm } from './CreateUserForm.js'
import { UserDetail } from './UserDetail.js'
import { VirtualTable } from './VirtualTable.js'

// A small first page draws the first rows sooner; the rest comes in large pages behind them.
const FIRST_PAGE = 100
const PAGE = 500

interface Indexed { user: User; text: string }
const index = (user: User): Indexed => ({ user, text: `${user.username} ${user.acl_set ?? ''} ${JSON.stringify(user.metadata ?? {})}`.toLowerCase() })

export function UsersPage() {
  const [users, setUsers] = useState<Indexed[]>([])
  const [complete, setComplete] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [query, setQuery] = useState('')
  const [selected, setSelected] = useState<string | null>(null)
  const [creating, setCreating] = useState(false)
  const [ruleSets, setRuleSets] = useState<RuleSet[]>([])
  const firstRowsMarked = useRef(false)
  const writable = can('users:write')

  useEffect(() => {
    let cancelled = false
    const load = async () => {
      performance.mark('cs:users-requested')
      let cursor: string | null | undefined = undefined
      const loaded: Indexed[] = []
      try {
        do {
          const page = await api().users.list({ limit: loaded.length ? PAGE : FIRST_PAGE, cursor })
          if (cancelled) return
          for (const user of page.data) loaded.push(index(user))
          setUsers(loaded.slice())
          cursor = page.next_cursor
        } while (cursor)
        if (!cancelled) setComplete(true)
      } catch (caught) {
        if (!cancelled) setError(caught)
      }
    }
    void load()
    if (can('acl:read')) void api().acl.ruleSets.list({ limit: 500 }).then((page) => { if (!cancelled) setRuleSets(page.data) }).catch(() => {})
    return () => { cancelled = true }
  }, [])

  useEffect(() => {
    if (!firstRowsMarked.current && users.length) {
      firstRowsMarked.current = true
      requestAnimationFrame(() => performance.mark('cs:users-first-rows'))
    }
  }, [users])

  const shown = useMemo(() => {
    const needle = query.trim().toLowerCase()
    return needle ? users.filter((entry) => entry.text.includes(needle)) : users
  }, [users, query])

  const replace = (user: User | null, username: string) => {
    setUsers((list) => user
      ? list.map((entry) => entry.user.username === username ? index(user) : entry)
      : list.filter((entry) => entry.user.username !== username))
  }

  const current = selected ? users.find((entry) => entry.user.username === selected)?.user : undefined
  return (
    <div>
      <PageHeader title="Users">
        {writable ? <Button kind="primary" onClick={() => setCreating(true)}>Create user</Button> : null}
      </PageHeader>
      {!writable ? <ReadOnly scope="users:write" /> : null}
      <ErrorNotice error={error} />
      <div class="toolbar">
        <div class="field grow">
          <label for="user-search">Search users</label>
          <input id="user-search" type="search" value={query} placeholder="Name, rule set or metadata"
            onInput={(event) => setQuery((event.currentTarget as HTMLInputElement).value)} />
        </div>
        <p class="muted" aria-live="polite" id="user-count">
          {query ? `${count(shown.length)} of ${count(users.length)} users match` : `${count(users.length)} ${users.length === 1 ? 'user' : 'users'}`}
          {complete ? '' : ' (loading more…)'}
        </p>
      </div>
      <VirtualTable
        rows={shown}
        rowKey={(entry) => entry.user.username}
        label="Users"
        columns={[
          { title: 'Username', cell: (entry) => (
            <button type="button" class="link" onClick={() => setSelected(entry.user.username)}>{entry.user.username}</button>) },
          { title: 'Rule set', cell: (entry) => entry.user.acl_set ?? '—' },
          { title: 'Status', cell: (entry) => entry.user.disabled ? <Badge kind="bad">Disabled</Badge> : <Badge kind="good">Enabled</Badge> },
          { title: 'Metadata', cell: (entry) => <span class="mono truncate">{Object.keys(entry.user.metadata ?? {}).length ? JSON.stringify(entry.user.metadata) : '—'}</span> },
          { title: 'Created', cell: (entry) => when(entry.user.created_at) },
        ]}
        empty={complete ? (query ? 'No user matches.' : 'No users yet.') : 'Loading users…'}
      />
      <Dialog title="Create user" open={creating} onClose={() => setCreating(false)}>
        <CreateUserForm ruleSets={ruleSets}
          onCreated={(user) => setUsers((list) => [...list, index(user)])}
          onClose={() => setCreating(false)} />
      </Dialog>
      <Dialog title={current ? `User ${current.username}` : 'User'} open={Boolean(current)} onClose={() => setSelected(null)}>
        {current ? <UserDetail user={current} ruleSets={ruleSets} writable={writable}
          onChanged={(user) => replace(user, current.username)}
          onDeleted={() => { replace(null, current.username); setSelected(null) }} /> : null}
      </Dialog>
    </div>
  )
}
