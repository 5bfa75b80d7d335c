import { describe, expect, it } from 'vitest';
import { modeAt, versionsAt, type Activation, type PolicyMode } from '../../src/policy/lifecycle.ts';

// What runs when, from the activation history alone: the same on every instance.

const t = (hour: number) => new Date(Date.UTC(2026, 10, 30, hour));
let id = 0;
const activation = (module: string, version: number, mode: PolicyMode, hour: number): Activation => ({
  id: String(++id),
  module,
  version,
  sha256: 'x',
  mode,
  effectiveFrom: t(hour),
  activatedAt: t(hour),
  activatedBy: 'alice',
});

const history = [
  activation('access', 1, 'ENFORCE', 1),
  activation('privacy', 1, 'ENFORCE', 1),
  activation('access', 2, 'SHADOW', 2),
  activation('privacy', 2, 'SHADOW', 2),
  activation('access', 3, 'SHADOW', 3),
  activation('access', 3, 'INACTIVE', 4),
  activation('access', 2, 'ENFORCE', 5),
  activation('privacy', 1, 'INACTIVE', 6),
];
const modes = (at: Date, module: string) => [1, 2, 3].map((v) => modeAt(versionsAt(history, at), module, v));

describe('the versions in force at an instant', () => {
  it('enforce the newest ENFORCE activation that has come, and nothing not yet in effect', () => {
    expect(versionsAt(history, t(0)).size).toBe(0);
    expect(modes(t(1), 'access')).toEqual(['ENFORCE', 'INACTIVE', 'INACTIVE']);
    expect(modes(t(5), 'access')).toEqual(['INACTIVE', 'ENFORCE', 'INACTIVE']);
  });

  it("shadow each module's own versions whose latest activation is SHADOW, never the enforced one", () => {
    const at3 = versionsAt(history, t(3));
    expect(at3.get('access')!.shadow.map((a) => a.version)).toEqual([2, 3]);
    expect(at3.get('privacy')!.shadow.map((a) => a.version)).toEqual([2]);
    expect(versionsAt(history, t(4)).get('access')!.shadow.map((a) => a.version)).toEqual([2]);
    // enforced once shadowed: no longer a shadow
    expect(versionsAt(history, t(5)).get('access')!.shadow).toEqual([]);
  });

  it('leave a module without an enforced version once it is deactivated (its decisions then deny)', () => {
    expect(versionsAt(history, t(6)).get('privacy')!.enforced).toBeUndefined();
    expect(modes(t(6), 'privacy')).toEqual(['INACTIVE', 'SHADOW', 'INACTIVE']);
  });
});
