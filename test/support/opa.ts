// The OPA CLI is a build and test tool (the gateway needs Node alone): tests that run it are
// skipped, saying so, on a machine without it.

import { execFileSync } from 'node:child_process';

/** The OPA CLI, if this machine has one: $OPA, else `opa` on PATH. */
export const opa = ((candidate) => {
  try {
    execFileSync(candidate, ['version'], { stdio: 'ignore' });
    return candidate;
  } catch {
    return undefined;
  }
})(process.env.OPA ?? 'opa');

/** Appended to the name of a test that needs the OPA CLI. */
export const needsOpa = opa ? '' : ' (skipped: no OPA CLI; set OPA to an opa v1.22.3 binary)';
