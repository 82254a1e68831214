// Small building blocks shared by the pages.
import type { ButtonHTMLAttributes, ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { errorText } from '../lib/format.js'

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1 id="page-title" tabIndex={-1}>{title}</h1>
      {children ? <div class="page-actions">{children}</div> : null}
    </div>
  )
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const heading = id ? `${id}-title` : undefined
  return (
    <section class="card" aria-labelledby={heading}>
      <h2 id={heading}>{title}</h2>
      {children}
    </section>
  )
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'error' | 'success' | 'warning'; children: ComponentChildren }) {
  return <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>{children}</div>
}

export function ErrorNotice({ error }: { error: unknown }) {
  return error ? <Notice kind="error">{errorText(error)}</Notice> : null
}

export function ReadOnly({ scope }: { scope: string }) {
  return <p class="read-only">Read-only: this key lacks the <code>{scope}</code> scope.</p>
}

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & { kind?: 'primary' | 'danger' | 'plain'; busy?: boolean }

export function Button({ kind = 'plain', busy, children, class: className, disabled, type, ...rest }: ButtonProps) {
  return (
    <button type={(type as 'button' | 'submit' | undefined) ?? 'button'} class={`btn btn-${kind} ${className ?? ''}`}
      disabled={Boolean(disabled) || busy} aria-busy={busy ? 'true' : undefined} {...rest}>
      {children}
    </button>
  )
}

/** A button that asks again before acting (no browser dialog: an inline confirmation). */
export function ConfirmButton({ label, confirm, onConfirm, kind = 'danger' }: {
  label: string; confirm: string; onConfirm: () => Promise<void> | void; kind?: 'danger' | 'plain'
}) {
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  const yes = useRef<HTMLButtonElement>(null)
  useEffect(() => { if (asking) yes.current?.focus() }, [asking])
  if (!asking) return <Button kind={kind} onClick={() => setAsking(true)}>{label}</Button>
  return (
    <span class="confirm" role="group" aria-label={confirm}>
      <span>{confirm}</span>
      <button ref={yes} type="button" class={`btn btn-${kind}`} disabled={busy}
        onClick={async () => { setBusy(true); try { await onConfirm() } finally { setBusy(false); setAsking(false) } }}>
        Yes, {label.toLowerCase()}
      </button>
      <Button onClick={() => setAsking(false)}>Cancel</Button>
    </span>
  )
}

let fieldIds = 0
export function useId(prefix: string): string {
  const [id] = useState(() => `${prefix}-${++fieldIds}`)
  return id
}

export function Field({ label, hint, children, id }: { label: string; hint?: string; children: (id: string, describedBy?: string) => ComponentChildren; id?: string }) {
  const generated = useId('field')
  const fieldId = id ?? generated
  const hintId = hint ? `${fieldId}-hint` : undefined
  return (
    <div class="field">
      <label for={fieldId}>{label}</label>
      {children(fieldId, hintId)}
      {hint ? <small id={hintId}>{hint}</small> : null}
    </div>
  )
}

export function TextField({ label, value, onInput, hint, type = 'text', required, placeholder, autoComplete, name, pattern, mono, step }: {
  label: string; value: string; onInput: (value: string) => void; hint?: string; type?: 'text' | 'password' | 'number' | 'search' | 'datetime-local'; required?: boolean
  placeholder?: string; autoComplete?: string; name?: string; pattern?: string; mono?: boolean; step?: number
}) {
  return (
    <Field label={label} hint={hint}>
      {(id, describedBy) => (
        <input id={id} name={name} type={type as 'text'} value={value} required={required} placeholder={placeholder}
          autoComplete={autoComplete ?? 'off'} pattern={pattern} step={step} aria-describedby={describedBy} class={mono ? 'mono' : undefined}
          spellcheck={false} onInput={(event) => onInput((event.currentTarget as HTMLInputElement).value)} />
      )}
    </Field>
  )
}

export function SelectField<T extends string>({ label, value, options, onChange, hint }: {
  label: string; value: T; options: readonly (T | [T, string])[]; onChange: (value: T) => void; hint?: string
}) {
  return (
    <Field label={label} hint={hint}>
      {(id, describedBy) => (
        <select id={id} value={value} aria-describedby={describedBy}
          onChange={(event) => onChange((event.currentTarget as HTMLSelectElement).value as T)}>
          {options.map((option) => {
            const [optionValue, text] = Array.isArray(option) ? option : [option, option]
            return <option key={optionValue} value={optionValue}>{text}</option>
          })}
        </select>
      )}
    </Field>
  )
}

export function Checkbox({ label, checked, onChange }: { label: string; checked: boolean; onChange: (value: boolean) => void }) {
  return (
    <label class="checkbox">
      <input type="checkbox" checked={checked} onChange={(event) => onChange((event.currentTarget as HTMLInputElement).checked)} />
      {label}
    </label>
  )
}

/** A secret shown once, with a copy button (Stripe-style): it cannot be seen again after closing. */
export function SecretOnce({ label, secret, onDone }: { label: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false)
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => { input.current?.focus(); input.current?.select() }, [])
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret)
    } catch {
      input.current?.select()
      document.execCommand?.('copy')
    }
    setCopied(true)
  }
  return (
    <div class="secret-once" role="region" aria-label={label}>
      <p><strong>{label}</strong> — shown only now. Store it safely: it cannot be shown again.</p>
      <div class="secret-row">
        <input ref={input} class="mono" readOnly value={secret} aria-label={label} />
        <Button kind="primary" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>
        <Button onClick={onDone}>Done</Button>
      </div>
      <span class="visually-hidden" aria-live="polite">{copied ? 'Copied to the clipboard' : ''}</span>
    </div>
  )
}

/** A modal dialog on the native <dialog> element: focus is trapped inside, Escape closes it. */
export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId('dialog')
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (open && !dialog.open) dialog.showModal()
    if (!open && dialog.open) dialog.close()
  }, [open])
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <div class="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="btn btn-plain" aria-label="Close" onClick={onClose}>×</button>
      </div>
      {open ? children : null}
    </dialog>
  )
}

/** Run an async action with its busy flag and error. */
export function useAction<A extends unknown[]>(action: (...args: A) => Promise<void>) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const run = async (...args: A) => {
    setBusy(true)
    setError(null)
    try {
      await action(...args)
    } catch (caught) {
      setError(caught)
    } finally {
      setBusy(false)
    }
  }
  return { run, busy, error, setError }
}

export function Badge({ kind = 'neutral', children }: { kind?: 'neutral' | 'good' | 'bad' | 'warn'; children: ComponentChildren }) {
  return <span class={`badge badge-${kind}`}>{children}</span>
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>
}
