/** An event map: event name to listener signature. */
type EventMap<Events> = { [E in keyof Events]: (...args: any[]) => void }

/**
 * A small event emitter whose events and listener arguments are typed by a map, with no Node
 * import so that it runs in browsers unchanged. A listener that throws does not stop the others.
 * @example
 * const events = new TypedEmitter<{ ready: (at: Date) => void }>()
 * events.on('ready', (at) => console.log(at.toISOString()))
 */
export class TypedEmitter<Events extends EventMap<Events>> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>()

  /** Call `listener` on every `event`; returns a function that removes it. */
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => this.off(event, listener)
  }

  /** Call `listener` on the next `event` only. */
  once<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const wrapper = ((...args: Parameters<Events[E]>) => {
      this.off(event, wrapper)
      listener(...args)
    }) as Events[E]
    return this.on(event, wrapper)
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    this.listeners.get(event)?.delete(listener)
  }

  listenerCount<E extends keyof Events>(event: E): number {
    return this.listeners.get(event)?.size ?? 0
  }

  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(...args)
      } catch (error) {
        // A faulty listener must not break the client's own bookkeeping; report it out of band.
        setTimeout(() => {
          throw error
        })
      }
    }
  }
}
