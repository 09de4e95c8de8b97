import type { Tx } from '../db/database'

export interface NotificationInput {
  app: string
  userId: string
  /** e.g. 'project_request.received' */
  type: string
  title: string
  body?: string
  data?: Record<string, unknown>
}

export interface RealtimeEvent {
  app: string
  userId: string
  type: string
  data: Record<string, unknown>
}

export interface Notifier {
  /** Stores a notification in <app>.notifications within tx and publishes it on commit. */
  notify(tx: Tx, n: NotificationInput): Promise<string>
  /** Publishes a realtime event (delivered when tx commits). */
  publish(tx: Tx, event: RealtimeEvent): Promise<void>
  /** Receives a user's realtime events; returns unsubscribe. */
  subscribe(app: string, userId: string, onEvent: (e: RealtimeEvent) => void): Promise<() => Promise<void>>
}
