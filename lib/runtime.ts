/**
 * Which runtime runs the library (Node, Bun or Deno), and the Node behaviours the others lack.
 * Only facts about the runtime; what the library does without them is its callers'.
 */

/** The runtime's name, as errors that refuse something it cannot do say it. */
export const RUNTIME_NAME: 'Node' | 'Bun' | 'Deno' =
  typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'Deno'
    : typeof process.versions.bun === 'string' ? 'Bun'
    : 'Node';

/**
 * Node's `onread` as socket-reads.ts uses it: the callback called with the socket as `this`, the
 * buffer function right after it, and a socket that TLS can still take over. Bun emulates
 * `onread` over 'data' and calls the callback without `this`; Deno's TLS does not read a socket
 * that has one. Elsewhere a task's plain socket reads through 'data' events.
 */
export const NODE_ONREAD = RUNTIME_NAME === 'Node';
