// Answers written at the end of the event-loop turn: after the turn's work, before the next turn,
// and work that the end of the turn itself starts (a lane's batch answers) in that same turn end.
import { describe, expect, it } from 'vitest';
import { atTurnEnd } from '../../src/platform/http/turn-end-writes.js';

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('atTurnEnd', () => {
  it('runs queued work after the code that queued it, in the order it was queued', async () => {
    const log: string[] = [];
    atTurnEnd(() => log.push('first'));
    atTurnEnd(() => log.push('second'));
    log.push('sync');
    await Promise.resolve();
    log.push('microtask');
    await nextTurn();
    expect(log).toEqual(['sync', 'microtask', 'first', 'second']);
  });

  it('runs work queued during the turn end, and by its microtasks, in that same turn end', async () => {
    const log: string[] = [];
    atTurnEnd(() => {
      log.push('answer batch');
      // What a lane's settle does: resolve promises whose continuations send the answers.
      void Promise.resolve()
        .then(() => undefined)
        .then(() => atTurnEnd(() => log.push('write from a continuation')));
      atTurnEnd(() => log.push('write from the flush'));
    });
    // Queued after the turn end had been scheduled: runs after it, in the same check phase.
    setImmediate(() => log.push('a later immediate'));
    await nextTurn();
    expect(log).toEqual([
      'answer batch',
      'write from the flush',
      'write from a continuation',
      'a later immediate',
    ]);
  });

  it('gives work queued after a turn end its own turn end', async () => {
    const log: string[] = [];
    atTurnEnd(() => log.push('turn 1'));
    await nextTurn();
    atTurnEnd(() => log.push('turn 2'));
    expect(log).toEqual(['turn 1']);
    await nextTurn();
    expect(log).toEqual(['turn 1', 'turn 2']);
  });
});
