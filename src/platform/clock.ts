// Time is injected so that expiry rules can be tested without waiting.
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private t: number
  constructor(start: Date | string = new Date()) {
    this.t = new Date(start).getTime()
  }
  now() {
    return new Date(this.t)
  }
  set(at: Date | string) {
    this.t = new Date(at).getTime()
  }
  advance(ms: number) {
    this.t += ms
  }
}

export const HOUR = 3_600_000
export const DAY = 24 * HOUR
export const addMs = (d: Date, ms: number) => new Date(d.getTime() + ms)
