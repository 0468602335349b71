import { describe, expect, test } from '@jest/globals';
import { runDemo } from '../examples/line-protocol-demo.js';

describe('examples run as written', () => {
  test('the line-protocol demo talks to its own server and ends cleanly', async () => {
    const lines: string[] = [];
    await runDemo((line) => lines.push(line));
    expect(lines).toEqual(
      expect.arrayContaining([
        'server > +READY tiny-kv',
        'server > $hello from streamtask',
        'server > -NOTFOUND',
        'server > -ERR unknown command PING',
        'server > +BYE 1 keys stored',
      ]),
    );
    expect(lines.at(-1)).toMatch(/^client {3}done: state completed, \d+ bytes sent, \d+ received$/);
  });
});
