import { accessPolicy } from '../../plugins/access.ts';
import { amlPolicy } from '../../plugins/aml.ts';
import { riskQuestionnairePolicy } from '../../plugins/risk-questionnaire.ts';
import { suitabilityPolicy } from '../../plugins/suitability.ts';
import type { PolicyModule } from './types.ts';

/** The policy modules this gateway runs; each has versioned files in policies/<name>/. */
export function defaultModules(): PolicyModule[] {
  return [accessPolicy(), suitabilityPolicy(), amlPolicy(), riskQuestionnairePolicy()] as PolicyModule[];
}
