// A Jest environment that fails a test file which leaves a socket, server, timer or child process
// open, or during which any promise rejection went unhandled (--unhandled-rejections=strict
// semantics: Jest alone only logs some of them). It checks in teardown(), after every afterAll.
import { TestEnvironment } from 'jest-environment-node';

const WATCHED = new Set(['TCPWRAP', 'TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'TLSWrap', 'PipeWrap', 'ProcessWrap']);

function openResources() {
  const counts = new Map();
  for (const name of process.getActiveResourcesInfo()) {
    if (WATCHED.has(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

export default class LeakCheckingEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    // Node 20 adds Symbol.dispose/asyncDispose to its main realm only; the test realm must use
    // the same symbols, or `await using` and `[Symbol.asyncDispose]()` would miss each other.
    for (const name of ['dispose', 'asyncDispose']) {
      if (this.global.Symbol[name] === undefined) {
        Object.defineProperty(this.global.Symbol, name, { value: Symbol[name] });
      }
    }
    this.baseline = openResources();
    this.unhandled = [];
    this.onUnhandled = (reason) => this.unhandled.push(reason);
    process.on('unhandledRejection', this.onUnhandled);
  }

  async teardown() {
    let leaked = [];
    // Handles close on the loop's next turns: give them a few, never a fixed sleep.
    for (let turn = 0; turn < 50; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      leaked = [...openResources()]
        .filter(([name, count]) => count > (this.baseline.get(name) ?? 0))
        .map(([name, count]) => `${name}×${count - (this.baseline.get(name) ?? 0)}`);
      if (leaked.length === 0) break;
    }
    process.off('unhandledRejection', this.onUnhandled);
    await super.teardown();
    if (this.unhandled.length > 0) {
      const first = this.unhandled[0];
      throw new Error(`the test file left ${this.unhandled.length} promise rejection(s) unhandled; the first: ` +
        `${first instanceof Error || (first && first.stack) ? first.stack : String(first)}`);
    }
    if (leaked.length > 0) {
      throw new Error(`the test file left open: ${leaked.join(', ')} (close every server, socket and timer)`);
    }
  }
}
