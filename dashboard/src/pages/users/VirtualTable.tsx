// A table that draws only the rows in view (plus a margin): thousands of rows scroll smoothly.
// Rows keep their place for assistive technology through aria-rowcount / aria-rowindex.
import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'

export interface Column<T> { title: string; cell: (row: T) => ComponentChildren }
const ROW_HEIGHT = 44
const MARGIN = 8

export function VirtualTable<T>({ rows, columns, rowKey, label, empty }: {
  rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string; label: string; empty: string
}) {
  const scroller = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [height, setHeight] = useState(560)
  useEffect(() => {
    const element = scroller.current
    if (!element) return
    const observer = new ResizeObserver(() => setHeight(element.clientHeight || 560))
    observer.observe(element)
    return () => observer.disconnect()
  }, [])
  useEffect(() => { if (scrollTop > rows.length * ROW_HEIGHT) { scroller.current?.scrollTo({ top: 0 }); setScrollTop(0) } }, [rows.length])

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - MARGIN)
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + MARGIN)
  const slice = rows.slice(first, last)
  return (
    <div class="virtual" ref={scroller} tabIndex={0} role="region" aria-label={`${label}, scrollable`}
      onScroll={(event) => setScrollTop((event.currentTarget as HTMLDivElement).scrollTop)}>
      <table aria-rowcount={rows.length + 1} aria-label={label}>
        <thead>
          <tr aria-rowindex={1}>{columns.map((column) => <th scope="col" key={column.title}>{column.title}</th>)}</tr>
        </thead>
        <tbody>
          {first > 0 ? <tr class="spacer" aria-hidden="true"><td colSpan={columns.length} style={{ height: `${first * ROW_HEIGHT}px` }} /></tr> : null}
          {slice.map((row, offset) => (
            <tr key={rowKey(row)} aria-rowindex={first + offset + 2} class="row">
              {columns.map((column) => <td key={column.title}>{column.cell(row)}</td>)}
            </tr>
          ))}
          {last < rows.length ? <tr class="spacer" aria-hidden="true"><td colSpan={columns.length} style={{ height: `${(rows.length - last) * ROW_HEIGHT}px` }} /></tr> : null}
          {rows.length === 0 ? <tr><td colSpan={columns.length} class="empty">{empty}</td></tr> : null}
        </tbody>
      </table>
    </div>
  )
}
