// The three workloads of bench/http-floor.ts: the GraphQL documents every server is sent, and who
// sends them. The floor (handler.ts) recognises each by its document.

/** W1: one customer by id, seven fields, read by a back-office service for a declared purpose (masked). */
export const W1 = {
  name: 'W1 customer(id:)',
  query: 'query W1($id: ID!) { customer(id: $id) { id name idNumber phone email ageBand investorType } }',
  /** The service token's scopes and the purpose it declares. */
  scope: 'customers:read',
  purpose: 'risk-control',
};

/** W2: the newest 100 transactions with their product, its issuer, and the customer's name. */
export const W2 = {
  name: 'W2 transactions(first: 100)',
  query:
    'query W2 { transactions(first: 100) { edges { node { id type status amount currency createdAt product { name issuer { name } } customer { name } } } } }',
  /** Transactions, and the customers named in them. */
  scope: 'transactions:read customers:read',
  purpose: 'risk-control',
};

/** W3: a transfer of 1.00 between two customers' accounts, a new idempotency key each time, by the payer. */
export const W3 = {
  name: 'W3 transfer 1.00',
  query: 'mutation W3($input: TransferInput!) { transfer(input: $input) { id status amount } }',
  amount: '1.00',
};
