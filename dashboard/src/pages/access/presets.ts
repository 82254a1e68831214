// Starting points for rule sets and the organization's rules.
import type { RuleAction, Permission } from '../../lib/acl.js'

export interface PresetRule { topic: string; action: RuleAction; permission: Permission; priority?: number; user?: string }
export interface Preset { id: string; name: string; description: string; rules: PresetRule[] }

export const PRESETS: Preset[] = [
  { id: 'permit-all', name: 'Permit all', description: 'Publish and subscribe anywhere in the namespace (development, trusted services).',
    rules: [{ topic: '#', action: 'both', permission: 'allow' }] },
  { id: 'notifications', name: 'Notifications', description: 'Each user reads its own inbox and the broadcasts, and acknowledges.',
    rules: [
      { topic: 'notifications/{username}/#', action: 'subscribe', permission: 'allow' },
      { topic: 'notifications/broadcast/#', action: 'subscribe', permission: 'allow' },
      { topic: 'notifications/{username}/ack', action: 'publish', permission: 'allow' },
    ] },
  { id: 'agent-pipelines', name: 'Agent pipelines', description: 'Agents own their topics, take tasks and post results; nobody reads another agent’s state.',
    rules: [
      { topic: 'agents/{username}/#', action: 'both', permission: 'allow' },
      { topic: 'pipelines/+/tasks', action: 'subscribe', permission: 'allow' },
      { topic: 'pipelines/+/results', action: 'publish', permission: 'allow' },
      { topic: 'agents/+/secrets/#', action: 'both', permission: 'deny', priority: 10 },
    ] },
  { id: 'chat-channels', name: 'Chat channels', description: 'Rooms anyone may read and post to; presence per user.',
    rules: [
      { topic: 'chat/rooms/+/messages', action: 'both', permission: 'allow' },
      { topic: 'chat/presence/{username}', action: 'publish', permission: 'allow' },
      { topic: 'chat/presence/+', action: 'subscribe', permission: 'allow' },
    ] },
  { id: 'blank', name: 'Blank', description: 'No rules: everything is denied until you add some.', rules: [] },
]
