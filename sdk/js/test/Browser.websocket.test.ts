// The browser build in headless Chromium (Debian's, driven by playwright-core): a page loads
// dist/browser/cloudsignal.js, exchanges a JWT for temporary credentials, connects over WebSockets,
// subscribes, and receives a message published through POST /v2/publish. A screenshot is kept.
//
// The page is served by this test together with a same-origin proxy of /v2: the service sends no
// CORS headers, so a page on another origin could not call token exchange.
import assert from 'node:assert/strict'
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext } from 'playwright-core'
import { api, apiUrl, env, signJwt, tokenExchangeSetup, wsPort } from './support.js'

const PACKAGE = fileURLToPath(new URL('../../', import.meta.url))
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
]

let server: Server
let origin: string
let context: BrowserContext
let profile: string

async function body(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined
}

before(async () => {
  const page = await readFile(join(PACKAGE, 'test/browser/index.html'))
  const bundle = await readFile(join(PACKAGE, 'dist/browser/cloudsignal.js'))
  server = createServer(async (request, response) => {
    try {
      if (request.url === '/') {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page)
      } else if (request.url === '/cloudsignal.js') {
        response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle)
      } else if (request.url?.startsWith('/v2/')) {
        const headers: Record<string, string> = {}
        for (const name of ['authorization', 'content-type', 'x-request-id']) {
          const value = request.headers[name]
          if (typeof value === 'string') headers[name] = value
        }
        const reply = await fetch(apiUrl() + request.url, { method: request.method!, headers, body: await body(request) })
        response.writeHead(reply.status, { 'Content-Type': reply.headers.get('content-type') ?? 'application/json' })
          .end(Buffer.from(await reply.arrayBuffer()))
      } else {
        response.writeHead(404).end()
      }
    } catch (error) {
      response.writeHead(502).end(String(error))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`

  profile = await mkdtemp(join(tmpdir(), 'cloudsignal-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CS_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
  })
})

after(async () => {
  await context?.close()
  await rm(profile, { recursive: true, force: true })
  await new Promise((resolve) => server?.close(resolve))
})

test('a page connects over WebSockets with exchanged credentials and receives an HTTP publish', { timeout: 60_000 }, async () => {
  const { secret, publicKey } = await tokenExchangeSetup()
  const page = context.pages()[0] ?? await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(`${origin}/`)
  assert.equal(await page.evaluate(() => typeof (window as any).CloudSignal?.CloudSignalClient), 'function')

  const started = await page.evaluate((config) => (window as any).start(config), {
    publicKey, token: signJwt({ sub: 'browser-user' }, secret), host: '127.0.0.1', wsPort: wsPort(),
    topic: 'users/browser-user/inbox',
  })
  assert.match(started.username, /^tok_\w+@org_/)
  assert.equal(started.connected, true) // the SUBACK came back, so the connection was up

  const published = await api().publish({
    topic: 'users/browser-user/inbox', payload: { text: 'hello from POST /v2/publish' }, qos: 1,
  })
  assert.equal(published.acknowledged, true)
  await page.waitForFunction(() => (window as any).received.length > 0, null, { timeout: 10_000 })
  const received = await page.evaluate(() => (window as any).received)
  assert.equal(received.length, 1)
  assert.equal(received[0].topic, 'users/browser-user/inbox') // without the organization prefix
  assert.deepEqual(received[0].message, { text: 'hello from POST /v2/publish' })
  assert.equal(received[0].bytes, new TextEncoder().encode(received[0].text).length)
  assert.equal(await page.textContent('#status'), 'connected over WebSockets')
  // And the other way: bytes published from the page come back through its subscription.
  assert.deepEqual(await page.evaluate((topic) => (window as any).roundTrip(topic), 'users/browser-user/bytes'),
    [0, 1, 2, 254, 255])

  const screenshot = join(env('CS_ARTIFACTS_DIR'), 'browser.png')
  await page.screenshot({ path: screenshot, fullPage: true })
  await mkdir(join(PACKAGE, 'test-artifacts'), { recursive: true })
  await copyFile(screenshot, join(PACKAGE, 'test-artifacts/browser.png'))
  assert.deepEqual(await page.evaluate(() => (window as any).errors), [])
  assert.deepEqual(pageErrors, [])
  await page.evaluate(() => (window as any).client.disconnect())
})
