// A time-series chart (uPlot: canvas, small, fast) with its figures also as a table for screen
// readers and keyboards.
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface Series { label: string; values: (number | null)[]; color: string; bars?: boolean }

export function Chart({ title, times, series, height = 180 }: { title: string; times: number[]; series: Series[]; height?: number }) {
  const holder = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const shape = series.map((s) => `${s.label}:${s.bars ? 'b' : 'l'}`).join('|')

  useEffect(() => {
    const element = holder.current
    if (!element) return
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(127,127,127,0.15)' }, ticks: { stroke: 'rgba(127,127,127,0.3)' } },
        { stroke: 'currentColor', grid: { stroke: 'rgba(127,127,127,0.15)' }, ticks: { stroke: 'rgba(127,127,127,0.3)' }, size: 48 },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label, stroke: s.color, width: 2,
          ...(s.bars ? { fill: s.color + '55', paths: uPlot.paths.bars!({ size: [0.7, 40] }) } : {}),
        })),
      ],
    }
    plot.current = new uPlot(options, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, element)
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, element.clientWidth), height }))
    resize.observe(element)
    return () => {
      resize.disconnect()
      plot.current?.destroy()
      plot.current = null
    }
  }, [shape, height])

  useEffect(() => {
    plot.current?.setData([times, ...series.map((s) => s.values)] as uPlot.AlignedData)
  }, [times, series])

  const last = times.length - 1
  const summary = series.map((s) => `${s.label}: ${s.values[last] ?? 0}`).join(', ')
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={holder} class="chart-canvas" role="img" aria-label={`${title}. Latest: ${summary}`} />
      <details>
        <summary>Show the figures</summary>
        <div class="table-scroll" tabIndex={0}>
          <table>
            <caption class="visually-hidden">{title}</caption>
            <thead><tr><th scope="col">Time</th>{series.map((s) => <th scope="col" key={s.label}>{s.label}</th>)}</tr></thead>
            <tbody>
              {times.map((time, index) => (
                <tr key={time}>
                  <td>{new Date(time * 1000).toLocaleTimeString()}</td>
                  {series.map((s) => <td key={s.label}>{s.values[index] ?? 0}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  )
}
