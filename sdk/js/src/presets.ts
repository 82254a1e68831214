// Connection presets and the reconnection policy, the same in the Python and JavaScript SDKs.
//
// Reconnection: after a lost connection (or a failed attempt) the client waits
// min(maxReconnectPeriod, reconnectPeriod * 2^n) * uniform(0.5, 1) ms, n being the number of
// attempts since the last successful CONNECT: exponential backoff with "equal jitter", so that a
// fleet disconnected together does not come back in one wave, yet no client waits less than half
// its step.
import type { QoS } from './client-types.js'

/**
 * The name of a connection preset.
 * @example
 * new CloudSignalClient({ host, username, password, preset: 'browser' satisfies PresetName })
 */
export type PresetName = 'agent' | 'server' | 'browser'

/**
 * What a preset sets; an option given explicitly wins. Times in the SDK's units (keepalive in
 * seconds, reconnect periods in milliseconds).
 * @example
 * const { keepalive, queueLimit }: Preset = PRESETS.server
 */
export interface Preset {
  keepalive: number
  reconnectPeriod: number
  maxReconnectPeriod: number
  queueLimit: number
  publishQos: QoS
  subscribeQos: QoS
}

/**
 * Defaults without a preset.
 * @example
 * console.log(DEFAULT_PRESET.reconnectPeriod) // 1000
 */
export const DEFAULT_PRESET: Preset = Object.freeze({
  keepalive: 60, reconnectPeriod: 1000, maxReconnectPeriod: 30_000, queueLimit: 1000, publishQos: 0, subscribeQos: 1,
})

/**
 * The named presets: `agent` (long-lived workers, AI agents and devices on flaky networks:
 * nothing sent is lost), `server` (backend services next to the broker: notice a drop fast, come
 * back fast, buffer a burst), `browser` (pages over WebSockets: proxies close idle sockets, many
 * tabs must not stampede a restarted broker, and a tab holds little).
 * @example
 * console.log(PRESETS.browser.queueLimit) // 100
 */
export const PRESETS: Readonly<Record<PresetName, Preset>> = Object.freeze({
  agent: Object.freeze({ keepalive: 60, reconnectPeriod: 1000, maxReconnectPeriod: 60_000, queueLimit: 1000, publishQos: 1, subscribeQos: 1 } as Preset),
  server: Object.freeze({ keepalive: 30, reconnectPeriod: 500, maxReconnectPeriod: 10_000, queueLimit: 10_000, publishQos: 1, subscribeQos: 1 } as Preset),
  browser: Object.freeze({ keepalive: 30, reconnectPeriod: 2000, maxReconnectPeriod: 60_000, queueLimit: 100, publishQos: 0, subscribeQos: 0 } as Preset),
})

/** The preset of that name, or the defaults. */
export function presetFor(name: PresetName | undefined): Preset {
  if (name === undefined) return DEFAULT_PRESET
  const preset = (PRESETS as Record<string, Preset>)[name]
  if (!preset) throw new TypeError(`CloudSignalClient: preset must be one of ${Object.keys(PRESETS).join(', ')}, not ${String(name)}`)
  return preset
}

/**
 * The reconnection policy the client follows (the same as the Python SDK's): `next()` is the wait
 * before the next attempt, `min(max, first * 2^n) * uniform(0.5, 1)` ms; `reset()` after a CONNECT.
 * @example
 * const backoff = new Backoff(1000, 30_000)
 * backoff.next() // 500-1000, then 1000-2000, 2000-4000 ...
 */
export class Backoff {
  attempts = 0

  constructor(readonly first: number, readonly max: number) {}

  next(): number {
    const step = Math.min(this.max, this.first * 2 ** Math.min(this.attempts, 32))
    this.attempts += 1
    return Math.round(step * (0.5 + Math.random() * 0.5))
  }

  reset(): void {
    this.attempts = 0
  }
}
