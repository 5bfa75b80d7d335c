import { randomUUID } from 'node:crypto';
import { it } from 'vitest';
import { toGlobalId } from '../../src/ids.ts';
import { startGateway } from '../support/gateway.ts';
import { newCustomer, openAccount } from '../support/ledger.ts';

it('explore', async () => {
  const gw = await startGateway({ customers: 10 });
  try {
    const a = await newCustomer(gw.db.sql); const b = await newCustomer(gw.db.sql);
    const aa = await openAccount(gw.db.sql, a, '100.00'); const ba = await openAccount(gw.db.sql, b, '0');
    const token = await gw.customerToken(a);
    const r = await gw.request(`mutation T($input: TransferInput!) { transfer(input: $input) { id amount customer { name } } }`, { token, headers: { 'x-request-id': 'req-1' }, variables: { input: { fromAccountId: toGlobalId('Account', aa), toAccountId: toGlobalId('Account', ba), amount: '5.00', idempotencyKey: randomUUID() } } });
    console.log(JSON.stringify(r));
    const adv = await gw.token({ roles: ['advisor'], institutionId: toGlobalId('Institution', 1) });
    const c = await gw.request(`{ customers(first: 3) { edges { node { name idNumber phone accounts { id } } } } }`, { token: adv, purpose: 'account-servicing', headers: { 'x-request-id': 'req-2' } });
    console.log(JSON.stringify(c).slice(0, 300));
    console.log('sealed', await gw.seal());
    const rows = await gw.db.sql`select * from audit_trail order by seq`;
    for (const row of rows) console.log(JSON.stringify(row));
    const auditor = await gw.token({ roles: ['auditor'] });
    const q = await gw.request(`{ auditChain { verified sealedThrough length unsealed headHash firstBrokenSeq problem verifiedFrom checkpoint { seq } } auditEvents(first: 3) { totalCount edges { node { seq action fieldPath fields customerIds } } } }`, { token: auditor });
    console.log(JSON.stringify(q));
    console.log(await gw.sealer.checkpointNow());
    const q2 = await gw.request(`{ auditChain { verified sealedThrough length unsealed verifiedFrom checkpoint { seq signature } } }`, { token: auditor });
    console.log(JSON.stringify(q2));
  } finally { await gw.close(); }
});
