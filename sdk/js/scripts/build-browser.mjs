#!/usr/bin/env node
// After tsc: mark dist/cjs as CommonJS, and bundle the browser builds with esbuild
// (MQTT.js's own browser build inside): dist/browser/cloudsignal.mjs (ESM) and
// dist/browser/cloudsignal.js (a script tag's global `CloudSignal`). The build fails if anything
// Node-only would end up in the bundle.
import { builtinModules } from 'node:module'
import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
await writeFile(`${root}/dist/cjs/package.json`, '{ "type": "commonjs" }\n')
await mkdir(`${root}/dist/browser`, { recursive: true })

const nodeOnly = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)])
const refuseNodeModules = {
  name: 'refuse-node-modules',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => nodeOnly.has(args.path)
      ? { errors: [{ text: `${args.importer} imports the Node-only module "${args.path}"` }] }
      : undefined)
  },
}

const common = {
  entryPoints: [`${root}/src/index.ts`],
  bundle: true,
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  sourcemap: true,
  legalComments: 'linked',
  keepNames: true,
  plugins: [refuseNodeModules],
  logLevel: 'warning',
}
await build({ ...common, format: 'esm', outfile: `${root}/dist/browser/cloudsignal.mjs` })
await build({ ...common, format: 'iife', globalName: 'CloudSignal', minify: true, outfile: `${root}/dist/browser/cloudsignal.js` })
