// What the tests against the edge (TLS) share. tests/edge/test_edge_js.py starts the stack behind
// Debian's nginx with a local CA's certificate (broker-config/make-tls.sh) and passes CS_EDGE_*.
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { env } from './support.js'

export const edgeHttpsUrl = (): string => env('CS_EDGE_HTTPS_URL')
export const edgeWssPort = (): number => Number(env('CS_EDGE_WSS_PORT'))
/** The test CA that signed the edge's certificate, and another CA that did not. */
export const caPem = (): string => readFileSync(env('CS_CA_FILE'), 'utf8')
export const wrongCaPem = (): string => readFileSync(env('CS_WRONG_CA_FILE'), 'utf8')

/** POST /v2/publish through the edge over https, the certificate verified against the test CA. */
export function publishOverHttps(topic: string, payload: unknown): Promise<{ status: number; body: any }> {
  const body = JSON.stringify({ topic, payload, qos: 1 })
  return new Promise((resolve, reject) => {
    const call = request(`${edgeHttpsUrl()}/v2/publish`, {
      method: 'POST', ca: caPem(), timeout: 10_000,
      headers: { Authorization: `Bearer ${env('CS_SECRET_KEY')}`, 'Content-Type': 'application/json' },
    }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined })
      })
    })
    call.on('timeout', () => call.destroy(new Error('POST /v2/publish timed out')))
    call.on('error', reject)
    call.end(body)
  })
}
