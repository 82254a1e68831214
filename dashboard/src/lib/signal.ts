// A value that components follow: set `.value` and every component reading it with `useValue`
// renders again. (The console's only shared state: who is signed in, the current page.)
import { useEffect, useState } from 'preact/hooks'

export interface Signal<T> {
  value: T
  subscribe(listener: (value: T) => void): () => void
}

export function signal<T>(initial: T): Signal<T> {
  let value = initial
  const listeners = new Set<(value: T) => void>()
  return {
    get value() { return value },
    set value(next: T) {
      if (Object.is(next, value)) return
      value = next
      for (const listener of [...listeners]) listener(value)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

export function useValue<T>(source: Signal<T>): T {
  const [, setTick] = useState(0)
  useEffect(() => source.subscribe(() => setTick((tick) => tick + 1)), [source])
  return source.value
}
