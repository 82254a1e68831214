// What the JS tests share. tests/js/test_js_sdk.py starts the real stack (PostgreSQL, the service,
// Mosquitto with the plugin), prepares an organization and passes everything in CS_* variables;
// it also acts on CS_CONTROL_DIR requests (stop or start the broker) while a test waits.
import { createHmac, randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CloudSignalApi, type CloudSignalClient, type CloudSignalClientEvents } from '@cloudsignal/sdk'

export function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: run these tests through tests/js/test_js_sdk.py`)
  return value
}

export const apiUrl = (): string => env('CS_API_URL')
export const secretKey = (): string => env('CS_SECRET_KEY')
export const orgId = (): string => env('CS_ORG_ID')
export const mqttPort = (): number => Number(env('CS_MQTT_PORT'))
export const wsPort = (): number => Number(env('CS_WS_PORT'))

export function api(options: Partial<ConstructorParameters<typeof CloudSignalApi>[0]> = {}): CloudSignalApi {
  return new CloudSignalApi({ apiKey: secretKey(), baseUrl: apiUrl(), ...options })
}

/** A short random suffix, so that tests sharing an organization do not collide. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Poll `probe` until it returns something truthy; throw after `timeout` ms. */
type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>

export async function eventually<T>(probe: () => T | Promise<T>, timeout = 5000,
                                      what = 'condition'): Promise<Truthy<T>> {
  const deadline = Date.now() + timeout
  for (;;) {
    const result = await probe()
    if (result) return result as Truthy<T>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await sleep(50)
  }
}

/**
 * The error `call` rejects with, once it rejects with an instance of `type`. The service runs two
 * processes whose read models follow the event log within about 50 ms, so a read right after a
 * delete may still see the old state on the other process.
 */
export async function eventuallyRejects<E>(call: () => PromiseLike<unknown>, type: new (...args: any[]) => E,
                                           timeout = 2000): Promise<E> {
  return eventually(async () => {
    const error = await Promise.resolve(call()).then(() => undefined, (caught: unknown) => caught)
    return error instanceof type ? error : undefined
  }, timeout, `a ${type.name}`)
}

/** The arguments of the client's next `event`; rejects after `timeout` ms. */
export function nextEvent<E extends keyof CloudSignalClientEvents>(
  client: CloudSignalClient, event: E, timeout = 10_000): Promise<Parameters<CloudSignalClientEvents[E]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`no '${String(event)}' event within ${timeout} ms`))
    }, timeout)
    const off = client.once(event, ((...args: Parameters<CloudSignalClientEvents[E]>) => {
      clearTimeout(timer)
      resolve(args)
    }) as CloudSignalClientEvents[E])
  })
}

/** Ask the pytest side to act (`stop-broker`, `start-broker`) and wait until it has. */
export async function control(command: string, timeout = 30_000): Promise<void> {
  const dir = env('CS_CONTROL_DIR')
  const id = `${Date.now()}-${randomBytes(3).toString('hex')}`
  await writeFile(join(dir, `${id}.tmp`), command)
  await rename(join(dir, `${id}.tmp`), join(dir, `${id}.request`))
  const answer = await eventually(async () => {
    for (const outcome of ['done', 'failed']) {
      const text = await readFile(join(dir, `${id}.${outcome}`), 'utf8').catch(() => undefined)
      if (text !== undefined) return { outcome, text }
    }
    return undefined
  }, timeout, `the test runner to ${command}`)
  await rm(join(dir, `${id}.${answer.outcome}`), { force: true })
  if (answer.outcome === 'failed') throw new Error(`${command} failed: ${answer.text}`)
}

/** Collects what a subscription receives. */
export class Inbox<T = unknown> {
  readonly messages: Array<{ topic: string; message: T }> = []

  readonly handler = (topic: string, message: T): void => {
    this.messages.push({ topic, message })
  }

  async waitFor(count: number, timeout = 5000): Promise<Array<{ topic: string; message: T }>> {
    await eventually(() => this.messages.length >= count, timeout, `${count} message(s), got ${this.messages.length}`)
    return this.messages
  }
}

/** An HS256 JWT, as an identity provider sharing `secret` with the organization would sign it. */
export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ iat: now, exp: now + 300, ...claims })}`
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`
}

/** A `jwt` auth provider with a shared secret whose users get `users/{claims.sub}/#`, and a public key. */
export async function tokenExchangeSetup(): Promise<{ secret: string; publicKey: string }> {
  const secret = `shared-secret-${randomBytes(12).toString('hex')}`
  const ruleSet = unique('token-users')
  await api().acl.ruleSets.create({
    name: ruleSet, rules: [{ topic: 'users/{claims.sub}/#', action: 'both', permission: 'allow' }],
  })
  await api().authProviders.create({ name: unique('app'), type: 'jwt', secret, acl_set: ruleSet })
  const { key } = await api().apiKeys.create({ name: 'browser', type: 'public' })
  return { secret, publicKey: key }
}
