// How values are shown.
export function when(value: string | null | undefined): string {
  if (!value) return '—'
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

export function ago(value: string | null | undefined, now = Date.now()): string {
  if (!value) return '—'
  const seconds = Math.round((now - new Date(value).getTime()) / 1000)
  if (seconds < 60) return `${Math.max(0, seconds)} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`
  return `${Math.floor(seconds / 86400)} d ago`
}

export function duration(seconds: number | null | undefined): string {
  if (seconds == null) return '—'
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`
}

export function count(value: number | null | undefined): string {
  return value == null ? '—' : value.toLocaleString('en')
}

export function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) {
    const detail = (error as { detail?: unknown }).detail
    const message = String((error as { message: unknown }).message)
    if (detail && typeof detail === 'object') {
      const fields = Object.entries(detail as Record<string, unknown>)
        .map(([name, problems]) => `${name}: ${Array.isArray(problems) ? problems.join(', ') : typeof problems === 'object' ? JSON.stringify(problems) : String(problems)}`)
      if (fields.length) return `${message} (${fields.join('; ')})`
    }
    return message
  }
  return String(error)
}

/** A password or secret for a person to copy: 24 characters from a 62-letter alphabet (about 143 bits). */
export function generatePassword(length = 24): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  const out: string[] = []
  const bytes = new Uint8Array(length * 2)
  while (out.length < length) {
    crypto.getRandomValues(bytes)
    for (const byte of bytes) if (byte < 248 && out.length < length) out.push(alphabet[byte % 62]!)
  }
  return out.join('')
}
