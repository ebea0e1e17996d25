import { vectorTests } from './vectors.ts';

vectorTests('pte');
