/** Fixed numbers, in one place. */

/** The longest delay `setTimeout` honours; a larger one fires at once (with a warning). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Size of the slabs the socket reads into directly; chunks are views into them, never copies. */
export const READ_SLAB_BYTES = 256 * 1024;

/** A read into a slab is never offered less room than this; a new slab is started instead. */
export const MIN_READ_BYTES = 64 * 1024;

/** Defaults of SessionConfiguration and of readData. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_READ_BUFFER_SIZE = 1024 * 1024;
export const DEFAULT_MAX_LENGTH = 65_536;
