import type { Sql } from '../db/database.ts';
import type { Permit } from '../policy/permit.ts';
import type { Loaders } from './loaders.ts';
import { byKeys, groupBy, permitted } from './query.ts';

export interface InstitutionRow {
  id: string;
  name: string;
  kind: string;
}

export interface LicenceRow {
  id: string;
  institutionId: string;
  type: string;
  number: string;
  validFrom: string;
  validTo: string | null;
  regions: string[];
  revoked: boolean;
}

export function loadInstitution(sql: Sql, loaders: Loaders, permit: Permit, key: string): Promise<InstitutionRow | null> {
  return loaders.get(permit, 'institution', (keys: readonly string[]) => byKeys<InstitutionRow>(sql, permit, keys)).load(key);
}

/** Each institution's licences the permit covers. */
export function loadLicences(sql: Sql, loaders: Loaders, permit: Permit, institutionId: string): Promise<LicenceRow[]> {
  return loaders
    .get(permit, 'licences', async (keys: readonly string[]) => {
      const rows = await sql<LicenceRow[]>`
        select l.* from licences l
         where l.institution_id = any(${keys as string[]}::bigint[]) and ${permitted(sql, permit, 'Licence')}
         order by l.id`;
      return groupBy(keys, rows, (row) => row.institutionId);
    })
    .load(institutionId);
}
