// Reads a text/event-stream over real HTTP, the way a browser's EventSource would receive it.
export interface EventStreamReader {
  status: number
  headers: Headers
  /** Everything received so far. */
  text(): string
  /** Reads until the received text satisfies pred (or fails after ms). */
  until(pred: (text: string) => boolean, ms?: number): Promise<string>
  close(): void
}

export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
  const ctrl = new AbortController()
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ctrl.signal })
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined
  return {
    status: res.status,
    headers: res.headers,
    text: () => text,
    async until(pred, ms = 5_000) {
      const deadline = Date.now() + ms
      while (!pred(text)) {
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`event stream: condition not met within ${ms} ms; got:\n${text}`)
        pending ??= reader.read()
        const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left))
        const result = await Promise.race([pending, timeout])
        if (result === 'timeout') continue
        pending = undefined
        if (result.done) throw new Error(`event stream ended; got:\n${text}`)
        text += decoder.decode(result.value, { stream: true })
      }
      return text
    },
    close() {
      ctrl.abort()
    },
  }
}

/** The data of every event of this name, parsed. */
export function eventsNamed(text: string, name: string): unknown[] {
  return text
    .split('\n\n')
    .map((block) => block.split('\n'))
    .filter((lines) => lines.includes(`event: ${name}`))
    .map((lines) => JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice('data: '.length)))
}
