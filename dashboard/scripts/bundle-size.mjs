#!/usr/bin/env node
// After `vite build`: the JavaScript that index.html loads before anything else (its entry script
// and the modules it preloads), gzipped. Fails the build past the budget of 250 KB; prints the
// figure and writes it to dist/bundle-size.json for the tests.
import { readFile, writeFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const BUDGET = 250 * 1024
const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const html = await readFile(`${dist}index.html`, 'utf8')
const scripts = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/dashboard\/([^"]+\.js)"/g)]
  .map((match) => match[1])
if (/<script(?![^>]*\ssrc=)[^>]*>/.test(html)) throw new Error('index.html has an inline script')
let total = 0
const files = {}
for (const name of new Set(scripts)) {
  const size = gzipSync(await readFile(`${dist}${name}`), { level: 9 }).length
  files[name] = size
  total += size
}
await writeFile(`${dist}bundle-size.json`, JSON.stringify({ initial_js_gzip_bytes: total, files }, null, 2))
console.log(`initial JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (${Object.keys(files).length} files; budget 250 KB)`)
if (total > BUDGET) {
  console.error('over budget')
  process.exit(1)
}
