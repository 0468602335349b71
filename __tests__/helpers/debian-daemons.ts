/**
 * Real servers from Debian's packages, as users meet them (tinyproxy, Dante, websocketd,
 * Dovecot): each started in the foreground with a configuration of its own in a temporary
 * folder, on a free loopback port, and stopped (with every process it made) after its tests.
 * `.ci/run` installs the packages; where one is missing here, its tests are skipped with a message.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay, unusedPort } from './peer.js';

export interface Daemon {
  port: number;
  stop(): Promise<void>;
}

export interface DaemonSpec {
  /** The command, found on PATH. */
  command: string;
  /** The configuration file's name and text, given the port and the folder (none for some). */
  config?: { file: string; text: (port: number, dir: string) => string };
  /** The arguments, given the configuration file's path ('' without one) and the port. */
  args: (configPath: string, port: number) => string[];
  /** Runs before it starts (files it needs in its folder), given the folder and the port. */
  prepare?: (dir: string, port: number) => void;
  /** How it is stopped, where SIGTERM to its process group does not reach all of it (a daemon
   * that makes a session of its own, as Postfix's master does). */
  stopCommand?: (configPath: string) => string[];
}

/** Whether `command` is on PATH. */
export function installed(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Why a daemon's tests cannot run here, or null when they can. */
export function missing(command: string, packageName: string, needsRoot = false): string | null {
  if (!installed(command)) return `${command} is not installed (apt-get install ${packageName}): its tests are skipped`;
  if (needsRoot && process.getuid?.() !== 0) return `${command} needs root to drop to its own users: its tests are skipped`;
  return null;
}

/** Starts the daemon and resolves once its port accepts connections. */
export async function startDaemon(spec: DaemonSpec): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), `streamtask-${spec.command}-`));
  // Daemons that drop to their own users (Dovecot's login processes) must reach their folder.
  chmodSync(dir, 0o755);
  const port = await unusedPort();
  spec.prepare?.(dir, port);
  const configPath = spec.config === undefined ? '' : join(dir, spec.config.file);
  if (spec.config !== undefined) writeFileSync(configPath, spec.config.text(port, dir));
  // Its own process group, so that stopping it stops the processes it forked too.
  const child = spawn(spec.command, spec.args(configPath, port), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  // 'close', not 'exit': what it printed last (why it failed) is read by then.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    if (spec.stopCommand !== undefined) {
      const [command, ...args] = spec.stopCommand(configPath);
      await new Promise((resolve) => spawn(command!, args, { stdio: 'ignore' }).once('exit', resolve).once('error', resolve));
    }
    killGroup(child);
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await listening(port, child);
  } catch (error) {
    await stop();
    throw new Error(`${spec.command} did not start: ${(error as Error).message}\n${output}`);
  }
  return { port, stop };
}

/** The whole group, even when the first process already exited: what it forked may live on. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    // ESRCH: nothing of it is left.
  }
}

/** Tries the port until it accepts (10 s at most), failing at once if the daemon exits. */
async function listening(port: number, child: ChildProcess): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`it exited (${child.exitCode ?? child.signalCode})`);
    if (await accepts(port)) return;
    await delay(50);
  }
  throw new Error(`port ${port} did not accept within 10 s`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(port, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
