// Who is signed in: the API key (in memory, or in this tab's sessionStorage when asked; never in
// a URL or localStorage), the REST client built on it, and what the key may do.
//
// Any reply 401 (revoked, expired or unknown key) signs the console out at once: the client's
// fetch is wrapped, so this holds for every call the pages make.
import { CloudSignalApi, BadRequestError, NotFoundError, PermissionDeniedError } from '@cloudsignal/sdk'
import type { Organization } from '@cloudsignal/sdk'
import { signal } from './signal.js'

export const SCOPES = [
  'users:read', 'users:write', 'acl:read', 'acl:write', 'sessions:read', 'sessions:write', 'publish',
  'keys:read', 'keys:write', 'organization:read', 'organization:write', 'tokens:create', 'events:read',
] as const
export type Scope = typeof SCOPES[number]

export interface Session {
  api: CloudSignalApi
  keyType: 'secret' | 'restricted'
  scopes: ReadonlySet<Scope>
  orgId: string
  orgName: string
  tenancy: 'single' | 'multi'
  organization: Organization | null
}

const STORAGE_KEY = 'cloudsignal.console.key'
export const current = signal<Session | null>(null)
export const signedOutReason = signal<string | null>(null)

export function can(scope: Scope): boolean {
  return current.value?.scopes.has(scope) ?? false
}

export function api(): CloudSignalApi {
  const session = current.value
  if (!session) throw new Error('not signed in')
  return session.api
}

export function signOut(reason: string | null = null): void {
  try { sessionStorage.removeItem(STORAGE_KEY) } catch { /* storage disabled */ }
  current.value = null
  signedOutReason.value = reason
}

function makeApi(key: string, onUnauthorized: (message: string) => void): CloudSignalApi {
  const guarded: typeof fetch = async (input, init) => {
    const reply = await fetch(input, init)
    if (reply.status === 401) {
      const body = await reply.clone().json().catch(() => ({})) as { message?: string }
      onUnauthorized(body.message ?? 'the API key was refused')
    }
    return reply
  }
  return new CloudSignalApi({ apiKey: key, baseUrl: location.origin, fetch: guarded, maxRetries: 1, timeout: 15_000 })
}

/** Whether the call was refused for want of a scope (403), as opposed to any other answer. */
async function allowed(call: () => PromiseLike<unknown>): Promise<boolean> {
  try {
    await call()
    return true
  } catch (error) {
    if (error instanceof PermissionDeniedError) return false
    if (error instanceof BadRequestError || error instanceof NotFoundError) return true // past the scope check
    throw error
  }
}

/**
 * A restricted key's scopes, found by asking: reads list one item; writes send a body the
 * service refuses as invalid (400) after the scope check passed, or name a missing item (404),
 * so nothing is ever changed. A refusal for the scope is 403.
 */
async function probeScopes(api: CloudSignalApi): Promise<Set<Scope>> {
  const invalid = {} as never
  const absent = `console-probe-${Math.random().toString(36).slice(2)}`
  const probes: Record<Scope, () => PromiseLike<unknown>> = {
    'users:read': () => api.users.list({ limit: 1 }),
    'users:write': () => api.users.create(invalid),
    'acl:read': () => api.acl.rules.list({ limit: 1 }),
    'acl:write': () => api.acl.rules.create(invalid),
    'sessions:read': () => api.sessions.list({ limit: 1 }),
    'sessions:write': () => api.sessions.disconnect(absent),
    publish: () => api.publish(invalid),
    'keys:read': () => api.apiKeys.list({ limit: 1 }),
    'keys:write': () => api.apiKeys.create(invalid),
    'organization:read': () => api.authProviders.list({ limit: 1 }),
    'organization:write': () => api.organization.update({ name: '' }),
    'tokens:create': () => api.tokens.create(invalid),
    'events:read': () => api.events.list({ limit: 1 }),
  }
  const results = await Promise.all(SCOPES.map(async (scope) => [scope, await allowed(probes[scope])] as const))
  return new Set(results.filter(([, ok]) => ok).map(([scope]) => scope))
}

/** Check the key and learn what it may do; throws a readable Error when it cannot be used here. */
export async function signIn(key: string, remember: boolean): Promise<void> {
  key = key.trim()
  if (key.startsWith('pk_')) throw new Error('Public keys (pk_) can only exchange tokens: sign in with a secret (sk_) or restricted (rk_) key.')
  if (!/^(sk|rk)_[A-Za-z0-9]{16,}$/.test(key)) throw new Error('That is not an API key: it starts with sk_ or rk_.')
  let refused: string | null = null
  const client = makeApi(key, (message) => {
    refused = message
    if (current.value?.api === client) signOut(`Signed out: ${message}.`)
  })
  let organization: Organization | null = null
  let scopes: Set<Scope>
  try {
    if (key.startsWith('sk_')) {
      organization = await client.organization.get()
      scopes = new Set(SCOPES)
    } else {
      scopes = await probeScopes(client)
      if (scopes.has('organization:read')) organization = await client.organization.get()
    }
  } catch (error) {
    if (refused) throw new Error(`The key was refused: ${refused}.`)
    throw error
  }
  if (scopes.size === 0) throw new Error('This key has no scope the console can use.')
  const orgId = organization?.id ?? ''
  current.value = {
    api: client, keyType: key.startsWith('sk_') ? 'secret' : 'restricted', scopes, orgId,
    orgName: organization?.name ?? '', tenancy: (organization?.tenancy as 'single' | 'multi' | undefined) ?? 'single',
    organization,
  }
  signedOutReason.value = null
  try {
    if (remember) sessionStorage.setItem(STORAGE_KEY, key)
    else sessionStorage.removeItem(STORAGE_KEY)
  } catch { /* storage disabled: memory only */ }
}

/** Sign in again with the key this tab remembered, if any. */
export async function resume(): Promise<boolean> {
  let key: string | null = null
  try { key = sessionStorage.getItem(STORAGE_KEY) } catch { return false }
  if (!key) return false
  try {
    await signIn(key, true)
    return true
  } catch (error) {
    signOut(error instanceof Error ? error.message : String(error))
    return false
  }
}
