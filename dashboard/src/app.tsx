// The shell: sign-in gate, navigation by what the key may do, and the current page.
import type { FunctionComponent } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { Button } from './components/ui.js'
import { BASE, linkTo, navigate, path } from './lib/router.js'
import { can, current, resume, signOut, type Scope } from './lib/session.js'
import { useValue } from './lib/signal.js'
import { AccessPage } from './pages/access/AccessPage.js'
import { AuditPage } from './pages/audit/AuditPage.js'
import { KeysPage } from './pages/keys/KeysPage.js'
import { MessagesPage } from './pages/messages/MessagesPage.js'
import { OverviewPage } from './pages/overview/OverviewPage.js'
import { SessionsPage } from './pages/sessions/SessionsPage.js'
import { SignInPage } from './pages/signin/SignInPage.js'
import { UsersPage } from './pages/users/UsersPage.js'

interface PageSpec { path: string; title: string; scopes: Scope[]; component: FunctionComponent }

/** Each page appears when the key holds any of its scopes; its write controls need the write scope. */
export const PAGES: PageSpec[] = [
  { path: 'overview', title: 'Overview', scopes: ['organization:read'], component: OverviewPage },
  { path: 'users', title: 'Users', scopes: ['users:read'], component: UsersPage },
  { path: 'access', title: 'Access', scopes: ['acl:read'], component: AccessPage },
  { path: 'sessions', title: 'Sessions', scopes: ['sessions:read'], component: SessionsPage },
  { path: 'messages', title: 'Messages', scopes: ['publish', 'tokens:create'], component: MessagesPage },
  { path: 'keys', title: 'Keys & providers', scopes: ['keys:read', 'organization:read'], component: KeysPage },
  { path: 'audit', title: 'Audit', scopes: ['events:read'], component: AuditPage },
]

const visible = () => PAGES.filter((page) => page.scopes.some(can))

export function App() {
  const session = useValue(current)
  const page = useValue(path)
  const [resuming, setResuming] = useState(true)
  const [menuOpen, setMenuOpen] = useState(false)

  useEffect(() => { void resume().finally(() => setResuming(false)) }, [])

  const pages = session ? visible() : []
  const active = pages.find((spec) => spec.path === page)
  useEffect(() => {
    if (session && !active && pages.length && (page === '' || page === 'signin')) navigate(pages[0]!.path)
  }, [session, page])
  useEffect(() => {
    document.title = session ? `${active?.title ?? 'Not available'} · CloudSignal console` : 'Sign in · CloudSignal console'
    setMenuOpen(false)
    if (session) document.getElementById('page-title')?.focus({ preventScroll: true })
  }, [session, page])

  if (resuming) return <main class="boot" aria-busy="true"><p>Loading…</p></main>
  if (!session) return <SignInPage />

  const Page = active?.component
  return (
    <div class="shell">
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <a class="brand" href={BASE} onClick={linkTo(pages[0]?.path ?? '')}>CloudSignal</a>
        <span class="org" title={session.orgId}>{session.orgName || session.orgId || 'restricted key'}</span>
        <button type="button" class="btn btn-plain menu-toggle" aria-expanded={menuOpen} aria-controls="nav"
          onClick={() => setMenuOpen(!menuOpen)}>Menu</button>
        <span class="key-kind">{session.keyType === 'secret' ? 'Secret key' : 'Restricted key'}</span>
        <Button onClick={() => { signOut(null); navigate('') }}>Sign out</Button>
      </header>
      <nav id="nav" class={menuOpen ? 'nav open' : 'nav'} aria-label="Pages">
        <ul>
          {pages.map((spec) => (
            <li key={spec.path}>
              <a href={BASE + spec.path} aria-current={spec.path === page ? 'page' : undefined} onClick={linkTo(spec.path)}>
                {spec.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="main">
        {Page ? <Page /> : (
          <div>
            <h1 id="page-title" tabIndex={-1}>Not available</h1>
            <p>This page does not exist, or this key has no scope to see it.</p>
          </div>
        )}
      </main>
    </div>
  )
}
