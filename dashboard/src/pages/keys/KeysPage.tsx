// Keys and providers: API keys (secret shown once with a copy button; rotate; revoke), and the
// identity providers whose tokens exchange for temporary MQTT credentials, with a test exchange.
import { can } from '../../lib/session.js'
import { PageHeader } from '../../components/ui.js'
import { ApiKeys } from './ApiKeys.js'
import { Providers } from './Providers.js'

export function KeysPage() {
  return (
    <div>
      <PageHeader title="Keys & providers" />
      {can('keys:read') ? <ApiKeys /> : null}
      {can('organization:read') ? <Providers /> : null}
    </div>
  )
}
