// The live topic viewer's connection, loaded only when the Messages page starts viewing (MQTT.js
// is most of the console's weight). Credentials are minted for the viewer (POST /v2/tokens):
// temporary, expiring, with the organization's rules plus the chosen rule set; they are minted
// again before they expire.
import { CloudSignalClient, type ReceivedMessage } from '@cloudsignal/sdk'
import type { CloudSignalApi } from '@cloudsignal/sdk'

export interface ViewerMessage { id: number; at: number; topic: string; text: string; qos: number; retain: boolean; properties: unknown }
export interface ViewerEvents {
  onMessage: (message: ViewerMessage) => void
  onState: (state: string) => void
  onError: (error: unknown) => void
  onCredentials: (username: string, expiresAt: string) => void
}

const TTL_SECONDS = 3600
let sequence = 0

async function brokerUrl(): Promise<URL> {
  const reply = await fetch('/dashboard/config.json', { cache: 'no-store' })
  const config = await reply.json() as { mqtt_url: string }
  return new URL(config.mqtt_url)
}

export class Viewer {
  private client: CloudSignalClient | null = null
  private renewal: ReturnType<typeof setTimeout> | undefined
  private stopped = false

  constructor(private readonly api: CloudSignalApi, private readonly filter: string,
              private readonly ruleSet: string | null, private readonly events: ViewerEvents) {}

  async start(): Promise<void> {
    const url = await brokerUrl()
    const credentials = await this.api.tokens.create({ user_id: 'console-viewer', ttl: TTL_SECONDS, acl_set: this.ruleSet })
    if (this.stopped) return
    this.events.onCredentials(credentials.mqtt_username, String(credentials.expires_at))
    const client = new CloudSignalClient({
      host: url.hostname, port: Number(url.port) || (url.protocol === 'wss:' ? 443 : 80),
      protocol: url.protocol === 'wss:' ? 'wss' : 'ws', path: url.pathname || '/mqtt',
      username: credentials.mqtt_username, password: credentials.mqtt_password!,
      tenancy: credentials.tenancy as 'single' | 'multi', reconnectPeriod: 2000, autoConnect: false,
      // MQTT.js would run its keep-alive timer in a worker made from a blob: URL, which the CSP refuses.
      mqttOptions: { timerVariant: 'native' },
    })
    this.client = client
    client.on('connect', () => this.events.onState('connected'))
    client.on('offline', () => this.events.onState('offline, reconnecting'))
    client.on('authError', () => { if (!this.stopped) void this.restart() }) // expired: mint again
    client.on('error', (error) => this.events.onError(error))
    await client.connect()
    await client.subscribe(this.filter, (topic: string, _value: unknown, packet: ReceivedMessage) => {
      this.events.onMessage({ id: ++sequence, at: Date.now(), topic, text: packet.text, qos: packet.qos, retain: packet.retain, properties: packet.properties })
    }, { qos: 1 })
    this.events.onState(`subscribed to ${this.filter}`)
    clearTimeout(this.renewal)
    this.renewal = setTimeout(() => void this.restart(), TTL_SECONDS * 800) // at 80% of the lifetime
  }

  private async restart(): Promise<void> {
    const old = this.client
    this.client = null
    clearTimeout(this.renewal)
    await old?.disconnect().catch(() => {})
    if (!this.stopped) await this.start().catch((error) => this.events.onError(error))
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.renewal)
    const client = this.client
    this.client = null
    await client?.disconnect().catch(() => {})
  }
}
