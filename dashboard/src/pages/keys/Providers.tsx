import type { AuthProvider, Credentials } from '@cloudsignal/sdk'
import { useEffect, useState } from 'preact/hooks'
import { Button, ConfirmButton, Dialog, ErrorNotice, Field, Notice, ReadOnly, Section, SelectField, TextField, useAction } from '../../components/ui.js'
import { when } from '../../lib/format.js'
import { api, can } from '../../lib/session.js'

type ProviderType = 'supabase' | 'firebase' | 'auth0' | 'clerk' | 'oidc' | 'jwt'
// The settings each type needs (the service checks the same list).
const FIELDS: Record<ProviderType, [name: string, label: string][]> = {
  supabase: [['project_url', 'Project URL'], ['secret', 'JWT secret']],
  firebase: [['project_id', 'Project id']],
  auth0: [['domain', 'Domain (tenant.eu.auth0.com)'], ['audience', 'Audience']],
  clerk: [['issuers', 'Issuers (comma-separated URLs)']],
  oidc: [['issuer', 'Issuer'], ['jwks_url', 'JWKS URL'], ['audience', 'Audience (optional)']],
  jwt: [['secret', 'Shared secret (HS256), or'], ['public_key', 'PEM public key'], ['issuer', 'Issuer (optional)'], ['audience', 'Audience (optional)']],
}

export function Providers() {
  const writable = can('organization:write')
  const [providers, setProviders] = useState<AuthProvider[]>([])
  const [creating, setCreating] = useState(false)
  const load = useAction(async () => { setProviders(await api().authProviders.list({ limit: 500 }).toArray()) })
  useEffect(() => { void load.run() }, [])
  const remove = useAction(async (id: string) => { await api().authProviders.delete(id); await load.run() })

  return (
    <Section title="Auth providers" id="providers">
      <p class="muted small">Identity providers whose tokens exchange for temporary MQTT credentials (<code>POST /v2/tokens/exchange</code>).</p>
      {!writable ? <ReadOnly scope="organization:write" /> : <Button kind="primary" onClick={() => setCreating(true)}>Add provider</Button>}
      <ErrorNotice error={load.error ?? remove.error} />
      <div class="table-scroll" tabIndex={0}>
        <table aria-label="Auth providers">
          <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Rule set</th><th scope="col">TTL (default / max)</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {providers.map((provider) => (
              <tr key={provider.id}>
                <td>{provider.name}</td><td>{provider.type}</td><td>{provider.acl_set ?? '—'}</td>
                <td>{provider.default_ttl} s / {provider.max_ttl} s</td><td>{when(provider.created_at)}</td>
                <td class="actions">{writable ? <ConfirmButton label="Delete" confirm={`Stop trusting ${provider.name}?`} onConfirm={() => remove.run(provider.id!)} /> : null}</td>
              </tr>
            ))}
            {providers.length === 0 ? <tr><td colSpan={6} class="empty">No providers.</td></tr> : null}
          </tbody>
        </table>
      </div>
      {can('tokens:create') && providers.length ? <TestExchange providers={providers} /> : null}
      <Dialog title="Add auth provider" open={creating} onClose={() => setCreating(false)}>
        <CreateProvider onCreated={() => { setCreating(false); void load.run() }} />
      </Dialog>
    </Section>
  )
}

function CreateProvider({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('')
  const [type, setType] = useState<ProviderType>('jwt')
  const [values, setValues] = useState<Record<string, string>>({})
  const [ruleSet, setRuleSet] = useState('')
  const [userClaim, setUserClaim] = useState('sub')
  const create = useAction(async () => {
    const settings: Record<string, unknown> = {}
    for (const [field] of FIELDS[type]) {
      const value = values[field]?.trim()
      if (!value) continue
      settings[field] = field === 'issuers' ? value.split(',').map((issuer) => issuer.trim()).filter(Boolean) : value
    }
    await api().authProviders.create({ name: name.trim(), type, user_claim: userClaim || 'sub', acl_set: ruleSet || null, ...settings } as never)
    onCreated()
  })
  return (
    <form class="form" onSubmit={(event) => { event.preventDefault(); void create.run() }}>
      <TextField label="Name" value={name} onInput={setName} required />
      <SelectField label="Type" value={type} onChange={setType} options={Object.keys(FIELDS) as ProviderType[]} />
      {FIELDS[type].map(([field, label]) => field === 'public_key' ? (
        <Field key={field} label={label}>{(id) => <textarea id={id} class="mono" rows={3} value={values[field] ?? ''}
          onInput={(event) => setValues({ ...values, [field]: (event.currentTarget as HTMLTextAreaElement).value })} />}</Field>
      ) : (
        <TextField key={field} label={label} type={field === 'secret' ? 'password' : 'text'} value={values[field] ?? ''}
          onInput={(value) => setValues({ ...values, [field]: value })} />
      ))}
      <TextField label="User claim" value={userClaim} onInput={setUserClaim} hint="The claim naming the user (default sub)" />
      <TextField label="Rule set for its users (optional)" value={ruleSet} onInput={setRuleSet} />
      <ErrorNotice error={create.error} />
      <div class="form-actions"><Button kind="primary" type="submit" busy={create.busy}>Add provider</Button></div>
    </form>
  )
}

function TestExchange({ providers }: { providers: AuthProvider[] }) {
  const [provider, setProvider] = useState(providers[0]!.name)
  const [token, setToken] = useState('')
  const [result, setResult] = useState<Credentials | null>(null)
  const exchange = useAction(async () => {
    setResult(null)
    setResult(await api().tokens.exchange({ provider, token: token.trim(), ttl: 60 }))
  })
  return (
    <form class="form test-exchange" onSubmit={(event) => { event.preventDefault(); void exchange.run() }} aria-labelledby="test-exchange-title">
      <h3 id="test-exchange-title">Test a token exchange</h3>
      <div class="grid-2">
        <SelectField label="Provider" value={provider} onChange={setProvider} options={providers.map((p) => p.name)} />
        <Field label="Identity token (JWT)">{(id) => <textarea id={id} class="mono" rows={2} value={token}
          onInput={(event) => setToken((event.currentTarget as HTMLTextAreaElement).value)} />}</Field>
      </div>
      <ErrorNotice error={exchange.error} />
      {result ? <Notice kind="success">Accepted: credentials <code>{result.mqtt_username}</code> for user <code>{result.user_id}</code>,
        valid {result.expires_in} s (minted for 60 s; the password is not shown).</Notice> : null}
      <div class="form-actions"><Button type="submit" busy={exchange.busy}>Exchange</Button></div>
    </form>
  )
}
