import type { ApiKey } from '@cloudsignal/sdk'
import { useEffect, useState } from 'preact/hooks'
import { Badge, Button, Checkbox, ConfirmButton, Dialog, ErrorNotice, ReadOnly, SecretOnce, Section, SelectField, TextField, useAction } from '../../components/ui.js'
import { ago, when } from '../../lib/format.js'
import { SCOPES, api, can, type Scope } from '../../lib/session.js'

type KeyType = 'secret' | 'restricted' | 'public'

export function ApiKeys() {
  const writable = can('keys:write')
  const [keys, setKeys] = useState<ApiKey[]>([])
  const [secret, setSecret] = useState<{ label: string; key: string } | null>(null)
  const [creating, setCreating] = useState(false)
  const load = useAction(async () => { setKeys(await api().apiKeys.list({ limit: 500 }).toArray()) })
  useEffect(() => { void load.run() }, [])
  const act = useAction(async (work: () => Promise<void>) => { await work(); await load.run() })

  return (
    <Section title="API keys" id="keys">
      {!writable ? <ReadOnly scope="keys:write" /> : null}
      {writable ? <Button kind="primary" onClick={() => { setSecret(null); setCreating(true) }}>Create key</Button> : null}
      {secret ? <SecretOnce label={secret.label} secret={secret.key} onDone={() => setSecret(null)} /> : null}
      <ErrorNotice error={load.error ?? act.error} />
      <div class="table-scroll" tabIndex={0}>
        <table aria-label="API keys">
          <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Type</th><th scope="col">Scopes</th><th scope="col">Status</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td class="mono">{key.masked_key}</td>
                <td>{key.type}</td>
                <td class="small">{key.type === 'restricted' ? (key.scopes ?? []).join(', ') || 'none' : key.type === 'secret' ? 'all' : 'token exchange'}</td>
                <td>{key.status === 'active' ? <Badge kind="good">active</Badge> : <Badge kind="bad">{key.status}</Badge>}</td>
                <td title={when(key.last_used_at)}>{ago(key.last_used_at)}</td>
                <td class="actions">
                  {writable && key.status === 'active' ? (
                    <>
                      <ConfirmButton kind="plain" label="Rotate" confirm={`Replace ${key.name}? The old key stops working.`}
                        onConfirm={() => act.run(async () => { const fresh = await api().apiKeys.rotate(key.id); setSecret({ label: `New key for ${fresh.name}`, key: fresh.key! }) })} />
                      <ConfirmButton label="Revoke" confirm={`Revoke ${key.name}? It stops working at once.`}
                        onConfirm={() => act.run(() => api().apiKeys.delete(key.id))} />
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Dialog title="Create API key" open={creating} onClose={() => setCreating(false)}>
        <CreateKey onCreated={(name, key) => { setCreating(false); setSecret({ label: `Key ${name}`, key }); void load.run() }} />
      </Dialog>
    </Section>
  )
}

function CreateKey({ onCreated }: { onCreated: (name: string, key: string) => void }) {
  const [name, setName] = useState('')
  const [type, setType] = useState<KeyType>('restricted')
  const [scopes, setScopes] = useState<Set<Scope>>(new Set(['users:read']))
  const [expires, setExpires] = useState('')
  const create = useAction(async () => {
    const created = await api().apiKeys.create({
      name: name.trim(), type, ...(type === 'restricted' ? { scopes: [...scopes] } : {}),
      ...(expires ? { expires_at: new Date(expires).toISOString() } : {}),
    })
    onCreated(created.name, created.key!)
  })
  return (
    <form class="form" onSubmit={(event) => { event.preventDefault(); void create.run() }}>
      <TextField label="Name" value={name} onInput={setName} required />
      <SelectField label="Type" value={type} onChange={setType}
        options={[['restricted', 'Restricted (rk_): only the scopes chosen'], ['secret', 'Secret (sk_): everything'], ['public', 'Public (pk_): token exchange only']] as [KeyType, string][]} />
      {type === 'restricted' ? (
        <fieldset class="scopes">
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <Checkbox key={scope} label={scope} checked={scopes.has(scope)} onChange={(on) => {
              const next = new Set(scopes)
              if (on) next.add(scope); else next.delete(scope)
              setScopes(next)
            }} />
          ))}
        </fieldset>
      ) : null}
      <TextField label="Expires (optional)" type="datetime-local" value={expires} onInput={setExpires} />
      <ErrorNotice error={create.error} />
      <div class="form-actions"><Button kind="primary" type="submit" busy={create.busy}>Create key</Button></div>
    </form>
  )
}
