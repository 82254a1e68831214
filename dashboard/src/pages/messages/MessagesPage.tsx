// Messages: a publish console (POST /v2/publish: topic, payload, QoS, retain, MQTT 5 properties)
// and a live topic viewer over MQTT/WebSockets with credentials minted for it.
import type { PublishResult, RuleSet } from '@cloudsignal/sdk'
import { useEffect, useRef, useState } from 'preact/hooks'
import { Button, Checkbox, ErrorNotice, Field, Notice, PageHeader, ReadOnly, Section, SelectField, TextField, useAction } from '../../components/ui.js'
import { errorText } from '../../lib/format.js'
import type { Viewer, ViewerMessage } from '../../lib/mqtt.js'
import { api, can } from '../../lib/session.js'

export function MessagesPage() {
  return (
    <div>
      <PageHeader title="Messages" />
      <div class="grid-2 messages-layout">
        {can('publish') ? <PublishConsole /> : <Section title="Publish" id="publish"><ReadOnly scope="publish" /></Section>}
        {can('tokens:create') ? <TopicViewer /> : <Section title="Live topic viewer" id="viewer"><ReadOnly scope="tokens:create" /></Section>}
      </div>
    </div>
  )
}

function parseUserProperties(text: string): Record<string, string> | undefined {
  const entries = text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const at = line.indexOf('=')
    if (at < 1) throw new Error(`User property "${line}" is not key=value`)
    return [line.slice(0, at).trim(), line.slice(at + 1).trim()] as [string, string]
  })
  return entries.length ? Object.fromEntries(entries) : undefined
}

function PublishConsole() {
  const [topic, setTopic] = useState('')
  const [payload, setPayload] = useState('')
  const [format, setFormat] = useState<'text' | 'json'>('text')
  const [qos, setQos] = useState<'0' | '1' | '2'>('1')
  const [retain, setRetain] = useState(false)
  const [contentType, setContentType] = useState('')
  const [expiry, setExpiry] = useState('')
  const [responseTopic, setResponseTopic] = useState('')
  const [correlation, setCorrelation] = useState('')
  const [userProperties, setUserProperties] = useState('')
  const [result, setResult] = useState<PublishResult | null>(null)
  const publish = useAction(async () => {
    setResult(null)
    let value: unknown = payload
    if (format === 'json') {
      try { value = JSON.parse(payload) } catch (error) { throw new Error(`The payload is not JSON: ${errorText(error)}`) }
    }
    const properties = {
      ...(contentType ? { content_type: contentType } : {}),
      ...(expiry ? { message_expiry_interval: Number(expiry) } : {}),
      ...(responseTopic ? { response_topic: responseTopic } : {}),
      ...(correlation ? { correlation_data: correlation } : {}),
      ...(parseUserProperties(userProperties) ? { user_properties: parseUserProperties(userProperties) } : {}),
    }
    setResult(await api().publish({ topic: topic.trim(), payload: value as string, qos: Number(qos) as 0 | 1 | 2, retain, properties }))
  })
  return (
    <Section title="Publish" id="publish">
      <form class="form" onSubmit={(event) => { event.preventDefault(); void publish.run() }}>
        <TextField label="Topic" value={topic} onInput={setTopic} required mono placeholder="sensors/room-1/temperature" />
        <Field label="Payload">
          {(id) => <textarea id={id} class="mono" rows={4} value={payload} onInput={(event) => setPayload((event.currentTarget as HTMLTextAreaElement).value)} />}
        </Field>
        <div class="grid-3">
          <SelectField label="Payload is" value={format} options={[['text', 'Text'], ['json', 'JSON']] as ['text' | 'json', string][]} onChange={setFormat} />
          <SelectField label="QoS" value={qos} options={[['0', '0 · at most once'], ['1', '1 · at least once'], ['2', '2 · exactly once']] as ['0' | '1' | '2', string][]} onChange={setQos} />
          <div class="field field-check"><Checkbox label="Retain" checked={retain} onChange={setRetain} /></div>
        </div>
        <details class="properties">
          <summary>MQTT 5 properties</summary>
          <div class="grid-2">
            <TextField label="Content type" value={contentType} onInput={setContentType} placeholder="application/json" />
            <TextField label="Message expiry (seconds)" type="number" value={expiry} onInput={setExpiry} />
            <TextField label="Response topic" value={responseTopic} onInput={setResponseTopic} mono />
            <TextField label="Correlation data" value={correlation} onInput={setCorrelation} mono />
          </div>
          <Field label="User properties (key=value, one a line)">
            {(id) => <textarea id={id} class="mono" rows={2} value={userProperties} onInput={(event) => setUserProperties((event.currentTarget as HTMLTextAreaElement).value)} />}
          </Field>
        </details>
        <ErrorNotice error={publish.error} />
        {result ? <Notice kind="success">Published to {result.topic} (QoS {result.qos}{result.retain ? ', retained' : ''}){result.acknowledged ? ', acknowledged by the broker' : ''}.</Notice> : null}
        <div class="form-actions"><Button kind="primary" type="submit" busy={publish.busy}>Publish</Button></div>
      </form>
    </Section>
  )
}

const KEEP = 200

function TopicViewer() {
  const [filter, setFilter] = useState('#')
  const [ruleSet, setRuleSet] = useState('')
  const [ruleSets, setRuleSets] = useState<RuleSet[]>([])
  const [state, setState] = useState('stopped')
  const [who, setWho] = useState<string | null>(null)
  const [messages, setMessages] = useState<ViewerMessage[]>([])
  const [error, setError] = useState<unknown>(null)
  const viewer = useRef<Viewer | null>(null)

  useEffect(() => {
    if (can('acl:read')) void api().acl.ruleSets.list({ limit: 500 }).then((page) => setRuleSets(page.data)).catch(() => {})
    return () => { void viewer.current?.stop() }
  }, [])

  const start = async () => {
    setError(null)
    setState('connecting')
    await viewer.current?.stop()
    try {
      const { Viewer } = await import('../../lib/mqtt.js')
      const next = new Viewer(api(), filter.trim(), ruleSet || null, {
        onMessage: (message) => setMessages((list) => [message, ...list].slice(0, KEEP)),
        onState: setState,
        onError: (caught) => setError(caught),
        onCredentials: (username, expires) => setWho(`${username}, expires ${new Date(expires).toLocaleTimeString()}`),
      })
      viewer.current = next
      await next.start()
    } catch (caught) {
      setError(caught)
      setState('stopped')
      await viewer.current?.stop()
      viewer.current = null
    }
  }
  const stop = async () => {
    await viewer.current?.stop()
    viewer.current = null
    setState('stopped')
  }

  const running = state !== 'stopped'
  return (
    <Section title="Live topic viewer" id="viewer">
      <p class="muted small">Subscribes over MQTT/WebSockets with temporary credentials minted for this viewer: they get the
        organization’s rules plus the rule set chosen here, so the broker decides what it may see.</p>
      <form class="form" onSubmit={(event) => { event.preventDefault(); void start() }}>
        <div class="grid-2">
          <TextField label="Subscription filter" value={filter} onInput={setFilter} required mono />
          {ruleSets.length ? (
            <SelectField label="Viewer's rule set" value={ruleSet} onChange={setRuleSet}
              options={[['', 'None (organization rules only)'] as [string, string], ...ruleSets.map((set) => [set.name, set.name] as [string, string])]} />
          ) : <TextField label="Viewer's rule set (optional)" value={ruleSet} onInput={setRuleSet} />}
        </div>
        <div class="form-actions">
          <Button kind="primary" type="submit" busy={state === 'connecting'}>{running ? 'Restart viewer' : 'Start viewing'}</Button>
          {running ? <Button onClick={() => void stop()}>Stop</Button> : null}
          <Button onClick={() => setMessages([])}>Clear</Button>
        </div>
      </form>
      <p class="small" aria-live="polite" id="viewer-state">Viewer: {state}{who && running ? ` · as ${who}` : ''}</p>
      <ErrorNotice error={error} />
      <ol class="messages" aria-label="Received messages" aria-live="polite">
        {messages.map((message) => (
          <li key={message.id} class="message">
            <div class="message-head">
              <code class="topic">{message.topic}</code>
              <span class="muted small">{new Date(message.at).toLocaleTimeString()} · QoS {message.qos}{message.retain ? ' · retained' : ''}</span>
            </div>
            <pre class="payload">{message.text.length > 2000 ? message.text.slice(0, 2000) + '…' : message.text}</pre>
          </li>
        ))}
        {messages.length === 0 ? <li class="empty">{running ? 'Waiting for messages…' : 'Start the viewer to see messages.'}</li> : null}
      </ol>
    </Section>
  )
}
