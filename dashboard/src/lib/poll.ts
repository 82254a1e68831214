// Live figures by polling: one request per interval while the tab is visible, none while it is
// hidden. Polling holds no server thread between requests (unlike an open event stream), so many
// open consoles cost the API a few small requests per second in all.
import { useEffect, useRef } from 'preact/hooks'

export function usePolling(task: () => Promise<void> | void, intervalMs: number, deps: unknown[] = []): void {
  const latest = useRef(task)
  latest.current = task
  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const run = async () => {
      if (stopped) return
      if (document.visibilityState === 'visible') {
        try { await latest.current() } catch { /* shown by the task itself */ }
      }
      if (!stopped) timer = setTimeout(run, intervalMs)
    }
    const wake = () => {
      if (document.visibilityState === 'visible' && !stopped) { clearTimeout(timer); void run() }
    }
    void run()
    document.addEventListener('visibilitychange', wake)
    return () => {
      stopped = true
      clearTimeout(timer)
      document.removeEventListener('visibilitychange', wake)
    }
  }, deps) // eslint-disable-line react-hooks/exhaustive-deps
}
