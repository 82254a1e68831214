// MQTT topic names and filters: the two relations access decisions need, as the service
// (events/topics.py) and the broker plugin define them.

/** True when every topic that `subject` matches is also matched by the filter `pattern`. */
export function covers(pattern: string, subject: string): boolean {
  const p = pattern.split('/')
  const s = subject.split('/')
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true // also covers the parent level itself, as MQTT's '#' does
    if (i >= s.length || s[i] === '#') return false
    if (p[i] !== '+' && p[i] !== s[i]) return false
  }
  return p.length === s.length
}

/** True when some topic is matched by both filters. */
export function overlaps(first: string, second: string): boolean {
  const a = first.split('/')
  const b = second.split('/')
  for (let i = 0; ; i++) {
    const aDone = i === a.length
    const bDone = i === b.length
    if (aDone && bDone) return true
    if ((!aDone && a[i] === '#') || (!bDone && b[i] === '#')) return true
    if (aDone || bDone) return false
    if (a[i] !== b[i] && a[i] !== '+' && b[i] !== '+') return false
  }
}

/** Why `topic` is not a valid topic name (wildcards false) or filter (true), or null. */
export function topicError(topic: string, wildcards: boolean): string | null {
  if (topic === '') return 'must not be empty'
  if (topic.startsWith('$')) return "topics starting with '$' are reserved for the broker"
  const levels = topic.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!
    if ((level.includes('#') || level.includes('+')) && !wildcards) return "wildcards '+' and '#' are not allowed in a topic name"
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return "'#' must be a whole level and the last one"
    if (level.includes('+') && level !== '+') return "'+' must be a whole level"
  }
  return null
}
