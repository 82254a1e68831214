// The documented JavaScript example (../shared/EXAMPLES.md), run as written in its own Node.js
// process against the real broker. A Python paho client on the other side (tests/js/test_js_sdk.py)
// answers every message on agents/agent-01/state with one on agents/python-01/state.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { CloudSignalClient } from '@cloudsignal/sdk'
import { Inbox, mqttPort, orgId } from './support.js'

const DOCUMENTED = `import { CloudSignalClient } from '@cloudsignal/sdk'
const client = new CloudSignalClient({
  host: '127.0.0.1',
  username: 'agent-01@org_k7xm4pqr2n5t',
  password: 'your-password',
})
client.subscribe('agents/+/state', (topic, message) => {
  console.log(\`\${topic}: \${message}\`)
})
client.publish('agents/agent-01/state', JSON.stringify({ status: 'idle', load: 0.12 }), { qos: 1 })
`

const PYTHON_REPLY = '{"echo":{"status":"idle","load":0.12}}'

test('the documented example connects, subscribes, publishes and hears the Python client', { timeout: 30_000 }, async () => {
  // Only the organization id and the broker's port differ from the documentation (the test broker
  // listens on a free port, not 1883).
  const source = DOCUMENTED
    .replace('org_k7xm4pqr2n5t', orgId())
    .replace("host: '127.0.0.1',", `host: '127.0.0.1', port: ${mqttPort()},`)
  // Inside the package, so that '@cloudsignal/sdk' resolves to this build (package self-reference).
  const dir = fileURLToPath(new URL('../example/', import.meta.url))
  await mkdir(dir, { recursive: true })
  await writeFile(`${dir}example.mjs`, source)

  const child = spawn(process.execPath, [`${dir}example.mjs`], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const expected = [
    'agents/agent-01/state: {"status":"idle","load":0.12}', // its own message, through its subscription
    `agents/python-01/state: ${PYTHON_REPLY}`, // Python received it and answered
  ]
  try {
    const deadline = Date.now() + 15_000
    while (!expected.every((line) => stdout.split('\n').includes(line))) {
      if (child.exitCode !== null) assert.fail(`the example exited (${child.exitCode}):\n${stdout}\n${stderr}`)
      if (Date.now() > deadline) assert.fail(`the example printed:\n${stdout}\n${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } finally {
    child.kill()
  }
  assert.equal(stderr, '')
})

test('calls made before the connection is up are queued and run once it is', { timeout: 20_000 }, async () => {
  const client = new CloudSignalClient({
    host: '127.0.0.1', port: mqttPort(), username: `agent-01@${orgId()}`, password: 'your-password',
  })
  try {
    assert.equal(client.connected, false)
    const inbox = new Inbox<unknown>()
    let connectedAt: number | undefined
    client.on('connect', () => (connectedAt ??= Date.now()))
    const subscribed = client.subscribe('agents/+/state', inbox.handler, { qos: 1 })
    const published = client.publish('agents/agent-01/state', { status: 'busy', load: 0.5 }, { qos: 1 })
    assert.equal(client.queued, 1)

    assert.deepEqual(await subscribed, { filter: 'agents/+/state', qos: 1 })
    await published
    assert.ok(connectedAt !== undefined, 'the publish resolved only after the connection was up')
    assert.equal(client.queued, 0)

    const messages = await inbox.waitFor(2)
    const byTopic = Object.fromEntries(messages.map(({ topic, message }) => [topic, message]))
    assert.deepEqual(byTopic['agents/agent-01/state'], { status: 'busy', load: 0.5 })
    assert.deepEqual(byTopic['agents/python-01/state'], { echo: { status: 'busy', load: 0.5 } })
  } finally {
    await client.disconnect()
  }
})
