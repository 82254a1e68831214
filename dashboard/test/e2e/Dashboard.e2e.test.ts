// The console in headless Chromium against the real stack, driven as a person would (labels and
// roles): sign in, create a user, add a rule, simulate an unsaved rule, watch a paho client's
// session appear and kick it, publish and see the message in the viewer, find the change in the
// audit timeline, sign out; a restricted key (users:read) and its revocation; every page checked
// with axe-core and photographed at 1280x800 and 390x844; the keyboard alone; 10,000 users.
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test as nodeTest } from 'node:test'
import type { BrowserContext, Page } from 'playwright-core'
import {
  DASHBOARD, MOBILE, DESKTOP, api, apiUrl, checkAccessibility, control, env, launch, openPage, screenshot, signIn, watch,
} from './support.js'

const SECRET = () => env('CS_SECRET_KEY')
const USER = 'dash-user-1'
const PASSWORD = 'dash-password-1'
const CLIENT = 'dash-device-1'

let context: BrowserContext
let close: () => Promise<void>
let page: Page
let problems: string[]
let restrictedKey = ''
let failed = '' // the first step that failed

/** Steps build on each other: after a failure the rest fail at once, naming the step that failed
 * first, instead of running on a page in an unknown state (no step is ever skipped). */
function test(name: string, body: () => Promise<void> | void): void {
  nodeTest(name, { timeout: 60_000 }, async () => {
    if (failed) throw new Error(`not run: the earlier step "${failed}" failed`)
    try {
      await body()
    } catch (error) {
      failed = name
      await screenshot(page, `failed-${name.replace(/\W+/g, '-').slice(0, 40)}`).catch(() => {})
      throw error
    }
  })
}

before(async () => {
  ({ context, close } = await launch())
  page = context.pages()[0] ?? await context.newPage()
  context.setDefaultTimeout(10_000)
  problems = watch(page)
})

after(async () => {
  await close?.()
})

test('/ redirects to the console, served with a strict CSP and no inline script', async () => {
  const reply = await fetch(`${apiUrl()}/`, { redirect: 'manual' })
  assert.equal(reply.status, 302)
  assert.equal(reply.headers.get('location'), '/dashboard/')
  const index = await fetch(`${apiUrl()}/dashboard/users`)
  const csp = index.headers.get('content-security-policy') ?? ''
  assert.match(csp, /script-src 'self'(;|$)/)
  assert.match(csp, /style-src 'self'(;|$)/)
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
  const html = await index.text()
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/)
  assert.doesNotMatch(html, /https?:\/\//) // nothing from a CDN
})

test('sign in with the secret key; the key is not in the URL or localStorage', async () => {
  await page.goto(`${apiUrl()}/`)
  await page.getByRole('heading', { name: 'CloudSignal console' }).waitFor()
  await checkAccessibility(page, 'sign-in')
  await screenshot(page, 'signin')
  await signIn(page, SECRET())
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
  assert.ok(!page.url().includes(SECRET()))
  assert.equal(await page.evaluate(() => localStorage.length), 0)
  assert.equal(await page.evaluate(() => sessionStorage.length), 0) // "remember" was not ticked
  await page.getByText('Usage against quotas').waitFor()
  await page.getByRole('img', { name: /Connections, last hour/ }).waitFor()
  await page.getByRole('button', { name: 'Last day' }).click()
  await page.getByRole('img', { name: /Connections, last day/ }).waitFor()
  await checkAccessibility(page, 'overview')
  await screenshot(page, 'overview')
})

test('create a user: the password is shown once', async () => {
  await openPage(page, 'Users')
  await page.getByRole('button', { name: 'Create user' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create user' })
  await dialog.getByLabel('Username').fill(USER)
  await dialog.getByLabel('Type one').check()
  await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await dialog.getByLabel('Metadata (JSON object)').fill('{"team": "console"}')
  await checkAccessibility(page, 'create-user dialog')
  await dialog.getByRole('button', { name: 'Create user' }).click()
  const shown = dialog.getByRole('textbox', { name: `Password of ${USER}` })
  assert.equal(await shown.inputValue(), PASSWORD)
  await dialog.getByRole('button', { name: 'Copy' }).click()
  await dialog.getByRole('button', { name: 'Done' }).click()
  await page.getByLabel('Search users').fill('dash-user')
  await page.getByRole('button', { name: USER, exact: true }).click()
  const detail = page.getByRole('dialog', { name: `User ${USER}` })
  await detail.getByText(`${USER}@`).waitFor()
  await checkAccessibility(page, 'user dialog')
  await screenshot(page, 'user-detail')
  await page.keyboard.press('Escape')
  await checkAccessibility(page, 'users')
  await screenshot(page, 'users')
})

test('add a rule, then simulate an unsaved one against the saved rules', async () => {
  await openPage(page, 'Access')
  const editor = page.getByRole('region', { name: 'Organization rules' })
  await editor.getByText('No rules: everything is denied.').waitFor()
  await editor.getByRole('button', { name: 'Add rule' }).click()
  await editor.getByLabel('Topic filter of rule 1').fill('console/#')
  await editor.getByRole('button', { name: 'Save changes' }).click()
  await editor.getByText('Organization rules saved').waitFor()
  await editor.getByText('unsaved').waitFor({ state: 'detached' })

  // An unsaved deny in front of it.
  await editor.getByRole('button', { name: 'Add rule' }).click()
  await editor.getByLabel('Topic filter of rule 2').fill('console/secret')
  await editor.getByLabel('Permission of rule 2').selectOption('deny')
  await editor.getByLabel('Action of rule 2').selectOption('publish')
  await editor.getByLabel('Priority of rule 2').fill('10')

  const simulator = page.getByRole('region', { name: 'Simulator' })
  await simulator.getByLabel('Username').fill(USER)
  await simulator.getByLabel('Topic or filter').fill('console/secret')
  await simulator.getByRole('button', { name: 'Simulate' }).click()
  const saved = simulator.getByRole('region', { name: 'Saved rules (the service)' })
  const edited = simulator.getByRole('region', { name: 'With your unsaved edits' })
  await saved.getByText('Allowed', { exact: true }).waitFor()
  await saved.getByText('allow both console/#').waitFor()
  await edited.getByText('Denied', { exact: true }).waitFor()
  await edited.getByText('deny publish console/secret').waitFor()
  await edited.getByText('unsaved', { exact: true }).waitFor()
  await checkAccessibility(page, 'access')
  await screenshot(page, 'access')
  await editor.getByRole('button', { name: 'Discard edits' }).click()
})

test('a session appears live when a paho client connects, and is kicked', async () => {
  await openPage(page, 'Sessions')
  await page.getByText('No sessions.').waitFor()
  await control('connect-paho')
  const row = page.getByRole('row').filter({ hasText: CLIENT })
  await row.waitFor({ timeout: 10_000 }) // polled: no reload
  await checkAccessibility(page, 'sessions')
  await screenshot(page, 'sessions')
  await row.getByRole('button', { name: `History of ${CLIENT}` }).click()
  await page.getByRole('table', { name: `History of ${CLIENT}` }).getByText('connected', { exact: true }).waitFor()
  await row.getByRole('button', { name: 'Kick' }).click()
  await row.getByRole('button', { name: 'Yes, kick' }).click()
  await page.getByText(`${CLIENT} was disconnected`).waitFor()
  await page.getByRole('row').filter({ hasText: CLIENT }).filter({ hasText: 'connected' }).waitFor({ state: 'detached', timeout: 10_000 })
  await control('paho-was-kicked')
  await page.getByRole('table', { name: `History of ${CLIENT}` }).getByText('kicked').waitFor({ timeout: 10_000 })
})

test('publish from the console and see the message in the live viewer', async () => {
  await openPage(page, 'Messages')
  const viewer = page.getByRole('region', { name: 'Live topic viewer' })
  await viewer.getByLabel('Subscription filter').fill('console/#')
  await viewer.getByRole('button', { name: 'Start viewing' }).click()
  await viewer.getByText('Viewer: subscribed to console/#').waitFor({ timeout: 15_000 })
  await viewer.getByText(/as tok_\w+@org_/).waitFor()

  const publish = page.getByRole('region', { name: 'Publish' })
  await publish.getByLabel('Topic', { exact: true }).fill('console/hello')
  await publish.getByLabel('Payload', { exact: true }).fill('{"hello": "from the console"}')
  await publish.getByLabel('Payload is').selectOption('json')
  await publish.getByLabel('QoS').selectOption('1')
  await publish.getByText('MQTT 5 properties').click()
  await publish.getByLabel('Content type').fill('application/json')
  await publish.getByLabel('User properties (key=value, one a line)').fill('source=console')
  await publish.getByRole('button', { name: 'Publish' }).click()
  await publish.getByText('acknowledged by the broker').waitFor()
  const received = viewer.getByRole('list', { name: 'Received messages' }).getByRole('listitem').filter({ hasText: 'console/hello' })
  await received.getByText('{"hello":"from the console"}').waitFor({ timeout: 10_000 })
  await checkAccessibility(page, 'messages')
  await screenshot(page, 'messages')
  await viewer.getByRole('button', { name: 'Stop' }).click()
})

test('create a restricted key (users:read): its secret is shown once', async () => {
  await openPage(page, 'Keys & providers')
  await page.getByRole('button', { name: 'Create key' }).click()
  const dialog = page.getByRole('dialog', { name: 'Create API key' })
  await dialog.getByLabel('Name', { exact: true }).fill('users-reader')
  assert.equal(await dialog.getByLabel('users:read').isChecked(), true)
  await dialog.getByRole('button', { name: 'Create key' }).click()
  const secret = page.getByRole('textbox', { name: 'Key users-reader' })
  restrictedKey = await secret.inputValue()
  assert.match(restrictedKey, /^rk_/)
  await page.getByRole('row').filter({ hasText: 'users-reader' }).waitFor()
  await checkAccessibility(page, 'keys')
  await screenshot(page, 'keys')
  await page.getByRole('button', { name: 'Done' }).click()
  assert.equal(await secret.count(), 0) // gone for good
})

test('the rule change is in the audit timeline, and the access question answers with the why', async () => {
  await openPage(page, 'Audit')
  await page.getByLabel('Type', { exact: true }).fill('AclRule')
  await page.getByRole('button', { name: 'Apply filters' }).click()
  const timeline = page.getByRole('list', { name: 'Events, newest first' })
  await timeline.getByText('AclRule.Created').first().waitFor()
  await timeline.getByRole('listitem').filter({ hasText: 'AclRule.Created' }).first().getByText(/Change #/).click()
  await timeline.getByText('"topic": "console/#"').waitFor()

  const question = page.getByRole('region', { name: 'Could they, then?' })
  await question.getByLabel('Username').fill(USER)
  await question.getByLabel('Topic or filter').fill('console/hello')
  await question.getByRole('button', { name: 'Ask' }).click()
  const answer = question.getByRole('region', { name: 'Answer' })
  await answer.getByText('Allowed', { exact: true }).waitFor()
  await answer.getByText('allow both console/#').waitFor()
  await answer.getByText('Why: the events behind it').waitFor()
  await checkAccessibility(page, 'audit')
  await screenshot(page, 'audit')
})

test('sign out', async () => {
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByLabel('API key').waitFor()
  assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0)
})

test('a key with users:read only: the users page lists, nothing changes, other pages are hidden', async () => {
  await signIn(page, restrictedKey)
  const nav = page.getByRole('navigation', { name: 'Pages' })
  assert.deepEqual(await nav.getByRole('link').allTextContents(), ['Users'])
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor()
  await page.getByText('Read-only: this key lacks the users:write scope.').waitFor()
  assert.equal(await page.getByRole('button', { name: 'Create user' }).count(), 0)
  await page.getByRole('button', { name: USER, exact: true }).click()
  const detail = page.getByRole('dialog', { name: `User ${USER}` })
  await detail.getByText(`${USER}@`).waitFor()
  for (const name of ['Save changes', 'Disable user', 'Reset password', 'Delete user', 'Terminate sessions']) {
    assert.equal(await detail.getByRole('button', { name }).count(), 0, name)
  }
  await checkAccessibility(page, 'users (restricted)')
  await screenshot(page, 'users-restricted')
  await page.keyboard.press('Escape')
  await page.goto(`${apiUrl()}/dashboard/access`) // a reload: the key was kept in memory only
  await page.getByLabel('API key').waitFor()
  await signIn(page, restrictedKey, true)
  await page.goto(`${apiUrl()}/dashboard/access`)
  await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor()
})

test('a revoked key is signed out on its next call', async () => {
  const keys = await api<{ data: { id: string; name: string }[] }>(SECRET(), 'GET', '/v2/api-keys?limit=500')
  const id = keys.data.find((key) => key.name === 'users-reader')!.id
  await api(SECRET(), 'DELETE', `/v2/api-keys/${id}`)
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Users' }).click()
  await page.getByLabel('API key').waitFor()
  await page.getByText(/Signed out: API key key_\w+ has been revoked/).waitFor()
  assert.equal(await page.evaluate(() => sessionStorage.length), 0)
})

test('keyboard only: sign in, reach a page through the menu, open a dialog and close it', async () => {
  await page.goto(`${apiUrl()}/dashboard/`)
  await page.getByLabel('API key').waitFor()
  await page.keyboard.press('Tab')
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'api-key')
  await page.keyboard.type(SECRET())
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor()
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'page-title') // focus moves to the page
  await page.keyboard.press('Shift+Tab')
  let reached = false
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab')
    reached = await page.evaluate(() => document.activeElement?.textContent === 'Users')
  }
  assert.ok(reached, 'the Users link is reachable with Tab')
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor()
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate(() => document.activeElement?.textContent === 'Create user')) break
  }
  await page.keyboard.press('Enter')
  await page.getByRole('dialog', { name: 'Create user' }).waitFor()
  assert.equal(await page.evaluate(() => document.activeElement?.closest('dialog') !== null), true)
  await page.keyboard.press('Escape')
  await page.getByRole('dialog', { name: 'Create user' }).waitFor({ state: 'hidden' })
  const outline = await page.evaluate(() => {
    const link = document.querySelector('nav a') as HTMLElement
    link.focus()
    return getComputedStyle(link).outlineStyle
  })
  assert.notEqual(outline, 'none') // focus is visible
})

test('every page at 390x844 fits the width and passes axe', async () => {
  await page.setViewportSize(MOBILE)
  for (const [title, name] of [['Overview', 'overview'], ['Users', 'users'], ['Access', 'access'], ['Sessions', 'sessions'],
    ['Messages', 'messages'], ['Keys & providers', 'keys'], ['Audit', 'audit']] as const) {
    await openPage(page, title)
    await page.waitForTimeout(300)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    assert.ok(overflow <= 1, `${title} is ${overflow}px wider than the screen`)
    await checkAccessibility(page, `${name} (mobile)`)
    await screenshot(page, `mobile-${name}`)
  }
  await page.setViewportSize(DESKTOP)
  await page.getByRole('button', { name: 'Sign out' }).click()
})

test('10,000 users: the first rows and the time they take', async () => {
  const key = env('CS_BIG_ORG_KEY')
  await signIn(page, key, true)
  // A fresh load of the users page, as a bookmark would open it (the key is in this tab's storage).
  await page.goto(`${apiUrl()}/dashboard/users`)
  await page.getByRole('button', { name: 'user-00000', exact: true }).waitFor()
  const timing = await page.evaluate(() => {
    const mark = (name: string) => performance.getEntriesByName(name)[0]?.startTime ?? NaN
    return { fromNavigation: mark('cs:users-first-rows'), fromRequest: mark('cs:users-first-rows') - mark('cs:users-requested') }
  })
  await page.getByText('10,000 users').waitFor({ timeout: 30_000 })
  const rendered = await page.locator('tbody tr.row').count()
  assert.ok(rendered < 100, `only the rows in view are drawn (${rendered})`)
  await page.getByLabel('Search users').fill('user-09999')
  await page.getByRole('button', { name: 'user-09999', exact: true }).waitFor()
  await page.getByLabel('Search users').fill('')
  await page.getByRole('region', { name: 'Users, scrollable' }).evaluate((element) => { element.scrollTop = element.scrollHeight })
  await page.getByRole('button', { name: 'user-09999', exact: true }).waitFor()
  await screenshot(page, 'users-10000')
  const bundle = JSON.parse(await readFile(join(DASHBOARD, 'dist/bundle-size.json'), 'utf8'))
  const figures = { first_rows_ms_from_navigation: Math.round(timing.fromNavigation), first_rows_ms_from_request: Math.round(timing.fromRequest),
    rows_drawn: rendered, initial_js_gzip_bytes: bundle.initial_js_gzip_bytes }
  await writeFile(join(env('CS_ARTIFACTS_DIR'), 'figures.json'), JSON.stringify(figures, null, 2))
  await writeFile(join(DASHBOARD, 'test-artifacts', 'figures.json'), JSON.stringify(figures, null, 2))
  console.log('figures', JSON.stringify(figures))
})

test('no page error, console error or CSP violation on the way', () => {
  assert.deepEqual(problems, [])
})
