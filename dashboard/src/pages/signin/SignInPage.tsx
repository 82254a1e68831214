// Sign in with an API key. The key stays in memory, or in this tab's sessionStorage when asked
// (gone when the tab closes); never in the URL or localStorage.
import { useState } from 'preact/hooks'
import { Button, Checkbox, Notice, TextField } from '../../components/ui.js'
import { errorText } from '../../lib/format.js'
import { signIn, signedOutReason } from '../../lib/session.js'
import { useValue } from '../../lib/signal.js'

export function SignInPage() {
  const reason = useValue(signedOutReason)
  const [key, setKey] = useState('')
  const [remember, setRemember] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      await signIn(key, remember)
    } catch (caught) {
      setError(errorText(caught))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">CloudSignal console</h1>
        <p>Sign in with an API key of your organization: a secret key (<code>sk_…</code>) may do everything,
          a restricted key (<code>rk_…</code>) what its scopes allow.</p>
        {reason ? <Notice kind="warning">{reason}</Notice> : null}
        <TextField label="API key" type="password" value={key} onInput={setKey} required mono
          autoComplete="off" name="api-key" placeholder="sk_… or rk_…" />
        <Checkbox label="Remember in this tab until it closes" checked={remember} onChange={setRemember} />
        {error ? <Notice kind="error">{error}</Notice> : null}
        <Button kind="primary" type="submit" busy={busy}>Sign in</Button>
      </form>
    </main>
  )
}
