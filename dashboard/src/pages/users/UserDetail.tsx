// One user: metadata and rule set, disable/enable, reset password, terminate sessions, delete.
import type { RuleSet, User } from '@cloudsignal/sdk'
import { useState } from 'preact/hooks'
import { Badge, Button, ConfirmButton, ErrorNotice, Field, Notice, SecretOnce, useAction } from '../../components/ui.js'
import { generatePassword, when } from '../../lib/format.js'
import { api, can } from '../../lib/session.js'
import { RuleSetField, parseMetadata } from './fields.js'

export function UserDetail({ user, ruleSets, writable, onChanged, onDeleted }: {
  user: User; ruleSets: RuleSet[]; writable: boolean; onChanged: (user: User) => void; onDeleted: () => void
}) {
  const [metadata, setMetadata] = useState(JSON.stringify(user.metadata ?? {}, null, 2))
  const [ruleSet, setRuleSet] = useState(user.acl_set ?? '')
  const [notice, setNotice] = useState<string | null>(null)
  const [password, setPassword] = useState<string | null>(null)
  const act = useAction(async (work: () => Promise<string | void>) => {
    setNotice(null)
    const message = await work()
    if (message) setNotice(message)
  })

  const save = () => act.run(async () => {
    onChanged(await api().users.update(user.username, { metadata: parseMetadata(metadata), acl_set: ruleSet || null }))
    return 'Saved.'
  })
  const toggle = () => act.run(async () => {
    onChanged(await api().users.update(user.username, { disabled: !user.disabled }))
    return user.disabled ? 'Enabled: the user may connect again.' : 'Disabled: its sessions were disconnected and it cannot connect.'
  })
  const resetPassword = () => act.run(async () => {
    const secret = generatePassword()
    onChanged(await api().users.update(user.username, { password: secret }))
    setPassword(secret)
  })
  const terminate = () => act.run(async () => {
    const result = await api().users.terminate(user.username)
    return `${result.sessions_terminated} session(s) disconnected.`
  })
  const remove = () => act.run(async () => {
    await api().users.delete(user.username)
    onDeleted()
  })

  return (
    <div class="detail">
      <dl class="facts">
        <dt>MQTT username</dt><dd class="mono">{user.mqtt_username}</dd>
        <dt>Status</dt><dd>{user.disabled ? <Badge kind="bad">Disabled</Badge> : <Badge kind="good">Enabled</Badge>}</dd>
        <dt>Created</dt><dd>{when(user.created_at)}</dd>
        <dt>Updated</dt><dd>{when(user.updated_at)}</dd>
      </dl>
      {password ? <SecretOnce label={`New password of ${user.username}`} secret={password} onDone={() => setPassword(null)} /> : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <ErrorNotice error={act.error} />
      {writable ? (
        <form class="form" onSubmit={(event) => { event.preventDefault(); void save() }}>
          <RuleSetField ruleSets={ruleSets} value={ruleSet} onChange={setRuleSet} />
          <Field label="Metadata (JSON object)">
            {(id) => <textarea id={id} class="mono" rows={4} value={metadata} onInput={(event) => setMetadata((event.currentTarget as HTMLTextAreaElement).value)} />}
          </Field>
          <div class="form-actions"><Button kind="primary" type="submit" busy={act.busy}>Save changes</Button></div>
        </form>
      ) : (
        <dl class="facts">
          <dt>Rule set</dt><dd>{user.acl_set ?? '—'}</dd>
          <dt>Metadata</dt><dd><pre class="mono">{JSON.stringify(user.metadata ?? {}, null, 2)}</pre></dd>
        </dl>
      )}
      {writable || can('sessions:write') ? <div class="danger-zone">
        {writable ? <Button onClick={toggle} busy={act.busy}>{user.disabled ? 'Enable user' : 'Disable user'}</Button> : null}
        {writable ? <ConfirmButton kind="plain" label="Reset password" confirm="Replace the password? Connected clients are disconnected." onConfirm={resetPassword} /> : null}
        {can('sessions:write') ? <ConfirmButton kind="plain" label="Terminate sessions" confirm="Disconnect every session of this user?" onConfirm={terminate} /> : null}
        {writable ? <ConfirmButton label="Delete user" confirm={`Delete ${user.username}? Its sessions are kicked.`} onConfirm={remove} /> : null}
      </div> : null}
    </div>
  )
}
