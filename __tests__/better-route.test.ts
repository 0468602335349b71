import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { useLoopback } from './helpers/fixture.js';

const loopback = useLoopback();

/** Adds a loopback address to this host (needs root and iproute2); false when the machine does not allow it. */
function addAddress(address: string): boolean {
  try {
    execFileSync('ip', ['addr', 'add', `${address}/32`, 'dev', 'lo'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function removeAddress(address: string): void {
  try {
    execFileSync('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo'], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

describe('betterroute', () => {
  test('fires when the local address of the connection leaves the host', async () => {
    const address = `127.0.${(process.pid % 200) + 20}.${(Date.now() % 200) + 20}`;
    if (!addAddress(address)) {
      // Without root this machine cannot take an address away; check the quiet case only.
      const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
      let fired = false;
      task.addEventListener('betterroute', () => (fired = true));
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(fired).toBe(false);
      return;
    }
    try {
      const task = await loopback.session.connect('127.0.0.1', loopback.peer.port, { localAddress: address });
      expect((await task.opened).localAddress).toBe(address);
      const betterRoute = once(task, 'betterroute');
      // Nothing happens while the address is there.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      removeAddress(address);
      await betterRoute;
      expect(task.state).toBe('running');
    } finally {
      removeAddress(address);
    }
  });

  test('a bad localAddress is an argument error', () => {
    expect(() => loopback.session.streamTask('127.0.0.1', 1, { localAddress: 'home' })).toThrow(/`options\.localAddress` to be an IP address/);
  });
});
