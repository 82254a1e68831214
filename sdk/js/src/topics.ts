// Topic names and filters: MQTT wildcard matching and the organization prefix of multi tenancy.

/** The organization id of an MQTT username `<name>@<org_id>`. */
export function orgIdOf(username: string): string {
  const at = username.lastIndexOf('@')
  if (at < 1 || at === username.length - 1) {
    throw new TypeError(`"${username}" is not an MQTT username of the form <name>@<org_id>`)
  }
  return username.slice(at + 1)
}

const SHARED = /^\$share\/[^/#+]+\//

/**
 * Adds and strips the `<org_id>/` prefix under which an organization's topics live on the broker
 * with multi tenancy; with single tenancy the prefix is empty and topics pass unchanged.
 */
export class Namespace {
  constructor(readonly prefix: string) {}

  /** A topic name as the broker knows it. */
  topic(topic: string): string {
    return this.prefix + topic
  }

  /** A subscription filter as the broker knows it (`$share/<group>/` stays in front). */
  filter(filter: string): string {
    const shared = SHARED.exec(filter)
    return shared ? shared[0] + this.prefix + filter.slice(shared[0].length) : this.prefix + filter
  }

  /** A received topic as the application wrote it. */
  strip(topic: string): string {
    return this.prefix && topic.startsWith(this.prefix) ? topic.slice(this.prefix.length) : topic
  }
}

/**
 * The `<org_id>/` that client ids of a `<name>@org_...` username carry on the broker ('' for other
 * usernames). Multi tenancy refuses client ids without it; single tenancy takes them as they are,
 * and the REST API shows them without it in both modes, so it is added whatever the tenancy.
 */
export function clientIdPrefix(username: string): string {
  const at = username.lastIndexOf('@')
  const orgId = at < 0 ? '' : username.slice(at + 1)
  return at > 0 && orgId.startsWith('org_') ? `${orgId}/` : ''
}

/** Whether `topic` matches the subscription `filter` (`+`, `#`, `$share/<group>/`). */
export function topicMatches(filter: string, topic: string): boolean {
  const shared = SHARED.exec(filter)
  const levels = (shared ? filter.slice(shared[0].length) : filter).split('/')
  const names = topic.split('/')
  // A filter starting with a wildcard does not match topics starting with '$' (MQTT 4.7.2).
  if (topic.startsWith('$') && (levels[0] === '+' || levels[0] === '#')) return false
  for (let i = 0; i < levels.length; i++) {
    if (levels[i] === '#') return true
    if (i >= names.length) return false
    if (levels[i] !== '+' && levels[i] !== names[i]) return false
  }
  return levels.length === names.length
}
