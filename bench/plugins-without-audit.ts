// Every default policy module but the audit trail: for measuring the gate alone
// (`FINGATE_PLUGINS=bench/plugins-without-audit.ts npx tsx bench/policy-overhead.ts`), whose
// "policies on" otherwise includes recording every read.

import modules from '../plugins/index.ts';

export default modules.filter((module) => module().name !== 'audit');
