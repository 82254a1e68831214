import type { Page } from './types.js'

/**
 * A list request: `await` it for one page, or `for await` over it for every item of every page
 * (following `next_cursor`). Nothing is fetched until one of the two happens.
 * @example
 * const first = await api.users.list({ limit: 100 })      // { data, next_cursor }
 * for await (const user of api.users.list()) console.log(user.username)
 * const all = await api.users.list().toArray()
 */
export class PageRequest<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  private first: Promise<Page<T>> | undefined

  constructor(private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
              private readonly cursor: string | undefined = undefined) {}

  then<A = Page<T>, B = never>(onFulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null,
                               onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    this.first ??= this.fetchPage(this.cursor)
    return this.first.then(onFulfilled, onRejected)
  }

  /** Every page, the first included. */
  async *pages(): AsyncGenerator<Page<T>> {
    let page: Page<T> = await (this as PromiseLike<Page<T>>)
    yield page
    while (page.next_cursor) {
      page = await this.fetchPage(page.next_cursor)
      yield page
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.pages()) yield* page.data
  }

  /** Every item of every page, in one array. */
  async toArray(): Promise<T[]> {
    const items: T[] = []
    for await (const item of this) items.push(item)
    return items
  }
}
