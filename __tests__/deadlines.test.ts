/**
 * The queue behind every task's connect limit: items fall due in the order added, after their
 * length; cancelled ones never do; with nothing waiting it holds no process open; tickets stay
 * right while the queue reuses and moves its slots.
 */
import { describe, expect, test } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineQueue } from '../lib/io/deadlines.js';

const refTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('DeadlineQueue', () => {
  test('items expire in order, no sooner than their length; cancelled ones never', async () => {
    const expired: { name: string; after: number }[] = [];
    const started = performance.now();
    const queue = new DeadlineQueue<{ name: string }>(40, (item) => expired.push({ name: item.name, after: performance.now() - started }));
    queue.add({ name: 'a' });
    const b = queue.add({ name: 'b' });
    await sleep(15);
    queue.add({ name: 'c' });
    queue.cancel(b);
    queue.cancel(b); // twice: nothing more
    await sleep(100);
    expect(expired.map(({ name }) => name)).toEqual(['a', 'c']);
    expect(expired[0]!.after).toBeGreaterThanOrEqual(39);
    expect(expired[1]!.after).toBeGreaterThanOrEqual(54);
    expect(queue.idle).toBe(true);
  });

  test('with nothing waiting, its timer keeps no process alive; a new item makes it count again', async () => {
    const before = refTimers();
    const expired: string[] = [];
    const queue = new DeadlineQueue<{ name: string }>(30, (item) => expired.push(item.name));
    const ticket = queue.add({ name: 'a' });
    expect(refTimers()).toBe(before + 1);
    queue.cancel(ticket);
    expect(refTimers()).toBe(before);
    expect(queue.keepsProcessAlive).toBe(false);
    queue.add({ name: 'b' });
    expect(refTimers()).toBe(before + 1);
    expect(queue.keepsProcessAlive).toBe(true);
    await sleep(80);
    expect(expired).toEqual(['b']);
    // Across an await other code's timers may end too: the queue's own timer is what counts.
    expect(queue.keepsProcessAlive).toBe(false);
    expect(queue.idle).toBe(true);
  });

  test('tickets stay right across reused and moved slots, with items always waiting', async () => {
    const expired: number[] = [];
    const queue = new DeadlineQueue<{ n: number }>(50, (item) => expired.push(item.n));
    // Items always wait, so the queue never empties and must move its slots to the front; one
    // item behind the front is cancelled late (a slow connection).
    const tickets: number[] = [];
    for (let n = 0; n < 5000; n++) {
      tickets.push(queue.add({ n }));
      if (n >= 2 && n - 2 !== 10) queue.cancel(tickets[n - 2]!);
      if (n === 3000) queue.cancel(tickets[10]!);
    }
    // Keep the last two, cancel a ticket twice and one never issued: nothing changes.
    queue.cancel(tickets[0]!);
    queue.cancel(123_456_789);
    await sleep(120);
    expect(expired).toEqual([4998, 4999]);
  });

  test('an expiry may add an item (a retry), which then waits its own length', async () => {
    const expired: string[] = [];
    const queue: DeadlineQueue<{ name: string }> = new DeadlineQueue(20, (item) => {
      expired.push(item.name);
      if (item.name === 'first') queue.add({ name: 'retry' });
    });
    queue.add({ name: 'first' });
    await sleep(35);
    expect(expired).toEqual(['first']);
    await sleep(40);
    expect(expired).toEqual(['first', 'retry']);
  });
});
