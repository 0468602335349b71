/**
 * Notices when a local address disappears from the host's interfaces (a Wi-Fi network left, a VPN
 * down, a DHCP lease changed): then a connection bound to it has no future and a better route
 * exists, which is what the `betterroute` event says. One poller serves every watching task, and
 * it runs only while some task watches; its timer never keeps the process alive.
 */
import * as os from 'node:os';
import { BETTER_ROUTE_POLL_MS } from '../constants.js';

const watchers = new Map<symbol, { address: string; onGone: () => void }>();
let timer: NodeJS.Timeout | undefined;

function localAddresses(): Set<string> {
  const found = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) {
    for (const entry of list ?? []) found.add(entry.address);
  }
  return found;
}

function poll(): void {
  const present = localAddresses();
  for (const [key, { address, onGone }] of [...watchers]) {
    if (present.has(address.replace(/^::ffff:/, ''))) continue;
    watchers.delete(key);
    onGone();
  }
  if (watchers.size === 0) stop();
}

function stop(): void {
  clearInterval(timer);
  timer = undefined;
}

/** Calls `onGone` once when `address` is no longer an address of this host. Returns an unwatch function. */
export function watchLocalAddress(address: string, onGone: () => void): () => void {
  const key = Symbol(address);
  watchers.set(key, { address, onGone });
  if (timer === undefined) {
    timer = setInterval(poll, BETTER_ROUTE_POLL_MS);
    timer.unref();
  }
  return () => {
    watchers.delete(key);
    if (watchers.size === 0) stop();
  };
}
