// Temporary credentials from token exchange, kept alive for a CloudSignalClient.
import type { CloudSignalApi } from './api.js'
import type { CloudSignalClientEvents } from './client-types.js'
import { APIError, AuthenticationError, CloudSignalError, MqttError } from './errors.js'
import type { Credentials } from './types.js'

/** What the refresher needs of the client. */
export interface CredentialUser {
  useCredentials(username: string, password: string, reconnect: boolean): void
  notify<E extends keyof CloudSignalClientEvents>(event: E, ...args: Parameters<CloudSignalClientEvents[E]>): void
}

/**
 * Keeps temporary credentials alive: refreshes them at `refreshAt` of their lifetime, and
 * exchanges the token again when they lapsed or the broker refused them.
 */
export class CredentialRefresher {
  private timer: ReturnType<typeof setTimeout> | undefined
  private expiresAt: number
  private lifetime: number
  private stopped = false

  constructor(private readonly client: CredentialUser, private readonly api: CloudSignalApi,
              private readonly exchange: () => Promise<Credentials>, private credentials: Credentials,
              private readonly refreshAt: number) {
    this.lifetime = credentials.expires_in * 1000
    this.expiresAt = Date.now() + this.lifetime
    this.schedule(this.lifetime * refreshAt)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  resume(): void {
    if (!this.stopped) return
    this.stopped = false
    this.schedule(Math.max(0, this.expiresAt - this.lifetime * (1 - this.refreshAt) - Date.now()))
  }

  /** The broker refused the credentials: exchange the token again and reconnect. */
  onAuthError(): void {
    if (this.stopped) return
    clearTimeout(this.timer)
    void this.renew()
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer)
    if (this.stopped) return
    this.timer = setTimeout(() => void this.refresh(), delay)
  }

  private async refresh(): Promise<void> {
    const password = this.credentials.mqtt_password ?? ''
    try {
      const refreshed = await this.api.tokens.refresh({ mqtt_username: this.credentials.mqtt_username, mqtt_password: password })
      this.credentials = { ...refreshed, mqtt_password: password }
      this.lifetime = refreshed.expires_in * 1000
      this.expiresAt = Date.now() + this.lifetime
      this.client.notify('credentials', this.credentials)
      this.schedule(this.lifetime * this.refreshAt)
    } catch (error) {
      if (error instanceof AuthenticationError) return this.renew()
      this.client.notify('error', error instanceof CloudSignalError ? error
        : new MqttError(`refreshing the credentials failed: ${String(error)}`, { code: 'refresh_failed', cause: error }))
      const left = this.expiresAt - Date.now()
      if (left > 2000) this.schedule(Math.min(5000, left / 2))
      else await this.renew()
    }
  }

  private async renew(): Promise<void> {
    if (this.stopped) return
    try {
      this.credentials = await this.exchange()
      this.lifetime = this.credentials.expires_in * 1000
      this.expiresAt = Date.now() + this.lifetime
      this.client.useCredentials(this.credentials.mqtt_username, this.credentials.mqtt_password ?? '', true)
      this.client.notify('credentials', this.credentials)
      this.schedule(this.lifetime * this.refreshAt)
    } catch (error) {
      this.client.notify('error', error instanceof CloudSignalError ? error
        : new MqttError(`exchanging the token failed: ${String(error)}`, { code: 'exchange_failed', cause: error }))
      // A refused token stays refused; anything else (network, 429, 5xx) is worth another try.
      const refused = error instanceof APIError && error.status < 500 && error.status !== 429
      if (!refused) this.schedule(5000)
    }
  }
}
