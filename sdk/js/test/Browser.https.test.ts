// The browser build in headless Chromium (Debian's, driven by playwright-core) on a page served
// over https, connecting over secure WebSockets to the edge (Debian's nginx terminating TLS) and
// receiving a message published with POST /v2/publish through the edge's https port.
//
// Chromium trusts the test CA the way a user's machine would: the CA is a trust anchor in a
// temporary NSS database ($HOME/.pki/nssdb of a throwaway HOME, made by tests/edge/test_edge_js.py
// with certutil), so the whole chain is verified (signature, validity, the 127.0.0.1 name), for the
// page and for the wss connection alike; no certificate error is ignored. The same page in a
// Chromium whose HOME lacks the CA fails with ERR_CERT_AUTHORITY_INVALID.
//
// The page comes from a small https server on loopback with the edge's certificate and key
// (the edge only routes the API, the dashboard and /mqtt).
import assert from 'node:assert/strict'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext } from 'playwright-core'
import { edgeWssPort, publishOverHttps } from './edge-support.js'
import { env, unique } from './support.js'

const PACKAGE = fileURLToPath(new URL('../../', import.meta.url))
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
]

let server: Server
let origin: string
const profiles: string[] = []
const contexts: BrowserContext[] = []

/** Chromium with its own profile, and HOME (where it finds its NSS database) as given. */
async function launch(home: string): Promise<BrowserContext> {
  const profile = await mkdtemp(join(tmpdir(), 'cloudsignal-chromium-'))
  profiles.push(profile)
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CS_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: home },
  })
  contexts.push(context)
  return context
}

before(async () => {
  const tls = env('CS_TLS_DIR')
  const page = await readFile(join(PACKAGE, 'test/browser/secure.html'))
  const bundle = await readFile(join(PACKAGE, 'dist/browser/cloudsignal.js'))
  server = createServer({ cert: await readFile(join(tls, 'server.crt')), key: await readFile(join(tls, 'server.key')) },
    (request, response) => {
      if (request.url === '/') response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page)
      else if (request.url === '/cloudsignal.js') response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle)
      else response.writeHead(404).end()
    })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `https://127.0.0.1:${(server.address() as { port: number }).port}`
})

after(async () => {
  for (const context of contexts) await context.close()
  for (const profile of profiles) await rm(profile, { recursive: true, force: true })
  await new Promise((resolve) => server?.close(resolve))
})

test('without the test CA in its trust store, Chromium refuses the page', { timeout: 30_000 }, async () => {
  const home = await mkdtemp(join(tmpdir(), 'cloudsignal-home-'))
  profiles.push(home)
  const context = await launch(home)
  const page = context.pages()[0] ?? await context.newPage()
  await assert.rejects(page.goto(`${origin}/`), /ERR_CERT_AUTHORITY_INVALID/)
})

test('a page served over https connects over wss through the edge and receives an HTTP publish', { timeout: 40_000 }, async () => {
  const context = await launch(env('CS_CHROMIUM_HOME'))
  const page = context.pages()[0] ?? await context.newPage()
  const pageErrors: string[] = []
  const sockets: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('websocket', (socket) => sockets.push(socket.url()))
  const reply = await page.goto(`${origin}/`)
  assert.equal(reply?.status(), 200)
  const security = await reply!.securityDetails()
  assert.equal(security?.issuer, 'CloudSignal local CA')
  assert.equal(await page.evaluate(() => typeof (window as any).CloudSignal?.CloudSignalClient), 'function')

  const topic = `browser/${unique('https')}`
  const started = await page.evaluate((config) => (window as any).start(config), {
    host: '127.0.0.1', port: edgeWssPort(), username: env('CS_USER'), password: env('CS_PASSWORD'), topic,
  })
  assert.equal(started.connected, true) // the SUBACK came back over wss
  assert.deepEqual(sockets, [`wss://127.0.0.1:${edgeWssPort()}/mqtt`]) // wss chosen on an https page

  const published = await publishOverHttps(topic, { text: 'hello from POST /v2/publish through the edge' })
  assert.equal(published.status, 200, JSON.stringify(published.body))
  await page.waitForFunction(() => (window as any).received.length > 0, null, { timeout: 10_000 })
  assert.deepEqual(await page.evaluate(() => (window as any).received),
    [{ topic, message: { text: 'hello from POST /v2/publish through the edge' } }])
  assert.match(await page.textContent('#status') ?? '', /^connected over secure WebSockets/)

  const screenshot = join(env('CS_ARTIFACTS_DIR'), 'browser-https.png')
  await page.screenshot({ path: screenshot, fullPage: true })
  await mkdir(join(PACKAGE, 'test-artifacts'), { recursive: true })
  await copyFile(screenshot, join(PACKAGE, 'test-artifacts/browser-https.png'))
  assert.deepEqual(await page.evaluate(() => (window as any).errors), [])
  assert.deepEqual(pageErrors, [])
  await page.evaluate(() => (window as any).client.disconnect())
})
