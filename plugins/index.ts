// The policy modules this gateway runs by default (FINGATE_PLUGINS names this file unless
// configured otherwise). Each has versioned files in policies/<name>/.

import { accessPolicy } from './access.ts';
import { amlPolicy } from './aml.ts';
import { auditPolicy } from './audit/index.ts';
import { disclosurePolicy } from './disclosure.ts';
import { licensingPolicy } from './licensing.ts';
import { privacyPolicy } from './privacy.ts';
import { riskQuestionnairePolicy } from './risk-questionnaire.ts';
import { suitabilityPolicy } from './suitability.ts';

export default [accessPolicy, privacyPolicy, suitabilityPolicy, amlPolicy, riskQuestionnairePolicy, licensingPolicy, disclosurePolicy, auditPolicy];
