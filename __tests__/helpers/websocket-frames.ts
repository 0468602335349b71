/** WebSocket frames by hand (RFC 6455 §5.2), short payloads only: what a test peer needs after an Upgrade. */
import type { StreamTask } from '../../lib/index.js';

/** A client WebSocket frame: FIN, opcode, masked payload (RFC 6455 §5.2). */
export function clientFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('short frames only');
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

/** Reads one unmasked server frame (short payloads). */
export async function readServerFrame(task: StreamTask): Promise<{ opcode: number; payload: Buffer }> {
  const header = await task.readExactly(2);
  const length = header[1]! & 0x7f;
  return { opcode: header[0]! & 0x0f, payload: Buffer.from(await task.readExactly(length)) };
}
