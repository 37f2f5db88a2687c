import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/pg/pool.js';
import { ReplayStore } from '../../src/adapters/pg/replay.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const at = new Date('2026-03-01T12:00:00Z');

describe('replay memory shared by replicas', () => {
  it('accepts an interaction id once, on whichever replica, until it is pruned', async () => {
    const here = new ReplayStore(db.pool);
    const otherPool = createPool(db.url, { max: 2, applicationName: 'another replica' });
    try {
      const there = new ReplayStore(otherPool); // another replica: its own connections
      expect(await here.firstSeen('discord', '1100', at)).toBe(true);
      expect(await here.firstSeen('discord', '1100', at)).toBe(false);
      expect(await there.firstSeen('discord', '1100', at)).toBe(false);
      expect(await there.firstSeen('slack', '1100', at)).toBe(true); // ids are per platform
      await there.prune(new Date(at.getTime() + 1));
      expect(await here.firstSeen('discord', '1100', at)).toBe(true);
    } finally {
      await otherPool.end();
    }
  });
});
