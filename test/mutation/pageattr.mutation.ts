import { vectorTests } from './vectors.ts';

vectorTests('pageattr');
