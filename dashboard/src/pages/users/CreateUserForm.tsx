// Create a user: a generated password (or one typed in), shown once after creation.
import type { RuleSet, User } from '@cloudsignal/sdk'
import { useState } from 'preact/hooks'
import { Button, ErrorNotice, Field, SecretOnce, TextField, useAction } from '../../components/ui.js'
import { generatePassword } from '../../lib/format.js'
import { api } from '../../lib/session.js'
import { RuleSetField, parseMetadata } from './fields.js'

export function CreateUserForm({ ruleSets, onCreated, onClose }: { ruleSets: RuleSet[]; onCreated: (user: User) => void; onClose: () => void }) {
  const [username, setUsername] = useState('')
  const [generate, setGenerate] = useState(true)
  const [password, setPassword] = useState('')
  const [ruleSet, setRuleSet] = useState('')
  const [metadata, setMetadata] = useState('{}')
  const [created, setCreated] = useState<{ user: User; password: string } | null>(null)
  const create = useAction(async () => {
    const secret = generate ? generatePassword() : password
    const user = await api().users.create({
      username: username.trim(), password: secret, metadata: parseMetadata(metadata),
      ...(ruleSet ? { acl_set: ruleSet } : {}),
    })
    onCreated(user)
    setCreated({ user, password: secret })
  })

  if (created) {
    return (
      <div>
        <p>Created <strong>{created.user.mqtt_username}</strong>. It can connect at once (where ACL rules allow).</p>
        <SecretOnce label={`Password of ${created.user.username}`} secret={created.password} onDone={onClose} />
      </div>
    )
  }
  return (
    <form class="form" onSubmit={(event) => { event.preventDefault(); void create.run() }}>
      <TextField label="Username" value={username} onInput={setUsername} required pattern="[A-Za-z0-9._\-]{1,64}"
        hint="1-64 letters, digits, '-', '_' or '.'; the MQTT username is name@organization" />
      <fieldset class="radios">
        <legend>Password</legend>
        <label><input type="radio" name="password-mode" checked={generate} onChange={() => setGenerate(true)} /> Generate one</label>
        <label><input type="radio" name="password-mode" checked={!generate} onChange={() => setGenerate(false)} /> Type one</label>
      </fieldset>
      {!generate ? <TextField label="Password" type="password" value={password} onInput={setPassword} required autoComplete="new-password"
        hint="8 to 256 characters; shown once more after creation" /> : null}
      <RuleSetField ruleSets={ruleSets} value={ruleSet} onChange={setRuleSet} />
      <Field label="Metadata (JSON object)">
        {(id) => <textarea id={id} class="mono" rows={3} value={metadata} onInput={(event) => setMetadata((event.currentTarget as HTMLTextAreaElement).value)} />}
      </Field>
      <ErrorNotice error={create.error} />
      <div class="form-actions">
        <Button kind="primary" type="submit" busy={create.busy}>Create user</Button>
        <Button onClick={onClose}>Cancel</Button>
      </div>
    </form>
  )
}
