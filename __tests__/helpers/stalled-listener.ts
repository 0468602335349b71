/**
 * A listening socket whose accept queue is full, so a new connect to it hangs (its SYN is
 * dropped) and stays on this machine. Node's own servers always accept, so the listener is a
 * tiny python3 process with `listen(0)`; one connection of ours fills its queue.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';

const SCRIPT = [
  'import socket, sys',
  's = socket.socket()',
  "s.bind(('127.0.0.1', 0))",
  's.listen(0)',
  'print(s.getsockname()[1], flush=True)',
  'sys.stdin.read()',
].join('\n');

export interface StalledListener {
  port: number;
  close(): Promise<void>;
}

export async function startStalledListener(): Promise<StalledListener> {
  const child = spawn('python3', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  const port = Number(line);
  const filler = net.connect(port, '127.0.0.1');
  await once(filler, 'connect');
  return {
    port,
    close: async () => {
      filler.destroy();
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
      if (!filler.closed) await once(filler, 'close');
    },
  };
}
