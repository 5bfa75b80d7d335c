// The gateway runs as the application role (0006_application_role.sql), never as the owner of its
// tables, so the database itself refuses UPDATE, DELETE and TRUNCATE of the audit trail and
// disabling its triggers, whatever SQL the gateway sends. Migrations and the demo seed run as
// the owner before that.

import { createClient, type Database, type Sql } from '../db/database.ts';
import { StartupError } from '../errors.ts';

/** The role 0006 creates and grants. */
export const APPLICATION_ROLE = 'fingate_app';

export interface ApplicationOptions {
  /** The URL the gateway logs in with (DATABASE_URL); on a server, every session assumes `role`. */
  url?: string | undefined;
  /** @default "fingate_app" */
  role?: string;
  /** Connections of the client. @default 10 */
  max?: number;
  /** Refuse to start (instead of warning) when the trail could be changed by the gateway. */
  production?: boolean;
  log?: (message: string) => void;
}

/** A client whose statements run as the application role, and how to close it. */
export interface ApplicationClient {
  sql: Sql;
  close(): Promise<void>;
}

/**
 * Connects as the application role: a new client whose sessions assume the role at login (the
 * `role` startup parameter: the login must be a member of it). Embedded, the database's loopback
 * server (src/db/pglite-server.ts) gives the one shared session each client's role in its turn,
 * and one connection is all PGlite serves at once. Then checks what the role may do to the trail
 * (see `checkAppendOnly`).
 */
export async function connectAsApplication(owner: Database, { url = owner.url, role = APPLICATION_ROLE, max = 10, production = false, log = (m) => console.error(m) }: ApplicationOptions = {}): Promise<ApplicationClient> {
  const target = new URL(url);
  target.searchParams.set('role', role);
  const sql = createClient(target.toString(), { max: owner.embedded ? 1 : max });
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    throw new StartupError(`cannot connect as the application role ${role}: ${(error as Error).message} (the login must be a member of ${role}; see 0006_application_role.sql)`);
  }
  const client: ApplicationClient = { sql, close: () => sql.end({ timeout: 5 }) };
  try {
    await checkAppendOnly(client.sql, { production: production && !owner.embedded, embedded: owner.embedded, log });
  } catch (error) {
    await client.close();
    throw error;
  }
  return client;
}

const TRAIL = ['audit_events', 'audit_chain', 'audit_checkpoints'];

/**
 * What the connected role and its login may do to the trail. The role must not be able to change
 * it (update, delete, truncate, own it); the login must not be able to step back out of the role
 * (a superuser or the tables' owner can RESET ROLE). In production both are refused at start-up;
 * elsewhere they are warnings — a development database is usually one superuser login.
 */
export async function checkAppendOnly(sql: Sql, { production, embedded, log }: { production: boolean; embedded: boolean; log: (message: string) => void }): Promise<void> {
  const [state] = await sql<{ role: string; login: string; mayChange: boolean; owns: boolean; loginMayReset: boolean }[]>`
    select current_user as role, session_user as login,
           bool_or(has_table_privilege(c.oid, 'UPDATE') or has_table_privilege(c.oid, 'DELETE') or has_table_privilege(c.oid, 'TRUNCATE')) as may_change,
           bool_or(pg_has_role(current_user, c.relowner, 'USAGE')) as owns,
           bool_or(pg_has_role(session_user, c.relowner, 'USAGE'))
             or (select rolsuper from pg_roles where rolname = session_user) as login_may_reset
      from pg_class c
     where c.oid = any(${TRAIL}::regclass[])`;
  const { role, login, mayChange, owns, loginMayReset } = state!;
  if (mayChange || owns) {
    const message = `the gateway's role ${role} may change the audit trail (UPDATE, DELETE, TRUNCATE or ownership); run it as a role without those rights`;
    if (production) throw new StartupError(message);
    log(`audit: ${message}`);
  } else if (loginMayReset && !embedded) {
    // embedded, this process owns the database files whatever the role (the README says so)
    const message = `the login ${login} could leave the role ${role} (RESET ROLE); for production, log in as a role that is only a member of ${role} and migrate with DATABASE_OWNER_URL`;
    if (production) throw new StartupError(message);
    log(`audit: ${message}`);
  }
}
