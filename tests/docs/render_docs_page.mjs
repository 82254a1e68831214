// Renders /v2/docs in headless Chromium (Debian's, driven by the JS SDK's playwright-core), opens
// one operation, keeps a screenshot, and prints what it saw as one JSON line for the pytest side.
//
//   CS_SDK_DIR=sdk/js node render_docs_page.mjs <service URL> <screenshot.png>
import { createRequire } from 'node:module'
import { join } from 'node:path'

const require = createRequire(join(process.env.CS_SDK_DIR, 'package.json'))
const { chromium } = require('playwright-core')
const [base, screenshot] = process.argv.slice(2)

const browser = await chromium.launch({
  executablePath: process.env.CS_CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
})
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
  const errors = []
  const elsewhere = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()) })
  page.on('response', (response) => { if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`) })
  page.on('request', (request) => {
    const url = request.url()
    if (!url.startsWith(base) && !url.startsWith('data:')) elsewhere.push(url)
  })
  const reply = await page.goto(`${base}/v2/docs`)
  await page.waitForSelector('.opblock', { timeout: 30_000 })
  const operation = page.locator('#operations-users-users_create')
  await operation.locator('.opblock-summary').first().click()
  await operation.locator('.body-param__example, .model-example').first().waitFor({ timeout: 10_000 })
  const example = await operation.locator('.body-param__example, .highlight-code').first().innerText()
  await page.screenshot({ path: screenshot })
  console.log(JSON.stringify({
    status: reply.status(),
    title: await page.locator('.info .title').first().innerText(),
    operations: await page.locator('.opblock').count(),
    operationIds: await page.locator('.opblock-summary-operation-id').allInnerTexts(),
    example, errors, elsewhere,
  }))
} finally {
  await browser.close()
}
