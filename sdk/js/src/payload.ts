// Payloads: what `publish` accepts and what subscribers receive.

/**
 * What `publish` sends: a string as UTF-8, bytes as they are, any other value JSON-encoded.
 * @example
 * const payload: PublishPayload = { status: 'idle', load: 0.12 } // sent as '{"status":"idle","load":0.12}'
 */
export type PublishPayload = string | Uint8Array | object | number | boolean | null

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodePayload(payload: PublishPayload): string | Uint8Array {
  if (typeof payload === 'string' || payload instanceof Uint8Array) return payload
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload)
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)
  return JSON.stringify(payload)
}

export function payloadBytes(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? encoder.encode(payload) : payload
}

/**
 * A received payload as a value: the parsed JSON if the text is JSON, else the text. A parsed
 * object or array gets a non-enumerable `toString` giving back the original text, so that
 * `${message}` prints the payload rather than "[object Object]".
 */
export function decodePayload(bytes: Uint8Array): { text: string; value: unknown } {
  const text = decoder.decode(bytes)
  let value: unknown = text
  if (text.length > 0 && /^\s*[[{"\d\-tfn]/.test(text)) {
    try {
      value = JSON.parse(text)
    } catch {
      value = text
    }
  }
  if (typeof value === 'object' && value !== null) {
    Object.defineProperty(value, 'toString', { value: () => text, enumerable: false, configurable: true, writable: true })
  }
  return { text, value }
}
