// What the end-to-end driver shares: the stack's addresses and keys (CS_* from the pytest wrapper,
// tests/dashboard/test_dashboard.py), headless Chromium, axe-core, screenshots, and requests to the
// Python side (a paho client) through files in CS_CONTROL_DIR.
import assert from 'node:assert/strict'
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const DASHBOARD = fileURLToPath(new URL('../../../', import.meta.url))
export const ARTIFACTS = join(DASHBOARD, 'test-artifacts')

export function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: run through tests/dashboard/test_dashboard.py`)
  return value
}

export const apiUrl = () => env('CS_API_URL')
export const DESKTOP = { width: 1280, height: 800 }
export const MOBILE = { width: 390, height: 844 }

export async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = join(env('CS_ARTIFACTS_DIR'), `chromium-${process.pid}-${Date.now()}`)
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CS_CHROMIUM ?? '/usr/bin/chromium', headless: true, viewport: DESKTOP,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
  return { context, close: async () => { await context.close(); await rm(profile, { recursive: true, force: true }) } }
}

/** Errors the page reports: uncaught exceptions, console errors, and every CSP violation. */
export function watch(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    const text = message.text()
    if (message.type() === 'error' && !/status of (401|403|404|409)|Failed to load resource/.test(text)) problems.push(`console: ${text}`)
    if (/Content Security Policy/i.test(text)) problems.push(`csp: ${text}`)
  })
  return problems
}

let axeSource: string | null = null
/** axe-core on the page as it is: no serious or critical violation. Injected through the DevTools
 * protocol, so the page's CSP (no inline scripts) stays in force. */
export async function checkAccessibility(page: Page, name: string): Promise<void> {
  axeSource ??= await readFile(join(DASHBOARD, 'node_modules/axe-core/axe.min.js'), 'utf8')
  if (await page.evaluate('typeof window.axe') === 'undefined') await page.evaluate(`${axeSource}\n;void 0`)
  const violations = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] })
    return result.violations.filter((v: any) => v.impact === 'serious' || v.impact === 'critical')
      .map((v: any) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')).join(' | ')}`)
  }) as string[]
  assert.deepEqual(violations, [], `axe on ${name}`)
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true })
  const path = join(env('CS_ARTIFACTS_DIR'), `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  await copyFile(path, join(ARTIFACTS, `${name}.png`))
}

export async function signIn(page: Page, key: string, remember = false): Promise<void> {
  await page.goto(`${apiUrl()}/dashboard/`)
  await page.getByLabel('API key').fill(key)
  if (remember) await page.getByLabel('Remember in this tab until it closes').check()
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('navigation', { name: 'Pages' }).waitFor()
}

export async function openPage(page: Page, title: string): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Pages' })
  if (!await nav.isVisible()) await page.getByRole('button', { name: 'Menu' }).click()
  await nav.getByRole('link', { name: title, exact: true }).click()
  await page.getByRole('heading', { level: 1, name: title }).waitFor()
}

let requests = 0
/** Ask the Python side to do something (connect a paho client...) and wait until it is done. */
export async function control(command: string, timeoutMs = 20_000): Promise<void> {
  const directory = env('CS_CONTROL_DIR')
  const id = `${Date.now()}-${++requests}`
  await writeFile(join(directory, `${id}.request`), command)
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (existsSync(join(directory, `${id}.done`))) return
    if (existsSync(join(directory, `${id}.failed`))) throw new Error(await readFile(join(directory, `${id}.failed`), 'utf8'))
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the controller did not do ${command} within ${timeoutMs} ms (${(await readdir(directory)).join(', ')})`)
}

export async function api<T = any>(key: string, method: string, path: string, body?: unknown): Promise<T> {
  const reply = await fetch(apiUrl() + path, {
    method, headers: { Authorization: `Bearer ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await reply.text()
  if (!reply.ok) throw new Error(`${method} ${path}: ${reply.status} ${text}`)
  return (text ? JSON.parse(text) : undefined) as T
}
