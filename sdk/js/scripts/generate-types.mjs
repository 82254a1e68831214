#!/usr/bin/env node
// Types for the REST API, generated from the service's OpenAPI document with openapi-typescript.
//
//   node scripts/generate-types.mjs <openapi.json URL or file>          rewrite src/generated/openapi.ts
//   node scripts/generate-types.mjs --check <openapi.json URL or file>  exit 1 if it is out of date
//
// The broker-facing /internal/ endpoints are left out, with the schemas only they use.
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'

export const OUTPUT = fileURLToPath(new URL('../src/generated/openapi.ts', import.meta.url))

const HEADER = `// Generated from the service's /v2/openapi.json by scripts/generate-types.mjs; do not edit.
// Regenerate with: npm run types:generate -- http://127.0.0.1:8080/v2/openapi.json
`

async function load(source) {
  if (/^https?:\/\//.test(source)) {
    const reply = await fetch(source)
    if (!reply.ok) throw new Error(`GET ${source}: ${reply.status}`)
    return reply.json()
  }
  return JSON.parse(await readFile(source, 'utf8'))
}

/** The public part of the document: no /internal/ paths, no components that only they use. */
export function publicDocument(document) {
  const paths = Object.fromEntries(Object.entries(document.paths).filter(([path]) => !path.startsWith('/internal/')))
  const components = document.components ?? {}
  const used = new Set()
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (node === null || typeof node !== 'object') return
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && !used.has(value)) {
        used.add(value)
        const [, , kind, name] = value.split('/')
        visit(components[kind]?.[name])
      } else {
        visit(value)
      }
    }
  }
  visit(paths)
  const kept = {}
  for (const [kind, entries] of Object.entries(components)) {
    kept[kind] = kind === 'securitySchemes' ? entries : Object.fromEntries(
      Object.entries(entries).filter(([name]) => used.has(`#/components/${kind}/${name}`)))
  }
  return { ...document, paths, components: kept }
}

export async function generate(source) {
  const ast = await openapiTS(publicDocument(await load(source)), { readWriteMarkers: true, defaultNonNullable: false })
  return HEADER + astToString(ast)
}

async function main(args) {
  const check = args.includes('--check')
  const source = args.find((arg) => !arg.startsWith('--'))
  if (!source) {
    console.error('usage: generate-types.mjs [--check] <openapi.json URL or file>')
    return 2
  }
  const generated = await generate(source)
  const current = await readFile(OUTPUT, 'utf8').catch(() => '')
  if (check) {
    if (generated === current) return 0
    const was = current.split('\n'), now = generated.split('\n')
    const line = now.findIndex((text, index) => text !== was[index])
    console.error(`${OUTPUT} is out of date with ${source} (first difference at line ${line + 1}:\n` +
      `  checked in: ${was[line] ?? '<end of file>'}\n  generated:  ${now[line] ?? '<end of file>'})\n` +
      'Run `npm run types:generate -- <openapi.json URL>`, then adapt src/types.ts and src/api.ts.')
    return 1
  }
  await writeFile(OUTPUT, generated)
  console.log(`wrote ${OUTPUT}`)
  return 0
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2))
}
