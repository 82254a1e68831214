// Subscriptions and their acknowledgements: what the client keeps per filter, how a SUBACK
// settles the callers waiting on it, and which subscriptions a message belongs to.
import type { IPublishPacket, ISubscriptionGrant } from 'mqtt'
import type { MessageHandler, QoS, SubscribeOptions, SubscriptionGrant } from './client-types.js'
import { CloudSignalError, MqttError, mqttReason } from './errors.js'
import { topicMatches } from './topics.js'

export interface Subscription {
  filter: string
  id: number
  options: SubscribeOptions
  handlers: Set<MessageHandler>
  acked: boolean
  waiters: Array<{ resolve: (grant: SubscriptionGrant) => void; reject: (error: CloudSignalError) => void }>
}

/** An MQTT.js failure as a typed error: the reason code's name when it carries one. */
export function asMqttError(error: Error & { code?: unknown }, message: string): CloudSignalError {
  if (error instanceof CloudSignalError) return error
  if (typeof error.code === 'number') {
    const reason = mqttReason(error.code)
    return new MqttError(`${message}: ${reason}`, { code: reason, reasonCode: error.code, cause: error })
  }
  const code = typeof error.code === 'string' ? error.code.toLowerCase() : 'mqtt_error'
  return new MqttError(`${message}: ${error.message}`, { code, cause: error })
}

/**
 * Settle the callers waiting on `subscription` from its SUBACK. Returns the failure when the
 * broker refused it (the caller forgets the filter, so that it is not retried at every reconnect).
 */
export function settleSuback(subscription: Subscription, error: Error | null,
                             granted: ISubscriptionGrant[] | undefined): CloudSignalError | undefined {
  // A refusal arrives as an error carrying the SUBACK (MQTT.js's ErrorWithSubackPacket).
  const refused = (error as { packet?: { granted?: number[] } } | null)?.packet?.granted?.[0]
  const code = refused ?? granted?.[0]?.qos
  let failure: CloudSignalError | undefined
  if (error && refused === undefined) failure = asMqttError(error, `subscribe to ${subscription.filter} failed`)
  else if (code === undefined || code >= 0x80) {
    const reasonCode = code ?? 0x80
    failure = new MqttError(`subscribe to ${subscription.filter} refused: ${mqttReason(reasonCode)}`,
      { code: mqttReason(reasonCode), reasonCode })
  }
  if (failure) {
    for (const waiter of subscription.waiters.splice(0)) waiter.reject(failure)
    return failure
  }
  subscription.acked = true
  for (const waiter of subscription.waiters.splice(0)) {
    waiter.resolve({ filter: subscription.filter, qos: code as QoS })
  }
  return undefined
}

/** The subscriptions a message belongs to: by subscription identifier when the broker sent known ones, else by filter. */
export function matchingSubscriptions(subscriptions: Iterable<Subscription>, topic: string,
                                      packet: IPublishPacket): Subscription[] {
  const ids = packet.properties?.subscriptionIdentifier
  const wanted = new Set(Array.isArray(ids) ? ids : ids === undefined ? [] : [ids])
  const all = [...subscriptions]
  const byId = all.filter((subscription) => wanted.has(subscription.id))
  return byId.length > 0 ? byId : all.filter((subscription) => topicMatches(subscription.filter, topic))
}
