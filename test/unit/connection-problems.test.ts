// Refusals this machine's trust-only PostgreSQL cannot produce (a wrong password, a server that
// wants TLS, an untrusted certificate), as postgres.js and Node report them. The start-up tests
// cover the rest through the CLI against a real server.
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { connectionProblem } from '../../src/db/database.ts';

const target = new URL('postgres://fingate:s3cret-pw@db.internal:6432/ledger');
/** A server refusal as postgres.js builds it from an ErrorResponse's fields (its typings show only Error's constructor). */
const refusal = (code: string, message: string) => new postgres.PostgresError({ severity: 'FATAL', code, message } as unknown as string);
/** A network failure as Node reports it. */
const failure = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('why the database in DATABASE_URL could not be used', () => {
  it("says a password was refused, in the server's words, with what to check", () => {
    const problem = connectionProblem(refusal('28P01', 'password authentication failed for user "fingate"'), target);
    expect(problem).toMatch(/db\.internal:6432 refused the connection: password authentication failed for user "fingate"/);
    expect(problem).toMatch(/check the user and password in DATABASE_URL/);
  });

  it('says the server wants TLS when it has no entry for an unencrypted connection', () => {
    const problem = connectionProblem(refusal('28000', 'no pg_hba.conf entry for host "10.0.0.7", user "fingate", database "ledger", no encryption'), target);
    expect(problem).toMatch(/add sslmode=require to DATABASE_URL/);
  });

  it('says a TLS certificate is not trusted', () => {
    expect(connectionProblem(failure('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), new URL(`${target}?sslmode=verify-full`))).toMatch(/TLS certificate is not trusted/);
  });

  it('says a host name does not resolve', () => {
    expect(connectionProblem(failure('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal'), target)).toMatch(/cannot reach the database at db\.internal:6432\/ledger: the host name db\.internal does not resolve/);
  });

  it('keeps a server refusal without advice recognisable by its SQLSTATE', () => {
    expect(connectionProblem(refusal('42501', 'permission denied for database "ledger"'), target)).toMatch(/permission denied for database "ledger" \(SQLSTATE 42501\)/);
  });

  it('never repeats the password from DATABASE_URL', () => {
    const problems = [
      connectionProblem(refusal('28P01', 'password authentication failed for user "fingate"'), target),
      connectionProblem(failure('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.9:6432'), target),
      connectionProblem(failure('CONNECT_TIMEOUT', 'write CONNECT_TIMEOUT db.internal:6432'), target),
    ];
    for (const problem of problems) expect(problem).not.toContain('s3cret-pw');
  });
});
