/**
 * One clock for every plane. It runs with real time but can be moved forward, so that expiries (secrets after
 * three months, sessions, tokens) and propagation delays can be exercised in seconds. Services receive it; nothing
 * else reads the wall clock.
 */
export interface Clock {
  /** Current time in milliseconds since the epoch. */
  nowMs(): number;
  now(): Date;
  /** Current time in whole seconds since the epoch (JWT `iat`/`exp` units). */
  nowSeconds(): number;
  /** Milliseconds the clock runs ahead of wall time. */
  offsetMs(): number;
  advance(seconds: number): void;
  /** Subscribers are told the new offset, so it can be persisted. */
  onChange(listener: (offsetMs: number) => void): void;
}

export class AdjustableClock implements Clock {
  private offset: number;
  private readonly listeners: Array<(offsetMs: number, movedMs: number) => void> = [];

  constructor(
    initialOffsetMs = 0,
    private readonly wall: () => number = Date.now,
  ) {
    this.offset = initialOffsetMs;
  }

  nowMs(): number {
    return this.wall() + this.offset;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  offsetMs(): number {
    return this.offset;
  }

  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError("the clock only moves forward");
    const moved = Math.round(seconds * 1000);
    this.offset += moved;
    for (const listener of this.listeners) listener(this.offset, moved);
  }

  onChange(listener: (offsetMs: number, movedMs: number) => void): void {
    this.listeners.push(listener);
  }

  /** Takes the offset another process set (the store's): listeners are not told, it is not a move of this one. */
  follow(offsetMs: number): void {
    if (Number.isFinite(offsetMs) && offsetMs > this.offset) this.offset = offsetMs;
  }
}
