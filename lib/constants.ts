/** Fixed numbers, in one place. */

/** The longest delay `setTimeout` honours; a larger one fires at once (with a warning). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Defaults of SessionConfiguration and of readData. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_READ_BUFFER_SIZE = 1024 * 1024;
export const DEFAULT_MAX_LENGTH = 65_536;

/** Progress events are coalesced: at most one per this many milliseconds while bytes move. */
export const PROGRESS_INTERVAL_MS = 50;

/** Bytes a captured writable queues before it reports backpressure. */
export const STREAM_WRITE_HIGH_WATER_MARK = 64 * 1024;

/** waitsForConnectivity: the first retry comes after this many ms, each next one after twice as long… */
export const RETRY_FIRST_MS = 250;
/** …but never more than this. */
export const RETRY_MAX_MS = 10_000;

/** How often the host's interfaces are checked for a vanished local address (betterroute). */
export const BETTER_ROUTE_POLL_MS = 1000;

/** Small writes made in one tick are sent together, up to this many bytes per socket write. */
export const WRITE_BATCH_BYTES = 64 * 1024;

/**
 * A write of at most this many bytes to a plain socket with nothing queued goes without a
 * completion callback: the kernel nearly always takes it at once (see StreamTask#socketWrite).
 */
export const DIRECT_WRITE_MAX_BYTES = 16 * 1024;

/**
 * stopSecureConnection() reads on past `readBufferSize` (the peer's close_notify lies behind what
 * it sent), but no more than this many bytes past it.
 */
export const STOP_TLS_READ_SLACK_BYTES = 16 * 1024 * 1024;

/** How long a `.local` service may take to answer over multicast DNS (capped by the connect time limit). */
export const MDNS_WAIT_MS = 3000;
/** Between repeated multicast DNS queries (RFC 6762 §5.2: at least one second for the first interval). */
export const MDNS_REQUERY_MS = 1000;
/** After the first fully known instance, how long other answers of the same burst are gathered. */
export const MDNS_GATHER_MS = 100;

/**
 * Plain TCP reads (lib/io/socket-reads.ts). A socket reads into one scratch buffer the process
 * shares until a read brings at least SLAB_AFTER_BYTES; then into slabs of its own, views of
 * which are the chunks, until a read brings less than SCRATCH_BELOW_BYTES.
 */
export const SCRATCH_READ_BYTES = 64 * 1024;
export const SLAB_AFTER_BYTES = 16 * 1024;
export const SCRATCH_BELOW_BYTES = 2 * 1024;
/** A socket's own slab: one socket read may fill what is left of it… */
export const READ_SLAB_BYTES = 256 * 1024;
/** …as long as that is at least this much; then a new slab. */
export const MIN_SLAB_READ_BYTES = 16 * 1024;
/** Small chunks read into the scratch buffer are copied into shared slabs of this size. */
export const SMALL_CHUNK_SLAB_BYTES = 64 * 1024;
