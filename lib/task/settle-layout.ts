/**
 * V8 settles the memory layout of a class's instances after its first few constructions
 * (in-object slack tracking). For StreamTask (an EventTarget subclass with, at the time, some
 * seventy private fields), Node 20's V8 was seen to settle on a layout with no in-object fields
 * when the first tasks of the process had already been used by then; every later task kept its fields in
 * a hash table (dictionary mode): 3 KB larger, and a lookup on every field access. Constructing a
 * few untouched instances when the module loads settles the layout on that of a new instance,
 * whatever the process does first. (Reads and writes were checked by heap snapshot after the
 * benchmarks and keep a fast layout without it.) See docs/decisions.md.
 */

/** V8 tracks a constructor's first seven constructions; one more to be sure. */
const TRACKED_CONSTRUCTIONS = 8;

export function settleLayout(construct: () => unknown): void {
  for (let i = 0; i < TRACKED_CONSTRUCTIONS; i++) construct();
}
