/**
 * Which turn of the event loop's tick queue this is: a number that changes once the current
 * synchronous code and its process.nextTick callbacks have run. Shared by all tasks: one
 * nextTick per tick in all, instead of one per task per write (write coalescing asks "did this
 * task already write in this tick?").
 */
let tick = 0;
let scheduled = false;

function advance(): void {
  tick++;
  scheduled = false;
}

export function currentTick(): number {
  if (!scheduled) {
    scheduled = true;
    process.nextTick(advance);
  }
  return tick;
}
