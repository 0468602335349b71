/**
 * A peer that leaves TLS on "CCC" and goes on in plaintext: Python's ssl module (an independent
 * TLS implementation) in ccc_peer.py. See that file for the protocol and the modes.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { KeyPair } from './certificates.js';

const SCRIPT = fileURLToPath(new URL('./ccc_peer.py', import.meta.url));

export type CccMode = 'server-first' | 'client-first' | 'mute' | 'drop';

export interface CccPeer {
  port: number;
  close(): Promise<void>;
}

/** `script`: where ccc_peer.py is, for callers built elsewhere (the acceptance run runs from build/). */
export async function startCccPeer(leaf: KeyPair, mode: CccMode | `implicit-${CccMode}`, script = SCRIPT): Promise<CccPeer> {
  const child = spawn('python3', [script, leaf.certPath, leaf.keyPath, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return {
    port: Number(line),
    close: async () => {
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}
