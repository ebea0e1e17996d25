import { vectorTests } from './vectors.ts';

vectorTests('tlb');
