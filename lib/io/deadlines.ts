/**
 * Many deadlines of one length (every connecting task's connect limit) on one Node timer. Added
 * in time order, they fall due in the same order, so a queue and one timer for its first item do
 * what a timer each would, without a Timeout object and a closure per item (about 250 bytes per
 * connection, alive for the whole connect).
 */
import { performance } from 'node:perf_hooks';
// Node's timers, whose Timeout can be unref'd, also where the global setTimeout returns a number (Deno).
import { setTimeout } from 'node:timers';

export class DeadlineQueue<T extends object> {
  /** Items in slots head..tail-1, each with its due time; a cancelled one is left as null. */
  private readonly items: (T | null)[] = [];
  private readonly due: number[] = [];
  private head = 0;
  private tail = 0;
  /** The ticket of slot 0: tickets count every item ever added. */
  private base = 0;
  private live = 0;
  /**
   * Armed for the first item's due time (or earlier). Never cleared: with nothing left to wait
   * for it is unref'd (it keeps no process alive) and, when it fires, finds nothing.
   */
  private timer: NodeJS.Timeout | undefined = undefined;

  /** `expire` is called with each item whose `length` ms ran out before it was cancelled. */
  constructor(readonly length: number, private readonly expire: (item: T) => void) {}

  /** Nothing is waiting. */
  get idle(): boolean {
    return this.live === 0;
  }

  /** Whether its timer holds the process open now (only while an item waits). */
  get keepsProcessAlive(): boolean {
    return this.timer?.hasRef() ?? false;
  }

  /** Adds an item due `length` ms from now; returns the ticket that cancels it. */
  add(item: T): number {
    if (this.tail === this.items.length && this.head > this.tail >>> 1) this.compact();
    const slot = this.tail++;
    // Slots are reused, not truncated: the arrays keep their size between busy moments.
    if (slot === this.items.length) {
      this.items.push(item);
      this.due.push(performance.now() + this.length);
    } else {
      this.items[slot] = item;
      this.due[slot] = performance.now() + this.length;
    }
    if (this.live++ === 0) {
      // Every earlier item was due before this one: a timer still pending fires in time.
      if (this.timer === undefined) this.arm(this.length);
      else this.timer.ref();
    }
    return this.base + slot;
  }

  cancel(ticket: number): void {
    const slot = ticket - this.base;
    if (slot < this.head || slot >= this.tail || this.items[slot] === null) return;
    this.items[slot] = null;
    if (--this.live === 0) {
      this.empty();
    } else if (slot === this.head) {
      // Connections mostly open in the order they started: the front moves on as they do. (Behind
      // one that is slow, cancelled slots wait for it: 16 bytes per item added within one length.)
      while (this.items[this.head] === null) this.head++;
    }
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(delay)));
  }

  private fire(): void {
    this.timer = undefined;
    // Node may run a timer up to a millisecond early by this clock.
    const now = performance.now() + 1;
    const { items, due } = this;
    const expired: T[] = [];
    while (this.head < this.tail && (items[this.head] === null || due[this.head]! <= now)) {
      const item = items[this.head] as T | null;
      items[this.head++] = null;
      if (item !== null) expired.push(item);
    }
    this.live -= expired.length;
    if (this.live === 0) this.empty();
    else this.arm(due[this.head]! - performance.now());
    // Last: an expiry may add or cancel items.
    for (const item of expired) this.expire(item);
  }

  /** The items not yet passed, moved to the front (a queue that is never empty would grow otherwise). */
  private compact(): void {
    const { head, tail } = this;
    this.items.copyWithin(0, head, tail);
    this.due.copyWithin(0, head, tail);
    this.items.fill(null, tail - head, tail);
    this.base += head;
    this.tail = tail - head;
    this.head = 0;
  }

  /** Nothing left to wait for (every slot is null): the slots are free again, and the timer holds no process open. */
  private empty(): void {
    this.base += this.tail;
    this.head = 0;
    this.tail = 0;
    this.timer?.unref();
  }
}
