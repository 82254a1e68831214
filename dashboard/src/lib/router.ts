// Pages live under /dashboard/<page>; the service answers every such path with index.html.
import { signal } from './signal.js'

export const BASE = '/dashboard/'
export const path = signal(currentPage())

function currentPage(): string {
  const rest = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : ''
  return rest.replace(/\/+$/, '')
}

export function navigate(page: string): void {
  if (page === path.value) return
  history.pushState(null, '', BASE + page)
  path.value = page
}

addEventListener('popstate', () => { path.value = currentPage() })

/** A click handler for in-app links: plain clicks navigate without reloading. */
export function linkTo(page: string) {
  return (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(page)
  }
}
