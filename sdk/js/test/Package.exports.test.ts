// The package as published: every export documented with an @example, the same names from the ESM
// and CommonJS entry points and the browser bundles, and nothing Node-only in the browser bundles.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { builtinModules } from 'node:module'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import * as esm from '@cloudsignal/sdk'

const PACKAGE = fileURLToPath(new URL('../../', import.meta.url))

test('every export of index.ts has a JSDoc @example', () => {
  const program = ts.createProgram([`${PACKAGE}src/index.ts`], { module: ts.ModuleKind.NodeNext, strict: true })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(`${PACKAGE}src/index.ts`)!
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!)
  assert.ok(exports.length > 60, `only ${exports.length} exports`)
  const undocumented = exports.filter((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
    return !(target.declarations ?? []).some((declaration) => ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === 'example'))
  }).map((symbol) => symbol.name)
  assert.deepEqual(undocumented, [])
})

test('ESM, CommonJS and the browser bundles export the same values', async () => {
  const cjs = createRequire(import.meta.url)('@cloudsignal/sdk') as Record<string, unknown>
  const names = Object.keys(esm).sort()
  assert.deepEqual(Object.keys(cjs).filter((name) => name !== '__esModule').sort(), names)
  assert.ok(names.includes('CloudSignalClient') && names.includes('CloudSignalApi'))
  assert.equal(typeof cjs.CloudSignalClient, 'function')

  const bundle = await readFile(`${PACKAGE}dist/browser/cloudsignal.mjs`, 'utf8')
  const start = bundle.lastIndexOf('export {')
  const exported = bundle.slice(start + 'export {'.length, bundle.indexOf('}', start))
  const bundleNames = exported.split(',').map((entry) => entry.trim().split(/\s+as\s+/).at(-1)!).filter(Boolean).sort()
  assert.deepEqual(bundleNames, names)
})

test('the browser bundles import nothing Node-only', async () => {
  for (const file of ['cloudsignal.mjs', 'cloudsignal.js']) {
    const bundle = await readFile(`${PACKAGE}dist/browser/${file}`, 'utf8')
    const imported = [...bundle.matchAll(/(?:require\(|from\s*|import\()\s*["']([^"']+)["']/g)].map((match) => match[1]!)
    const nodeOnly = imported.filter((name) => name.startsWith('node:') || builtinModules.includes(name))
    assert.deepEqual(nodeOnly, [], file)
  }
})
